"""Writes for care plans, absences, on-demand orders and daily work orders.

Every function is keyword-only, runs in one transaction and records an audit event. Bad input raises a
ValidationError naming the problem; a step the current state does not allow raises `WorkflowError`
(HTTP 409 in the API, with the steps that are allowed).

How a plan visit is paid: LTCI home care is paid by the hour of service, so each visit is billed as the
hourly LTCI item (`ltci-home-hour`, or `ltci-nursing-hour` when a task on it needs a registered nurse)
for its duration; the task items of the visit (the 42 LTCI items) are what the caregiver does in that hour.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.core import audit
from carecircle.core.isolation import acts_for, is_visible, require_own_organisation
from carecircle.core.money import to_money
from carecircle.core.policy import policy_value
from carecircle.core.roles import PERSON_SCOPED, has_capability
from carecircle.engines.orders import VisitSlot, add_working_hours, fit_visits

from .models import (
    AbsenceKind,
    CarePlan,
    ElderAbsence,
    OfferOutcome,
    OrderChannel,
    OrderOffer,
    OrderStatus,
    PlanChange,
    PlanChangeKind,
    PlanStatus,
    PlanVisit,
    PlanVisitItem,
    ServiceOrder,
    ServiceOrderLine,
    StopReason,
    VisitFunding,
    Weekday,
    WorkOrder,
    WorkOrderItem,
    WorkOrderRun,
    WorkOrderSource,
    WorkOrderStatus,
)

LTCI = "ltci"
HOURLY_ITEM = "ltci-home-hour"
NURSING_HOURLY_ITEM = "ltci-nursing-hour"
NURSE = "registered_nurse"
# Organisation kinds that deliver services at home (an assessment agency or a hotline never takes orders).
SERVING_KINDS = ("home_care", "day_centre", "community_centre", "institution", "nursing_station")
LIVE_WORK_ORDER = (WorkOrderStatus.PENDING, WorkOrderStatus.SCHEDULED, WorkOrderStatus.PUBLISHED)
DISPATCHED = (WorkOrderStatus.SCHEDULED, WorkOrderStatus.PUBLISHED)


class WorkflowError(Exception):
    """A step the current state does not allow; `allowed` names the steps that are."""

    def __init__(self, message: str, *, allowed: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.allowed = allowed or []


# --- checks ------------------------------------------------------------------------------------------------

def _require(actor, capability: str) -> None:
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_visible(actor, obj) -> None:
    if actor is not None and not is_visible(actor, obj):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


def _is_person(actor) -> bool:
    return getattr(actor, "role", None) in PERSON_SCOPED


def _list(values) -> str:
    return pgettext("list separator", "、").join(str(v) for v in values)


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def serving_providers(elder):
    """Active providers serving the elder's community, in a fixed order (name, then id)."""
    from carecircle.providers.models import Organisation

    return (Organisation.objects.filter(service_areas__community=elder.community, is_active=True,
                                        kind__in=SERVING_KINDS)
            .distinct().order_by("name", "id"))


def _entitlement(elder, *, programme: str, on: dt.date):
    from carecircle.catalog.selectors import entitlement_for

    return entitlement_for(elder, programme=programme, on=on)


# --- visits: input, pricing, entitlement fit ---------------------------------------------------------------

@dataclass
class VisitSpec:
    """A weekly visit as submitted by a form, the API or the generator."""

    weekday: int
    window_start: dt.time
    window_end: dt.time
    duration_minutes: int
    fixed_time: bool = False
    items: list[tuple[str, Decimal]] = field(default_factory=list)  # task items: (code, quantity)

    @classmethod
    def of(cls, visit: PlanVisit) -> "VisitSpec":
        return cls(visit.weekday, visit.window_start, visit.window_end, visit.duration_minutes, visit.fixed_time,
                   [(line.item.code, line.quantity) for line in visit.lines.select_related("item")])


def _parse_time(value, label: str, errors: list) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        errors.append(_("%(label)s“%(value)s”不是有效时刻，请写成 09:00") % {"label": label, "value": value})
        return None


def clean_visits(raw_visits) -> list[VisitSpec]:
    """Visits from dictionaries (forms, API) or VisitSpecs, checked; one ValidationError lists every problem."""
    from carecircle.catalog.models import ServiceItem

    errors: list[str] = []
    specs: list[VisitSpec] = []
    codes = set()
    for number, raw in enumerate(raw_visits or [], start=1):
        prefix = _("第 %(n)d 次上门：") % {"n": number}
        if isinstance(raw, VisitSpec):
            raw = {"weekday": raw.weekday, "window_start": raw.window_start, "window_end": raw.window_end,
                   "duration_minutes": raw.duration_minutes, "fixed_time": raw.fixed_time, "items": raw.items}
        problems: list[str] = []
        try:
            weekday = int(raw.get("weekday"))
            if weekday not in Weekday.values:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(_("星期必须是 0（周一）到 6（周日）"))
            weekday = 0
        start = _parse_time(raw.get("window_start"), _("开始时刻"), problems)
        end = _parse_time(raw.get("window_end"), _("结束时刻"), problems)
        try:
            duration = int(raw.get("duration_minutes"))
            if duration <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(_("服务时长必须是大于 0 的整数分钟"))
            duration = 0
        if start and end:
            if end <= start:
                problems.append(_("结束时刻 %(end)s 必须晚于开始时刻 %(start)s") % {"end": _hhmm(end), "start": _hhmm(start)})
            elif duration and (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)) < \
                    dt.timedelta(minutes=duration):
                problems.append(_("时段 %(start)s–%(end)s 放不下 %(minutes)d 分钟的服务")
                                % {"start": _hhmm(start), "end": _hhmm(end), "minutes": duration})
        items = []
        for entry in raw.get("items") or []:
            if isinstance(entry, dict):
                code, quantity = entry.get("item") or entry.get("code"), entry.get("quantity", 1)
            else:
                code, quantity = entry
            try:
                quantity = Decimal(str(quantity))
                if quantity <= 0:
                    raise ValueError
            except (ArithmeticError, ValueError):
                problems.append(_("项目 %(code)s 的数量必须大于 0") % {"code": code})
                continue
            items.append((str(code).strip(), quantity))
            codes.add(str(code).strip())
        errors.extend(prefix + problem for problem in problems)
        if not problems:
            specs.append(VisitSpec(weekday, start, end, duration, bool(raw.get("fixed_time")), items))
    if codes:
        known = set(ServiceItem.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True))
        unknown = sorted(codes - known)
        if unknown:
            errors.append(_("服务目录中没有这些启用的项目：%(codes)s") % {"codes": _list(unknown)})
    if errors:
        raise ValidationError(errors)
    return specs


def billing_lines(spec: VisitSpec) -> list[tuple[str, Decimal]]:
    """The line a visit is billed with: the LTCI hourly item for its duration (see the module docstring)."""
    from carecircle.catalog.models import ServiceItem

    codes = [code for code, _q in spec.items]
    needs_nurse = ServiceItem.objects.filter(code__in=codes, required_qualification=NURSE).exists()
    hours = (Decimal(spec.duration_minutes) / Decimal(60)).quantize(Decimal("0.01"))
    return [(NURSING_HOURLY_ITEM if needs_nurse else HOURLY_ITEM, hours)]


