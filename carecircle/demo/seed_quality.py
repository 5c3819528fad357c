"""The demo district's service quality: return visits drawn from last month's visits as the visits' events
would draw them (the month's sample of verified visits, every visit with an exception), called back with every
outcome; and complaints from every channel in every state — just registered, one past its acceptance deadline,
with the provider, escalated to the district by the overdue beat, answered, closed (a return visit follows) and
reopened, one raised on a return visit and one filed by the demo elder on the portal.

Everything goes through the quality services, with the moment each step happened, so the trail, the
timelines and the deadlines read as they would have."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.core.roles import Role
from carecircle.core.workdays import Calendar
from carecircle.quality import services
from carecircle.quality.models import Complaint, ReturnVisit, ReturnVisitReason, ReturnVisitStatus
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

RETURN_VISITS = 40
SATISFACTION = (5, 5, 5, 4, 4, 4, 4, 3, 3, 2, 1)
SUMMARIES = {
    "late_or_missed": "护理员约好九点到，十点半才来，也没有提前打电话。",
    "shortened": "说好一小时的助浴，二十分钟就走了。",
    "quality": "地没有拖干净，厨房的垃圾也没有带走。",
    "attitude": "护理员说话不耐烦，老人有点害怕。",
    "safety": "洗澡时没有扶好，老人差点滑倒。",
    "charges": "账单上多了一次没有来的服务。",
    "other": "希望能换一位会说上海话的护理员。",
}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _first(role, **extra):
    return User.objects.filter(role=role, is_active=True, **extra).order_by("pk").first()


def _who(candidates, obj, fallback):
    """The first of `candidates` who may change `obj` (their scope holds it), else `fallback`."""
    from carecircle.core.isolation import is_visible

    for user in candidates:
        if user is not None and is_visible(user, obj, "change"):
            return user
    return fallback


def demo_quality_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    counts = {"return_visits": 0, "calls": 0, "complaints": 0}
    operator = _first(Role.OPERATOR)
    street = _first(Role.STREET_STAFF)
    district = _first(Role.DISTRICT_ADMIN)
    if operator is None or street is None or district is None:
        return counts
    callers = [u for u in (operator, *User.objects.filter(role__in=(Role.COMMUNITY_WORKER, Role.STREET_STAFF),
                                                          is_active=True).order_by("role", "pk")) if u is not None]
    # --- return visits, drawn as the visits' events draw them -------------------------------------------------
    from carecircle.visits.models import Visit, VisitException

    start = as_of - dt.timedelta(days=35)
    with_exception = set(VisitException.objects.filter(visit__date__gte=start).values_list("visit_id", flat=True))
    made = []
    for visit_id, order_id, status in (Visit.objects.filter(date__gte=start, date__lt=as_of)
                                       .order_by("date", "pk").values_list("pk", "work_order_id", "status")):
        if visit_id in with_exception:
            made.append(services.return_visit_for_visit(actor=None, visit_id=visit_id, work_order_id=order_id,
                                                        reason=ReturnVisitReason.EXCEPTION,
                                                        now=_at(as_of - dt.timedelta(days=3), 9)))
        if status == "verified":
            made.append(services.return_visit_for_visit(actor=None, visit_id=visit_id, work_order_id=order_id,
                                                        reason=ReturnVisitReason.SAMPLED,
                                                        now=_at(as_of - dt.timedelta(days=3), 9)))
    made = [visit for visit in made if visit is not None][:RETURN_VISITS]
    counts["return_visits"] = len(made)
    # Outcomes in every state: most reached with a satisfaction, some not reached (once, twice, three times:
    # unreachable), one refused, and some still waiting (the oldest of them overdue).
    for index, visit in enumerate(made):
        caller = _who(callers[index % len(callers):] + callers, visit, district)
        when = _at(as_of - dt.timedelta(days=2), 10 + index % 6)
        kind = index % 10
        if kind in (8, 9):
            continue  # still to call
        if kind == 7:
            for attempt in range(3 if index % 20 == 7 else 1):
                visit = services.return_visit_record(actor=caller, return_visit=visit, outcome="not_reached",
                                                     notes="无人接听", now=when + dt.timedelta(hours=attempt))
                counts["calls"] += 1
            continue
        if kind == 6 and index % 20 == 6:
            services.return_visit_record(actor=caller, return_visit=visit, outcome="refused", notes="老人说不用回访",
                                         now=when)
            counts["calls"] += 1
            continue
        score = rng.choice(SATISFACTION)
        services.return_visit_record(actor=caller, return_visit=visit, outcome="reached", satisfaction=score,
                                     notes="老人对护理员很满意" if score >= 4 else "老人说服务时间偏短", now=when)
        counts["calls"] += 1
    # --- complaints in every state ------------------------------------------------------------------------------
    # Visits of providers with a manager's account, who answer their complaints.
    answering = User.objects.filter(role=Role.PROVIDER_ADMIN, is_active=True).values("organisation")
    orders = list(WorkOrder.objects.filter(status=WorkOrderStatus.DONE, date__lt=as_of, organisation__in=answering,
                                           date__gte=as_of - dt.timedelta(days=28))
                  .select_related("elder__community", "organisation").order_by("date", "pk"))
    if not orders:
        return counts
    rng.shuffle(orders)
    calendar = Calendar.load()

    def back_working(n):
        day = as_of
        while n:
            day -= dt.timedelta(days=1)
            if calendar.is_working_day(day):
                n -= 1
        return day

    def responder(complaint):
        return _first(Role.PROVIDER_ADMIN, organisation=complaint.organisation) or district

    def file(order, category, channel, filed_on, actor=operator, **extra):
        complaint = services.complaint_file(actor=actor, elder=order.elder, category=category,
                                            summary=SUMMARIES[category], channel=channel, work_order=order,
                                            complainant=extra.pop("complainant", "老人的女儿"),
                                            now=_at(filed_on, 9, 30), **extra)
        counts["complaints"] += 1
        return complaint

    plan = [
        ("received", "quality", "hotline", back_working(0)),
        ("received_late", "late_or_missed", "window", back_working(3)),
        ("accepted", "attitude", "community", back_working(2)),
        ("escalated", "shortened", "hotline", back_working(9)),
        ("answered", "safety", "hotline", back_working(5)),
        ("closed", "charges", "window", back_working(12)),
        ("closed_unhappy", "late_or_missed", "community", back_working(14)),
        ("reopened", "quality", "hotline", back_working(6)),
    ]
    for (state, category, channel, filed_on), order in zip(plan, orders):
        people = callers[1:] if channel == "community" else callers
        complaint = file(order, category, channel, filed_on, actor=_who(people, order.elder, district))
        acceptor = _who([u for u in callers if u.role == Role.STREET_STAFF], complaint, district)
        if state in ("received", "received_late"):
            continue
        complaint = services.complaint_accept(actor=acceptor, complaint=complaint, now=_at(filed_on, 14))
        if state in ("accepted", "escalated"):
            continue
        complaint = services.complaint_answer(actor=responder(complaint), complaint=complaint,
                                              answer="已向护理员核实，向老人致歉，并调整了排班。",
                                              now=_at(filed_on + dt.timedelta(days=2), 11))
        if state == "answered":
            continue
        complaint = services.complaint_close(actor=acceptor, complaint=complaint, satisfied=state != "closed_unhappy",
                                             note="电话确认老人家属已知晓答复",
                                             now=_at(filed_on + dt.timedelta(days=3), 15))
        if state == "reopened":
            services.complaint_reopen(actor=acceptor, complaint=complaint, reason="家属来电：问题又出现了",
                                      now=_at(filed_on + dt.timedelta(days=4), 10))
    # The overdue beat escalates what is past its deadline (the "escalated" one and the late registration).
    services.complaints_escalate_overdue(today=as_of)
    # A complaint raised on a return visit, and one filed by the demo elder on the portal.
    low = ReturnVisit.objects.filter(status=ReturnVisitStatus.DONE, satisfaction__lte=2,
                                     organisation__isnull=False).first()
    if low is not None:
        services.complaint_file(actor=_who([low.completed_by, *callers], low.elder, district), elder=low.elder, category="shortened",
                                summary="回访时老人说服务时间不够", organisation=low.organisation,
                                work_order=low.work_order, return_visit=low, now=_at(as_of, 10))
        counts["complaints"] += 1
    elder_user = User.objects.filter(username="elder").first()
    if elder_user is not None:
        from carecircle.core.isolation import visible_to
        from carecircle.elders.models import Elder

        elder = visible_to(elder_user, Elder).first()
        if elder is not None and not Complaint.objects.filter(elder=elder, channel="portal").exists():
            organisation = services.organisations_for(elder).first()
            services.complaint_file(actor=elder_user, elder=elder, category="other", summary=SUMMARIES["other"],
                                    organisation=organisation, now=_at(as_of, 8, 45))
            counts["complaints"] += 1
    return counts

