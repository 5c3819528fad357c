"""Writes of the dispatch board: shifts, optimising a day, manual moves, publishing and re-planning.

Every function is keyword-only, runs in one transaction and records an audit event. A step the plan's state
does not allow raises `core.workflow.IllegalStep` (HTTP 409 in the API, naming what is allowed; the step
table is `models.PLAN_FLOW`); bad input raises ValidationError. Work orders change only through the
workorders services (schedule, unschedule, publish).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from carecircle.core import audit
from carecircle.core.isolation import acts_for, is_visible
from carecircle.core.jobs import job_progress, job_start
from carecircle.core.policy import policy_value
from carecircle.core.roles import has_capability
from carecircle.core.workflow import IllegalStep
from carecircle.engines.routing import (
    Route,
    Solution,
    Stop,
    Unscheduled,
    check,
    evaluate,
    place_unscheduled,
    replan,
    solve,
)
from carecircle.providers.models import Certificate, StaffMember
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import ON_BOARD, PLANNABLE, UNDER_WAY, WorkOrder, WorkOrderStatus

from . import problem as adapter
from .models import (
    PLAN_FLOW,
    WARNING_DIALECT,
    WARNING_PREFERRED,
    DispatchPlan,
    DispatchStop,
    PlaceKind,
    PlanStatus,
    Shift,
    TravelMode,
    warning_text,
)

OPTIMISE_JOB = "dispatch.optimise"
_COORD = Decimal("0.000001")


def _require(actor, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_visible(actor, obj) -> None:
    if not is_visible(actor, obj):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


def _organisation_of(actor, organisation=None):
    """The provider an actor plans for: their own organisation (superusers name one)."""
    if organisation is None:
        organisation = getattr(actor, "organisation", None)
    if organisation is None:
        raise ValidationError(_("请指定服务机构。"))
    if not actor.is_superuser and not acts_for(actor, organisation):
        raise PermissionDenied(_("只能为本机构排班派单。"))
    return organisation


# --- shifts -------------------------------------------------------------------------------------------

def _coordinate(value, name: str, low: int, high: int, errors: dict):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append(_("“%(value)s”不是有效的坐标数值") % {"value": value})
        return None
    if not low <= number <= high:
        errors.setdefault(name, []).append(_("坐标超出范围（%(low)s 到 %(high)s）") % {"low": low, "high": high})
        return None
    return number.quantize(_COORD)


def _place(prefix: str, kind, facility, lat, lng, organisation, errors: dict):
    if kind not in PlaceKind.values:
        errors.setdefault(f"{prefix}_kind", []).append(_("地点类型只能是住所或机构/设施"))
        return kind, None, None, None
    if kind == PlaceKind.FACILITY:
        if facility is None:
            errors.setdefault(f"{prefix}_facility", []).append(_("请选择本机构的设施"))
            return kind, None, None, None
        if facility.organisation_id != organisation.pk:
            errors.setdefault(f"{prefix}_facility", []).append(_("只能选择本机构运营的设施"))
            return kind, None, None, None
        return kind, facility, facility.lat, facility.lng
    if lat in (None, "") or lng in (None, ""):
        errors.setdefault(f"{prefix}_lat", []).append(_("从住所出发或回到住所时，须填写住所的纬度和经度"))
        return kind, None, None, None
    return kind, None, _coordinate(lat, f"{prefix}_lat", -90, 90, errors), _coordinate(lng, f"{prefix}_lng", -180, 180, errors)


def _policy_hours(organisation, day) -> Decimal:
    return Decimal(str(policy_value("dispatch.max_daily_hours", region=organisation.region, on=day)))


def shift_create(*, actor, caregiver: StaffMember, date: dt.date, start_time: dt.time, end_time: dt.time,
                 travel_mode: str = TravelMode.EBIKE, start_kind: str = PlaceKind.HOME, start_facility=None,
                 start_lat=None, start_lng=None, end_kind: str = PlaceKind.HOME, end_facility=None, end_lat=None,
                 end_lng=None, lunch_earliest: dt.time | None = None, lunch_latest: dt.time | None = None,
                 lunch_minutes: int | None = None, max_hours=None, note: str = "") -> Shift:
    _require(actor, "dispatch.change")
    _require_visible(actor, caregiver)
    organisation = _organisation_of(actor, caregiver.organisation)
    errors: dict[str, list] = {}
    if not caregiver.is_active:
        errors.setdefault("caregiver", []).append(_("%(name)s 已离职，不能排班") % {"name": caregiver.name})
    if end_time <= start_time:
        errors.setdefault("end_time", []).append(_("下班时间必须晚于上班时间"))
    if travel_mode not in TravelMode.values:
        errors.setdefault("travel_mode", []).append(_("出行方式只能是步行或电动自行车"))
    start_kind, start_facility, start_lat, start_lng = _place("start", start_kind, start_facility, start_lat,
                                                              start_lng, organisation, errors)
    end_kind, end_facility, end_lat, end_lng = _place("end", end_kind, end_facility, end_lat, end_lng,
                                                      organisation, errors)
    if lunch_minutes is None:
        lunch_minutes = policy_value("dispatch.lunch.minutes", region=organisation.region, on=date)
    if lunch_minutes < 0:
        errors.setdefault("lunch_minutes", []).append(_("午休时长不能为负数"))
    if lunch_minutes and (lunch_earliest is None or lunch_latest is None):
        window = [dt.time.fromisoformat(policy_value(key, region=organisation.region, on=date))
                  for key in ("dispatch.lunch.earliest", "dispatch.lunch.latest")]
        lunch_earliest = lunch_earliest or window[0]
        lunch_latest = lunch_latest or window[1]
    if lunch_minutes and lunch_earliest and lunch_latest:
        if lunch_latest < lunch_earliest:
            errors.setdefault("lunch_latest", []).append(_("午休最晚开始时间不能早于最早开始时间"))
        elif end_time > start_time and not (start_time <= lunch_earliest and lunch_latest <= end_time):
            # A shift that does not span the lunch window simply has no break.
            lunch_minutes, lunch_earliest, lunch_latest = 0, None, None
    if not lunch_minutes:
        lunch_earliest = lunch_latest = None
    limit = _policy_hours(organisation, date)
    if max_hours in (None, ""):
        max_hours = limit
    try:
        max_hours = Decimal(str(max_hours))
    except InvalidOperation:
        errors.setdefault("max_hours", []).append(_("最长工作小时必须是数字"))
    else:
        if max_hours <= 0:
            errors.setdefault("max_hours", []).append(_("最长工作小时必须大于 0"))
        elif max_hours > limit:
            errors.setdefault("max_hours", []).append(
                _("最长工作小时不能超过每日上限 %(limit)s 小时") % {"limit": limit.normalize()})
    if Shift.objects.filter(caregiver=caregiver, date=date).exists():
        errors.setdefault("date", []).append(
            _("%(name)s 在 %(date)s 已有班次") % {"name": caregiver.name, "date": date.isoformat()})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        shift = Shift.objects.create(
            organisation=organisation, caregiver=caregiver, date=date, start_time=start_time, end_time=end_time,
            lunch_earliest=lunch_earliest, lunch_latest=lunch_latest, lunch_minutes=lunch_minutes,
            start_kind=start_kind, start_facility=start_facility, start_lat=start_lat, start_lng=start_lng,
            end_kind=end_kind, end_facility=end_facility, end_lat=end_lat, end_lng=end_lng,
            travel_mode=travel_mode, max_hours=max_hours, note=note, created_by=actor,
        )
        audit.record(actor=actor, action="dispatch.shift_create", subject=shift,
                     changes=audit.snapshot(shift))
    return shift


def shift_delete(*, actor, shift: Shift, reason: str = "") -> None:
    _require(actor, "dispatch.change")
    _require_visible(actor, shift)
    if DispatchStop.objects.filter(shift=shift, plan__status=PlanStatus.PUBLISHED).exists():
        raise IllegalStep(_("该班次已有发布的上门安排，不能删除；请用“病假/离岗重排”把剩余上门转给他人。"),
                          allowed=["replan"])
    with transaction.atomic():
        snapshot = audit.snapshot(shift)
        audit.record(actor=actor, action="dispatch.shift_delete", subject=shift, changes=snapshot, reason=reason)
        # Its visits stay on the board, as unscheduled, until they are moved or the day is optimised again.
        DispatchStop.objects.filter(shift=shift).update(shift=None, planned_start=None, planned_end=None,
                                                        travel_seconds=0, unscheduled_reason=gettext_noop("护理员的班次已删除"))
        shift.delete()


def shifts_copy_last_week(*, actor, date: dt.date, organisation=None) -> dict:
    """Copy the shifts of the same weekday last week to `date`, for caregivers who have none that day."""
    _require(actor, "dispatch.change")
    organisation = _organisation_of(actor, organisation)
    source = date - dt.timedelta(days=7)
    created, skipped = 0, 0
    with transaction.atomic():
        taken = set(Shift.objects.filter(organisation=organisation, date=date).values_list("caregiver_id", flat=True))
        for old in Shift.objects.filter(organisation=organisation, date=source).select_related("caregiver"):
            if old.caregiver_id in taken or not old.caregiver.is_active:
                skipped += 1
                continue
            shift = Shift.objects.create(
                organisation=organisation, caregiver=old.caregiver, date=date, start_time=old.start_time,
                end_time=old.end_time, lunch_earliest=old.lunch_earliest, lunch_latest=old.lunch_latest,
                lunch_minutes=old.lunch_minutes, start_kind=old.start_kind, start_facility=old.start_facility,
                start_lat=old.start_lat, start_lng=old.start_lng, end_kind=old.end_kind, end_facility=old.end_facility,
                end_lat=old.end_lat, end_lng=old.end_lng, travel_mode=old.travel_mode, max_hours=old.max_hours,
                note=old.note, created_by=actor,
            )
            audit.record(actor=actor, action="dispatch.shift_copy", subject=shift,
                         changes={"from": old.pk, **audit.snapshot(shift)})
            created += 1
    return {"created": created, "skipped": skipped, "source": source}


# --- loading a day ------------------------------------------------------------------------------------

def day_work_orders(organisation, day: dt.date, statuses=ON_BOARD):
    return (WorkOrder.objects.filter(organisation=organisation, date=day, status__in=statuses)
            .select_related("elder", "preferred_caregiver", "caregiver")
            .prefetch_related("excluded_caregivers")
            .order_by("window_start", "id"))


def day_shifts(organisation, day: dt.date):
    return (Shift.objects.filter(organisation=organisation, date=day)
            .select_related("caregiver")
            .prefetch_related(Prefetch("caregiver__certificates", queryset=Certificate.objects.all()))
            .order_by("start_time", "caregiver__name", "id"))


def _with_exclusions(orders):
    orders = list(orders)
    for order in orders:
        order.excluded_ids = {s.pk for s in order.excluded_caregivers.all()}
    return orders


def build_day(plan: DispatchPlan, *, statuses=ON_BOARD, clip_off: bool = True) -> adapter.Built:
    settings = adapter.Settings.load(region=plan.organisation.region, on=plan.date)
    shifts = list(day_shifts(plan.organisation, plan.date))
    if not clip_off:
        for shift in shifts:
            shift.off_from = None
    return adapter.build_problem(day=plan.date, work_orders=_with_exclusions(day_work_orders(
        plan.organisation, plan.date, statuses)), shifts=shifts, settings=settings)


def _figures(built: adapter.Built, solution: Solution, *, extra: dict | None = None) -> dict:
    figures = evaluate(built.problem, solution).as_dict()
    violations = check(built.problem, solution)
    result = {
        "visits": len(built.problem.visits) + len(built.excluded),
        "scheduled": sum(len(r.stops) for r in solution.routes),
        "unscheduled": len(solution.unscheduled) + len(built.excluded),
        "caregivers": figures["vehicles"],
        "travel_minutes": round(figures["travel_time"] / 60, 1),
        "distance_km": round(figures["distance"] / 1000, 2),
        "not_preferred": evaluate(built.problem, solution).not_preferred,
        "violations": len(violations),
        "routes": {r.caregiver_id: {"departure": r.departure, "arrival": r.arrival, "break": r.break_start}
                   for r in solution.routes if r.stops},
    }
    result.update(extra or {})
    return result


def _store(plan: DispatchPlan, built: adapter.Built, solution: Solution, *, warnings: dict | None = None) -> None:
    """Replace the plan's stops by `solution` (plus the orders the engine could not be asked about)."""
    warnings = warnings or {}
    plan.stops.all().delete()
    stops = []
    travel = built.problem.matrix
    for route in solution.routes:
        shift = built.shifts[route.caregiver_id]
        caregiver = built.problem.caregiver_by_id[route.caregiver_id]
        place = caregiver.start
        for position, stop in enumerate(route.stops):
            order = built.orders[stop.visit_id]
            visit = built.problem.visit_by_id[stop.visit_id]
            leg = travel.duration(caregiver, place, visit.location)
            stops.append(DispatchStop(
                plan=plan, work_order=order, shift=shift, position=position,
                planned_start=adapter.at_seconds(plan.date, stop.start),
                planned_end=adapter.at_seconds(plan.date, stop.start + visit.services[0].duration),
                travel_seconds=round(leg), warning=warnings.get(stop.visit_id, ""),
            ))
            place = visit.location
    for item in solution.unscheduled:
        stops.append(DispatchStop(plan=plan, work_order=built.orders[item.visit_id],
                                  unscheduled_reason=adapter.reason_text(item.reason)))
    for order_pk, reason in built.excluded.items():
        stops.append(DispatchStop(plan=plan, work_order_id=order_pk, unscheduled_reason=reason))
    DispatchStop.objects.bulk_create(stops)