def required_qualification_of(codes) -> str:
    from carecircle.catalog.models import ServiceItem

    qualifications = set(ServiceItem.objects.filter(code__in=list(codes)).exclude(required_qualification="")
                         .values_list("required_qualification", flat=True))
    if NURSE in qualifications:
        return NURSE
    return sorted(qualifications)[0] if qualifications else ""


@dataclass
class PreviewVisit:
    spec: VisitSpec
    funding: str  # VisitFunding
    reason: str  # why it is beyond the entitlement ("" when covered)
    fund: Decimal = Decimal("0.00")
    subsidy: Decimal = Decimal("0.00")
    self_pay: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")

    @property
    def weekday_label(self) -> str:
        return str(Weekday(self.spec.weekday).label)


@dataclass
class PlanPreview:
    entitlement: object
    visits: list[PreviewVisit]
    weekly_total: Decimal
    weekly_fund: Decimal
    weekly_subsidy: Decimal
    weekly_self_pay: Decimal
    excess_self_pay: Decimal  # the weekly self-pay of the visits beyond the entitlement
    excess_count: int
    messages: list[str]

    @property
    def has_excess(self) -> bool:
        return self.excess_count > 0


def _beyond_reason(reason: str, entitlement) -> str:
    if reason == "visit_minutes":
        return _("超过每次 %(m)d 分钟") % {"m": entitlement.minutes_per_visit}
    if reason == "count":
        return _("超过每周 %(n)d 次") % {"n": entitlement.visits_per_week}
    return _("超过每周 %(m)d 分钟上限") % {"m": entitlement.weekly_minutes_cap}


def plan_preview(*, elder, visits: list[VisitSpec], on: dt.date, programme: str = LTCI, provider=None,
                 entitlement=None) -> PlanPreview:
    """What a week of these visits costs and who pays, marking the visits beyond the entitlement (self-pay).

    Shown before a plan is saved; the numbers come from the catalogue's `quote`."""
    from carecircle.catalog.services import quote

    entitlement = entitlement or _entitlement(elder, programme=programme, on=on)
    if entitlement is None:
        raise ValidationError(_("%(name)s 在 %(on)s 没有可享受长护险居家照护的照护等级，不能制定照护计划")
                              % {"name": elder.name, "on": on.isoformat()})
    slots = [VisitSlot(index, spec.weekday, spec.window_start.hour * 60 + spec.window_start.minute,
                       spec.duration_minutes) for index, spec in enumerate(visits)]
    fit = fit_visits(slots, visits_per_week=entitlement.visits_per_week,
                     minutes_per_visit=entitlement.minutes_per_visit,
                     weekly_minutes_cap=entitlement.weekly_minutes_cap)
    beyond = dict(fit.beyond)
    rows = []
    for index, spec in enumerate(visits):
        covered = index not in beyond
        priced = quote(elder=elder, on=on, lines=billing_lines(spec), basis="plan" if covered else "order",
                       provider=provider)
        rows.append(PreviewVisit(spec=spec, funding=VisitFunding.PLAN if covered else VisitFunding.SELF_PAY,
                                 reason="" if covered else _beyond_reason(beyond[index], entitlement),
                                 fund=priced.fund, subsidy=priced.subsidy, self_pay=priced.self_pay,
                                 total=priced.total))
    zero = Decimal("0.00")
    excess = [row for row in rows if row.funding == VisitFunding.SELF_PAY]
    messages = []
    if excess:
        messages.append(_("有 %(n)d 次上门超出长护险待遇，按自费计价：每周自付 %(amount)s 元")
                        % {"n": len(excess), "amount": to_money(sum((r.self_pay for r in excess), zero))})
    if len(rows) - len(excess) < entitlement.visits_per_week:
        messages.append(_("待遇为每周 %(n)d 次，计划只安排了 %(m)d 次待遇内上门")
                        % {"n": entitlement.visits_per_week, "m": len(rows) - len(excess)})
    return PlanPreview(
        entitlement=entitlement, visits=rows,
        weekly_total=sum((r.total for r in rows), zero), weekly_fund=sum((r.fund for r in rows), zero),
        weekly_subsidy=sum((r.subsidy for r in rows), zero), weekly_self_pay=sum((r.self_pay for r in rows), zero),
        excess_self_pay=sum((r.self_pay for r in excess), zero), excess_count=len(excess), messages=messages)


def default_visits(*, entitlement, weekdays=(), window_start: dt.time | None = None,
                   window_end: dt.time | None = None, items=()) -> list[VisitSpec]:
    """The entitled number of visits on the preferred weekdays (spread over the week when too few are
    given), each of the entitled length inside the preferred window."""
    window_start = window_start or dt.time(9, 0)
    minutes = entitlement.minutes_per_visit
    latest_end = (dt.datetime.combine(dt.date.min, window_start) + dt.timedelta(minutes=minutes)).time()
    window_end = window_end if window_end and window_end >= latest_end else latest_end
    chosen = []
    for day in weekdays:
        day = int(day)
        if day in Weekday.values and day not in chosen:
            chosen.append(day)
    count = entitlement.visits_per_week
    # Spread the remaining visits over the week: weekdays first, evenly apart.
    spread = [0, 2, 4, 1, 3, 5, 6]
    for day in spread:
        if len(chosen) >= count:
            break
        if day not in chosen:
            chosen.append(day)
    chosen = sorted(chosen[:count])
    return [VisitSpec(day, window_start, window_end, minutes, False, list(items)) for day in chosen]


# --- care plans ----------------------------------------------------------------------------------------------

PREFERENCE_FIELDS = ("preferred_caregiver", "preferred_gender", "dialect", "serve_on_holidays", "note")


def _clean_preferences(*, organisation, values: dict) -> dict:
    errors = {}
    caregiver = values.get("preferred_caregiver")
    if caregiver is not None and caregiver.organisation_id != organisation.pk:
        errors["preferred_caregiver"] = [_("指定护理员必须是本机构的在职人员")]
    elif caregiver is not None and not caregiver.is_active:
        errors["preferred_caregiver"] = [_("指定护理员 %(name)s 已离职") % {"name": caregiver.name}]
    gender = values.get("preferred_gender") or ""
    if gender not in ("", "M", "F"):
        errors["preferred_gender"] = [_("护理员性别偏好只能是男、女或不限")]
    if len(values.get("dialect") or "") > 50:
        errors["dialect"] = [_("方言不能超过 50 个字")]
    if errors:
        raise ValidationError(errors)
    return {"preferred_caregiver": caregiver, "preferred_gender": gender, "dialect": (values.get("dialect") or "").strip(),
            "serve_on_holidays": bool(values.get("serve_on_holidays")), "note": (values.get("note") or "").strip()}


def _write_visits(plan: CarePlan, preview: PlanPreview) -> None:
    from carecircle.catalog.models import ServiceItem

    codes = {code for row in preview.visits for code, _q in row.spec.items}
    items = {item.code: item for item in ServiceItem.objects.filter(code__in=codes)}
    for row in preview.visits:
        spec = row.spec
        visit = PlanVisit.objects.create(plan=plan, weekday=spec.weekday, window_start=spec.window_start,
                                         window_end=spec.window_end, fixed_time=spec.fixed_time,
                                         duration_minutes=spec.duration_minutes, funding=row.funding)
        PlanVisitItem.objects.bulk_create([PlanVisitItem(visit=visit, item=items[code], quantity=quantity)
                                           for code, quantity in spec.items])


