"""Writes of work orders: the daily generation and every status step.

Every function is keyword-only, runs in one transaction and records an audit event per work order it
changes. A step the work order's state (or the actor's role) does not allow raises
`core.workflow.IllegalStep` (HTTP 409 in every API); bad input raises ValidationError.

The single-order services (`work_order_<verb>`) refuse an illegal step. The bulk ones (`work_orders_<verb>`)
take a selection and step every order of it that the step applies to, leaving the others as they are
(a plan stop cancels what nobody has started; a publish leaves visits under way alone); they are called by
other apps' services that have already checked the actor against the plan, order or dispatch plan the
selection belongs to.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit, locks
from carecircle.core.isolation import is_visible, require_own_organisation
from carecircle.core.policy import policy_value
from carecircle.core.roles import has_capability
from carecircle.core.workflow import IllegalStep

from .models import (
    PLANNABLE,
    UNDER_WAY,
    WORK_ORDER_FLOW,
    WorkOrder,
    WorkOrderItem,
    WorkOrderRun,
    WorkOrderSource,
    WorkOrderStatus,
)

NURSE = "registered_nurse"
# One generation of a day at a time (core/locks.py), and no single order's work order made during one.
GENERATION_LOCK = "workorders.generate"
# What publishing writes to a work order (and audits).
PUBLISHED_FIELDS = ["caregiver", "planned_start", "status"]


def _require_visible(actor, obj) -> None:
    if actor is not None and not is_visible(actor, obj):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


def _locked(work_order: WorkOrder) -> WorkOrder:
    return (WorkOrder.objects.select_for_update(of=("self",)).select_related("elder__community")
            .get(pk=work_order.pk))


def _permitted(actor, action: str, sample: WorkOrder | None = None) -> None:
    """A bulk step still needs an actor who may take it (the state is checked order by order)."""
    step = WORK_ORDER_FLOW.by_action[action]
    if not step.permits(actor):
        if sample is not None:
            WORK_ORDER_FLOW.check(sample, actor, action)  # names what this actor may do instead
        raise IllegalStep(_("您不能对工单执行“%(step)s”") % {"step": step.label}, allowed=[])


def _record(*, actor, action: str, work_order: WorkOrder, old: dict, reason: str = "", extra: dict | None = None):
    new = audit.snapshot(work_order, fields=list(old))
    audit.record(actor=actor, action=f"workorders.work_order_{action}", subject=work_order, reason=reason,
                 changes={**audit.diff(old, new), **(extra or {})})


def _step_many(*, actor, work_orders, action: str, reason: str = "", values: dict | None = None,
               extra: dict | None = None) -> list[WorkOrder]:
    """Every order of the selection in one of the step's source states takes the step: one UPDATE, one audit
    event per order."""
    step = WORK_ORDER_FLOW.by_action[action]
    values = dict(values or {})
    changed = list(work_orders.filter(status__in=step.source).select_for_update(of=("self",))
                   .select_related("elder__community"))
    if not changed:
        return []
    _permitted(actor, action, changed[0])
    fields = ["status", *values]
    olds = {order.pk: audit.snapshot(order, fields=fields + (["suppressed_reason"] if reason else []))
            for order in changed}
    if reason:
        values["suppressed_reason"] = reason[:200]
    now = timezone.now()
    WorkOrder.objects.filter(pk__in=[o.pk for o in changed]).update(status=step.target, updated_at=now, **values)
    for order in changed:
        order.status, order.updated_at = step.target, now
        for name, value in values.items():
            setattr(order, name, value)
        _record(actor=actor, action=action, work_order=order, old=olds[order.pk], reason=reason, extra=extra)
    return changed


def _step_one(*, actor, work_order: WorkOrder, action: str, reason: str = "", values: dict | None = None,
              extra: dict | None = None, require=None, locked: bool = False) -> WorkOrder:
    if not locked:
        _require_visible(actor, work_order)
        work_order = _locked(work_order)
    if require is not None and not locked:
        require(actor, work_order)  # a condition on the order as it is now, not as the caller last read it
    reason = (reason or "").strip()
    step = WORK_ORDER_FLOW.check(work_order, actor, action, reason=reason)
    values = dict(values or {})
    if step.needs_reason:
        values["suppressed_reason"] = reason[:200]
    old = audit.snapshot(work_order, fields=["status", *values])
    work_order.status = step.target
    for name, value in values.items():
        setattr(work_order, name, value)
    work_order.save(update_fields=["status", *values, "updated_at"])
    _record(actor=actor, action=action, work_order=work_order, old=old, reason=reason, extra=extra)
    return work_order


# --- status steps: one work order ---------------------------------------------------------------------------

@transaction.atomic
def work_order_schedule(*, actor, work_order: WorkOrder, plan=None) -> WorkOrder:
    """A dispatch plan places the visit: regenerating the day leaves it be from now on."""
    return _step_one(actor=actor, work_order=work_order, action="schedule",
                     extra={"plan": plan.pk} if plan is not None else None)


@transaction.atomic
def work_order_unschedule(*, actor, work_order: WorkOrder, plan=None) -> WorkOrder:
    """The visit left the plan: back to the orders waiting for a caregiver."""
    return _step_one(actor=actor, work_order=work_order, action="unschedule",
                     values={"caregiver": None, "planned_start": None},
                     extra={"plan": plan.pk} if plan is not None else None)


@transaction.atomic
def work_order_publish(*, actor, work_order: WorkOrder, caregiver, planned_start: dt.datetime) -> WorkOrder:
    """The caregiver and start time are written and the caregiver sees the visit on their day."""
    if caregiver is None or planned_start is None:
        raise ValidationError(_("发布工单须指定护理员和计划开始时间"))
    if caregiver.organisation_id != work_order.organisation_id:
        raise PermissionDenied(_("只能安排本机构的护理员。"))
    return _step_one(actor=actor, work_order=work_order, action="publish",
                     values={"caregiver": caregiver, "planned_start": planned_start})


# `locked=True`: the caller holds the order's row lock in the current transaction and has checked, on the
# locked row, that it is within the actor's scope and that the actor is its assigned caregiver (the visit steps
# do all of it first); the order is then not read, locked and checked a second time.

@transaction.atomic
def work_order_start(*, actor, work_order: WorkOrder, locked: bool = False) -> WorkOrder:
    """The caregiver begins the visit (the assigned caregiver, or their provider on their behalf)."""
    return _step_one(actor=actor, work_order=work_order, action="start", require=_require_own_visit, locked=locked)


@transaction.atomic
def work_order_complete(*, actor, work_order: WorkOrder, locked: bool = False) -> WorkOrder:
    return _step_one(actor=actor, work_order=work_order, action="complete", require=_require_own_visit,
                     locked=locked)


@transaction.atomic
def work_order_not_home(*, actor, work_order: WorkOrder, locked: bool = False) -> WorkOrder:
    """The caregiver came and nobody opened: the order leaves the day's open visits, recorded, never billed."""
    return _step_one(actor=actor, work_order=work_order, action="not_home", require=_require_own_visit,
                     locked=locked)


