"""Hotline: call devices bound to elders, what they report, emergency cases (alarms) and what operators do
about them, calls in and out, proactive care calls, welfare-visit tasks and welfare visits."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping
from carecircle.core.sensitive import EncryptedTextField, lookup_hash


class DeviceKind(models.TextChoices):
    CALL_TERMINAL = "call_terminal", _("一键通呼叫终端")
    WATCH = "watch", _("智能手表/手环")
    PENDANT = "pendant", _("呼叫吊坠")
    FALL_RADAR = "fall_radar", _("跌倒监测雷达")
    SMOKE = "smoke", _("烟感报警器")
    GAS = "gas", _("燃气报警器")
    WATER = "water", _("水浸报警器")
    BED_MONITOR = "bed_monitor", _("睡眠监测带")


class Funding(models.TextChoices):
    FULL = "full", _("政府全额承担")
    PART = "part", _("政府部分承担")
    SELF = "self", _("个人自费")


class Device(models.Model):
    """A device installed in an elder's home. Its secret signs what it sends; stored encrypted, shown once."""

    device_id = models.CharField(_("设备编号"), max_length=64, unique=True)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="hotline_devices")
    kind = models.CharField(_("设备类型"), max_length=20, choices=DeviceKind.choices)
    vendor = models.CharField(_("厂商"), max_length=100)
    number = models.CharField(_("设备号码/序列号"), max_length=64, blank=True)
    installed_on = models.DateField(_("安装日期"))
    location = models.CharField(_("安装位置"), max_length=100, blank=True)
    funding = models.CharField(_("费用承担"), max_length=10, choices=Funding.choices)
    subsidy_share = models.DecimalField(_("政府承担比例"), max_digits=4, decimal_places=2)
    secret = EncryptedTextField(_("签名密钥"), masker="name")
    active = models.BooleanField(_("在用"), default=True)
    last_heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("一键通设备")
        verbose_name_plural = _("一键通设备")
        ordering = ["elder__name", "device_id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.device_id}"


class RejectReason(models.TextChoices):
    UNKNOWN_DEVICE = "unknown_device", _("未登记的设备")
    UNBOUND = "unbound", _("设备未绑定老人")
    SIGNATURE = "signature", _("签名错误或缺失")
    EXPIRED = "expired", _("时间戳过期（可能是重放）")
    FUTURE = "future", _("时间戳在未来")
    BAD_BODY = "bad_body", _("消息格式错误")
    UNKNOWN_CODE = "unknown_code", _("未知的事件代码")


class DeviceRejection(models.Model):
    """A message refused at the door, kept for the device's vendor to put right."""

    device = models.ForeignKey(Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="rejections")
    sent_device_id = models.CharField(_("报送的设备编号"), max_length=64, blank=True)
    reason = models.CharField(_("原因"), max_length=20, choices=RejectReason.choices)
    status_code = models.PositiveSmallIntegerField(_("应答状态码"))
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    scoping = Scoping(region="device__elder__community", person="device__elder")

    class Meta:
        verbose_name = _("被拒收的设备消息")
        verbose_name_plural = _("被拒收的设备消息")
        ordering = ["-received_at", "-id"]


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("待响应")
    ACKNOWLEDGED = "acknowledged", _("处置中")
    CLOSED = "closed", _("已结案")


class CallCategory(models.TextChoices):
    """The categories of Wuhan's published breakdown of one-key calls."""

    MEALS_EMERGENCY = "meals_emergency", _("助餐/紧急救助")
    HOUSEKEEPING = "housekeeping", _("家政服务")
    NURSING = "nursing", _("康复护理")
    COMFORT = "comfort", _("精神慰藉")
    OTHER = "other", _("其他")


class AlarmSource(models.TextChoices):
    DEVICE = "device", _("设备报警")
    CALL = "call", _("来电")


class Outcome(models.TextChoices):
    RESOLVED_REMOTELY = "resolved_remotely", _("电话处置完毕")
    SENT_TO_HOSPITAL = "hospital", _("送医")
    ON_SITE = "on_site", _("上门处置完毕")
    FALSE_ALARM = "false_alarm", _("误报")
    DEVICE_FAULT = "device_fault", _("设备故障")
    DECEASED = "deceased", _("老人已故")


class Alarm(models.Model):
    """An emergency case: from a device's alarm or a caller, until it is closed and the elder called back."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="hotline_alarms")
    device = models.ForeignKey(Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="alarms")
    source = models.CharField(_("来源"), max_length=10, choices=AlarmSource.choices)
    code = models.CharField(_("报警类型"), max_length=30)
    priority = models.PositiveSmallIntegerField(_("优先级"))
    is_emergency = models.BooleanField(_("紧急"), default=True)
    category = models.CharField(_("类别"), max_length=20, choices=CallCategory.choices,
                                default=CallCategory.MEALS_EMERGENCY)
    status = models.CharField(_("状态"), max_length=15, choices=AlarmStatus.choices, default=AlarmStatus.OPEN,
                              db_index=True)
    raised_at = models.DateTimeField(_("报警时间"), db_index=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("响应坐席"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    first_action_at = models.DateTimeField(_("首次处置时间"), null=True, blank=True)
    needs_arrival = models.BooleanField(_("需上门"), default=False)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    outcome = models.CharField(_("处置结果"), max_length=20, choices=Outcome.choices, blank=True)
    closing_note = models.CharField(_("结案说明"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("结案坐席"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_note = models.CharField(_("回访情况"), max_length=500, blank=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("紧急呼叫事件")
        verbose_name_plural = _("紧急呼叫事件")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "priority", "raised_at"], name="hotline_alarm_queue_idx"),
                   models.Index(fields=["-raised_at", "-id"], name="hotline_alarm_recent_idx")]

    def __str__(self):
        from .labels import code_label

        return _("%(elder)s：%(code)s") % {"elder": self.elder.name, "code": code_label(self.code)}

    @property
    def code_label(self):
        from .labels import code_label

        return code_label(self.code)


class DeviceEvent(models.Model):
    """One message a device sent and was accepted: stored exactly once per (device, event id)."""

    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("事件编号"), max_length=64)
    code = models.CharField(_("事件代码"), max_length=30)
    at = models.DateTimeField(_("发生时间"))
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    alarm = models.ForeignKey(Alarm, verbose_name=_("报警"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="events")
    status_code = models.PositiveSmallIntegerField(_("应答状态码"))
    response = models.JSONField(_("应答内容"), default=dict)

    scoping = Scoping(region="device__elder__community", person="device__elder")

    class Meta:
        verbose_name = _("设备事件")
        verbose_name_plural = _("设备事件")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["device", "event_id"], name="hotline_event_once")]


class ActionKind(models.TextChoices):
    CALL_ELDER = "call_elder", _("致电老人")
    CALL_CONTACT = "call_contact", _("联系紧急联系人/家属")
    CALLED_120 = "called_120", _("已呼叫120")
    CALLED_110 = "called_110", _("已呼叫110")
    CALLED_119 = "called_119", _("已呼叫119")
    SENT_WORKER = "sent_worker", _("派社区工作人员上门")
    SENT_PROVIDER = "sent_provider", _("派服务机构上门")
    ADVICE = "advice", _("电话指导")
    ARRIVED = "arrived", _("人员已到场")
    NOTE = "note", _("备注")


# Sending someone means the case is not over until they are there.
SENDING = {ActionKind.CALLED_120, ActionKind.CALLED_110, ActionKind.CALLED_119, ActionKind.SENT_WORKER,
           ActionKind.SENT_PROVIDER}


class AlarmAction(models.Model):
    alarm = models.ForeignKey(Alarm, verbose_name=_("紧急呼叫事件"), on_delete=models.CASCADE,
                              related_name="actions")
    kind = models.CharField(_("处置"), max_length=20, choices=ActionKind.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("坐席"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    scoping = Scoping(region="alarm__elder__community", person="alarm__elder")

    class Meta:
        verbose_name = _("处置记录")
        verbose_name_plural = _("处置记录")
        ordering = ["at", "id"]


class CallDirection(models.TextChoices):
    IN = "in", _("呼入")
    OUT = "out", _("呼出")


class Call(models.Model):
    """A telephone call in or out of the hotline, with its category (Wuhan's breakdown)."""

    direction = models.CharField(_("方向"), max_length=3, choices=CallDirection.choices)
    call_ref = models.CharField(_("话务系统呼叫编号"), max_length=64, null=True, blank=True, unique=True)
    number = EncryptedTextField(_("电话号码"), masker="phone", blank=True)
    number_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("坐席"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="hotline_calls")
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区域"), on_delete=models.PROTECT,
                               related_name="+")
    category = models.CharField(_("类别"), max_length=20, choices=CallCategory.choices, blank=True)
    is_emergency = models.BooleanField(_("紧急"), default=False)
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    answered = models.BooleanField(_("已接通"), default=True)
    summary = models.CharField(_("内容摘要"), max_length=500, blank=True)
    alarm = models.ForeignKey(Alarm, verbose_name=_("紧急呼叫事件"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="calls")

    scoping = Scoping(region="region", person="elder")

    class Meta:
        verbose_name = _("通话")
        verbose_name_plural = _("通话")
        ordering = ["-started_at", "-id"]

    def save(self, *args, **kwargs):
        self.number_hash = lookup_hash(self.number) if self.number else ""
        super().save(*args, **kwargs)


class CareCallStatus(models.TextChoices):
    DUE = "due", _("待拨打")
    ANSWERED = "answered", _("已接通")
    RETRY = "retry", _("未接通，待重拨")
    UNREACHED = "unreached", _("多次未接通，已转上门探访")


class CareCall(models.Model):
    """One proactive care call owed to an elder on a day, with its attempts."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="hotline_care_calls")
    due_on = models.DateField(_("应拨打日期"), db_index=True)
    tier = models.CharField(_("关爱等级"), max_length=10)
    status = models.CharField(_("状态"), max_length=12, choices=CareCallStatus.choices, default=CareCallStatus.DUE)
    attempts = models.PositiveSmallIntegerField(_("拨打次数"), default=0)
    last_attempt_at = models.DateTimeField(_("最近拨打时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("接通时间"), null=True, blank=True)
    note = models.CharField(_("通话情况"), max_length=500, blank=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("关爱电话")
        verbose_name_plural = _("关爱电话")
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["elder", "due_on"], name="hotline_care_call_once_a_day")]


class TaskSource(models.TextChoices):
    UNANSWERED = "unanswered", _("关爱电话多次未接通")
    SILENT = "silent", _("长时间无音讯")
    ALARM = "alarm", _("紧急呼叫后跟进")


class WelfareTask(models.Model):
    """A welfare visit the community worker owes an elder, by a deadline (one open task per elder)."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="hotline_welfare_tasks")
    source = models.CharField(_("来由"), max_length=12, choices=TaskSource.choices)
    reason = models.CharField(_("原因"), max_length=300)
    created_at = models.DateTimeField(_("生成时间"))
    due_at = models.DateTimeField(_("须在此前探访"), db_index=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("探访任务")
        verbose_name_plural = _("探访任务")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["elder"], condition=Q(done_at__isnull=True),
                                               name="hotline_one_open_task_per_elder")]


class Health(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")


class FollowUp(models.TextChoices):
    NONE = "none", _("无需跟进")
    APPLICATION = "application", _("协助提出服务申请")
    ORDER = "order", _("为老人下单服务")
    HOTLINE = "hotline", _("转热线紧急处置")


class WelfareVisit(models.Model):
    """A welfare visit (探访关爱) by a community worker."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="hotline_welfare_visits")
    visited_at = models.DateTimeField(_("探访时间"), db_index=True)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("探访人"), on_delete=models.PROTECT,
                                related_name="+")
    seen_in_person = models.BooleanField(_("见到老人本人"))
    health = models.CharField(_("健康状况"), max_length=10, choices=Health.choices)
    home_safe = models.BooleanField(_("居家环境安全"))
    needs = models.CharField(_("发现的需求"), max_length=500, blank=True)
    follow_up = models.CharField(_("后续"), max_length=12, choices=FollowUp.choices, default=FollowUp.NONE)
    task = models.ForeignKey(WelfareTask, verbose_name=_("探访任务"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="visits")

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("探访记录")
        verbose_name_plural = _("探访记录")
        ordering = ["-visited_at", "-id"]
