"""Reads of the hotline. Every function takes the acting user and starts from visible_to."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core.isolation import CHANGE, visible_to
from carecircle.core.policy import MissingPolicyParameter, policy_value
from carecircle.elders.models import Elder, ElderStatus, HouseholdType
from carecircle.engines import hotline as engine

from .models import (Alarm, AlarmStatus, Call, CallCategory, CallDirection, CareCall, CareCallStatus, Device,
                     DeviceRejection, RejectReason, WelfareTask, WelfareVisit)
from .services import HARDSHIP, care_facts

# --- emergency cases ----------------------------------------------------------------------------------


def alarm_queue(user):
    """Cases not closed, the most urgent first: priority, then the oldest."""
    return (visible_to(user, Alarm).exclude(status=AlarmStatus.CLOSED)
            .select_related("elder__community", "device").order_by("priority", "raised_at", "id")
            .only("id", "elder", "device", "code", "priority", "status", "raised_at", "escalation_level",
                  "elder__name", "elder__community__name", "device__device_id"))


def alarms_recent(user, limit: int = 20):
    return (visible_to(user, Alarm).filter(status=AlarmStatus.CLOSED).select_related("elder__community")
            .order_by("-closed_at", "-id")[:limit])


def alarm_detail(user, pk: int) -> Alarm:
    return visible_to(user, Alarm).select_related("elder__community__parent", "device").get(pk=pk)


def alarm_timers(alarm: Alarm, now: dt.datetime | None = None) -> list[engine.Timer]:
    now = now or timezone.now()
    region, day = alarm.elder.community, timezone.localdate(alarm.raised_at)
    return engine.case_timers(
        raised=alarm.raised_at, now=alarm.closed_at or now, acknowledged=alarm.acknowledged_at,
        first_action=alarm.first_action_at, arrived=alarm.arrived_at,
        answer_target=policy_value("hotline.target.answer_seconds", region=region, on=day),
        action_target=policy_value("hotline.target.first_action_seconds", region=region, on=day),
        arrival_target=60 * policy_value("hotline.on_site_response_minutes", region=region, on=day),
        needs_arrival=alarm.needs_arrival)


def elder_for_card(user, elder_id: int) -> Elder | None:
    return visible_to(user, Elder).select_related("community").filter(pk=elder_id).first()


@dataclass
class ElderCard:
    """What pops on the operator's screen: who, where, what they live with, who to call and who is near."""

    elder: Elder
    age: int
    tier: str
    contacts: list
    key_holders: list
    community_workers: list
    providers: list
    devices: list
    open_task: WelfareTask | None = None
    recent_alarms: list = field(default_factory=list)


def elder_card(user, elder: Elder, today: dt.date | None = None) -> ElderCard:
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role
    from carecircle.elders.identity import age_on
    from carecircle.elders.selectors import elder_contacts
    from carecircle.providers.models import Organisation

    from .services import risk_tier

    today = today or timezone.localdate()
    contacts = list(elder_contacts(user, elder))
    workers = list(User.objects.filter(role=Role.COMMUNITY_WORKER, scope_region=elder.community, is_active=True)
                   .order_by("id")[:3])
    providers = list(Organisation.objects.filter(service_areas__community=elder.community, is_active=True)
                     .distinct().order_by("name")[:3])
    return ElderCard(
        elder=elder, age=age_on(elder.birth_date, today), tier=risk_tier(elder, today), contacts=contacts,
        key_holders=[c for c in contacts if c.holds_key], community_workers=workers, providers=providers,
        devices=list(visible_to(user, Device).filter(elder=elder, active=True)),
        open_task=visible_to(user, WelfareTask).filter(elder=elder, done_at__isnull=True).first(),
        recent_alarms=list(visible_to(user, Alarm).filter(elder=elder).order_by("-raised_at")[:5]))


# --- devices and calls ----------------------------------------------------------------------------------