def current_solution(plan: DispatchPlan, built: adapter.Built) -> Solution:
    """The plan as stored, in the engine's terms (stops whose order or shift left the day are dropped)."""
    routes: dict[str, list] = {}
    unscheduled = []
    for stop in plan.stops.select_related("work_order").order_by("shift_id", "position", "id"):
        vid = f"wo{stop.work_order_id}"
        if vid not in built.problem.visit_by_id:
            continue
        if stop.shift_id is None:
            unscheduled.append(Unscheduled(vid, stop.unscheduled_reason or "unscheduled"))
            continue
        cid = f"sh{stop.shift_id}"
        if cid not in built.problem.caregiver_by_id:
            continue
        routes.setdefault(cid, []).append(Stop(vid, 0, adapter.seconds_from(plan.date, stop.planned_start)))
    meta = plan.figures.get("routes", {})
    result = []
    for cid, stops in routes.items():
        info = meta.get(cid, {})
        route = Route(cid, stops, departure=info.get("departure"), arrival=info.get("arrival"),
                      break_start=info.get("break"))
        if route.departure is None or route.arrival is None:
            route = adapter.time_route(built.problem, cid, [s.visit_id for s in stops])
        result.append(route)
    listed = {s.visit_id for r in result for s in r.stops} | {u.visit_id for u in unscheduled}
    for vid in built.problem.visit_by_id:
        if vid not in listed:  # a work order added to the day after the plan was made
            unscheduled.append(Unscheduled(vid, gettext_noop("计划生成后新增的工单，尚未安排")))
    return Solution(result, unscheduled)


