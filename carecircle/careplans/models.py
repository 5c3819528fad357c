"""Care plans (weekly recurring visits), on-demand orders and absences.

A plan belongs to one elder and one provider serving the elder's community; each `PlanVisit` is a weekly
slot (weekday + time window) with its items. Each night the plans and the accepted orders become the next
day's work orders (the workorders app owns them), which the dispatch board assigns to caregivers.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.core.choices import Gender
from carecircle.core.isolation import Scoping
from carecircle.core.languages import for_reader
from carecircle.core.workflow import Step, Workflow


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("周一")
    TUESDAY = 1, _("周二")
    WEDNESDAY = 2, _("周三")
    THURSDAY = 3, _("周四")
    FRIDAY = 4, _("周五")
    SATURDAY = 5, _("周六")
    SUNDAY = 6, _("周日")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("执行中")
    SUPERSEDED = "superseded", _("已被新计划取代")
    STOPPED = "stopped", _("已停止")


class StopReason(models.TextChoices):
    DECEASED = "deceased", _("老人去世")
    MOVED_OUT = "moved_out", _("老人迁出")
    INSTITUTION = "institution", _("老人入住养老机构")
    NOT_ELIGIBLE = "not_eligible", _("照护等级不再符合条件")
    PROVIDER = "provider", _("服务机构终止服务")
    OTHER = "other", _("其他原因")


class CarePlan(models.Model):
    """One elder's weekly plan with one provider for one programme, in force from `valid_from`.

    A plan is never edited into something else: a level change makes a new plan that supersedes it, so the
    plan in force on any past date can be shown.
    """

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="care_plans")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="care_plans")
    programme = models.CharField(_("资金渠道"), max_length=30, default="ltci")
    care_level = models.PositiveSmallIntegerField(_("照护等级"))
    visits_per_week_entitled = models.PositiveSmallIntegerField(_("每周可享上门次数"))
    minutes_per_visit_entitled = models.PositiveIntegerField(_("每次可享分钟数"))
    weekly_minutes_cap = models.PositiveIntegerField(_("每周可享分钟上限"))
    bonus_minutes_per_month = models.PositiveIntegerField(_("连续照护每月奖励分钟"), default=0)
    entitlement_rules = models.JSONField(_("待遇依据"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.ACTIVE,
                              db_index=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    stop_reason = models.CharField(_("停止原因"), max_length=20, choices=StopReason.choices, blank=True)
    replaces = models.OneToOneField("self", verbose_name=_("取代的计划"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaced_by")
    preferred_caregiver = models.ForeignKey("providers.StaffMember", verbose_name=_("指定护理员"), null=True,
                                            blank=True, on_delete=models.SET_NULL, related_name="+")
    preferred_gender = models.CharField(_("护理员性别偏好"), max_length=1, choices=Gender.choices, blank=True)
    dialect = models.CharField(_("方言"), max_length=50, blank=True)
    serve_on_holidays = models.BooleanField(_("法定节假日照常上门"), default=False)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("制定人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("制定时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", organisation="organisation", person="elder")

    class Meta:
        verbose_name = _("照护计划")
        verbose_name_plural = _("照护计划")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["elder", "programme"], condition=Q(status="active"),
                                    name="careplans_one_active_plan_per_programme"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                                   name="careplans_plan_dates"),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return _("%(elder)s 的照护计划（%(level)s 级）") % {"elder": self.elder, "level": self.care_level}

    def in_force_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class VisitFunding(models.TextChoices):
    PLAN = "plan", _("待遇内")
    SELF_PAY = "self_pay", _("超出待遇·自费")


class PlanVisit(models.Model):
    """A weekly slot of a plan: weekday, time window and the items done on each visit."""

    plan = models.ForeignKey(CarePlan, verbose_name=_("照护计划"), on_delete=models.CASCADE, related_name="visits")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    window_start = models.TimeField(_("时段开始"))
    window_end = models.TimeField(_("时段结束"))
    fixed_time = models.BooleanField(_("须准时开始"), default=False)
    duration_minutes = models.PositiveIntegerField(_("服务时长（分钟）"), validators=[MinValueValidator(1)])
    funding = models.CharField(_("支付方式"), max_length=10, choices=VisitFunding.choices, default=VisitFunding.PLAN)
    items = models.ManyToManyField("catalog.ServiceItem", through="PlanVisitItem", related_name="+",
                                   verbose_name=_("服务项目"))

    scoping = Scoping(region="plan__elder__community", organisation="plan__organisation", person="plan__elder")

    class Meta:
        verbose_name = _("计划上门")
        verbose_name_plural = _("计划上门")
        ordering = ["plan", "weekday", "window_start", "id"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.window_start:%H:%M}–{self.window_end:%H:%M}"


class PlanVisitItem(models.Model):
    visit = models.ForeignKey(PlanVisit, verbose_name=_("计划上门"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("服务项目"), on_delete=models.PROTECT,
                             related_name="+")
    quantity = models.DecimalField(_("数量"), max_digits=8, decimal_places=2, default=1,
                                   validators=[MinValueValidator(0)])

    scoping = Scoping(region="visit__plan__elder__community", organisation="visit__plan__organisation",
                      person="visit__plan__elder")

    class Meta:
        verbose_name = _("计划服务项目")
        verbose_name_plural = _("计划服务项目")
        ordering = ["visit", "id"]


class PlanChangeKind(models.TextChoices):
    CREATED = "created", _("制定计划")
    EDITED = "edited", _("调整计划")
    LEVEL_CHANGED = "level_changed", _("照护等级变化")
    STOPPED = "stopped", _("计划停止")


class PlanChange(models.Model):
    """Why a plan changed, in words the provider and the family read (shown to both)."""

    plan = models.ForeignKey(CarePlan, verbose_name=_("照护计划"), on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("变化类型"), max_length=20, choices=PlanChangeKind.choices)
    effective = models.DateField(_("生效日期"))
    explanation = models.TextField(_("说明"))
    # The same explanation in every language the site speaks, written at the time of the change.
    explanation_texts = models.JSONField(_("各语言说明"), default=dict, blank=True)
    details = models.JSONField(_("变化明细"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    scoping = Scoping(region="plan__elder__community", organisation="plan__organisation", person="plan__elder")

    class Meta:
        verbose_name = _("计划变化说明")
        verbose_name_plural = _("计划变化说明")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.plan_id} {self.get_kind_display()} {self.effective}"

    @property
    def text(self) -> str:
        """The explanation in the reader's language (as written, for changes recorded before it was kept in each)."""
        return for_reader(self.explanation_texts, self.explanation)