def devices_for(user, *, q: str = ""):
    from carecircle.elders.selectors import elders_matching

    qs = visible_to(user, Device).select_related("elder__community")
    if (q or "").strip():
        qs = qs.filter(Q(elder__in=elders_matching(q)) | Q(device_id__iexact=q.strip()))
    return qs.order_by("elder__name", "device_id")


def elders_for_devices(user, q: str, limit: int = 10):
    """Active elders in the user's scope matching the search, to register a device for."""
    from carecircle.elders.selectors import elders_matching

    return list(visible_to(user, Elder).filter(status=ElderStatus.ACTIVE, pk__in=elders_matching(q).values("pk"))
                .select_related("community").order_by("name", "pk")[:limit])


def rejections_by_vendor(user, *, vendor: str = "", since: dt.datetime | None = None):
    """Messages refused at the door, for the device vendors to put right: the rows (newest first) and a summary
    per vendor and reason. A message from an unknown device has no vendor."""
    from django.db.models import Count

    qs = visible_to(user, DeviceRejection).select_related("device")
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    if vendor:
        qs = qs.filter(device__vendor=vendor)
    labels = dict(RejectReason.choices)
    summary: dict[str, dict] = {}
    for row in qs.order_by().values("device__vendor", "reason").annotate(n=Count("id")):
        entry = summary.setdefault(row["device__vendor"] or "", {"vendor": row["device__vendor"] or "",
                                                                 "total": 0, "reasons": []})
        entry["total"] += row["n"]
        entry["reasons"].append((labels.get(row["reason"], row["reason"]), row["n"]))
    return qs.order_by("-received_at", "-id"), sorted(summary.values(), key=lambda e: (-e["total"], e["vendor"]))


def device_rejections(user, device: Device, limit: int = 20):
    return visible_to(user, DeviceRejection).filter(device=device)[:limit]


def calls_for(user, *, day: dt.date | None = None):
    qs = visible_to(user, Call).select_related("elder__community", "agent")
    if day is not None:
        qs = qs.filter(started_at__date=day)
    return qs.order_by("-started_at", "-id")


def care_calls_for(user, day: dt.date):
    """Today's care-call list: those due today and those earlier still waiting for an answer."""
    return (visible_to(user, CareCall)
            .filter(Q(due_on=day) | Q(due_on__lt=day, status__in=[CareCallStatus.DUE, CareCallStatus.RETRY]))
            .select_related("elder__community").order_by("status", "due_on", "elder__name", "id"))


# --- silence ------------------------------------------------------------------------------------------


def _latest(queryset, column):
    return Subquery(queryset.order_by(f"-{column}").values(column)[:1])


def _silence_candidates(queryset):
    """Active elders living alone with what was last heard from them."""
    devices = Device.objects.filter(elder=OuterRef("pk"), active=True)
    last_care = CareCall.objects.filter(elder=OuterRef("pk")).order_by("-due_on", "-id")
    return (queryset.filter(status=ElderStatus.ACTIVE, household_type=HouseholdType.ALONE)
            .annotate(has_device=Exists(devices),
                      # the quietest device speaks for all: one that stopped reporting needs a look
                      last_heartbeat=Subquery(devices.order_by(F("last_heartbeat_at").asc(nulls_first=True))
                                              .values("last_heartbeat_at")[:1]),
                      last_answered=_latest(Call.objects.filter(elder=OuterRef("pk"), answered=True), "started_at"),
                      last_visit=_latest(WelfareVisit.objects.filter(elder=OuterRef("pk"), seen_in_person=True),
                                         "visited_at"),
                      last_care_status=Subquery(last_care.values("status")[:1]),
                      last_care_attempts=Subquery(last_care.values("attempts")[:1], output_field=IntegerField()))
            .select_related("community__parent"))