# --- optimising ---------------------------------------------------------------------------------------

def plan_optimise(*, actor, date: dt.date, organisation=None, iterations: int | None = None) -> DispatchPlan:
    """Start optimising a provider's day as a background job; the plan shows its progress."""
    from carecircle.core.tasks import run_job

    _require(actor, "dispatch.change")
    organisation = _organisation_of(actor, organisation)
    with transaction.atomic():
        plan, created = DispatchPlan.objects.select_for_update().get_or_create(
            organisation=organisation, date=date, defaults={"created_by": actor})
        if plan.status == PlanStatus.OPTIMISING:
            PLAN_FLOW.check(plan, actor, "optimise", message=_("这一天的计划正在优化中，请等待完成。"))
        PLAN_FLOW.check(plan, actor, "optimise",
                        message=_("这一天的计划已发布，不能重新优化；如有护理员临时离岗，请使用“病假/离岗重排”。"))
        if WorkOrder.objects.filter(organisation=organisation, date=date, status__in=UNDER_WAY).exists():
            raise IllegalStep(_("这一天已有上门开始或完成，不能整体重新优化；请用手工调整或“病假/离岗重排”。"),
                              allowed=["replan", "move"])
        if not Shift.objects.filter(organisation=organisation, date=date).exists():
            raise ValidationError(_("%(date)s 还没有任何班次：请先录入护理员班次（或从上周复制）。")
                                  % {"date": date.isoformat()})
        job = job_start(kind=OPTIMISE_JOB, actor=actor, region=organisation.region, organisation=organisation,
                        params={"plan": plan.pk, "iterations": iterations}, task=run_job)
        old = plan.status
        plan.status, plan.job = PlanStatus.OPTIMISING, job
        plan.save(update_fields=["status", "job", "updated_at"])
        audit.record(actor=actor, action="dispatch.plan_optimise", subject=plan,
                     changes={"status": [old, plan.status], "job": job.pk})
    return plan