def _describe_visits(preview: PlanPreview) -> str:
    parts = []
    for row in preview.visits:
        text = f"{Weekday(row.spec.weekday).label} {_hhmm(row.spec.window_start)}–{_hhmm(row.spec.window_end)}"
        if row.funding == VisitFunding.SELF_PAY:
            text += _("（自费）")
        parts.append(text)
    return _list(parts)


def _visit_snapshot(preview: PlanPreview) -> list[dict]:
    return [{"weekday": r.spec.weekday, "window": f"{_hhmm(r.spec.window_start)}-{_hhmm(r.spec.window_end)}",
             "minutes": r.spec.duration_minutes, "funding": r.funding, "self_pay": str(r.self_pay),
             "items": [[code, str(q)] for code, q in r.spec.items]} for r in preview.visits]


def _check_excess(preview: PlanPreview, accept_self_pay: bool) -> None:
    if preview.has_excess and not accept_self_pay:
        raise ValidationError({"accept_self_pay": [
            _("计划超出待遇：%(n)d 次上门需自费，每周自付 %(amount)s 元。请先确认自费部分再保存。")
            % {"n": preview.excess_count, "amount": to_money(preview.excess_self_pay)}]}, code="excess")


@transaction.atomic
def care_plan_create(*, actor, elder, organisation=None, on: dt.date | None = None, programme: str = LTCI,
                     visits=None, weekdays=(), window_start: dt.time | None = None, window_end: dt.time | None = None,
                     items=(), accept_self_pay: bool = False, **preferences) -> CarePlan:
    """A plan from the elder's entitlement in force on `on` and the preferences; `visits=None` generates the
    entitled visits on the preferred days and window. Refuses a second active plan for the programme."""
    _require(actor, "careplans.change")
    _require_visible(actor, elder)
    on = on or timezone.localdate()
    if elder.status != "active":
        raise ValidationError(_("老人档案状态为“%(s)s”，不能制定照护计划") % {"s": elder.get_status_display()})
    providers = serving_providers(elder)
    if organisation is None:
        if actor is not None and actor.organisation_id:
            organisation = actor.organisation
        else:
            organisation = providers.first()
    if organisation is None or not providers.filter(pk=organisation.pk).exists():
        raise ValidationError({"organisation": [_("%(org)s 不服务 %(community)s，不能承接该老人的照护计划")
                                                % {"org": organisation or _("（未指定机构）"),
                                                   "community": elder.community.name}]})
    require_own_organisation(actor, organisation, _("只能为本机构制定照护计划。"))
    if CarePlan.objects.filter(elder=elder, programme=programme, status=PlanStatus.ACTIVE).exists():
        raise WorkflowError(_("%(name)s 已有执行中的照护计划，请调整现有计划") % {"name": elder.name},
                            allowed=["care_plan_update", "care_plan_stop"])
    prefs = _clean_preferences(organisation=organisation, values=preferences)
    entitlement = _entitlement(elder, programme=programme, on=on)
    if entitlement is None:
        raise ValidationError(_("%(name)s 在 %(on)s 没有可享受长护险居家照护的照护等级，不能制定照护计划")
                              % {"name": elder.name, "on": on.isoformat()})
    if visits is None:
        specs = default_visits(entitlement=entitlement, weekdays=weekdays, window_start=window_start,
                               window_end=window_end, items=clean_visits([{
                                   "weekday": 0, "window_start": "00:00", "window_end": "23:59",
                                   "duration_minutes": 1, "items": list(items)}])[0].items if items else ())
    else:
        specs = clean_visits(visits)
    preview = plan_preview(elder=elder, visits=specs, on=on, programme=programme, provider=organisation,
                           entitlement=entitlement)
    _check_excess(preview, accept_self_pay)
    plan = CarePlan.objects.create(
        elder=elder, organisation=organisation, programme=programme, care_level=entitlement.care_level,
        visits_per_week_entitled=entitlement.visits_per_week, minutes_per_visit_entitled=entitlement.minutes_per_visit,
        weekly_minutes_cap=entitlement.weekly_minutes_cap,
        bonus_minutes_per_month=entitlement.continuity_bonus_minutes_per_month,
        entitlement_rules=list(entitlement.rules), valid_from=on, created_by=actor, **prefs)
    _write_visits(plan, preview)
    explanation = _("按 %(level)d 级待遇制定照护计划（每周 %(n)d 次、每次 %(m)d 分钟），由%(org)s提供：%(visits)s。"
                    "每周费用 %(total)s 元，其中基金 %(fund)s 元、补贴 %(subsidy)s 元、个人自付 %(self)s 元。") % {
        "level": entitlement.care_level, "n": entitlement.visits_per_week, "m": entitlement.minutes_per_visit,
        "org": organisation.name, "visits": _describe_visits(preview), "total": to_money(preview.weekly_total),
        "fund": to_money(preview.weekly_fund), "subsidy": to_money(preview.weekly_subsidy),
        "self": to_money(preview.weekly_self_pay)}
    PlanChange.objects.create(plan=plan, kind=PlanChangeKind.CREATED, effective=on, explanation=explanation,
                              details={"visits": _visit_snapshot(preview)}, created_by=actor)
    audit.record(actor=actor, action="careplans.plan_create", subject=plan,
                 changes={"plan": audit.snapshot(plan), "visits": _visit_snapshot(preview)})
    return plan


@transaction.atomic
def care_plan_update(*, actor, plan: CarePlan, visits, accept_self_pay: bool = False, on: dt.date | None = None,
                     reason: str = "", **preferences) -> CarePlan:
    """The provider's edit of the weekly visits and preferences; visits beyond the entitlement are kept only
    when the self-pay shown before saving is accepted. Work orders not yet dispatched follow at the next
    generation."""
    _require(actor, "careplans.change")
    _require_visible(actor, plan)
    plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.ACTIVE:
        raise WorkflowError(_("计划状态为“%(s)s”，不能再调整") % {"s": plan.get_status_display()}, allowed=[])
    on = on or timezone.localdate()
    specs = clean_visits(visits)
    preview = plan_preview(elder=plan.elder, visits=specs, on=on, programme=plan.programme,
                           provider=plan.organisation)
    _check_excess(preview, accept_self_pay)
    before = {"plan": audit.snapshot(plan, list(PREFERENCE_FIELDS)),
              "visits": [VisitSpec.of(v) for v in plan.visits.all()]}
    merged = {name: getattr(plan, name) for name in PREFERENCE_FIELDS}
    merged.update({k: v for k, v in preferences.items() if k in PREFERENCE_FIELDS})
    for name, value in _clean_preferences(organisation=plan.organisation, values=merged).items():
        setattr(plan, name, value)
    plan.save()
    plan.visits.all().delete()
    _write_visits(plan, preview)
    explanation = _("%(org)s调整了照护计划，自 %(on)s 起：%(visits)s。每周个人自付 %(self)s 元。") % {
        "org": plan.organisation.name, "on": on.isoformat(), "visits": _describe_visits(preview),
        "self": to_money(preview.weekly_self_pay)}
    if reason.strip():
        explanation += _("原因：%(reason)s") % {"reason": reason.strip()}
    PlanChange.objects.create(plan=plan, kind=PlanChangeKind.EDITED, effective=on, explanation=explanation,
                              details={"visits": _visit_snapshot(preview)}, created_by=actor)
    audit.record(actor=actor, action="careplans.plan_update", subject=plan, reason=reason,
                 changes={"before": {"plan": before["plan"], "visits": len(before["visits"])},
                          "after": {"plan": audit.snapshot(plan, list(PREFERENCE_FIELDS)),
                                    "visits": _visit_snapshot(preview)}})
    return plan