def _reasons(elder, now, limits) -> list[str]:
    unanswered = elder.last_care_attempts or 0
    if elder.last_care_status == CareCallStatus.ANSWERED:
        unanswered = 0
    facts = engine.SilenceFacts(has_device=elder.has_device, last_heartbeat=elder.last_heartbeat,
                                last_answered_call=elder.last_answered, last_visit=elder.last_visit,
                                unanswered_in_a_row=unanswered)
    return engine.silence_reasons(facts, now=now, **limits)


def _limits(region, day):
    return {"heartbeat_hours": policy_value("hotline.no_check_in_alert_hours", region=region, on=day),
            "silent_days": policy_value("hotline.silence.days", region=region, on=day),
            "max_unanswered": policy_value("hotline.care_call.max_attempts", region=region, on=day)}


def _silent(queryset, now):
    day = timezone.localdate(now)
    cache = {}
    found = []
    for elder in _silence_candidates(queryset).iterator(chunk_size=500):
        limits = cache.get(elder.community_id)
        if limits is None:
            limits = cache[elder.community_id] = _limits(elder.community, day)
        reasons = _reasons(elder, now, limits)
        if reasons:
            found.append((elder, reasons))
    return found


def silent_elders(user, *, now: dt.datetime | None = None) -> list[tuple[Elder, list[str]]]:
    """Elders living alone in the user's scope who have gone silent, each with the reasons."""
    return _silent(visible_to(user, Elder), now or timezone.now())


def silent_elders_all(*, now: dt.datetime) -> list[tuple[Elder, list[str]]]:
    """The same for the whole platform (the system's hourly sweep)."""
    return _silent(Elder.objects.all(), now)


# --- welfare visits --------------------------------------------------------------------------------------


def special_difficulty_condition(today: dt.date, old_age: int) -> Q:
    """The elders in special difficulty whom the monthly visit rate counts (engine.special_difficulty as a
    query): living alone or only with other elders, in economic hardship, disabled, or aged `old_age`+."""
    try:
        born_by = today.replace(year=today.year - old_age)
    except ValueError:
        born_by = today.replace(year=today.year - old_age, day=28)
    return (Q(household_type__in=[HouseholdType.ALONE, HouseholdType.ELDERLY_ONLY])
            | Q(economic_category__in=HARDSHIP) | Q(has_disability_certificate=True) | Q(birth_date__lte=born_by))


@dataclass
class VisitDue:
    elder: Elder
    tier: str
    due: dt.date
    overdue: bool
    task: WelfareTask | None = None
    last_visit: dt.datetime | None = None


def welfare_due(user, *, today: dt.date | None = None, limit: int = 500) -> list[VisitDue]:
    """What the community worker owes, most urgent first: open tasks (silent, unanswered, after an alarm), then
    scheduled visits by risk tier (`welfare_visit.interval_days`) due within a week."""
    today = today or timezone.localdate()
    tasks = {t.elder_id: t for t in visible_to(user, WelfareTask, CHANGE).filter(done_at__isnull=True)
             .select_related("elder__community")}
    last_visit = _latest(WelfareVisit.objects.filter(elder=OuterRef("pk"), seen_in_person=True), "visited_at")
    elders = (visible_to(user, Elder, CHANGE).filter(status=ElderStatus.ACTIVE)
              .filter(special_difficulty_condition(today, 80) | Q(pk__in=list(tasks)))
              .annotate(last_visit=last_visit).select_related("community"))
    rows = []
    horizon = today + dt.timedelta(days=7)
    intervals = {}
    from .services import old_age

    old_ages = {}
    for elder in elders.iterator(chunk_size=500):
        task = tasks.get(elder.pk)
        if elder.community_id not in old_ages:
            old_ages[elder.community_id] = old_age(elder, today)
        tier = engine.risk_tier(care_facts(elder, today), old_age=old_ages[elder.community_id])
        if task is not None:
            due = timezone.localtime(task.due_at).date()
        else:
            table = intervals.get(elder.community_id)
            if table is None:
                table = intervals[elder.community_id] = policy_value("welfare_visit.interval_days",
                                                                     region=elder.community, on=today)
            last = timezone.localtime(elder.last_visit).date() if elder.last_visit else None
            due = engine.visit_due(interval_days=int(table.get(tier, 0)), last_visit=last, today=today)
            if due is None or due > horizon:
                continue
        rows.append(VisitDue(elder=elder, tier=tier, due=due, overdue=due < today or (
            task is not None and task.due_at < timezone.now()), task=task, last_visit=elder.last_visit))
    rows.sort(key=lambda r: (r.task is None, r.due, r.elder.name))
    return rows[:limit]


