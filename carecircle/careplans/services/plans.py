"""Care plans: made from the entitlement, edited by the provider, stopped, replaced on a new care level.

A plan's work orders follow through the workorders services: the ones nobody has started are cancelled
with the reason when a plan stops or is replaced; the next generation makes the new ones.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import require_own_organisation
from carecircle.core.languages import for_reader, in_every_language
from carecircle.core.money import to_money
from carecircle.core.workflow import IllegalStep
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrder, WorkOrderSource

from ..models import (
    PLAN_FLOW,
    CarePlan,
    OrderStatus,
    PlanChange,
    PlanChangeKind,
    PlanStatus,
    PlanVisit,
    PlanVisitItem,
    ServiceOrder,
    StopReason,
    VisitFunding,
    Weekday,
)
from .common import LTCI, _hhmm, _list, _require, _require_visible, elder_entitlement, serving_providers
from .orders import _order_cancel
from .visits import PlanPreview, VisitSpec, clean_visits, default_visits, plan_preview

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
        existing = CarePlan.objects.filter(elder=elder, programme=programme, status=PlanStatus.ACTIVE).first()
        raise IllegalStep(_("%(name)s 已有执行中的照护计划，请调整现有计划") % {"name": elder.name},
                          allowed=PLAN_FLOW.allowed_actions(existing, actor))
    prefs = _clean_preferences(organisation=organisation, values=preferences)
    entitlement = elder_entitlement(elder, programme=programme, on=on)
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
    explanation = in_every_language(lambda: _(
        "按 %(level)d 级待遇制定照护计划（每周 %(n)d 次、每次 %(m)d 分钟），由%(org)s提供：%(visits)s。"
        "每周费用 %(total)s 元，其中基金 %(fund)s 元、补贴 %(subsidy)s 元、个人自付 %(self)s 元。") % {
        "level": entitlement.care_level, "n": entitlement.visits_per_week, "m": entitlement.minutes_per_visit,
        "org": organisation.name, "visits": _describe_visits(preview), "total": to_money(preview.weekly_total),
        "fund": to_money(preview.weekly_fund), "subsidy": to_money(preview.weekly_subsidy),
        "self": to_money(preview.weekly_self_pay)})
    _plan_change(plan=plan, kind=PlanChangeKind.CREATED, effective=on, texts=explanation,
                 details={"visits": _visit_snapshot(preview)}, actor=actor)
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
    PLAN_FLOW.check(plan, actor, "care_plan_update",
                    message=_("计划状态为“%(s)s”，不能再调整") % {"s": plan.get_status_display()})
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
    def edited() -> str:
        text = _("%(org)s调整了照护计划，自 %(on)s 起：%(visits)s。每周个人自付 %(self)s 元。") % {
            "org": plan.organisation.name, "on": on.isoformat(), "visits": _describe_visits(preview),
            "self": to_money(preview.weekly_self_pay)}
        if reason.strip():
            text += _("原因：%(reason)s") % {"reason": reason.strip()}
        return text

    _plan_change(plan=plan, kind=PlanChangeKind.EDITED, effective=on, texts=in_every_language(edited),
                 details={"visits": _visit_snapshot(preview)}, actor=actor)
    audit.record(actor=actor, action="careplans.plan_update", subject=plan, reason=reason,
                 changes={"before": {"plan": before["plan"], "visits": len(before["visits"])},
                          "after": {"plan": audit.snapshot(plan, list(PREFERENCE_FIELDS)),
                                    "visits": _visit_snapshot(preview)}})
    return plan


def _plan_change(*, plan, kind, effective, texts: dict, details: dict, actor) -> PlanChange:
    """The change explained in every language the site speaks; `explanation` keeps the reader's at the time."""
    return PlanChange.objects.create(plan=plan, kind=kind, effective=effective, explanation=for_reader(texts),
                                     explanation_texts=texts, details=details, created_by=actor)


def _cancel_future_work(*, actor, plan: CarePlan | None = None, elder=None, since: dt.date, reason: str,
                        orders_too: bool = False) -> int:
    """Work orders from `since` that nobody has started yet are cancelled with the reason (the board shows it)."""
    queryset = WorkOrder.objects.filter(date__gte=since)
    if plan is not None:
        queryset = queryset.filter(plan_visit__plan=plan)
    else:
        queryset = queryset.filter(elder=elder)
        if not orders_too:
            queryset = queryset.filter(source=WorkOrderSource.PLAN)
    return work_orders.work_orders_cancel(actor=actor, work_orders=queryset, reason=reason)