def _require_own_visit(actor, work_order: WorkOrder) -> None:
    if actor is None or has_capability(actor, "dispatch.change"):
        return
    from carecircle.providers.models import StaffMember

    mine = StaffMember.objects.filter(user=actor).values_list("pk", flat=True)
    if work_order.caregiver_id is None or work_order.caregiver_id not in set(mine):
        raise PermissionDenied(_("只能开始或完成安排给自己的上门。"))


@transaction.atomic
def work_order_cancel(*, actor, work_order: WorkOrder, reason: str) -> WorkOrder:
    """Nobody will visit: the reason stays beside the order on the board and the list."""
    return _step_one(actor=actor, work_order=work_order, action="cancel", reason=reason)


@transaction.atomic
def work_order_suppress(*, actor, work_order: WorkOrder, reason: str) -> WorkOrder:
    """The visit is paused (the elder is away, a holiday): kept with the reason, not visited."""
    return _step_one(actor=actor, work_order=work_order, action="suppress", reason=reason)


# --- status steps: a selection (the dispatch board, plan and order changes) ---------------------------------

@transaction.atomic
def work_orders_schedule(*, actor, work_orders, plan=None) -> int:
    """The pending orders of the selection are placed by `plan`."""
    return len(_step_many(actor=actor, work_orders=work_orders, action="schedule",
                          extra={"plan": plan.pk} if plan is not None else None))


@transaction.atomic
def work_orders_unschedule(*, actor, work_orders, plan=None) -> int:
    """The scheduled or published orders of the selection return to pending, without caregiver or time."""
    return len(_step_many(actor=actor, work_orders=work_orders, action="unschedule",
                          values={"caregiver": None, "planned_start": None},
                          extra={"plan": plan.pk} if plan is not None else None))


