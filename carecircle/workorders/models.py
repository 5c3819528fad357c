"""Daily work orders: one visit on one day for one provider, made from the care plans and the accepted
on-demand orders, planned and published by the dispatch board, started and completed at the elder's home.

This app is the only writer of a work order's status: every step goes through its services (`services.py`),
checked against the step table below.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.choices import Gender
from carecircle.core.isolation import Scoping
from carecircle.core.workflow import Step, Workflow


class WorkOrderSource(models.TextChoices):
    PLAN = "plan", _("照护计划")
    ORDER = "order", _("按需订单")


class WorkOrderStatus(models.TextChoices):
    PENDING = "pending", _("待排班")
    SCHEDULED = "scheduled", _("已排班")
    PUBLISHED = "published", _("已发布")
    STARTED = "started", _("服务中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")
    SUPPRESSED = "suppressed", _("暂停（不上门）")
    # The caregiver came and nobody opened: a recorded outcome with its proof, never billed.
    NOT_HOME = "not_home", _("老人不在家")


class WorkOrder(models.Model):
    """One visit on one day for one provider, ready for dispatch. Caregiver, start time and status change
    only through this app's services (the dispatch board and the care plans call them); generation never
    overwrites a scheduled or published order.

    The tables keep the names they had when the care-plans app held these models, so moving them changed
    no data."""

    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="work_orders")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="work_orders")
    date = models.DateField(_("服务日期"), db_index=True)
    window_start = models.TimeField(_("时段开始"))
    window_end = models.TimeField(_("时段结束"))
    fixed_time = models.BooleanField(_("须准时开始"), default=False)
    duration_minutes = models.PositiveIntegerField(_("服务时长（分钟）"))
    required_qualification = models.CharField(_("须持资质"), max_length=32, blank=True)
    items = models.ManyToManyField("catalog.ServiceItem", through="WorkOrderItem", related_name="+",
                                   verbose_name=_("服务项目"))
    preferred_caregiver = models.ForeignKey("providers.StaffMember", verbose_name=_("指定护理员"), null=True,
                                            blank=True, on_delete=models.SET_NULL, related_name="+")
    excluded_caregivers = models.ManyToManyField("providers.StaffMember", verbose_name=_("不安排的护理员"),
                                                 blank=True, related_name="+",
                                                 db_table="careplans_workorder_excluded_caregivers")
    preferred_gender = models.CharField(_("护理员性别偏好"), max_length=1, choices=Gender.choices, blank=True)
    dialect = models.CharField(_("方言"), max_length=50, blank=True)
    priority = models.IntegerField(_("优先级"), default=0)
    source = models.CharField(_("来源"), max_length=10, choices=WorkOrderSource.choices)
    plan_visit = models.ForeignKey("careplans.PlanVisit", verbose_name=_("计划上门"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="work_orders")
    order = models.ForeignKey("careplans.ServiceOrder", verbose_name=_("按需订单"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="work_orders")
    status = models.CharField(_("状态"), max_length=20, choices=WorkOrderStatus.choices,
                              default=WorkOrderStatus.PENDING, db_index=True)
    suppressed_reason = models.CharField(_("暂停/取消原因"), max_length=200, blank=True)
    caregiver = models.ForeignKey("providers.StaffMember", verbose_name=_("护理员"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="work_orders")
    planned_start = models.DateTimeField(_("计划开始时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", organisation="organisation", person="elder")

    class Meta:
        db_table = "careplans_workorder"
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["date", "window_start", "id"]
        constraints = [
            # Idempotent generation: one live work order per plan visit (or order) and day; a cancelled one
            # stays beside its replacement so the board can show why.
            models.UniqueConstraint(fields=["plan_visit", "date"],
                                    condition=Q(plan_visit__isnull=False) & ~Q(status=WorkOrderStatus.CANCELLED),
                                    name="careplans_one_work_order_per_plan_visit_day"),
            models.UniqueConstraint(fields=["order", "date"],
                                    condition=Q(order__isnull=False) & ~Q(status=WorkOrderStatus.CANCELLED),
                                    name="careplans_one_work_order_per_order_day"),
            models.CheckConstraint(condition=Q(window_end__gt=models.F("window_start")),
                                   name="careplans_work_order_window"),
        ]
        indexes = [models.Index(fields=["organisation", "date", "status"], name="careplans_w_organis_356c8d_idx")]

    def __str__(self):
        return f"{self.date} {self.window_start:%H:%M} {self.elder}"

    @property
    def is_withdrawn(self) -> bool:
        """Cancelled or suppressed: shown with its reason, never visited."""
        return self.status in (WorkOrderStatus.CANCELLED, WorkOrderStatus.SUPPRESSED)


class WorkOrderItem(models.Model):
    work_order = models.ForeignKey(WorkOrder, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("服务项目"), on_delete=models.PROTECT,
                             related_name="+")
    quantity = models.DecimalField(_("数量"), max_digits=8, decimal_places=2, default=1)

    scoping = Scoping(region="work_order__elder__community", organisation="work_order__organisation",
                      person="work_order__elder")

    class Meta:
        db_table = "careplans_workorderitem"
        verbose_name = _("工单服务项目")
        verbose_name_plural = _("工单服务项目")
        ordering = ["work_order", "id"]


class WorkOrderRun(models.Model):
    """One generation of a day's work orders (nightly or on demand) and what it did."""

    date = models.DateField(_("服务日期"))
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    summary = models.JSONField(_("结果"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    scoping = Scoping(organisation="organisation", region="organisation__region")

    class Meta:
        db_table = "careplans_workorderrun"
        verbose_name = _("工单生成记录")
        verbose_name_plural = _("工单生成记录")
        ordering = ["-created_at", "-id"]


S = WorkOrderStatus
# Dispatch plans, publishes and un-plans; caregivers (and their provider) start and complete visits; plans,
# absences, orders and the generator cancel or suppress what nobody has started yet.
DISPATCHERS = {"dispatch.change"}
FIELD = {"dispatch.my_day", "dispatch.change"}
PLANNERS = {"workorders.generate", "careplans.change", "careplans.absence", "orders.place", "orders.answer",
            "dispatch.change"}

WORK_ORDER_FLOW = Workflow("workorders.workorder", steps=[
    Step("schedule", _("排班"), {S.PENDING}, S.SCHEDULED, DISPATCHERS),
    Step("unschedule", _("退回待排班"), {S.SCHEDULED, S.PUBLISHED}, S.PENDING, DISPATCHERS),
    Step("publish", _("发布"), {S.PENDING, S.SCHEDULED, S.PUBLISHED}, S.PUBLISHED, DISPATCHERS),
    Step("start", _("开始服务"), {S.PUBLISHED}, S.STARTED, FIELD),
    Step("complete", _("完成服务"), {S.STARTED}, S.DONE, FIELD),
    Step("not_home", _("登记老人不在家"), {S.PUBLISHED}, S.NOT_HOME, FIELD),
    Step("cancel", _("取消"), {S.PENDING, S.SCHEDULED, S.PUBLISHED, S.SUPPRESSED}, S.CANCELLED, PLANNERS,
         negative=True),
    Step("suppress", _("暂停（不上门）"), {S.PENDING}, S.SUPPRESSED, PLANNERS, negative=True),
    Step("resume", _("恢复上门"), {S.SUPPRESSED}, S.PENDING, PLANNERS),
])

# The board plans these; a visit under way or over stays where it is; together they are the day's board.
PLANNABLE = (S.PENDING, S.SCHEDULED, S.PUBLISHED)
UNDER_WAY = (S.STARTED, S.DONE, S.NOT_HOME)
ON_BOARD = PLANNABLE + UNDER_WAY
# What a caregiver's own day shows.
MY_DAY = (S.PUBLISHED, S.STARTED, S.DONE, S.NOT_HOME)
# Not delivered, with the reason shown beside it.
WITHDRAWN = (S.CANCELLED, S.SUPPRESSED)
