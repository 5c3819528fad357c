from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    """Who did what to which record, when, why. Append-only: no update, no delete (also in the DB)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    actor_repr = models.CharField(_("操作人账号"), max_length=150)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    subject_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    subject_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    subject_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"]), models.Index(fields=["actor", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.subject_repr}"

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

    class Meta:
        verbose_name = _("政策参数")
        verbose_name_plural = _("政策参数")
        ordering = ["key", "region__path", "-effective_from", "-created_at"]
        indexes = [models.Index(fields=["key", "region", "effective_from"])]

    def __str__(self):
        return f"{self.key} @ {self.region_id} from {self.effective_from}"

    @property
    def needs_confirmation(self) -> bool:
        return self.confidence in {Confidence.APP_DATA, Confidence.RECALLED}

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("policy parameter values are never edited; add a new dated value")
        super().save(*args, **kwargs)