def plan_optimise_run(*, plan_id: int, job) -> dict:
    """The job's work: build the day, solve it, store the stops and the figures."""
    plan = DispatchPlan.objects.select_related("organisation__region").get(pk=plan_id)
    steps = 3
    job_progress(job, progress=0, total=steps, message=_("读取工单与班次"))
    try:
        built = build_day(plan, statuses=PLANNABLE)
        job_progress(job, progress=1, total=steps, message=_("正在求解：%(visits)d 个上门、%(caregivers)d 名护理员")
                     % {"visits": len(built.problem.visits), "caregivers": len(built.problem.caregivers)})
        iterations = job.params.get("iterations")
        seconds = None if iterations else float(policy_value("dispatch.optimise.seconds",
                                                             region=plan.organisation.region, on=plan.date))
        solution = solve(built.problem, seconds=seconds, iterations=iterations, seed=0)
        job_progress(job, progress=2, total=steps, message=_("正在保存计划"))
        with transaction.atomic():
            _store(plan, built, solution)
            plan.figures = _figures(built, solution, extra={"seconds": round(solution.stats.get("seconds", 0), 1),
                                                            "backend": solution.stats.get("backend", "")})
            plan.status = PlanStatus.READY
            plan.save(update_fields=["figures", "status", "updated_at"])
            _mark_scheduled(plan, actor=job.created_by)
            audit.record(actor=job.created_by, action="dispatch.plan_optimised", subject=plan,
                         changes={"status": [PlanStatus.OPTIMISING, PlanStatus.READY], "figures": {
                             k: v for k, v in plan.figures.items() if k != "routes"}})
    except Exception:
        with transaction.atomic():
            DispatchPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.DRAFT)
            audit.record(actor=job.created_by, action="dispatch.plan_failed", subject=plan,
                         changes={"status": [PlanStatus.OPTIMISING, PlanStatus.DRAFT], "job": job.pk})
        raise
    job_progress(job, progress=3, total=steps, message=_("完成"))
    return {k: v for k, v in plan.figures.items() if k != "routes"}


def _mark_scheduled(plan: DispatchPlan, *, actor=None) -> None:
    """Work orders the plan places are scheduled (so regenerating the day leaves them be); scheduled ones it
    no longer places return to pending. The workorders services audit each change."""
    placed = plan.stops.filter(shift__isnull=False).values("work_order_id")
    unplaced = plan.stops.filter(shift__isnull=True).values("work_order_id")
    work_orders.work_orders_schedule(actor=actor, work_orders=WorkOrder.objects.filter(pk__in=placed), plan=plan)
    work_orders.work_orders_unschedule(
        actor=actor, plan=plan,
        work_orders=WorkOrder.objects.filter(pk__in=unplaced).exclude(status=WorkOrderStatus.PUBLISHED))


