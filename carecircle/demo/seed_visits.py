"""The demo district's visits: today's published day of the demo caregiver (some visits done, one under way,
the rest to come) and the visits of three providers over the last four weeks — or back to the first day of last
month when that is further, so that last month can be settled whole — judged by the district's supervision
rules, with a realistic share of exceptions — most resolved and approved by a second person, some still open.

Work orders are generated, published, started and completed through the work-orders services. The visits of
past days are written as they would have been recorded then (the phone's API refuses times that old), and
their flags come from the supervision engine applied to the recorded facts with the policy in force.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.core.roles import Role
from carecircle.engines.geo.coords import wgs84_to_gcj02
from carecircle.engines.supervision import rules as engine
from carecircle.providers.models import OrganisationKind, StaffMember, StaffPosition
from carecircle.visits.models import (
    ConfirmMethod,
    EventKind,
    ExceptionStatus,
    ReasonCode,
    ResolutionCode,
    Visit,
    VisitEvent,
    VisitException,
    VisitFlag,
    VisitItemResult,
    VisitStatus,
)
from carecircle.visits.services import policy_for
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

PAST_DAYS = 28  # at least; back to the first day of last month when that is further (`past_days`)
PAST_PROVIDERS = 3
TODAY_VISITS = 6
MISSED_SHARE = 0.03
NOT_HOME_SHARE = 0.02
PROBLEM_SHARE = 0.14
RESOLVED_SHARE = 0.65
METRE = 1 / 111_195.0
PROBLEMS = ("far", "late", "short", "mock", "gcj02")
REASONS = {"far": (ReasonCode.ELDER_ELSEWHERE, "老人在社区助餐点，到那里服务"),
           "late": (ReasonCode.TRAFFIC, "前一位老人家里耽搁了"),
           "short": (ReasonCode.ELDER_REQUEST, "老人要去医院复诊，提前结束"),
           "mock": (ReasonCode.DEVICE, ""), "gcj02": (ReasonCode.GPS_DRIFT, "")}
RESOLUTIONS = {"far": ResolutionCode.CONFIRMED_BY_CALL, "late": ResolutionCode.CAREGIVER_WARNED,
               "short": ResolutionCode.CONFIRMED_BY_CALL, "mock": ResolutionCode.EVIDENCE_ACCEPTED,
               "gcj02": ResolutionCode.EVIDENCE_ACCEPTED}


def _d6(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _near(rng, lat: float, lng: float, metres: float) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    return (lat + metres * METRE * math.cos(angle),
            lng + metres * METRE * math.sin(angle) / math.cos(math.radians(lat)))


def _home(order) -> tuple[float, float] | None:
    if order.elder.lat is None or order.elder.lng is None:
        return None
    return float(order.elder.lat), float(order.elder.lng)


class _Writer:
    """Writes one visit as the phone would have recorded it, with the engine's findings on its facts."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.counts = {"visits": 0, "verified": 0, "flags": 0, "exceptions_open": 0, "exceptions_closed": 0,
                       "not_home": 0, "missed": 0, "in_progress": 0}

    def event(self, visit, kind, user, at, point=None, raw=None, datum="wgs84", mock=False, reason="",
              reason_code="", payload=None):
        raw = raw or point
        return VisitEvent.objects.create(
            visit=visit, kind=kind, user=user, device_time=at, clock_skew_seconds=self.rng.randint(-20, 40),
            lat=_d6(point[0]) if point else None, lng=_d6(point[1]) if point else None,
            raw_lat=_d6(raw[0]) if raw else None, raw_lng=_d6(raw[1]) if raw else None,
            accuracy_m=self.rng.choice((8, 12, 15, 25, 40)) if point else None, datum=datum if point else "",
            mock_location=mock, reason=reason, reason_code=reason_code, payload=payload or {})

    def flags(self, visit, event, findings, reason, reason_code):
        made = []
        for finding in findings:
            flag = VisitFlag.objects.create(
                visit=visit, event=event, rule=finding.rule, action=finding.action,
                measured="" if finding.measured is None else (f"{finding.measured:g}" if isinstance(finding.measured, float)
                                                               else str(finding.measured)),
                threshold="" if finding.threshold is None else f"{finding.threshold:g}", facts=finding.facts,
                reason=reason if finding.action == engine.WARN else "")
            self.counts["flags"] += 1
            if finding.action in (engine.WARN, engine.REVIEW, engine.BLOCK):
                made.append(VisitException.objects.create(visit=visit, flag=flag, reason_code=reason_code,
                                                          reason_text=reason))
        return made

    def items(self, visit, order, at):
        for line in order.lines.select_related("item"):
            VisitItemResult.objects.create(visit=visit, item=line.item, done=True,
                                           note=self.rng.choice(("", "", "老人精神好", "已提醒按时服药")))
        self.event(visit, EventKind.ITEMS, visit.caregiver.user or self.fallback_user, at)

    fallback_user = None

    def visit(self, order, user, *, start: dt.datetime, problem: str | None, finish: bool, now: dt.datetime):
        """A visit of `order` checked in at `start` (and out when `finish`), shaped by `problem`."""
        rng = self.rng
        home = _home(order)
        policy = policy_for(order, order.date)
        planned_start = order.planned_start or start
        check_in_at = start + dt.timedelta(minutes=rng.randint(55, 90) if problem == "late" else 0)
        point = _near(rng, *home, rng.uniform(5, 60)) if home else None
        raw, datum, mock = point, "wgs84", False
        if problem == "far" and home:
            point = raw = _near(rng, *home, rng.uniform(600, 2500))
        elif problem == "gcj02" and home:
            raw = wgs84_to_gcj02(*point)
            datum = ""
        elif problem == "mock":
            mock = True
        reason_code, reason = REASONS.get(problem, ("", ""))
        fix = engine.Fix(lat=raw[0], lng=raw[1], datum=datum or "wgs84", declared=bool(datum), mock=mock) if raw else None
        measured_point, in_findings = engine.check_in(
            engine.CheckInFacts(at=check_in_at, planned_start=planned_start, fix=fix, home=home), policy)
        visit = Visit.objects.create(work_order=order, organisation_id=order.organisation_id, elder_id=order.elder_id,
                                     caregiver=order.caregiver, date=order.date, status=VisitStatus.CHECKED_IN,
                                     checked_in_at=check_in_at, on_time=not any(f.rule == engine.LATE_START
                                                                                for f in in_findings),
                                     checked_in_lat=_d6(measured_point[0]) if measured_point else None,
                                     checked_in_lng=_d6(measured_point[1]) if measured_point else None)
        self.counts["visits"] += 1
        event = self.event(visit, EventKind.CHECK_IN, user, check_in_at, measured_point, raw, datum or "", mock,
                           reason, reason_code)
        exceptions = self.flags(visit, event, in_findings, reason, reason_code)
        if not finish:
            self.items(visit, order, min(now, check_in_at + dt.timedelta(minutes=10)))
            self.counts["in_progress"] += 1
            return visit, exceptions
        length = order.duration_minutes
        minutes = length * rng.uniform(0.5, 0.72) if problem == "short" else length + rng.randint(0, 12)
        check_out_at = check_in_at + dt.timedelta(minutes=minutes)
        self.items(visit, order, check_in_at + dt.timedelta(minutes=minutes * 0.8))
        confirm_at = check_out_at - dt.timedelta(minutes=2)
        visit.confirmed_at, visit.confirm_method = confirm_at, rng.choice(ConfirmMethod.values)
        self.event(visit, EventKind.CONFIRM, user, confirm_at, payload={"method": visit.confirm_method})
        out_point = _near(rng, *home, rng.uniform(5, 60)) if home else None
        if problem == "far":
            out_point = _near(rng, *point, 30)
        out_fix = engine.Fix(lat=out_point[0], lng=out_point[1]) if out_point else None
        _, out_findings = engine.check_out(engine.CheckOutFacts(
            at=check_out_at, checked_in_at=check_in_at, planned_start=planned_start, planned_minutes=length,
            fix=out_fix, home=home), {rule: value for rule, value in policy.items() if rule != engine.DISTANCE
                                       or problem != "far"})
        out_event = self.event(visit, EventKind.CHECK_OUT, user, check_out_at, out_point, reason=reason if out_findings
                               else "", reason_code=reason_code if out_findings else "")
        exceptions += self.flags(visit, out_event, out_findings, reason, reason_code)
        visit.checked_out_at = check_out_at
        visit.checked_out_lat = _d6(out_point[0]) if out_point else None
        visit.checked_out_lng = _d6(out_point[1]) if out_point else None
        visit.status = VisitStatus.HELD if exceptions else VisitStatus.VERIFIED
        if not exceptions:
            visit.verified_at = check_out_at + dt.timedelta(seconds=1)
            self.counts["verified"] += 1
        visit.save()
        return visit, exceptions

    def settle(self, visit, exceptions, problem, *, resolver, approver, when: dt.datetime):
        """Most exceptions are resolved and approved by a second person within a day or two; some stay open."""
        if not exceptions:
            return
        if self.rng.random() >= RESOLVED_SHARE or resolver is None or approver is None:
            self.counts["exceptions_open"] += len(exceptions)
            return
        resolved_at = when + dt.timedelta(hours=self.rng.randint(3, 30))
        for exception in exceptions:
            VisitException.objects.filter(pk=exception.pk).update(
                status=ExceptionStatus.APPROVED, resolution_code=RESOLUTIONS.get(problem, ResolutionCode.EVIDENCE_ACCEPTED),
                resolution_note="已电话联系老人家属核实", resolved_by=resolver, resolved_at=resolved_at,
                approved_by=approver, approved_at=resolved_at + dt.timedelta(hours=self.rng.randint(1, 20)))
            self.counts["exceptions_closed"] += 1
        visit.status, visit.verified_at = VisitStatus.VERIFIED, resolved_at + dt.timedelta(hours=21)
        visit.save(update_fields=["status", "verified_at"])
        self.counts["verified"] += 1