def _cancel_future_work(*, plan: CarePlan | None = None, elder=None, since: dt.date, reason: str,
                        orders_too: bool = False) -> int:
    """Work orders from `since` that nobody has started yet are cancelled with the reason (the board shows it)."""
    queryset = WorkOrder.objects.filter(date__gte=since, status__in=(*LIVE_WORK_ORDER, WorkOrderStatus.SUPPRESSED))
    if plan is not None:
        queryset = queryset.filter(plan_visit__plan=plan)
    else:
        queryset = queryset.filter(elder=elder)
        if not orders_too:
            queryset = queryset.filter(source=WorkOrderSource.PLAN)
    return queryset.update(status=WorkOrderStatus.CANCELLED, suppressed_reason=reason[:200], updated_at=timezone.now())


@transaction.atomic
def care_plan_stop(*, actor, plan: CarePlan, reason: str, on: dt.date, explanation: str = "") -> CarePlan:
    """Ends the plan the day before `on`; visits from `on` are cancelled with the reason. Explained to the
    provider and the family on their pages."""
    _require(actor, "careplans.change")
    _require_visible(actor, plan)
    if reason not in StopReason.values:
        raise ValidationError({"reason": [_("停止原因无效")]})
    plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.ACTIVE:
        raise WorkflowError(_("计划状态为“%(s)s”，不能停止") % {"s": plan.get_status_display()}, allowed=[])
    if on < plan.valid_from:
        on = plan.valid_from
    label = StopReason(reason).label
    text = _("照护计划自 %(on)s 起停止：%(reason)s。") % {"on": on.isoformat(), "reason": label}
    if explanation.strip():
        text += explanation.strip()
    before = audit.snapshot(plan, ["status", "valid_until", "stop_reason"])
    plan.status, plan.stop_reason = PlanStatus.STOPPED, reason
    plan.valid_until = max(plan.valid_from, on - dt.timedelta(days=1))
    plan.save(update_fields=["status", "stop_reason", "valid_until", "updated_at"])
    cancelled = _cancel_future_work(plan=plan, since=on, reason=text)
    if cancelled:
        text += _("已取消 %(n)d 个未开始的上门工单。") % {"n": cancelled}
    PlanChange.objects.create(plan=plan, kind=PlanChangeKind.STOPPED, effective=on, explanation=text,
                              details={"reason": reason, "cancelled_work_orders": cancelled}, created_by=actor)
    audit.record(actor=actor, action="careplans.plan_stop", subject=plan, reason=text,
                 changes={**audit.diff(before, audit.snapshot(plan, ["status", "valid_until", "stop_reason"])),
                          "cancelled_work_orders": cancelled})
    return plan


@transaction.atomic
def care_plans_stop_for_elder(*, elder, change: str, on: dt.date, reason: str = "", actor=None) -> list[CarePlan]:
    """An elder died, moved away or was admitted to an institution: every active plan stops from that day,
    open orders are cancelled, and the change is explained to provider and family."""
    stop_reason = {"deceased": StopReason.DECEASED, "moved_out": StopReason.MOVED_OUT,
                   "institution": StopReason.INSTITUTION}.get(change)
    if stop_reason is None:
        return []
    stop_on = on  # nothing is delivered from the day of the change on
    stopped = []
    for plan in CarePlan.objects.filter(elder=elder, status=PlanStatus.ACTIVE):
        stopped.append(care_plan_stop(actor=None, plan=plan, reason=stop_reason, on=stop_on,
                                      explanation=reason))
    text = _("订单已取消：%(reason)s") % {"reason": StopReason(stop_reason).label}
    for order in ServiceOrder.objects.filter(elder=elder, status__in=(OrderStatus.OFFERED, OrderStatus.ACCEPTED),
                                             service_date__gte=stop_on):
        _order_cancel(order=order, actor=None, reason=text)
    _cancel_future_work(elder=elder, since=stop_on, reason=text, orders_too=True)
    if actor is not None or stopped:
        audit.record(actor=actor, action="careplans.elder_change", subject=elder, reason=reason,
                     changes={"change": change, "on": on, "stopped_plans": [p.pk for p in stopped]})
    return stopped


@transaction.atomic
def care_plan_level_change(*, elder, programme: str, old_level, new_level: int, effective: dt.date,
                           actor=None) -> CarePlan | None:
    """A new care level: the active plan is replaced from `effective` by a plan on the new entitlement —
    the first visits of the week are kept, missing visits are added on free days in the plan's usual window,
    visits beyond the new entitlement are dropped (never turned into self-pay without the family's consent).
    A level that is no longer eligible stops the plan."""
    plan = (CarePlan.objects.select_for_update().filter(elder=elder, programme=programme, status=PlanStatus.ACTIVE)
            .first())
    if plan is None:
        return None
    entitlement = _entitlement(elder, programme=programme, on=effective)
    old_level = plan.care_level  # the level the plan was made for is the one the family knows
    if entitlement is not None and (entitlement.care_level, entitlement.visits_per_week,
                                    entitlement.minutes_per_visit) == (plan.care_level, plan.visits_per_week_entitled,
                                                                       plan.minutes_per_visit_entitled):
        return plan  # the same entitlement (e.g. a re-assessment confirming the level): nothing changes
    if entitlement is None:
        care_plan_stop(actor=None, plan=plan, reason=StopReason.NOT_ELIGIBLE, on=effective,
                       explanation=_("新照护等级为 %(level)s 级，不在长护险居家照护待遇范围内。") % {"level": new_level})
        return None
    old_visits = [VisitSpec.of(v) for v in plan.visits.filter(funding=VisitFunding.PLAN)]
    kept = sorted(old_visits, key=lambda s: (s.weekday, s.window_start))[:entitlement.visits_per_week]
    minutes = entitlement.minutes_per_visit
    for spec in kept:
        spec.duration_minutes = min(spec.duration_minutes, minutes) if spec.duration_minutes > minutes else \
            spec.duration_minutes
    template = kept[0] if kept else None
    added = []
    if len(kept) < entitlement.visits_per_week:
        more = default_visits(entitlement=entitlement, weekdays=[s.weekday for s in kept],
                              window_start=template.window_start if template else None,
                              window_end=template.window_end if template else None,
                              items=template.items if template else ())
        used = {s.weekday for s in kept}
        added = [s for s in more if s.weekday not in used][:entitlement.visits_per_week - len(kept)]
    specs = kept + added
    dropped = len(old_visits) - len(kept)
    start = max(effective, plan.valid_from)
    preview = plan_preview(elder=elder, visits=specs, on=start, programme=programme, provider=plan.organisation,
                           entitlement=entitlement)
    plan.status = PlanStatus.SUPERSEDED
    plan.valid_until = max(plan.valid_from, start - dt.timedelta(days=1))
    plan.save(update_fields=["status", "valid_until", "updated_at"])
    new_plan = CarePlan.objects.create(
        elder=elder, organisation=plan.organisation, programme=programme, care_level=entitlement.care_level,
        visits_per_week_entitled=entitlement.visits_per_week, minutes_per_visit_entitled=minutes,
        weekly_minutes_cap=entitlement.weekly_minutes_cap,
        bonus_minutes_per_month=entitlement.continuity_bonus_minutes_per_month,
        entitlement_rules=list(entitlement.rules), valid_from=start, replaces=plan, created_by=actor,
        **{name: getattr(plan, name) for name in PREFERENCE_FIELDS})
    _write_visits(new_plan, preview)
    parts = [_("照护等级由 %(old)s 级变为 %(new)d 级（自 %(on)s 起），待遇为每周 %(n)d 次、每次 %(m)d 分钟。")
             % {"old": old_level if old_level is not None else "—", "new": entitlement.care_level,
                "on": start.isoformat(), "n": entitlement.visits_per_week, "m": minutes}]
    if added:
        parts.append(_("新增上门：%(v)s。") % {"v": _list(
            f"{Weekday(s.weekday).label} {_hhmm(s.window_start)}–{_hhmm(s.window_end)}" for s in added)})
    if dropped > 0:
        parts.append(_("减少 %(n)d 次上门。") % {"n": dropped})
    parts.append(_("新计划：%(v)s。") % {"v": _describe_visits(preview)})
    text = "".join(parts)
    PlanChange.objects.create(plan=new_plan, kind=PlanChangeKind.LEVEL_CHANGED, effective=start, explanation=text,
                              details={"old_level": old_level, "new_level": new_level, "replaces": plan.pk,
                                       "visits": _visit_snapshot(preview)}, created_by=actor)
    # Undispatched work orders of the old plan from the new date are re-generated from the new plan.
    _cancel_future_work(plan=plan, since=start, reason=text[:200])
    audit.record(actor=actor, action="careplans.plan_level_change", subject=new_plan, reason=text,
                 changes={"replaces": plan.pk, "old_level": old_level, "new_level": new_level,
                          "visits": _visit_snapshot(preview)})
    return new_plan


