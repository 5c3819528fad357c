"""Caregivers' shifts, the day's dispatch plan of a provider and its stops.

A `Shift` says when and from where a caregiver works on one day; a `DispatchPlan` is one provider's plan
for one day, built by the routing engine from the day's work orders and shifts; each `DispatchStop` puts
one work order on one caregiver's day at a planned time (or lists it as unscheduled with the reason).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.isolation import Scoping
from carecircle.core.workflow import Step, Workflow


class TravelMode(models.TextChoices):
    WALKING = "walking", _("步行")
    EBIKE = "ebike", _("电动自行车")


class PlaceKind(models.TextChoices):
    HOME = "home", _("住所")
    FACILITY = "facility", _("机构/设施")


class Shift(models.Model):
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="shifts")
    caregiver = models.ForeignKey("providers.StaffMember", verbose_name=_("护理员"), on_delete=models.PROTECT,
                                  related_name="shifts")
    date = models.DateField(_("日期"))
    start_time = models.TimeField(_("上班时间"))
    end_time = models.TimeField(_("下班时间"))
    lunch_earliest = models.TimeField(_("午休最早开始"), null=True, blank=True)
    lunch_latest = models.TimeField(_("午休最晚开始"), null=True, blank=True)
    lunch_minutes = models.PositiveSmallIntegerField(_("午休时长（分钟）"), default=0)
    start_kind = models.CharField(_("出发地点类型"), max_length=10, choices=PlaceKind.choices, default=PlaceKind.HOME)
    start_facility = models.ForeignKey("providers.Facility", verbose_name=_("出发设施"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    start_lat = models.DecimalField(_("出发纬度"), max_digits=9, decimal_places=6)
    start_lng = models.DecimalField(_("出发经度"), max_digits=9, decimal_places=6)
    end_kind = models.CharField(_("收工地点类型"), max_length=10, choices=PlaceKind.choices, default=PlaceKind.HOME)
    end_facility = models.ForeignKey("providers.Facility", verbose_name=_("收工设施"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    end_lat = models.DecimalField(_("收工纬度"), max_digits=9, decimal_places=6)
    end_lng = models.DecimalField(_("收工经度"), max_digits=9, decimal_places=6)
    travel_mode = models.CharField(_("出行方式"), max_length=10, choices=TravelMode.choices, default=TravelMode.EBIKE)
    max_hours = models.DecimalField(_("最长工作小时"), max_digits=4, decimal_places=2)
    off_from = models.TimeField(_("临时离岗时间"), null=True, blank=True,
                                help_text=_("护理员因病等原因自此时起不能再上门"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scoping = Scoping(region="organisation__region", organisation="organisation")

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["date", "start_time", "caregiver__name", "id"]
        constraints = [models.UniqueConstraint(fields=["caregiver", "date"], name="dispatch_one_shift_per_day")]
        indexes = [models.Index(fields=["organisation", "date"])]

    def __str__(self):
        return f"{self.caregiver} {self.date:%Y-%m-%d} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPTIMISING = "optimising", _("优化中")
    READY = "ready", _("待发布")
    PUBLISHED = "published", _("已发布")


class DispatchPlan(models.Model):
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="dispatch_plans")
    date = models.DateField(_("日期"))
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    job = models.ForeignKey("core.Job", verbose_name=_("优化任务"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    # Objective figures of the current plan: travel seconds, distance metres, caregivers used, unscheduled,
    # visits served by a non-preferred caregiver, constraint violations found by the independent checker.
    figures = models.JSONField(_("目标值"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    scoping = Scoping(region="organisation__region", organisation="organisation")

    class Meta:
        verbose_name = _("派单计划")
        verbose_name_plural = _("派单计划")
        ordering = ["-date", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "date"], name="dispatch_one_plan_per_day")]

    def __str__(self):
        return f"{self.organisation} {self.date:%Y-%m-%d}"


def _optimise_may_start(plan, actor) -> bool:
    """A plan being optimised may be started again only once its job has ended (done or failed)."""
    if plan.status != PlanStatus.OPTIMISING:
        return True
    from carecircle.core.models import JobStatus

    return plan.job is not None and plan.job.status in (JobStatus.DONE, JobStatus.FAILED)


# A provider's day: optimised (a background job), adjusted by hand, published to the caregivers, and
# re-planned when a caregiver drops out. Optimising again is refused once the day is published.
PLAN_FLOW = Workflow("dispatch.dispatchplan", steps=[
    Step("optimise", _("优化排程"), {PlanStatus.DRAFT, PlanStatus.READY, PlanStatus.OPTIMISING},
         PlanStatus.OPTIMISING, {"dispatch.change"}, guard=_optimise_may_start),
    Step("move", _("手工调整"), {PlanStatus.READY, PlanStatus.PUBLISHED}, PlanStatus.READY, {"dispatch.change"}),
    Step("publish", _("发布"), {PlanStatus.READY}, PlanStatus.PUBLISHED, {"dispatch.change"}),
    Step("replan", _("病假/离岗重排"), {PlanStatus.READY, PlanStatus.PUBLISHED}, PlanStatus.READY,
         {"dispatch.change"}),
    # Work orders that arrive after the plan was made (a new care plan's visit, an accepted order) are placed
    # into the day as it stands; a published day stays published and the placed visits are published too.
    Step("place", _("安排新增上门"), {PlanStatus.READY, PlanStatus.PUBLISHED}, None, {"dispatch.change"}),
])


class DispatchStop(models.Model):
    """One work order in a plan: on a caregiver's shift at `position` with planned times, or unscheduled."""

    plan = models.ForeignKey(DispatchPlan, verbose_name=_("派单计划"), on_delete=models.CASCADE, related_name="stops")
    work_order = models.ForeignKey("workorders.WorkOrder", verbose_name=pgettext_lazy("one item", "工单"), on_delete=models.CASCADE,
                                   related_name="dispatch_stops")
    shift = models.ForeignKey(Shift, verbose_name=_("班次"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="stops")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    planned_start = models.DateTimeField(_("计划开始"), null=True, blank=True)
    planned_end = models.DateTimeField(_("计划结束"), null=True, blank=True)
    travel_seconds = models.PositiveIntegerField(_("前往用时（秒）"), default=0)
    unscheduled_reason = models.TextField(_("未排原因"), blank=True)
    warning = models.TextField(pgettext_lazy("dispatch warning", "提示"), blank=True)

    scoping = Scoping(region="plan__organisation__region", organisation="plan__organisation")

    class Meta:
        verbose_name = _("派单站点")
        verbose_name_plural = _("派单站点")
        ordering = ["plan", "shift", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "work_order"], name="dispatch_stop_once_per_plan")]

    def __str__(self):
        return f"{self.plan} #{self.work_order_id}"

    # Reasons are stored in the source language (Chinese) and warnings as a kind, so that each reader sees
    # them in their own language.
    @property
    def reason_display(self) -> str:
        return gettext(self.unscheduled_reason) if self.unscheduled_reason else ""

    @property
    def warning_display(self) -> str:
        return warning_text(self.warning, order=self.work_order, caregiver=self.shift.caregiver if self.shift_id else None)


WARNING_PREFERRED, WARNING_DIALECT = "preferred", "dialect"


def warning_text(kind: str, *, order, caregiver) -> str:
    """A soft-preference warning in the reader's language: the elder's preferred caregiver or dialect."""
    if kind == WARNING_PREFERRED and order.preferred_caregiver_id and caregiver is not None:
        return gettext("老人偏好的护理员是 %(name)s，现改由 %(other)s 上门") % {
            "name": order.preferred_caregiver.name, "other": caregiver.name}
    if kind == WARNING_DIALECT and caregiver is not None:
        return gettext("老人希望护理员会说%(dialect)s，%(name)s 的登记方言中没有") % {
            "dialect": order.dialect, "name": caregiver.name}
    return ""