# --- manual moves -------------------------------------------------------------------------------------

def _editable(plan: DispatchPlan, actor, action: str) -> None:
    PLAN_FLOW.check(plan, actor, action, message=_("计划处于“%(status)s”状态，不能调整；请先完成优化。")
                    % {"status": plan.get_status_display()})


def _soft_warnings(built: adapter.Built, vid: str, cid: str | None) -> str:
    if cid is None:
        return ""
    order = built.orders[vid]
    shift = built.shifts[cid]
    if order.preferred_caregiver_id and order.preferred_caregiver_id != shift.caregiver_id:
        return WARNING_PREFERRED
    if order.dialect and order.dialect not in (shift.caregiver.dialects or ""):
        return WARNING_DIALECT
    return ""


def stop_move(*, actor, plan: DispatchPlan, work_order_id: int, shift: Shift | None, position: int | None = None) -> dict:
    """Move one visit to `shift` at `position` (None = the end), or unassign it (`shift` None).

    Every hard rule is checked by the engine's independent checker before anything is stored: a move
    that breaks one is refused naming each problem. Soft preferences (preferred caregiver, dialect) only
    warn. Returns {"warnings": [...], "figures": {...}}.
    """
    _require(actor, "dispatch.change")
    _require_visible(actor, plan)
    _editable(plan, actor, "move")
    if shift is not None and shift.organisation_id != plan.organisation_id or shift is not None and shift.date != plan.date:
        raise ValidationError({"shift": [_("只能移到本机构当天的班次")]})
    stop = plan.stops.select_related("work_order").filter(work_order_id=work_order_id).first()
    if stop is None:
        raise ValidationError({"work_order": [_("这个工单不在当天的计划中")]})
    if stop.work_order.status in UNDER_WAY:
        raise IllegalStep(_("该上门已开始或已完成，不能再调整。"), allowed=[])
    built = build_day(plan)
    solution = current_solution(plan, built)
    vid = f"wo{work_order_id}"
    if vid not in built.problem.visit_by_id:
        raise ValidationError({"work_order": [stop.reason_display or _("这个工单无法参与排程")]})
    orders_by_route = {r.caregiver_id: [s.visit_id for s in r.stops] for r in solution.routes}
    unscheduled = {u.visit_id: u.reason for u in solution.unscheduled}
    source = next((cid for cid, ids in orders_by_route.items() if vid in ids), None)
    if source is not None:
        orders_by_route[source].remove(vid)
    unscheduled.pop(vid, None)
    target = adapter.caregiver_id(shift) if shift is not None else None
    if target is None:
        unscheduled[vid] = gettext_noop("调度员手工移出")
    else:
        ids = orders_by_route.setdefault(target, [])
        at = len(ids) if position is None else max(0, min(int(position), len(ids)))
        ids.insert(at, vid)
    changed = {c for c in (source, target) if c is not None}
    routes = []
    for route in solution.routes:
        if route.caregiver_id not in changed:
            routes.append(route)
    for cid in changed:
        routes.append(adapter.time_route(built.problem, cid, orders_by_route.get(cid, [])))
    candidate = Solution(routes, [Unscheduled(v, r) for v, r in unscheduled.items()])
    problems = [v for v in check(built.problem, candidate)
                if v.caregiver_id in changed or v.visit_id == vid
                or (v.visit_id and any(v.visit_id in orders_by_route.get(c, []) for c in changed))]
    if problems:
        messages = []
        for v in problems:
            text = adapter.violation_text(v, orders=built.orders, shifts=built.shifts)
            if text not in messages:
                messages.append(text)
        raise ValidationError(messages)
    warning = _soft_warnings(built, vid, target)
    warnings = {v: text for v, text in (plan.figures.get("warnings") or {}).items() if v != vid}
    if warning:
        warnings[vid] = warning
    with transaction.atomic():
        before = {"shift": stop.shift_id, "position": stop.position}
        _store(plan, built, candidate, warnings=warnings)
        figures = _figures(built, candidate, extra={"warnings": warnings})
        old_status = plan.status
        plan.figures = figures
        plan.status = PlanStatus.READY
        plan.save(update_fields=["figures", "status", "updated_at"])
        _mark_scheduled(plan, actor=actor)
        after = plan.stops.get(work_order_id=work_order_id)
        audit.record(actor=actor, action="dispatch.plan_move", subject=plan, changes={
            "work_order": work_order_id, "shift": [before["shift"], after.shift_id],
            "position": [before["position"], after.position], "status": [old_status, plan.status],
            "warning": warning})
    text = warning_text(warning, order=built.orders[vid], caregiver=built.shifts[target].caregiver if target else None)
    return {"warnings": [text] if text else [], "figures": figures}