@transaction.atomic
def work_orders_publish(*, actor, assignments) -> int:
    """`assignments` is [(work_order, caregiver, planned_start)]: each order still on the board is published
    to its caregiver; orders under way, cancelled or suppressed are left as they are. Orders whose caregiver,
    time and status are already those are not written again. Returns how many changed."""
    wanted = {order.pk: (caregiver, start) for order, caregiver, start in assignments}
    if not wanted:
        return 0
    step = WORK_ORDER_FLOW.by_action["publish"]
    orders = list(WorkOrder.objects.filter(pk__in=list(wanted), status__in=step.source)
                  .select_for_update(of=("self",)).select_related("elder__community"))
    if orders:
        _permitted(actor, "publish", orders[0])
    changed, olds = [], {}
    for order in orders:
        caregiver, start = wanted[order.pk]
        if caregiver is None or start is None or caregiver.organisation_id != order.organisation_id:
            raise PermissionDenied(_("只能安排本机构的护理员。"))
        if (order.caregiver_id, order.planned_start, order.status) == (caregiver.pk, start, step.target):
            continue
        olds[order.pk] = audit.snapshot(order, fields=PUBLISHED_FIELDS)
        order.caregiver, order.planned_start, order.status = caregiver, start, step.target
        changed.append(order)
    now = timezone.now()
    for order in changed:
        order.updated_at = now
    WorkOrder.objects.bulk_update(changed, ["caregiver", "planned_start", "status", "updated_at"], batch_size=500)
    for order in changed:
        _record(actor=actor, action="publish", work_order=order, old=olds[order.pk])
    return len(changed)


@transaction.atomic
def work_orders_cancel(*, actor, work_orders, reason: str) -> int:
    """Every order of the selection that nobody has started is cancelled with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("取消工单须填写理由")]})
    return len(_step_many(actor=actor, work_orders=work_orders, action="cancel", reason=reason))


# --- generation ---------------------------------------------------------------------------------------------

def required_qualification_of(codes) -> str:
    """The qualification a caregiver needs for these items (a registered nurse outranks any other)."""
    from carecircle.catalog.models import ServiceItem

    qualifications = set(ServiceItem.objects.filter(code__in=list(codes)).exclude(required_qualification="")
                         .values_list("required_qualification", flat=True))
    if NURSE in qualifications:
        return NURSE
    return sorted(qualifications)[0] if qualifications else ""


def _new_summary() -> dict:
    return {"created": 0, "updated": 0, "unchanged": 0, "suppressed": 0, "cancelled": 0, "kept_dispatched": 0,
            "from_plans": 0, "from_orders": 0}


def _suppression(plan, day: dt.date, *, calendar, absences) -> str:
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


def _apply(work_order: WorkOrder | None, values: dict, lines, summary: dict, *, create: dict, actor) -> WorkOrder:
    """Create or refresh a pending/suppressed work order; a dispatched one is cancelled and replaced only
    when what it asks for changed. `values["status"]` is pending, or suppressed with the reason."""
    if work_order is not None and work_order.status in (WorkOrderStatus.SCHEDULED, WorkOrderStatus.PUBLISHED):
        same = all(getattr(work_order, k) == v for k, v in values.items() if k != "status"
                   and k != "suppressed_reason") and values["status"] == WorkOrderStatus.PENDING
        if same:
            summary["kept_dispatched"] += 1
            return work_order
        reason = values["suppressed_reason"] or _("计划已调整，按新计划重新生成")
        work_orders_cancel(actor=actor, work_orders=WorkOrder.objects.filter(pk=work_order.pk), reason=reason)
        summary["cancelled"] += 1
        work_order = None
    if work_order is None:
        work_order = WorkOrder.objects.create(**create, **values)
        _set_items(work_order, lines)
        summary["created"] += 1
    else:
        # A pending or suppressed order follows its plan: suppressed for the reason given, or pending again
        # (the generator is this app's own writer; the step table allows both ways).
        if values["status"] != work_order.status:
            action = "suppress" if values["status"] == WorkOrderStatus.SUPPRESSED else "resume"
            WORK_ORDER_FLOW.check(work_order, None, action, reason=values["suppressed_reason"])
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


def _ensure_plan_work_order(visit, day: dt.date, *, calendar, absences, summary: dict, actor) -> WorkOrder:
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
    if existing is not None and existing.status in UNDER_WAY:
        summary["kept_dispatched"] += 1
        return existing
    summary["from_plans"] += 1
    return _apply(existing, values, lines, summary, actor=actor,
                  create={"elder": plan.elder, "date": day, "source": WorkOrderSource.PLAN, "plan_visit": visit})


def _ensure_order_work_order(order, *, summary: dict, actor) -> WorkOrder:
    from carecircle.careplans.models import CarePlan, PlanStatus
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
    if existing is not None and existing.status in UNDER_WAY:
        summary["kept_dispatched"] += 1
        return existing
    summary["from_orders"] += 1
    return _apply(existing, values, lines, summary, actor=actor,
                  create={"elder": order.elder, "date": order.service_date, "source": WorkOrderSource.ORDER,
                          "order": order})


@transaction.atomic
def work_order_for_order(*, actor, order) -> WorkOrder | None:
    """The work order of an accepted on-demand order, made at once when its day's orders already exist."""
    from carecircle.careplans.models import OrderStatus, ServiceOrder

    order = ServiceOrder.objects.filter(pk=order.pk, status=OrderStatus.ACCEPTED).select_related(
        "elder", "organisation").first()
    if order is None:
        return None
    locks.hold(GENERATION_LOCK, order.service_date)  # not while the day is being generated
    summary = _new_summary()
    work_order = _ensure_order_work_order(order, summary=summary, actor=actor)
    audit.record(actor=actor, action="workorders.work_order_from_order", subject=work_order,
                 changes={"order": order.pk, "summary": summary})
    return work_order