def past_days(as_of: dt.date) -> int:
    """How many days before `as_of` get visits: four weeks, or back to the first day of last month."""
    last_month = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return max(PAST_DAYS, (as_of - last_month).days)


def _caregivers(organisation) -> list[StaffMember]:
    return list(StaffMember.objects.filter(organisation=organisation, is_active=True,
                                           position__in=[StaffPosition.CAREGIVER, StaffPosition.NURSE])
                .select_related("user").order_by("pk"))


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def demo_visits_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    writer = _Writer(rng)
    district_admin = User.objects.filter(role=Role.DISTRICT_ADMIN).order_by("pk").first()
    writer.fallback_user = district_admin
    street = User.objects.filter(role=Role.STREET_STAFF).order_by("pk").first()
    caregiver_user = User.objects.filter(username="caregiver").first()
    staff = StaffMember.objects.filter(user=caregiver_user).select_related("organisation").first()
    if staff is None or district_admin is None:
        return writer.counts
    organisation = staff.organisation
    # --- today: the demo caregiver's published day -------------------------------------------------------
    local_now = timezone.localtime()
    reference = local_now if local_now.date() == as_of else _at(as_of, dt.time(14, 0))
    reference = min(max(reference, _at(as_of, dt.time(11, 30))), _at(as_of, dt.time(16, 0)))
    today = list(WorkOrder.objects.filter(organisation=organisation, date=as_of, status=WorkOrderStatus.PENDING)
                 .select_related("elder").order_by("window_start", "pk")[:TODAY_VISITS])
    # Minutes from now: the first ones done, one under way, at least one to come.
    coming = max(1, len(today) - 3) if len(today) > 1 else 0
    under_way = 1 if len(today) > 1 else len(today)
    done = len(today) - coming - under_way
    offsets = [-110 - 90 * (done - 1 - i) for i in range(done)] + [-25] * under_way + [50 + 70 * i for i in range(coming)]
    starts = [(reference + dt.timedelta(minutes=offset)).replace(second=0, microsecond=0) for offset in offsets]
    work_orders.work_orders_publish(actor=None, assignments=[(order, staff, start)
                                                             for order, start in zip(today, starts)])
    for index, order in enumerate(today):
        order.refresh_from_db()
        if offsets[index] > 0:
            continue
        work_orders.work_order_start(actor=None, work_order=order)
        done = offsets[index] < -60
        writer.visit(order, caregiver_user, start=order.planned_start, problem=None, finish=done, now=reference)
        if done:
            work_orders.work_order_complete(actor=None, work_order=order)
    # --- the past weeks: three providers, every visit judged by the rules ------------------------------------
    providers = [organisation] + [o for o in _other_providers(organisation)][: PAST_PROVIDERS - 1]
    back_to = past_days(as_of)
    for back in range(back_to, 0, -1):
        day = as_of - dt.timedelta(days=back)
        for provider in providers:
            work_orders.work_orders_generate(date=day, organisation=provider)
    for provider in providers:
        team = _caregivers(provider)
        if not team:
            continue
        resolver = User.objects.filter(role=Role.PROVIDER_ADMIN, organisation=provider).order_by("pk").first() \
            or district_admin
        approver = street if street is not None and street != resolver else district_admin
        if approver == resolver:
            approver = None
        orders = list(WorkOrder.objects.filter(organisation=provider, status=WorkOrderStatus.PENDING,
                                               date__gte=as_of - dt.timedelta(days=back_to), date__lt=as_of)
                      .select_related("elder").order_by("date", "window_start", "pk"))
        assignments = []
        for order in orders:
            caregiver = rng.choice(team)
            start = _at(order.date, order.window_start) + dt.timedelta(minutes=rng.choice((0, 10, 20, 30)))
            assignments.append((order, caregiver, start))
        work_orders.work_orders_publish(actor=None, assignments=assignments)
        for order, caregiver, start in assignments:
            order.refresh_from_db()
            user = caregiver.user or district_admin
            roll = rng.random()
            if roll < MISSED_SHARE:
                writer.counts["missed"] += 1
                continue
            if roll < MISSED_SHARE + NOT_HOME_SHARE:
                home = _home(order)
                point = _near(rng, *home, 20) if home else None
                work_orders.work_order_not_home(actor=None, work_order=order)
                visit = Visit.objects.create(work_order=order, organisation_id=order.organisation_id,
                                             elder_id=order.elder_id, caregiver=caregiver, date=order.date,
                                             status=VisitStatus.NOT_HOME, checked_in_at=start)
                writer.event(visit, EventKind.NOT_HOME, user, start, point, reason="敲门无人应答，电话未接")
                writer.counts["not_home"] += 1
                continue
            problem = rng.choice(PROBLEMS) if rng.random() < PROBLEM_SHARE else None
            work_orders.work_order_start(actor=None, work_order=order)
            work_orders.work_order_complete(actor=None, work_order=order)
            visit, exceptions = writer.visit(order, user, start=start, problem=problem, finish=True, now=start)
            writer.settle(visit, exceptions, problem, resolver=resolver, approver=approver,
                          when=visit.checked_out_at or start)
    return writer.counts


def _other_providers(organisation):
    from carecircle.providers.models import Organisation

    return (Organisation.objects.filter(kind__in=[OrganisationKind.HOME_CARE, OrganisationKind.NURSING_STATION])
            .exclude(pk=organisation.pk).filter(work_orders__isnull=False).distinct().order_by("pk"))