@dataclass
class RateRow:
    region: object
    street: object
    eligible: int
    visited: int

    @property
    def rate(self):
        return engine.visit_rate(self.eligible, self.visited)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz), dt.datetime.combine(following, dt.time.min, tzinfo=tz))


def visit_rates(user, month: dt.date) -> tuple[list[RateRow], list[RateRow]]:
    """(per community, per street) eligible elders in special difficulty and those seen in person in the
    month. Eligible: active on the month's last day and in special difficulty."""
    start, end = month_bounds(month)
    last_day = (end - dt.timedelta(days=1)).date()
    visited = WelfareVisit.objects.filter(elder=OuterRef("pk"), seen_in_person=True, visited_at__gte=start,
                                          visited_at__lt=end)
    rows = (visible_to(user, Elder).filter(status=ElderStatus.ACTIVE)
            .filter(special_difficulty_condition(last_day, 80))
            .annotate(was_visited=Exists(visited))
            .values("community", "community__name", "community__parent", "community__parent__name")
            .annotate(eligible=Count("pk"), visited=Count("pk", filter=Q(was_visited=True)))
            .order_by("community__parent__name", "community__name"))
    communities, streets = [], {}
    for row in rows:
        street = {"pk": row["community__parent"], "name": row["community__parent__name"]}
        communities.append(RateRow(region={"pk": row["community"], "name": row["community__name"]}, street=street,
                                   eligible=row["eligible"], visited=row["visited"]))
        total = streets.setdefault(street["pk"], RateRow(region=street, street=street, eligible=0, visited=0))
        total.eligible += row["eligible"]
        total.visited += row["visited"]
    return communities, list(streets.values())


def rate_target(user) -> object:
    region = getattr(user, "scope_region", None)
    if region is None:
        return None
    try:
        return policy_value("welfare_visit.monthly_rate_target", region=region)
    except MissingPolicyParameter:
        return None


# --- statistics ------------------------------------------------------------------------------------------


@dataclass
class CategoryRow:
    category: str
    label: object
    alarms: int = 0
    calls_in: int = 0
    calls_out: int = 0

    @property
    def total(self):
        return self.alarms + self.calls_in + self.calls_out


@dataclass
class BreakdownRow:
    """One line of a breakdown (a month or a street): counts per category in Wuhan's order, and the total."""

    label: object
    counts: dict = field(default_factory=dict)
    emergency: int = 0

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def cells(self):
        return [self.counts.get(c, 0) for c in CallCategory.values]