@transaction.atomic
def care_plan_stop(*, actor, plan: CarePlan, reason: str, on: dt.date, explanation: str = "",
                   explanation_texts: dict | None = None) -> CarePlan:
    """Ends the plan the day before `on`; visits from `on` are cancelled with the reason. Explained to the
    provider and the family on their pages."""
    _require(actor, "careplans.change")
    _require_visible(actor, plan)
    if reason not in StopReason.values:
        raise ValidationError({"reason": [_("停止原因无效")]})
    plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
    PLAN_FLOW.check(plan, actor, "care_plan_stop",
                    message=_("计划状态为“%(s)s”，不能停止") % {"s": plan.get_status_display()})
    if on < plan.valid_from:
        on = plan.valid_from
    def stopped(cancelled: int = 0) -> str:
        words = _("照护计划自 %(on)s 起停止：%(reason)s。") % {"on": on.isoformat(), "reason": StopReason(reason).label}
        if explanation_texts:
            words += for_reader(explanation_texts)
        elif explanation.strip():
            words += explanation.strip()
        if cancelled:
            words += _("已取消 %(n)d 个未开始的上门工单。") % {"n": cancelled}
        return words

    text = stopped()
    before = audit.snapshot(plan, ["status", "valid_until", "stop_reason"])
    plan.status, plan.stop_reason = PlanStatus.STOPPED, reason
    plan.valid_until = max(plan.valid_from, on - dt.timedelta(days=1))
    plan.save(update_fields=["status", "stop_reason", "valid_until", "updated_at"])
    cancelled = _cancel_future_work(actor=actor, plan=plan, since=on, reason=text)
    texts = in_every_language(lambda: stopped(cancelled))
    text = for_reader(texts)
    _plan_change(plan=plan, kind=PlanChangeKind.STOPPED, effective=on, texts=texts,
                 details={"reason": reason, "cancelled_work_orders": cancelled}, actor=actor)
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
    _cancel_future_work(actor=None, elder=elder, since=stop_on, reason=text, orders_too=True)
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
    entitlement = elder_entitlement(elder, programme=programme, on=effective)
    old_level = plan.care_level  # the level the plan was made for is the one the family knows
    if entitlement is not None and (entitlement.care_level, entitlement.visits_per_week,
                                    entitlement.minutes_per_visit) == (plan.care_level, plan.visits_per_week_entitled,
                                                                       plan.minutes_per_visit_entitled):
        return plan  # the same entitlement (e.g. a re-assessment confirming the level): nothing changes
    if entitlement is None:
        care_plan_stop(actor=None, plan=plan, reason=StopReason.NOT_ELIGIBLE, on=effective,
                       explanation_texts=in_every_language(
                           lambda: _("新照护等级为 %(level)s 级，不在长护险居家照护待遇范围内。") % {"level": new_level}))
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
    def level_changed() -> str:
        parts = [_("照护等级由 %(old)s 级变为 %(new)d 级（自 %(on)s 起），待遇为每周 %(n)d 次、每次 %(m)d 分钟。")
                 % {"old": old_level if old_level is not None else "—", "new": entitlement.care_level,
                    "on": start.isoformat(), "n": entitlement.visits_per_week, "m": minutes}]
        if added:
            parts.append(_("新增上门：%(v)s。") % {"v": _list(
                f"{Weekday(s.weekday).label} {_hhmm(s.window_start)}–{_hhmm(s.window_end)}" for s in added)})
        if dropped > 0:
            parts.append(_("减少 %(n)d 次上门。") % {"n": dropped})
        parts.append(_("新计划：%(v)s。") % {"v": _describe_visits(preview)})
        return "".join(parts)

    texts = in_every_language(level_changed)
    text = for_reader(texts)
    _plan_change(plan=new_plan, kind=PlanChangeKind.LEVEL_CHANGED, effective=start, texts=texts,
                 details={"old_level": old_level, "new_level": new_level, "replaces": plan.pk,
                          "visits": _visit_snapshot(preview)}, actor=actor)
    # Undispatched work orders of the old plan from the new date are re-generated from the new plan.
    _cancel_future_work(actor=None, plan=plan, since=start, reason=text[:200])
    audit.record(actor=actor, action="careplans.plan_level_change", subject=new_plan, reason=text,
                 changes={"replaces": plan.pk, "old_level": old_level, "new_level": new_level,
                          "visits": _visit_snapshot(preview)})
    return new_plan