# --- absences -------------------------------------------------------------------------------------------------

@transaction.atomic
def elder_absence_record(*, actor, elder, kind: str, starts_on: dt.date, ends_on: dt.date,
                         note: str = "") -> ElderAbsence:
    _require(actor, "careplans.absence")
    _require_visible(actor, elder)
    errors = {}
    if kind not in AbsenceKind.values:
        errors["kind"] = [_("类型只能是住院、外出或其他")]
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        errors["starts_on"] = [_("请填写开始和结束日期")]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("结束日期 %(end)s 早于开始日期 %(start)s")
                             % {"end": ends_on.isoformat(), "start": starts_on.isoformat()}]
    else:
        longest = policy_value("careplans.absence.max_days", region=elder.community, on=starts_on)
        if (ends_on - starts_on).days > longest:
            errors["ends_on"] = [_("一次登记的结束日期与开始日期最多相隔 %(n)d 天，更长的期间请分次登记")
                                 % {"n": longest}]
    if errors:
        raise ValidationError(errors)
    absence = ElderAbsence.objects.create(elder=elder, kind=kind, starts_on=starts_on, ends_on=ends_on,
                                          note=(note or "").strip()[:200], created_by=actor)
    audit.record(actor=actor, action="careplans.absence_record", subject=absence, changes=audit.snapshot(absence))
    return absence


@transaction.atomic
def elder_absence_cancel(*, actor, absence: ElderAbsence) -> ElderAbsence:
    _require(actor, "careplans.absence")
    _require_visible(actor, absence)
    if absence.cancelled:
        raise WorkflowError(_("这条登记已撤销"), allowed=[])
    absence.cancelled = True
    absence.save(update_fields=["cancelled"])
    audit.record(actor=actor, action="careplans.absence_cancel", subject=absence, changes={"cancelled": [False, True]})
    return absence


# --- on-demand orders -----------------------------------------------------------------------------------------

def _channel_for(actor) -> str:
    if _is_person(actor):
        return OrderChannel.PORTAL
    if getattr(actor, "role", None) == "operator":
        return OrderChannel.PHONE
    return OrderChannel.COMMUNITY


def _offer_deadline(*, region, now: dt.datetime) -> dt.datetime:
    from carecircle.core.workdays import Calendar

    hours = policy_value("careplans.order.accept_working_hours", region=region, on=now.date())
    office = policy_value("careplans.order.office_hours", region=region, on=now.date())
    calendar = Calendar.load()
    local = timezone.localtime(now)
    return add_working_hours(local, hours, is_working_day=calendar.is_working_day,
                             day_start=dt.time.fromisoformat(office["start"]),
                             day_end=dt.time.fromisoformat(office["end"]))


def _offer_next(order: ServiceOrder, *, now: dt.datetime) -> OrderOffer | None:
    """Offers the order to the next provider serving the community that has not had it yet; with none left
    the order is marked as nobody accepting it."""
    tried = set(order.offers.values_list("organisation_id", flat=True))
    provider = serving_providers(order.elder).exclude(pk__in=tried).first()
    if provider is None:
        order.organisation = None
        order.status = OrderStatus.UNASSIGNED
        order.save(update_fields=["organisation", "status", "updated_at"])
        audit.record(actor=None, action="careplans.order_unassigned", subject=order,
                     changes={"tried": sorted(tried)})
        return None
    offer = OrderOffer.objects.create(order=order, organisation=provider, offered_at=now,
                                      deadline=_offer_deadline(region=order.elder.community, now=now))
    order.organisation = provider
    order.status = OrderStatus.OFFERED
    order.save(update_fields=["organisation", "status", "updated_at"])
    audit.record(actor=None, action="careplans.order_offer", subject=order,
                 changes={"organisation": provider.pk, "deadline": offer.deadline})
    return offer


def _clean_order_lines(lines) -> list[tuple[str, Decimal]]:
    result = []
    for entry in lines or []:
        if isinstance(entry, dict):
            code, quantity = entry.get("item") or entry.get("code"), entry.get("quantity", 1)
        else:
            code, quantity = entry
        result.append((str(code or "").strip(), quantity))
    if not result:
        raise ValidationError({"lines": [_("请至少选择一个服务项目")]})
    return result


# Orders that hold a share of the month's subsidy budget: waiting for, taken by or served by a provider.
SUBSIDY_HOLDING_STATUSES = (OrderStatus.OFFERED, OrderStatus.ACCEPTED, OrderStatus.DONE)


def subsidy_used_in_month(*, elder, service_date: dt.date) -> Decimal:
    """The government-purchase subsidy this elder's live orders already take in the service date's month."""
    used = ServiceOrder.objects.filter(
        elder=elder, status__in=SUBSIDY_HOLDING_STATUSES,
        service_date__year=service_date.year, service_date__month=service_date.month,
    ).aggregate(total=Sum("subsidy"))["total"]
    return to_money(used or 0)


def order_quote(*, elder, lines, service_date: dt.date):
    """The price and who pays, as the person sees it before confirming (on-demand: no fund). The monthly
    subsidy budget is what is left after the elder's other live orders of that month."""
    from carecircle.catalog.services import quote

    return quote(elder=elder, on=service_date, lines=_clean_order_lines(lines), basis="order",
                 subsidy_used=subsidy_used_in_month(elder=elder, service_date=service_date))