@transaction.atomic
def work_orders_generate(*, date: dt.date, organisation=None, actor=None) -> dict:
    """The day's work orders from the plans in force and the accepted orders (per provider, or all).

    Idempotent per (plan visit | order, date): a second run changes nothing; a changed plan refreshes
    pending orders and cancels (with the reason) dispatched ones it no longer matches; holidays and
    absences give suppressed rows with the reason. Two runs for one day at once (whatever their providers)
    run one after the other: the second finds what the first made."""
    from carecircle.careplans.models import CarePlan, ElderAbsence, OrderStatus, PlanStatus, ServiceOrder
    from carecircle.core.workdays import Calendar

    if actor is not None:
        if not has_capability(actor, "workorders.generate"):
            raise PermissionDenied(_("您没有执行此操作的权限。"))
        if actor.organisation_id and organisation is None:
            organisation = actor.organisation
        if organisation is not None:
            require_own_organisation(actor, organisation, _("只能为本机构生成工单。"))
    locks.hold(GENERATION_LOCK, date)
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
                                    summary=summary, actor=actor)
    # Plan work orders of this day whose visit is no longer in force (plan edited, stopped, superseded).
    stale = WorkOrder.objects.filter(date=date, source=WorkOrderSource.PLAN)
    if organisation is not None:
        stale = stale.filter(organisation=organisation)
    stale = stale.exclude(plan_visit_id__in=wanted_visits)
    summary["cancelled"] += work_orders_cancel(actor=actor, work_orders=stale,
                                               reason=_("照护计划已调整或停止，此次上门不再安排"))
    orders = ServiceOrder.objects.filter(service_date=date, status=OrderStatus.ACCEPTED, elder__status="active")
    if organisation is not None:
        orders = orders.filter(organisation=organisation)
    for order in orders.select_related("elder", "organisation"):
        _ensure_order_work_order(order, summary=summary, actor=actor)
    WorkOrderRun.objects.create(date=date, organisation=organisation, summary=summary, created_by=actor)
    audit.record(actor=actor, action="workorders.generate", subject=organisation,
                 subject_type="" if organisation is not None else "workorders.workorderrun",
                 subject_id="" if organisation is not None else date.isoformat(),
                 changes={"date": date, **summary})
    return summary


__all__ = [
    "PLANNABLE", "PUBLISHED_FIELDS", "required_qualification_of", "work_order_cancel", "work_order_complete",
    "work_order_for_order", "work_order_publish", "work_order_schedule", "work_order_start", "work_order_suppress",
    "work_order_unschedule", "work_orders_cancel", "work_orders_generate", "work_orders_publish",
    "work_orders_schedule", "work_orders_unschedule",
]