# --- publishing ---------------------------------------------------------------------------------------

def plan_publish(*, actor, plan: DispatchPlan) -> dict:
    """Publish every planned work order to its caregiver at its planned start (the workorders services write
    and audit each one); caregivers then see their day. Visits already under way are left as they are;
    unplaced orders return to pending."""
    _require(actor, "dispatch.change")
    _require_visible(actor, plan)
    PLAN_FLOW.check(plan, actor, "publish", message=_("只有“待发布”的计划可以发布（当前：%(status)s）。")
                    % {"status": plan.get_status_display()})
    built = build_day(plan)
    violations = check(built.problem, current_solution(plan, built))
    if violations:
        raise ValidationError([adapter.violation_text(v, orders=built.orders, shifts=built.shifts) for v in violations])
    with transaction.atomic():
        stops = list(plan.stops.select_related("work_order", "shift__caregiver").select_for_update(of=("self",))
                     .filter(work_order__status__in=PLANNABLE))
        placed = [(stop.work_order, stop.shift.caregiver, stop.planned_start) for stop in stops if stop.shift_id]
        unplaced = [stop.work_order_id for stop in stops if not stop.shift_id]
        work_orders.work_orders_publish(actor=actor, assignments=placed)
        work_orders.work_orders_unschedule(actor=actor, plan=plan, work_orders=WorkOrder.objects.filter(pk__in=unplaced))
        published, cleared = len(placed), len(unplaced)
        plan.status, plan.published_at, plan.published_by = PlanStatus.PUBLISHED, timezone.now(), actor
        plan.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        audit.record(actor=actor, action="dispatch.plan_publish", subject=plan,
                     changes={"status": [PlanStatus.READY, PlanStatus.PUBLISHED], "published": published,
                              "unplaced": cleared})
    return {"published": published, "unplaced": cleared}


# --- re-planning when a caregiver drops out -----------------------------------------------------------

def plan_replan(*, actor, plan: DispatchPlan, shift: Shift, off_from: dt.time, seconds: float | None = None,
                iterations: int | None = None) -> dict:
    """`shift`'s caregiver is off (sick) from `off_from`: keep what started before then, give their later
    visits to others (or list them as unscheduled, with the reason) and re-plan the rest of the day."""
    _require(actor, "dispatch.change")
    _require_visible(actor, plan)
    _editable(plan, actor, "replan")
    if shift.organisation_id != plan.organisation_id or shift.date != plan.date:
        raise ValidationError({"shift": [_("只能选择本机构当天的班次")]})
    if not shift.start_time <= off_from <= shift.end_time:
        raise ValidationError({"off_from": [_("离岗时间须在该班次的上下班时间之间（%(start)s–%(end)s）") % {
            "start": shift.start_time.strftime("%H:%M"), "end": shift.end_time.strftime("%H:%M")}]})
    built = build_day(plan, clip_off=False)
    solution = current_solution(plan, built)
    now = adapter.seconds_of(off_from)
    unavailable = [adapter.caregiver_id(shift)] + [
        adapter.caregiver_id(s) for s in built.shifts.values()
        if s.pk != shift.pk and s.off_from is not None and adapter.seconds_of(s.off_from) <= now]
    if iterations is None and seconds is None:
        seconds = float(policy_value("dispatch.replan.seconds", region=plan.organisation.region, on=plan.date))
    before = {s.work_order_id: s.shift_id for s in plan.stops.all()}
    result = replan(built.problem, solution, now=now, unavailable_caregivers=unavailable, seconds=seconds,
                    iterations=iterations, seed=0)
    with transaction.atomic():
        old_off = shift.off_from
        shift.off_from = off_from
        shift.save(update_fields=["off_from"])
        _store(plan, built, result)
        old_status = plan.status
        plan.figures = _figures(built, result, extra={"replanned_at": off_from.strftime("%H:%M")})
        plan.status = PlanStatus.READY
        plan.save(update_fields=["figures", "status", "updated_at"])
        _mark_scheduled(plan, actor=actor)
        after = {s.work_order_id: s.shift_id for s in plan.stops.all()}
        moved = sorted(pk for pk in after if before.get(pk) != after[pk])
        audit.record(actor=actor, action="dispatch.shift_off", subject=shift,
                     changes={"off_from": [old_off, off_from]})
        audit.record(actor=actor, action="dispatch.plan_replan", subject=plan,
                     changes={"status": [old_status, plan.status], "caregiver": shift.caregiver_id,
                              "off_from": off_from, "moved": moved})
    return {"moved": len(moved), "unscheduled": plan.figures["unscheduled"], "figures": plan.figures}


# --- placing visits that arrived after the plan was made --------------------------------------------------

def plan_version(plan: DispatchPlan) -> str:
    """What a planner saw of the plan: placing answers 409 when the plan has changed since."""
    return f"{plan.updated_at.timestamp():.6f}"