def quote_dict(priced) -> dict:
    """A quote as plain values (stored on the order, shown on pages)."""
    return {"lines": [{"item": line.item_code, "name": line.item_name, "quantity": str(line.quantity),
                       "unit_price": str(line.unit_price), "amount": str(line.amount), "fund": str(line.fund),
                       "subsidy": str(line.subsidy), "self_pay": str(line.self_pay), "rules": line.rules}
                      for line in priced.lines],
            "total": priced.total, "fund": priced.fund, "subsidy": priced.subsidy, "self_pay": priced.self_pay}


def _check_order_time(*, elder, service_date, window_start, window_end, now) -> None:
    errors = {}
    today = timezone.localtime(now).date()
    if not isinstance(service_date, dt.date):
        raise ValidationError({"service_date": [_("请填写服务日期")]})
    ahead = policy_value("careplans.order.max_days_ahead", region=elder.community, on=today)
    if service_date < today:
        errors["service_date"] = [_("服务日期 %(d)s 已经过去") % {"d": service_date.isoformat()}]
    elif service_date > today + dt.timedelta(days=ahead):
        errors["service_date"] = [_("最多只能预约 %(n)d 天以内的服务") % {"n": ahead}]
    if not isinstance(window_start, dt.time) or not isinstance(window_end, dt.time):
        errors["window_start"] = [_("请选择服务时段")]
    elif window_end <= window_start:
        errors["window_end"] = [_("时段结束必须晚于开始")]
    elif service_date == today and window_end <= timezone.localtime(now).time():
        errors["window_start"] = [_("今天的这个时段已经过去，请选择更晚的时段或其他日期")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def service_order_place(*, actor, elder, lines, service_date: dt.date, window_start: dt.time, window_end: dt.time,
                        expected_self_pay, note: str = "", channel: str | None = None, package=None,
                        now: dt.datetime | None = None) -> ServiceOrder:
    """一键下单: the order is priced again and must match the self-pay the person saw and confirmed; it is
    offered to the first provider serving the elder's community."""
    _require(actor, "orders.place")
    _require_visible(actor, elder)
    now = now or timezone.now()
    # One order at a time per elder, so two orders placed at once cannot both spend the same budget.
    elder = type(elder).objects.select_for_update().get(pk=elder.pk)
    if elder.status != "active":
        raise ValidationError(_("老人档案状态为“%(s)s”，不能下单") % {"s": elder.get_status_display()})
    _check_order_time(elder=elder, service_date=service_date, window_start=window_start, window_end=window_end,
                      now=now)
    priced = order_quote(elder=elder, lines=lines, service_date=service_date)
    try:
        expected = to_money(str(expected_self_pay))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({"expected_self_pay": [_("请先查看价格并确认个人自付金额")]})
    if expected != priced.self_pay:
        raise ValidationError({"expected_self_pay": [
            _("价格已变化：个人自付现为 %(now)s 元（您确认的是 %(seen)s 元），请重新确认")
            % {"now": priced.self_pay, "seen": expected}]})
    if not serving_providers(elder).exists():
        raise ValidationError(_("%(community)s 目前没有签约服务机构，暂时不能下单，请联系居委或热线")
                              % {"community": elder.community.name})
    if package is None:
        from carecircle.catalog.models import ServicePackage

        package = ServicePackage.objects.filter(code__in=[line.item_code for line in priced.lines if line.is_package]
                                                ).first()
    channel = channel or _channel_for(actor)
    if channel not in OrderChannel.values:
        raise ValidationError({"channel": [_("下单渠道无效")]})
    order = ServiceOrder.objects.create(
        elder=elder, channel=channel, service_date=service_date, window_start=window_start, window_end=window_end,
        total=priced.total, fund=priced.fund, subsidy=priced.subsidy, self_pay=priced.self_pay,
        quote_lines=quote_dict(priced)["lines"],
        note=(note or "").strip()[:200], ordered_by=actor, package=package)
    from carecircle.catalog.models import ServiceItem

    items = {item.code: item for item in ServiceItem.objects.filter(code__in=[line.item_code for line in priced.lines])}
    ServiceOrderLine.objects.bulk_create([ServiceOrderLine(order=order, item=items[line.item_code],
                                                           quantity=line.quantity)
                                          for line in priced.lines if line.item_code in items])
    audit.record(actor=actor, action="careplans.order_place", subject=order,
                 changes={"lines": order.quote_lines, "total": order.total, "self_pay": order.self_pay,
                          "service_date": service_date, "channel": channel})
    _offer_next(order, now=now)
    return order


def _pending_offer(order: ServiceOrder, actor) -> OrderOffer:
    offer = order.offers.filter(outcome=OfferOutcome.PENDING).select_for_update().first()
    if offer is None or order.status != OrderStatus.OFFERED:
        raise WorkflowError(_("订单状态为“%(s)s”，不能再接单或拒单") % {"s": order.get_status_display()},
                            allowed=_allowed_steps(order, actor))
    if actor is not None and not acts_for(actor, offer):
        raise PermissionDenied(_("这张订单不是派给本机构的。"))
    return offer


def _allowed_steps(order: ServiceOrder, actor) -> list[str]:
    steps = []
    if order.status == OrderStatus.OFFERED:
        steps += ["accept", "decline", "cancel"]
    elif order.status == OrderStatus.ACCEPTED:
        steps += ["complete", "cancel"]
    elif order.status == OrderStatus.DONE and order.rating is None:
        steps += ["rate"]
    return steps


@transaction.atomic
def service_order_accept(*, actor, order: ServiceOrder, now: dt.datetime | None = None) -> ServiceOrder:
    _require(actor, "orders.answer")
    _require_visible(actor, order)
    now = now or timezone.now()
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    offer = _pending_offer(order, actor)
    if now > offer.deadline:
        raise WorkflowError(_("答复期限 %(d)s 已过，订单将转给下一家机构")
                            % {"d": timezone.localtime(offer.deadline).strftime("%Y-%m-%d %H:%M")}, allowed=[])
    offer.outcome, offer.responded_at = OfferOutcome.ACCEPTED, now
    offer.save(update_fields=["outcome", "responded_at"])
    order.status = OrderStatus.ACCEPTED
    order.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="careplans.order_accept", subject=order,
                 changes={"status": [OrderStatus.OFFERED, OrderStatus.ACCEPTED]})
    if order.service_date <= timezone.localtime(now).date() + dt.timedelta(days=1):
        # Tomorrow's (or today's) work orders are already generated: add this one now.
        transaction.on_commit(lambda: _work_order_for_order_safe(order.pk, actor=actor))
    return order


def _work_order_for_order_safe(order_id: int, *, actor=None) -> None:
    order = ServiceOrder.objects.filter(pk=order_id, status=OrderStatus.ACCEPTED).first()
    if order is not None:
        with transaction.atomic():
            summary = _new_summary()
            work_order = _ensure_order_work_order(order, summary=summary)
            audit.record(actor=actor, action="careplans.work_order_from_order", subject=work_order,
                         changes={"order": order.pk, "summary": summary})


