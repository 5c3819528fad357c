from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .isolation import Scoping


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    """Who did what to which record, when, why. Append-only: no update, no delete (also in the DB)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    # PROTECT, not SET_NULL: the trail is append-only, so a user who acted can never be deleted (only
    # deactivated) — nulling the actor would be an update the database refuses.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", db_constraint=False)
    actor_repr = models.CharField(_("操作人账号"), max_length=150)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    subject_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    subject_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    subject_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    # Where the event belongs, so a street's auditor sees that street's trail and no other.
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", db_constraint=False)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"]), models.Index(fields=["actor", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.subject_repr}"

    @property
    def changes_shown(self) -> dict:
        """The changes as pages and exports show them: sensitive fields masked, whatever was recorded."""
        from django.apps import apps

        from .sensitive import mask_sensitive_changes

        try:
            model = apps.get_model(self.subject_type) if self.subject_type else None
        except (LookupError, ValueError):
            model = None
        return mask_sensitive_changes(model, self.changes)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")


class Confidence(models.TextChoices):
    OFFICIAL = "official", _("官方文件")
    PAGE = "page", _("公开网页转载")
    APP_DATA = "app_data", _("第三方应用数据（待核实）")
    RECALLED = "recalled", _("回忆值（未核实）")
    LOCAL = "local", _("本地决定")


class PolicyParameter(models.Model):
    """One dated value of a policy parameter for a region; inherited by the region's subtree.

    Rows are never edited: a new value (or a correction) is a new row. The value in force for a region
    on a date is the newest row, by effective date then by entry time, found on the region or its
    nearest ancestor.
    """

    key = models.CharField(_("参数"), max_length=100, db_index=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("适用区域"), on_delete=models.PROTECT,
                               related_name="policy_parameters")
    value = models.JSONField(_("取值"))
    effective_from = models.DateField(_("生效日期"))
    source = models.TextField(_("来源"))
    confidence = models.CharField(_("可信度"), max_length=20, choices=Confidence.choices)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scoping = Scoping(region="region", ancestors_visible=True, contractors_read=True)

    class Meta:
        verbose_name = _("政策参数")
        verbose_name_plural = _("政策参数")
        ordering = ["key", "region__path", "-effective_from", "-created_at"]
        indexes = [models.Index(fields=["key", "region", "effective_from"])]

    def __str__(self):
        from .policy import policy_label

        return f"{policy_label(self.key)} · {self.region.name} · {self.effective_from:%Y-%m-%d}"

    @property
    def needs_confirmation(self) -> bool:
        return self.confidence in {Confidence.APP_DATA, Confidence.RECALLED}

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("policy parameter values are never edited; add a new dated value")
        super().save(*args, **kwargs)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A long-running background job and its progress, shown to the person who started it."""

    kind = models.CharField(_("任务类型"), max_length=60)
    status = models.CharField(_("状态"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("机构"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="region", organisation="organisation")

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return int(self.progress * 100 / self.total) if self.total else (100 if self.status == JobStatus.DONE else 0)


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（放假）")
    WORKDAY = "workday", _("调休上班日")


class CalendarDay(models.Model):
    """A day entered on the working-day calendar, added to the published holiday data.

    The State Council's notices for the years already published ship with the code
    (core/data/holidays.json); a district administrator enters a new year's notice here. An entry for a
    date overrides the shipped data for that date.
    """

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("节日名称"), max_length=40)
    source = models.CharField(_("来源"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scoping = Scoping(readable_by_all=True)

    class Meta:
        verbose_name = _("工作日历条目")
        verbose_name_plural = _("工作日历条目")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name} ({self.kind})"


class OutboxEvent(models.Model):
    """A consequence for other apps, written in the same transaction as the change that causes it.

    Delivered after commit by a background task to every handler registered for its name; a handler that
    fails leaves the event undelivered with its error, and it is tried again later (see core/events.py).
    """

    name = models.CharField(_("事件"), max_length=80, db_index=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_repr = models.CharField(_("操作人账号"), max_length=150, blank=True)
    # Where the change happened, so a district sees its own undelivered events and no other district's.
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    created_at = models.DateTimeField(_("发生时间"), auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(_("投递次数"), default=0)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次投递时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("投递完成时间"), null=True, blank=True)

    scoping = Scoping(region="region")

    class Meta:
        verbose_name = _("待投递事件")
        verbose_name_plural = _("待投递事件")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["delivered_at", "next_attempt_at"])]

    def __str__(self):
        return f"{self.name} #{self.pk}"

    @property
    def failed(self) -> bool:
        return self.delivered_at is None and bool(self.last_error)


class OutboxDelivery(models.Model):
    """One handler has dealt with one event; a replay of the event skips the handlers recorded here."""

    event = models.ForeignKey(OutboxEvent, verbose_name=_("事件"), on_delete=models.CASCADE,
                              related_name="deliveries")
    handler = models.CharField(_("处理程序"), max_length=120)
    delivered_at = models.DateTimeField(_("完成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事件投递记录")
        verbose_name_plural = _("事件投递记录")
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once")]

    def __str__(self):
        return f"{self.event_id} → {self.handler}"