def _locked_plan(plan: DispatchPlan, actor, version: str, action: str) -> DispatchPlan:
    """The plan row locked for the rest of the transaction: of two planners placing at once, the second waits,
    then finds the plan changed and gets a 409 (nothing written)."""
    locked = DispatchPlan.objects.select_for_update().select_related("organisation__region").get(pk=plan.pk)
    PLAN_FLOW.check(locked, actor, action, message=_("计划处于“%(status)s”状态，不能安排新增上门；请先完成优化。")
                    % {"status": locked.get_status_display()})
    if str(version or "").strip() != plan_version(locked):
        raise IllegalStep(_("这一天的计划刚被其他人修改过：请刷新看板，核对后再安排。"),
                          allowed=PLAN_FLOW.allowed_actions(locked, actor))
    return locked


def _not_before(plan: DispatchPlan) -> float | None:
    """Nothing new starts in the past: on the plan's own day, not before now."""
    now = timezone.localtime()
    if now.date() == plan.date:
        return float(adapter.seconds_of(now.time()))
    return None


def _route_times(solution: Solution) -> dict[str, tuple[str, float]]:
    return {stop.visit_id: (route.caregiver_id, stop.start) for route in solution.routes for stop in route.stops}


def _apply_placement(*, actor, plan: DispatchPlan, built: adapter.Built, before: Solution, after: Solution,
                     warnings: dict) -> dict:
    """Store `after`, then write the work orders through their own services: on a published day every placed
    visit is published to its caregiver (orders whose caregiver and time are unchanged are not written again)
    and published orders left out return to pending; on a day not yet published they are scheduled."""
    _store(plan, built, after, warnings=warnings)
    plan.figures = _figures(built, after, extra={"warnings": warnings})
    plan.save(update_fields=["figures", "updated_at"])
    old, new = _route_times(before), _route_times(after)
    placed = sorted(adapter.pk_of(v) for v in new if v not in old)
    moved = sorted(adapter.pk_of(v) for v in new if v in old and old[v] != new[v])
    unplaced = {adapter.pk_of(u.visit_id): adapter.reason_text(u.reason) for u in after.unscheduled}
    if plan.status == PlanStatus.PUBLISHED:
        assignments = []
        for route in after.routes:
            caregiver = built.shifts[route.caregiver_id].caregiver
            for stop in route.stops:
                order = built.orders[stop.visit_id]
                if order.status in PLANNABLE:
                    assignments.append((order, caregiver, adapter.at_seconds(plan.date, stop.start)))
        work_orders.work_orders_publish(actor=actor, assignments=assignments)
        work_orders.work_orders_unschedule(actor=actor, plan=plan, work_orders=WorkOrder.objects.filter(
            pk__in=list(unplaced), status=WorkOrderStatus.PUBLISHED))
    else:
        _mark_scheduled(plan, actor=actor)
    caregivers = sorted({new[v][0] for v in new if v not in old or old[v] != new[v]}
                        | {old[v][0] for v in old if v not in new or old[v] != new[v]})
    return {"placed": placed, "moved": moved, "unplaced": unplaced,
            "caregivers": [built.shifts[c].caregiver.name for c in caregivers if c in built.shifts]}


def plan_place_new(*, actor, plan: DispatchPlan, version: str, allow_moving: bool = False,
                   seconds: float | None = None, iterations: int | None = None) -> dict:
    """Place the day's visits that are not on anyone's day yet (work orders that arrived after the plan was
    made, and visits left unscheduled).

    By default every visit already on a caregiver's day keeps its caregiver and start time: a new visit goes
    only into a gap where the engine's timer and independent checker find it legal, cheapest place first; one
    that fits nowhere stays unplaced with the reason. With `allow_moving` the rest of the day is re-planned
    (visits under way or started before now stay as they are) and moved visits are published again.
    Returns {"placed", "moved", "unplaced" {order: reason}, "caregivers"}."""
    _require(actor, "dispatch.change")
    _require_visible(actor, plan)
    with transaction.atomic():
        plan = _locked_plan(plan, actor, version, "place")
        built = build_day(plan)
        solution = current_solution(plan, built)
        not_before = _not_before(plan)
        if allow_moving:
            if iterations is None and seconds is None:
                seconds = float(policy_value("dispatch.replan.seconds", region=plan.organisation.region,
                                             on=plan.date))
            now = not_before if not_before is not None else 0.0
            unavailable = [cid for cid, shift in built.shifts.items()
                           if shift.off_from is not None and adapter.seconds_of(shift.off_from) <= now]
            result = replan(built.problem, solution, now=now, unavailable_caregivers=unavailable, seconds=seconds,
                            iterations=iterations, seed=0)
        else:
            pinned = {stop.visit_id: stop.start for route in solution.routes for stop in route.stops}
            result = place_unscheduled(built.problem, solution, pinned=pinned, not_before=not_before)
        violations = check(built.problem, result)
        if violations:
            raise ValidationError([adapter.violation_text(v, orders=built.orders, shifts=built.shifts)
                                   for v in violations])
        warnings = {v: text for v, text in (plan.figures.get("warnings") or {}).items()}
        old = _route_times(solution)
        for vid, (cid, _start) in _route_times(result).items():
            if vid not in old or old[vid][0] != cid:
                warnings.pop(vid, None)
                warning = _soft_warnings(built, vid, cid)
                if warning:
                    warnings[vid] = warning
        outcome = _apply_placement(actor=actor, plan=plan, built=built, before=solution, after=result,
                                   warnings=warnings)
        audit.record(actor=actor, action="dispatch.plan_place", subject=plan, changes={
            "allow_moving": allow_moving, "placed": outcome["placed"], "moved": outcome["moved"],
            "unplaced": outcome["unplaced"], "status": plan.status})
    return outcome


