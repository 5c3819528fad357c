"""Visits: what happened at the elder's home for one work order (check-in, items, confirmation, check-out),
the flags the supervision rules raised and the exceptions opened on them.

A `Visit` exists from the first event the caregiver records (a check-in or "not at home"); its status moves
only through `services.py`, checked against `workflow.VISIT_FLOW`. Every request the phone sends is one
`VisitEvent` with the caregiver's idempotency key and the answer it got, so a replay gets the same answer
and stores nothing. The work order's own status is moved by the work-orders app's services.

On SQLite and PostgreSQL alike the tables are plain tables (no monthly partitions yet).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.isolation import Scoping


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("待上门")  # never stored: the state of a work order nobody has checked in to yet
    CHECKED_IN = "checked_in", _("服务中")
    CHECKED_OUT = "checked_out", _("已签退")
    NOT_HOME = "not_home", _("老人不在家")
    HELD = "held", _("有待处理的异常")
    VERIFIED = "verified", _("已核验")


class Datum(models.TextChoices):
    WGS84 = "wgs84", _("WGS84（GPS 原始坐标）")
    GCJ02 = "gcj02", _("GCJ-02（国内地图坐标）")


class EventKind(models.TextChoices):
    CHECK_IN = "check_in", _("签到")
    ITEMS = "items", _("服务项目")
    CONFIRM = "confirm", _("老人/家属确认")
    CHECK_OUT = "check_out", _("签退")
    NOT_HOME = "not_home", _("老人不在家")


class ConfirmMethod(models.TextChoices):
    PIN = "pin", _("老人在护理员手机上输入确认码")
    FAMILY_CODE = "family_code", _("家属收到的确认码")


class RuleAction(models.TextChoices):
    CONTINUE = "continue", _("记录后继续")
    WARN = "warn", _("须说明原因")
    BLOCK = "block", _("不允许继续")
    REVIEW = "review", _("转入异常核查")


class Rule(models.TextChoices):
    DISTANCE = "distance_from_home", _("签到位置离老人家的距离")
    UNDECLARED_GCJ02 = "undeclared_gcj02", _("未声明的国内地图坐标")
    LATE_START = "late_start", _("迟到")
    EARLY_FINISH = "early_finish", _("早退")
    SHORT_DURATION = "short_duration", _("服务时长不足")
    OVERLAP = "overlapping_visit", _("同一护理员同时服务两处")
    CONCURRENT_LTCI = "concurrent_ltci", _("同一老人同时有两次长护险服务")
    ELDER_UNAVAILABLE = "elder_unavailable", _("老人住院、外出或已故")
    QUALIFICATION = "qualification", _("护理员资质不符或证书过期")
    MISSING_CHECK_OUT = "missing_check_out", _("服务时段结束后未签退")
    MOCK_LOCATION = "mock_location", _("手机报告模拟定位")
    DUPLICATE_PHOTO = "duplicate_photo", _("重复使用同一张照片")
    IMPOSSIBLE_SPEED = "impossible_speed", _("两次上门之间的移动速度不可能达到")


class ReasonCode(models.TextChoices):
    GPS_DRIFT = "gps_drift", _("定位漂移或信号差")
    ELDER_ELSEWHERE = "elder_elsewhere", _("老人在别处接受服务（如社区站点、子女家）")
    TRAFFIC = "traffic", _("交通延误")
    ELDER_REQUEST = "elder_request", _("应老人或家属要求")
    FORGOT = "forgot", _("忘记签到或签退")
    DEVICE = "device", _("手机故障或没电")
    OTHER = "other", _("其他原因")


class ResolutionCode(models.TextChoices):
    CONFIRMED_BY_CALL = "confirmed_by_call", _("电话回访老人或家属，确认已服务")
    CORRECTED_TIME = "corrected_time", _("更正签到或签退时间")
    EVIDENCE_ACCEPTED = "evidence_accepted", _("核对照片、定位等证据后认可")
    NOT_DELIVERED = "not_delivered", _("核实未提供服务，不予结算")
    CAREGIVER_WARNED = "caregiver_warned", _("已对护理员提醒或培训")


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理，待复核")
    APPROVED = "approved", _("已复核关闭")


class Visit(models.Model):
    """One home visit: the check-in and check-out of one work order, and where it stands."""

    work_order = models.OneToOneField("workorders.WorkOrder", verbose_name=_("工单"), on_delete=models.PROTECT,
                                      related_name="visit")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="+")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT, related_name="+")
    caregiver = models.ForeignKey("providers.StaffMember", verbose_name=_("护理员"), on_delete=models.PROTECT,
                                  related_name="+")
    date = models.DateField(_("服务日期"), db_index=True)
    status = models.CharField(_("状态"), max_length=20, choices=VisitStatus.choices, db_index=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_lat = models.DecimalField(_("签到纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    checked_in_lng = models.DecimalField(_("签到经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    checked_out_lat = models.DecimalField(_("签退纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    checked_out_lng = models.DecimalField(_("签退经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirm_method = models.CharField(_("确认方式"), max_length=20, choices=ConfirmMethod.choices, blank=True)
    on_time = models.BooleanField(_("准时开始"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", organisation="organisation", person="elder")

    class Meta:
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")
        ordering = ["-date", "-checked_in_at", "-id"]
        indexes = [models.Index(fields=["organisation", "date", "status"], name="visits_org_date_status")]

    def __str__(self):
        return f"{self.date} {self.elder}"

    @property
    def audit_region(self):
        return self.elder.community


class OfVisitDay(models.Model):
    """A row that belongs to one visit carries the visit's date: on PostgreSQL the visit tables are partitioned
    by month of that date (migration 0003), and a reference to a visit names its id and its date."""

    visit_date = models.DateField(_("服务日期"), editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.visit_date is None:
            self.visit_date = self.visit.date
        super().save(*args, **kwargs)


class VisitEvent(OfVisitDay):
    """One request the caregiver's phone sent, as received: the fix, the times, the proof, and the answer
    given (replayed as it is for the same idempotency key)."""

    visit = models.ForeignKey(Visit, verbose_name=_("上门服务"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=EventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT,
                             related_name="+")
    idempotency_key = models.CharField(_("幂等键"), max_length=100, blank=True)
    fingerprint = models.CharField(_("请求指纹"), max_length=64, blank=True)
    lat = models.DecimalField(_("纬度（WGS84）"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("经度（WGS84）"), max_digits=9, decimal_places=6, null=True, blank=True)
    raw_lat = models.DecimalField(_("上报纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    raw_lng = models.DecimalField(_("上报经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    datum = models.CharField(_("坐标系"), max_length=10, choices=Datum.choices, blank=True)
    mock_location = models.BooleanField(_("模拟定位"), default=False)
    device_time = models.DateTimeField(_("手机时间"), null=True, blank=True)
    server_time = models.DateTimeField(_("服务器时间"), auto_now_add=True)
    clock_skew_seconds = models.IntegerField(_("时钟偏差（秒）"), null=True, blank=True)
    reason = models.CharField(_("说明的原因"), max_length=500, blank=True)
    reason_code = models.CharField(_("原因"), max_length=30, choices=ReasonCode.choices, blank=True)
    photo = models.FileField(_("现场照片"), upload_to="visits/%Y/%m/", blank=True)
    photo_hash = models.CharField(_("照片感知哈希"), max_length=32, blank=True, db_index=True)
    qr_code = models.CharField(_("门牌二维码"), max_length=100, blank=True)
    payload = models.JSONField(_("其他内容"), default=dict, blank=True)
    response_status = models.PositiveSmallIntegerField(_("应答状态"), null=True, blank=True)
    response_body = models.JSONField(_("应答内容"), null=True, blank=True)

    scoping = Scoping(region="visit__elder__community", organisation="visit__organisation", person="visit__elder")

    class Meta:
        verbose_name = _("上门记录")
        verbose_name_plural = _("上门记录")
        ordering = ["server_time", "id"]
        constraints = [
            # With the visit's date, as a partitioned table's unique keys must hold it: the same request sent
            # again concerns the same visit, so a replay still meets it; a key reused for another visit is
            # refused by the fingerprint check (services._replay).
            models.UniqueConstraint(fields=["user", "idempotency_key", "visit_date"],
                                    condition=~Q(idempotency_key=""), name="visits_event_one_per_key"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.visit}"


class VisitItemResult(OfVisitDay):
    """One item of the work order as the caregiver recorded it: done or not, a note, vital signs."""

    visit = models.ForeignKey(Visit, verbose_name=_("上门服务"), on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("服务项目"), on_delete=models.PROTECT,
                             related_name="+")
    done = models.BooleanField(_("已完成"), default=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    vitals = models.JSONField(_("生命体征"), default=dict, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    scoping = Scoping(region="visit__elder__community", organisation="visit__organisation", person="visit__elder")

    class Meta:
        verbose_name = _("服务项目记录")
        verbose_name_plural = _("服务项目记录")
        ordering = ["visit", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="visits_one_result_per_item")]


class VisitFlag(OfVisitDay):
    """A rule that a visit's event crossed: what was measured, against which threshold, and what followed."""

    visit = models.ForeignKey(Visit, verbose_name=_("上门服务"), on_delete=models.CASCADE, related_name="flags")
    event = models.ForeignKey(VisitEvent, verbose_name=_("上门记录"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="flags")
    rule = models.CharField(_("规则"), max_length=30, choices=Rule.choices)
    action = models.CharField(_("处理方式"), max_length=20, choices=RuleAction.choices)
    measured = models.CharField(_("实测值"), max_length=40, blank=True)
    threshold = models.CharField(_("阈值"), max_length=40, blank=True)
    facts = models.JSONField(_("判断依据"), default=dict, blank=True)
    reason = models.CharField(_("护理员说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    scoping = Scoping(region="visit__elder__community", organisation="visit__organisation", person="visit__elder")

    class Meta:
        verbose_name = _("监管提示")
        verbose_name_plural = _("监管提示")
        ordering = ["created_at", "id"]

    @property
    def explanation(self) -> str:
        from .words import flag_sentence

        return flag_sentence(self)


class VisitException(OfVisitDay):
    """A visit that cannot be verified as it is: opened by a flag (or a missing check-out), corrected with a
    reason and a resolution, and closed only by a second person's approval."""

    visit = models.ForeignKey(Visit, verbose_name=_("上门服务"), on_delete=models.PROTECT, related_name="exceptions")
    flag = models.ForeignKey(VisitFlag, verbose_name=_("监管提示"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="exceptions")
    status = models.CharField(_("状态"), max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN,
                              db_index=True)
    reason_code = models.CharField(_("原因"), max_length=30, choices=ReasonCode.choices, blank=True)
    reason_text = models.CharField(_("原因说明"), max_length=500, blank=True)
    resolution_code = models.CharField(_("处理结果"), max_length=30, choices=ResolutionCode.choices, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=500, blank=True)
    corrected_check_in = models.DateTimeField(_("更正后的签到时间"), null=True, blank=True)
    corrected_check_out = models.DateTimeField(_("更正后的签退时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发现人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    scoping = Scoping(region="visit__elder__community", organisation="visit__organisation", person="visit__elder")

    class Meta:
        verbose_name = _("上门异常")
        verbose_name_plural = _("上门异常")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("resolved_by")),
                                   name="visits_exception_second_person"),
        ]

    def __str__(self):
        return f"{self.visit} · {self.get_status_display()}"

    @property
    def audit_region(self):
        return self.visit.elder.community


class ElderConfirmationPin(models.Model):
    """The elder's own confirmation PIN (hashed), typed on the caregiver's phone at the end of a visit."""

    elder = models.OneToOneField("elders.Elder", verbose_name=_("老人"), on_delete=models.CASCADE, related_name="+")
    pin_hash = models.CharField(max_length=128)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", person="elder")

    class Meta:
        verbose_name = _("老人确认码")
        verbose_name_plural = _("老人确认码")