@dataclass
class TimerRow:
    """A response time against its target: how many met it, how many were late, how many are still waiting."""

    name: str
    targets: set = field(default_factory=set)
    within: int = 0
    late: int = 0
    waiting: int = 0
    seconds: list = field(default_factory=list)

    @property
    def done(self):
        return self.within + self.late

    @property
    def target_seconds(self):
        """The target, when every community counted has the same one."""
        return next(iter(self.targets)) if len(self.targets) == 1 else None

    @property
    def median_seconds(self):
        values = sorted(self.seconds)
        return int(values[len(values) // 2]) if values else None


def statistics(user, start: dt.date, end: dt.date) -> dict:
    """For the days [start, end], laid out like Wuhan's published breakdown: counts by category and channel
    (device alarms, calls in, calls out; emergency or not), by month and by street, each with the categories'
    shares; and the three response times (answer, first action, arrival on site) against their policy targets.
    A call that opened a case is counted once, as the case."""
    from django.db.models.functions import TruncMonth

    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = {c: CategoryRow(c, label) for c, label in CallCategory.choices}
    months: dict = {}
    streets: dict = {}
    emergency = 0

    def add(category, n, month, street, urgent):
        nonlocal emergency
        category = category if category in rows else CallCategory.OTHER
        for table, key, label in ((months, month, month), (streets, street or "", street)):
            row = table.setdefault(key, BreakdownRow(label))
            row.counts[category] = row.counts.get(category, 0) + n
            row.emergency += n if urgent else 0
        emergency += n if urgent else 0

    alarms = visible_to(user, Alarm).filter(raised_at__gte=since, raised_at__lt=until)
    for row in (alarms.annotate(month=TruncMonth("raised_at", tzinfo=tz))
                .values("category", "is_emergency", "month", "elder__community__parent__name")
                .annotate(n=Count("pk")).order_by()):
        rows[row["category"] if row["category"] in rows else CallCategory.OTHER].alarms += row["n"]
        add(row["category"], row["n"], row["month"], row["elder__community__parent__name"], row["is_emergency"])
    calls = visible_to(user, Call).filter(started_at__gte=since, started_at__lt=until, alarm__isnull=True)
    for row in (calls.annotate(month=TruncMonth("started_at", tzinfo=tz))
                .values("category", "direction", "is_emergency", "month", "elder__community__parent__name",
                        "region__parent__name", "region__kind")
                .annotate(n=Count("pk")).order_by()):
        target = rows.get(row["category"] or CallCategory.OTHER)
        if row["direction"] == CallDirection.IN:
            target.calls_in += row["n"]
        else:
            target.calls_out += row["n"]
        street = row["elder__community__parent__name"] or (
            row["region__parent__name"] if row["region__kind"] == "community" else "")
        add(row["category"] or CallCategory.OTHER, row["n"], row["month"], street, row["is_emergency"])
    total = sum(r.total for r in rows.values())
    timers = {"answer": TimerRow("answer"), "first_action": TimerRow("first_action"), "arrival": TimerRow("arrival")}
    targets: dict = {}
    for alarm in alarms.select_related("elder__community").only(
            "raised_at", "acknowledged_at", "first_action_at", "arrived_at", "needs_arrival", "elder__community"):
        community = alarm.elder.community
        target = targets.get(community.pk)
        if target is None:
            target = targets[community.pk] = {
                "answer": policy_value("hotline.target.answer_seconds", region=community, on=end),
                "first_action": policy_value("hotline.target.first_action_seconds", region=community, on=end),
                "arrival": 60 * policy_value("hotline.on_site_response_minutes", region=community, on=end)}
        for name, moment, counted in (("answer", alarm.acknowledged_at, True),
                                      ("first_action", alarm.first_action_at, True),
                                      ("arrival", alarm.arrived_at, alarm.needs_arrival)):
            if not counted:
                continue
            timer = timers[name]
            timer.targets.add(target[name])
            if moment is None:
                timer.waiting += 1
                continue
            waited = max(0.0, (moment - alarm.raised_at).total_seconds())
            timer.seconds.append(waited)
            if waited <= target[name]:
                timer.within += 1
            else:
                timer.late += 1
    answer = timers["answer"]
    no_street = _("未归属街道")
    return {"rows": list(rows.values()), "total": total, "emergency": emergency,
            "categories": [label for _c, label in CallCategory.choices],
            "months": [months[k] for k in sorted(months)],
            "streets": sorted(streets.values(), key=lambda r: (r.label is None, str(r.label or ""))),
            "no_street": no_street, "timers": list(timers.values()),
            # the figures of the first table of response times, kept for the workbench and older readers
            "answered": answer.done, "within": answer.within, "late": answer.late, "unanswered": answer.waiting,
            "median_seconds": answer.median_seconds,
            "by_street": [(r.label, r.total) for r in sorted(streets.values(), key=lambda r: str(r.label or ""))]}


# --- the elder's story and the workbench ----------------------------------------------------------------------


def elder_timeline(user, elder, limit: int):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    entries = []
    can_open = has_capability(user, "hotline.operate")
    for alarm in visible_to(user, Alarm).filter(elder=elder).order_by("-raised_at")[:limit]:
        entries.append(TimelineEntry(
            at=alarm.raised_at, kind=_("紧急呼叫"),
            title=_("%(code)s，%(status)s") % {"code": alarm.code_label, "status": alarm.get_status_display()},
            detail=alarm.get_outcome_display() if alarm.outcome else "",
            url=reverse("hotline:alarm", args=[alarm.pk]) if can_open else ""))
    for visit in visible_to(user, WelfareVisit).filter(elder=elder).order_by("-visited_at")[:limit]:
        entries.append(TimelineEntry(
            at=visit.visited_at, kind=_("探访关爱"),
            title=_("探访：%(seen)s，健康%(health)s") % {
                "seen": _("见到本人") if visit.seen_in_person else _("未见到本人"),
                "health": visit.get_health_display()},
            detail=visit.needs, url=""))
    for call in visible_to(user, Call).filter(elder=elder, alarm__isnull=True).order_by("-started_at")[:limit]:
        entries.append(TimelineEntry(
            at=call.started_at, kind=_("热线通话"),
            title=_("%(direction)s：%(answered)s") % {"direction": call.get_direction_display(),
                                                     "answered": _("已接通") if call.answered else _("未接通")},
            detail=call.summary, url=""))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def workbench_cards(user, *, now: dt.datetime | None = None) -> list:
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    now = now or timezone.now()
    cards = []
    if has_capability(user, "hotline.operate"):
        queue = visible_to(user, Alarm).filter(status=AlarmStatus.OPEN).select_related("elder")

        def alarm_item(alarm, overdue):
            return QueueItem(title=_("%(name)s · %(code)s") % {"name": alarm.elder.name, "code": alarm.code_label},
                             url=reverse("hotline:alarm", args=[alarm.pk]), due=alarm.raised_at, overdue=overdue)

        cards.append(queue_card(order=2, key="hotline_alarms", label=gettext_lazy("待响应的紧急呼叫"),
                                url_name="hotline:console", queryset=queue, due_field="raised_at",
                                cutoff=now - dt.timedelta(seconds=30), item=alarm_item))
        today = timezone.localdate(now)
        care = (visible_to(user, CareCall).filter(due_on__lte=today,
                                                  status__in=[CareCallStatus.DUE, CareCallStatus.RETRY])
                .select_related("elder"))

        def care_item(call, overdue):
            return QueueItem(title=call.elder.name, url=reverse("hotline:care-calls"), due=call.due_on,
                             overdue=overdue)

        cards.append(queue_card(order=57, key="hotline_care_calls", label=gettext_lazy("今日关爱电话"),
                                url_name="hotline:care-calls", queryset=care, due_field="due_on", cutoff=today,
                                item=care_item))
    if has_capability(user, "hotline.visit"):
        tasks = visible_to(user, WelfareTask, CHANGE).filter(done_at__isnull=True).select_related("elder")

        def task_item(task, overdue):
            return QueueItem(title=task.elder.name, detail=task.reason,
                             url=reverse("hotline:visit", args=[task.elder_id]), due=task.due_at, overdue=overdue)

        cards.append(queue_card(order=58, key="hotline_welfare_tasks", label=gettext_lazy("待上门探访"),
                                url_name="hotline:welfare", queryset=tasks, due_field="due_at", cutoff=now,
                                item=task_item))
    return cards