class AbsenceKind(models.TextChoices):
    HOSPITAL = "hospital", _("住院")
    TRAVEL = "travel", _("外出/旅行")
    OTHER = "other", _("其他")


class ElderAbsence(models.Model):
    """The elder is not at home from `starts_on` to `ends_on` (inclusive): planned visits are suppressed."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="absences")
    kind = models.CharField(_("类型"), max_length=20, choices=AbsenceKind.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    cancelled = models.BooleanField(_("已撤销"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scoping = Scoping(region="elder__community", person="elder", organisation_reach="elder__community")

    class Meta:
        verbose_name = _("老人不在家")
        verbose_name_plural = _("老人不在家")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="careplans_absence_dates"),
        ]

    def __str__(self):
        return f"{self.elder} {self.get_kind_display()} {self.starts_on}–{self.ends_on}"


class OrderChannel(models.TextChoices):
    PORTAL = "portal", _("老人/家属网上下单")
    PHONE = "phone", _("热线坐席代下单")
    COMMUNITY = "community", _("居委代下单")


class OrderStatus(models.TextChoices):
    OFFERED = "offered", _("待机构接单")
    ACCEPTED = "accepted", _("已接单")
    UNASSIGNED = "unassigned", _("无机构接单")
    CANCELLED = "cancelled", _("已取消")
    DONE = "done", _("已完成")


class ServiceOrder(models.Model):
    """An on-demand order (一键下单) for items beyond the plan; the price and payer split are fixed when
    the person confirms, from the quote they saw."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT,
                              related_name="service_orders")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("当前服务机构"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="service_orders")
    package = models.ForeignKey("catalog.ServicePackage", verbose_name=_("服务包"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("下单渠道"), max_length=20, choices=OrderChannel.choices)
    service_date = models.DateField(_("服务日期"), db_index=True)
    window_start = models.TimeField(_("时段开始"))
    window_end = models.TimeField(_("时段结束"))
    status = models.CharField(_("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.OFFERED,
                              db_index=True)
    total = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    fund = models.DecimalField(_("基金支付"), max_digits=10, decimal_places=2)
    subsidy = models.DecimalField(_("政府补贴"), max_digits=10, decimal_places=2)
    self_pay = models.DecimalField(_("个人自付"), max_digits=10, decimal_places=2)
    quote_lines = models.JSONField(_("报价明细"), default=list)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("下单人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价星级"), null=True, blank=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.CharField(_("评价内容"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(region="elder__community", organisation="organisation", person="elder")

    class Meta:
        verbose_name = _("按需订单")
        verbose_name_plural = _("按需订单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return _("订单 %(id)s（%(elder)s，%(date)s）") % {"id": self.pk, "elder": self.elder,
                                                        "date": self.service_date}

    @property
    def quote_lines_shown(self) -> list[dict]:
        """The stored quote with each line's rules in the reader's language (as stored, for older orders)."""
        from carecircle.catalog.selectors import rule_sentences

        return [{**line, "rules": rule_sentences(line["rule_records"])} if line.get("rule_records") else line
                for line in self.quote_lines or []]


class ServiceOrderLine(models.Model):
    order = models.ForeignKey(ServiceOrder, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("服务项目"), on_delete=models.PROTECT,
                             related_name="+")
    quantity = models.DecimalField(_("数量"), max_digits=8, decimal_places=2)

    scoping = Scoping(region="order__elder__community", organisation="order__organisation", person="order__elder")

    class Meta:
        verbose_name = _("订单项目")
        verbose_name_plural = _("订单项目")
        ordering = ["order", "id"]


class OfferOutcome(models.TextChoices):
    PENDING = "pending", _("待答复")
    ACCEPTED = "accepted", _("已接单")
    DECLINED = "declined", _("已拒单")
    EXPIRED = "expired", _("超时未答复")
    WITHDRAWN = "withdrawn", _("订单已取消")


class OrderOffer(models.Model):
    """An order offered to one provider, answered by its deadline or passed on to the next provider."""

    order = models.ForeignKey(ServiceOrder, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="offers")
    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="order_offers")
    offered_at = models.DateTimeField(_("派单时间"))
    deadline = models.DateTimeField(_("答复期限"), db_index=True)
    outcome = models.CharField(_("结果"), max_length=20, choices=OfferOutcome.choices, default=OfferOutcome.PENDING,
                               db_index=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    scoping = Scoping(region="order__elder__community", organisation="organisation", person="order__elder")

    class Meta:
        verbose_name = _("派单记录")
        verbose_name_plural = _("派单记录")
        ordering = ["order", "offered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "organisation"], name="careplans_offer_once_per_provider"),
        ]

    def __str__(self):
        return f"{self.order_id} → {self.organisation}"


# --- step tables (core.workflow): what may be done to a plan, an absence or an order, and by whom -----------

# A plan is changed by its provider while active; a new care level supersedes it (the system's step).
PLAN_FLOW = Workflow("careplans.careplan", steps=[
    Step("care_plan_update", _("调整计划"), {PlanStatus.ACTIVE}, PlanStatus.ACTIVE, {"careplans.change"}),
    Step("care_plan_stop", _("停止计划"), {PlanStatus.ACTIVE}, PlanStatus.STOPPED, {"careplans.change"}),
])

ABSENCE_FLOW = Workflow("careplans.elderabsence", state_field="cancelled", steps=[
    Step("cancel", _("撤销登记"), {False}, True, {"careplans.absence"}),
])


def _offered_to_actor(order, actor) -> bool:
    """Only the provider an order is offered to (or has accepted it) answers it."""
    from carecircle.core.isolation import acts_for

    return actor is None or actor.is_superuser or acts_for(actor, order)


def _may_cancel(order, actor) -> bool:
    """Whoever may place orders for the elder cancels; the provider cancels only an order it accepted (an
    offered one it declines)."""
    from carecircle.core.roles import has_capability

    if actor is None or has_capability(actor, "orders.place"):
        return True
    return order.status == OrderStatus.ACCEPTED and _offered_to_actor(order, actor)


ORDER_FLOW = Workflow("careplans.serviceorder", steps=[
    Step("accept", _("接单"), {OrderStatus.OFFERED}, OrderStatus.ACCEPTED, {"orders.answer"},
         guard=_offered_to_actor),
    Step("decline", _("拒单"), {OrderStatus.OFFERED}, None, {"orders.answer"}, guard=_offered_to_actor),
    Step("cancel", _("取消订单"), {OrderStatus.OFFERED, OrderStatus.ACCEPTED}, OrderStatus.CANCELLED,
         {"orders.place", "orders.answer"}, guard=_may_cancel),
    Step("complete", _("标记完成"), {OrderStatus.ACCEPTED}, OrderStatus.DONE, {"orders.answer"},
         guard=_offered_to_actor),
    Step("rate", _("评价"), {OrderStatus.DONE}, OrderStatus.DONE, {"orders.place"},
         guard=lambda order, actor: order.rating is None),
])