@transaction.atomic
def service_order_decline(*, actor, order: ServiceOrder, reason: str, now: dt.datetime | None = None) -> ServiceOrder:
    _require(actor, "orders.answer")
    _require_visible(actor, order)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请说明拒单原因（如：当天人手已满）")]})
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    offer = _pending_offer(order, actor)
    offer.outcome, offer.responded_at, offer.reason = OfferOutcome.DECLINED, now, reason[:200]
    offer.save(update_fields=["outcome", "responded_at", "reason"])
    audit.record(actor=actor, action="careplans.order_decline", subject=order, reason=reason,
                 changes={"organisation": offer.organisation_id})
    _offer_next(order, now=now)
    return order


@transaction.atomic
def order_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Offers past their deadline are marked expired and their orders pass to the next provider."""
    now = now or timezone.now()
    expired = 0
    for offer in (OrderOffer.objects.select_for_update().filter(outcome=OfferOutcome.PENDING, deadline__lt=now)
                  .select_related("order__elder__community").order_by("deadline", "pk")):
        offer.outcome, offer.responded_at = OfferOutcome.EXPIRED, now
        offer.save(update_fields=["outcome", "responded_at"])
        audit.record(actor=None, action="careplans.order_offer_expired", subject=offer.order,
                     changes={"organisation": offer.organisation_id, "deadline": offer.deadline})
        if offer.order.status == OrderStatus.OFFERED:
            _offer_next(offer.order, now=now)
        expired += 1
    return expired


def _order_cancel(*, order: ServiceOrder, actor, reason: str) -> None:
    order.status, order.cancel_reason = OrderStatus.CANCELLED, reason[:200]
    order.save(update_fields=["status", "cancel_reason", "updated_at"])
    order.offers.filter(outcome=OfferOutcome.PENDING).update(outcome=OfferOutcome.WITHDRAWN,
                                                             responded_at=timezone.now())
    WorkOrder.objects.filter(order=order, status__in=LIVE_WORK_ORDER).update(
        status=WorkOrderStatus.CANCELLED, suppressed_reason=reason[:200], updated_at=timezone.now())
    audit.record(actor=actor, action="careplans.order_cancel", subject=order, reason=reason,
                 changes={"status": [None, OrderStatus.CANCELLED]})


@transaction.atomic
def service_order_cancel(*, actor, order: ServiceOrder, reason: str = "",
                         now: dt.datetime | None = None) -> ServiceOrder:
    """Before acceptance anyone who may place orders for the elder cancels freely; after acceptance the
    orderer may cancel until the policy's notice before the window, the provider at any time with a reason."""
    _require_visible(actor, order)
    now = now or timezone.now()
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (OrderStatus.OFFERED, OrderStatus.ACCEPTED):
        raise WorkflowError(_("订单状态为“%(s)s”，不能取消") % {"s": order.get_status_display()},
                            allowed=_allowed_steps(order, actor))
    reason = (reason or "").strip()
    is_provider = acts_for(actor, order)
    if is_provider:
        _require(actor, "orders.answer")
        if order.status == OrderStatus.OFFERED:
            raise WorkflowError(_("尚未接单的订单请用“拒单”"), allowed=["decline", "accept"])
        if len(reason) < 2:
            raise ValidationError({"reason": [_("机构取消已接订单须说明原因")]})
    else:
        _require(actor, "orders.place")
        if order.status == OrderStatus.ACCEPTED:
            hours = policy_value("careplans.order.free_cancel_hours", region=order.elder.community,
                                 on=timezone.localtime(now).date())
            starts = timezone.make_aware(dt.datetime.combine(order.service_date, order.window_start))
            if now > starts - dt.timedelta(hours=hours):
                raise WorkflowError(
                    _("服务开始前 %(h)d 小时内不能自行取消，请联系%(org)s或拨打热线")
                    % {"h": hours, "org": order.organisation.name if order.organisation else _("服务机构")},
                    allowed=[])
    _order_cancel(order=order, actor=actor, reason=reason or _("下单人取消"))
    return order


@transaction.atomic
def service_order_complete(*, actor, order: ServiceOrder) -> ServiceOrder:
    _require(actor, "orders.answer")
    _require_visible(actor, order)
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.ACCEPTED:
        raise WorkflowError(_("订单状态为“%(s)s”，不能标记完成") % {"s": order.get_status_display()},
                            allowed=_allowed_steps(order, actor))
    if order.service_date > timezone.localdate():
        raise ValidationError(_("服务日期 %(d)s 还没到，不能标记完成") % {"d": order.service_date.isoformat()})
    order.status = OrderStatus.DONE
    order.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="careplans.order_complete", subject=order,
                 changes={"status": [OrderStatus.ACCEPTED, OrderStatus.DONE]})
    return order


@transaction.atomic
def service_order_rate(*, actor, order: ServiceOrder, stars, comment: str = "") -> ServiceOrder:
    _require(actor, "orders.place")
    _require_visible(actor, order)
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.DONE:
        raise WorkflowError(_("服务完成后才能评价"), allowed=_allowed_steps(order, actor))
    if order.rating is not None:
        raise WorkflowError(_("这张订单已经评价过了"), allowed=[])
    try:
        stars = int(stars)
        if not 1 <= stars <= 5:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"stars": [_("评价请选择 1 到 5 颗星")]})
    days = policy_value("careplans.order.rating_days", region=order.elder.community, on=timezone.localdate())
    if (timezone.localdate() - timezone.localtime(order.updated_at).date()).days > days:
        raise WorkflowError(_("完成超过 %(n)d 天的订单不能再评价") % {"n": days}, allowed=[])
    order.rating, order.rating_comment, order.rated_at = stars, (comment or "").strip()[:300], timezone.now()
    order.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    audit.record(actor=actor, action="careplans.order_rate", subject=order,
                 changes={"rating": stars, "comment": order.rating_comment})
    return order


# --- daily work orders ----------------------------------------------------------------------------------------

def _new_summary() -> dict:
    return {"created": 0, "updated": 0, "unchanged": 0, "suppressed": 0, "cancelled": 0, "kept_dispatched": 0,
            "from_plans": 0, "from_orders": 0}


def _suppression(plan: CarePlan, day: dt.date, *, calendar, absences: list[ElderAbsence]) -> str:
    for absence in absences:
        if absence.starts_on <= day <= absence.ends_on:
            return _("老人%(kind)s（%(start)s 至 %(end)s）") % {
                "kind": absence.get_kind_display(), "start": absence.starts_on.isoformat(),
                "end": absence.ends_on.isoformat()}
    if not plan.serve_on_holidays and calendar.is_statutory_holiday(day) and policy_value(
            "careplans.work_orders.suppress_on_statutory_holidays", region=plan.elder.community, on=day):
        return _("法定节假日：%(name)s") % {"name": calendar.holiday_name(day) or ""}
    return ""


def _set_items(work_order: WorkOrder, lines) -> None:
    work_order.lines.all().delete()
    WorkOrderItem.objects.bulk_create([WorkOrderItem(work_order=work_order, item_id=item_id, quantity=quantity)
                                       for item_id, quantity in lines])