def plan_assign(*, actor, plan: DispatchPlan, version: str, work_order_id: int, shift: Shift,
                position: int | None = None, allow_moving: bool = False) -> dict:
    """Put one visit that is not on anyone's day on `shift`'s day at `position` (0-based, None = the end).

    On a published day, without `allow_moving`, the caregiver's other visits keep their start times and the new
    one takes the earliest time the order allows between them; with it (and on a day not yet published) their
    day is timed afresh from the start (visits under way keep theirs). The
    engine's independent checker judges the result: a hard rule broken refuses the assignment, naming each
    problem (nothing is written). Returns {"warnings", "placed", "moved", "unplaced", "caregivers"}."""
    _require(actor, "dispatch.change")
    _require_visible(actor, plan)
    if shift is None or shift.organisation_id != plan.organisation_id or shift.date != plan.date:
        raise ValidationError({"shift": [_("只能安排到本机构当天的班次")]})
    with transaction.atomic():
        plan = _locked_plan(plan, actor, version, "place")
        order = WorkOrder.objects.filter(pk=work_order_id, organisation=plan.organisation, date=plan.date).first()
        if order is None or not is_visible(actor, order):
            raise ValidationError({"work_order": [_("这个工单不在当天的计划中")]})
        if order.status not in PLANNABLE:
            raise IllegalStep(_("工单“%(status)s”，不能再安排。") % {"status": order.get_status_display()}, allowed=[])
        built = build_day(plan)
        solution = current_solution(plan, built)
        vid = adapter.visit_id(order)
        if vid not in built.problem.visit_by_id:
            stop = plan.stops.filter(work_order=order).first()
            raise ValidationError({"work_order": [stop.reason_display if stop and stop.unscheduled_reason else
                                                  _("这个工单无法参与排程")]})
        if any(vid == s.visit_id for r in solution.routes for s in r.stops):
            raise ValidationError({"work_order": [_("这个上门已在护理员的安排中；要改派请用“调整”")]})
        target = adapter.caregiver_id(shift)
        if target not in built.problem.caregiver_by_id:
            raise ValidationError({"shift": [_("只能安排到本机构当天的班次")]})
        current = next((r for r in solution.routes if r.caregiver_id == target), None)
        ids = [s.visit_id for s in current.stops] if current else []
        at = len(ids) if position is None else max(0, min(int(position), len(ids)))
        ids.insert(at, vid)
        not_before = _not_before(plan)
        under_way = {adapter.visit_id(o) for o in built.orders.values() if o.status in UNDER_WAY}
        # On a published day the caregiver's other visits keep their times unless moving is allowed; a day not
        # yet published is timed afresh, as a manual move would.
        pinning = not allow_moving and plan.status == PlanStatus.PUBLISHED
        kept = {s.visit_id: s.start for s in (current.stops if current else [])
                if pinning or s.visit_id in under_way or (not_before is not None and s.start < not_before)}
        route = adapter.time_route(built.problem, target, ids, kept=kept, not_before=not_before)
        routes = [r for r in solution.routes if r.caregiver_id != target] + [route]
        candidate = Solution(routes, [u for u in solution.unscheduled if u.visit_id != vid])
        problems = [v for v in check(built.problem, candidate)
                    if v.caregiver_id == target or v.visit_id in ids]
        if problems:
            messages = []
            for v in problems:
                text = adapter.violation_text(v, orders=built.orders, shifts=built.shifts)
                if text not in messages:
                    messages.append(text)
            if kept and pinning:
                messages.append(_("（其他上门保持已定的时间；如可调整，请勾选“允许调整已发布的上门”）"))
            raise ValidationError(messages)
        warning = _soft_warnings(built, vid, target)
        warnings = {v: text for v, text in (plan.figures.get("warnings") or {}).items() if v != vid}
        if warning:
            warnings[vid] = warning
        outcome = _apply_placement(actor=actor, plan=plan, built=built, before=solution, after=candidate,
                                   warnings=warnings)
        audit.record(actor=actor, action="dispatch.plan_assign", subject=plan, changes={
            "work_order": order.pk, "shift": shift.pk, "position": at, "allow_moving": allow_moving,
            "moved": outcome["moved"], "warning": warning, "status": plan.status})
    text = warning_text(warning, order=order, caregiver=shift.caregiver)
    return {**outcome, "warnings": [text] if text else []}