def _apply(work_order: WorkOrder | None, values: dict, lines, summary: dict, *, create: dict) -> WorkOrder:
    """Create or refresh a pending/suppressed work order; a dispatched one is cancelled and replaced only
    when what it asks for changed."""
    if work_order is not None and work_order.status in DISPATCHED:
        same = all(getattr(work_order, k) == v for k, v in values.items() if k != "status"
                   and k != "suppressed_reason") and values["status"] == WorkOrderStatus.PENDING
        if same:
            summary["kept_dispatched"] += 1
            return work_order
        reason = values["suppressed_reason"] or _("计划已调整，按新计划重新生成")
        WorkOrder.objects.filter(pk=work_order.pk).update(status=WorkOrderStatus.CANCELLED,
                                                          suppressed_reason=reason[:200], updated_at=timezone.now())
        summary["cancelled"] += 1
        work_order = None
    if work_order is None:
        work_order = WorkOrder.objects.create(**create, **values)
        _set_items(work_order, lines)
        summary["created"] += 1
    else:
        changed = [k for k, v in values.items() if getattr(work_order, k) != v]
        current_lines = sorted((line.item_id, line.quantity) for line in work_order.lines.all())
        if changed or current_lines != sorted(lines):
            for k in changed:
                setattr(work_order, k, values[k])
            work_order.save()
            _set_items(work_order, lines)
            summary["updated"] += 1
        else:
            summary["unchanged"] += 1
    if work_order.status == WorkOrderStatus.SUPPRESSED:
        summary["suppressed"] += 1
    return work_order


def _ensure_plan_work_order(visit: PlanVisit, day: dt.date, *, calendar, absences, summary: dict) -> WorkOrder:
    plan = visit.plan
    reason = _suppression(plan, day, calendar=calendar, absences=absences)
    lines = [(line.item_id, line.quantity) for line in visit.lines.all()]
    codes = [line.item.code for line in visit.lines.all()]
    values = {
        "organisation": plan.organisation, "window_start": visit.window_start, "window_end": visit.window_end,
        "fixed_time": visit.fixed_time, "duration_minutes": visit.duration_minutes,
        "required_qualification": required_qualification_of(codes),
        "preferred_caregiver": plan.preferred_caregiver, "preferred_gender": plan.preferred_gender,
        "dialect": plan.dialect, "priority": plan.care_level,
        "status": WorkOrderStatus.SUPPRESSED if reason else WorkOrderStatus.PENDING, "suppressed_reason": reason,
    }
    existing = (WorkOrder.objects.filter(plan_visit=visit, date=day).exclude(status=WorkOrderStatus.CANCELLED)
                .first())
    if existing is not None and existing.status in (WorkOrderStatus.STARTED, WorkOrderStatus.DONE):
        summary["kept_dispatched"] += 1
        return existing
    summary["from_plans"] += 1
    return _apply(existing, values, lines, summary,
                  create={"elder": plan.elder, "date": day, "source": WorkOrderSource.PLAN, "plan_visit": visit})


def _ensure_order_work_order(order: ServiceOrder, *, summary: dict) -> WorkOrder:
    from carecircle.catalog.models import ServiceItem

    lines = list(order.lines.values_list("item_id", "quantity"))
    items = ServiceItem.objects.filter(pk__in=[item_id for item_id, _q in lines])
    quantities = dict(lines)
    minutes = sum(int(item.standard_minutes * quantities[item.pk]) for item in items)
    window = int((dt.datetime.combine(dt.date.min, order.window_end)
                  - dt.datetime.combine(dt.date.min, order.window_start)).total_seconds() // 60)
    duration = max(1, min(minutes or window, window))
    plan = CarePlan.objects.filter(elder=order.elder, status=PlanStatus.ACTIVE).first()
    values = {
        "organisation": order.organisation, "window_start": order.window_start, "window_end": order.window_end,
        "fixed_time": False, "duration_minutes": duration,
        "required_qualification": required_qualification_of(items.values_list("code", flat=True)),
        "preferred_caregiver": plan.preferred_caregiver if plan and plan.organisation_id == order.organisation_id
        else None,
        "preferred_gender": plan.preferred_gender if plan else "", "dialect": plan.dialect if plan else "",
        "priority": 1, "status": WorkOrderStatus.PENDING, "suppressed_reason": "",
    }
    existing = WorkOrder.objects.filter(order=order, date=order.service_date).exclude(
        status=WorkOrderStatus.CANCELLED).first()
    if existing is not None and existing.status in (WorkOrderStatus.STARTED, WorkOrderStatus.DONE):
        summary["kept_dispatched"] += 1
        return existing
    summary["from_orders"] += 1
    return _apply(existing, values, lines, summary,
                  create={"elder": order.elder, "date": order.service_date, "source": WorkOrderSource.ORDER,
                          "order": order})


@transaction.atomic
def work_orders_generate(*, date: dt.date, organisation=None, actor=None) -> dict:
    """The day's work orders from the plans in force and the accepted orders (per provider, or all).

    Idempotent per (plan visit | order, date): a second run changes nothing; a changed plan refreshes
    pending orders and cancels (with the reason) dispatched ones it no longer matches; holidays and
    absences give suppressed rows with the reason."""
    from carecircle.core.workdays import Calendar

    if actor is not None:
        _require(actor, "workorders.generate")
        if actor.organisation_id and organisation is None:
            organisation = actor.organisation
        if organisation is not None:
            require_own_organisation(actor, organisation, _("只能为本机构生成工单。"))
    summary = _new_summary()
    calendar = Calendar.load()
    plans = (CarePlan.objects.filter(status__in=(PlanStatus.ACTIVE, PlanStatus.SUPERSEDED, PlanStatus.STOPPED),
                                     valid_from__lte=date, elder__status="active")
             .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=date))
             .select_related("elder__community", "organisation", "preferred_caregiver"))
    if organisation is not None:
        plans = plans.filter(organisation=organisation)
    plans = list(plans)
    absences_by_elder: dict[int, list] = {}
    for absence in ElderAbsence.objects.filter(elder_id__in=[p.elder_id for p in plans], cancelled=False,
                                               starts_on__lte=date, ends_on__gte=date):
        absences_by_elder.setdefault(absence.elder_id, []).append(absence)
    wanted_visits = set()
    for plan in plans:
        for visit in plan.visits.filter(weekday=date.weekday()).prefetch_related("lines__item"):
            wanted_visits.add(visit.pk)
            _ensure_plan_work_order(visit, date, calendar=calendar, absences=absences_by_elder.get(plan.elder_id, []),
                                    summary=summary)
    # Plan work orders of this day whose visit is no longer in force (plan edited, stopped, superseded).
    stale = WorkOrder.objects.filter(date=date, source=WorkOrderSource.PLAN,
                                     status__in=(*LIVE_WORK_ORDER, WorkOrderStatus.SUPPRESSED))
    if organisation is not None:
        stale = stale.filter(organisation=organisation)
    stale = stale.exclude(plan_visit_id__in=wanted_visits)
    summary["cancelled"] += stale.update(status=WorkOrderStatus.CANCELLED,
                                         suppressed_reason=_("照护计划已调整或停止，此次上门不再安排"),
                                         updated_at=timezone.now())
    orders = ServiceOrder.objects.filter(service_date=date, status=OrderStatus.ACCEPTED, elder__status="active")
    if organisation is not None:
        orders = orders.filter(organisation=organisation)
    for order in orders.select_related("elder", "organisation"):
        _ensure_order_work_order(order, summary=summary)
    WorkOrderRun.objects.create(date=date, organisation=organisation, summary=summary, created_by=actor)
    audit.record(actor=actor, action="careplans.work_orders_generate", subject=organisation,
                 subject_type="" if organisation is not None else "careplans.workorderrun",
                 subject_id="" if organisation is not None else date.isoformat(),
                 changes={"date": date, **summary})
    return summary
