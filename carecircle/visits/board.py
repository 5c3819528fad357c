"""What the live board shows, read through `visible_to`: today's visits in the reader's scope (a district, a
street, a provider), the figures of the day, the visits under way with where they are, and the alerts — a
visit nobody has checked in to some minutes after its planned start (late; the minutes are the late-start
rule's threshold, `visits.rules.threshold`, for the visit's community, programme and items), and one whose window has ended without a check-in (missed).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core.isolation import visible_to
from carecircle.core.policy import MissingPolicyParameter, policy_value
from carecircle.core.region_tree import scope_root
from carecircle.engines.supervision import rules as supervision
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

from .models import ExceptionStatus, Visit, VisitException, VisitStatus

# The work orders a day's board counts: published to a caregiver (to come), under way, done, nobody at home.
ON_THE_BOARD = (WorkOrderStatus.PUBLISHED, WorkOrderStatus.STARTED, WorkOrderStatus.DONE, WorkOrderStatus.NOT_HOME)
FINISHED = (VisitStatus.CHECKED_OUT, VisitStatus.HELD, VisitStatus.VERIFIED)


def late_after_minutes(user, day: dt.date) -> int | None:
    """Minutes after the planned start with no check-in before a visit counts as late: the late-start rule's
    threshold for the reader's region; None when no value is in force there (the board then says so)."""
    region = scope_root(user)
    if region is None:
        return None
    try:
        table = policy_value("visits.rules.threshold", region=region, on=day)
    except MissingPolicyParameter:
        return None
    value = (table or {}).get("late_start")
    return int(value) if value is not None else None


class LateThresholds:
    """The late-start threshold of each visit as the rules would apply it: the value in force for the elder's
    community, the visit's programme or its items overriding the default (`resolve_policy`); read once per
    community and combination in one board."""

    def __init__(self, day: dt.date):
        self.day = day
        self._tables: dict[int, tuple | None] = {}
        self._resolved: dict[tuple, int | None] = {}

    def _tables_for(self, community):
        if community.pk not in self._tables:
            try:
                self._tables[community.pk] = (policy_value("visits.rules.threshold", region=community, on=self.day),
                                              policy_value("visits.rules.action", region=community, on=self.day))
            except MissingPolicyParameter:
                self._tables[community.pk] = None
        return self._tables[community.pk]

    def of(self, order: WorkOrder) -> int | None:
        plan = order.plan_visit.plan if order.plan_visit_id else None
        programme = plan.programme if plan else "order"
        items = tuple(sorted(line.item.code for line in order.lines.all()))
        key = (order.elder.community_id, programme, items)
        if key not in self._resolved:
            tables = self._tables_for(order.elder.community)
            rule = None
            if tables is not None:
                try:
                    rule = supervision.resolve_policy(*tables, programme=programme, items=items).get(supervision.LATE_START)
                except supervision.PolicyError:
                    rule = None
            self._resolved[key] = int(rule.threshold) if rule is not None else None
        return self._resolved[key]


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@dataclass
class Row:
    order: WorkOrder
    visit: Visit | None
    state: str  # to_come, late, missed, in_progress, not_home, done, held, verified
    minutes_late: int = 0
    open_exceptions: int = 0


@dataclass
class Board:
    day: dt.date
    now: dt.datetime
    late_after: int | None
    rows: list[Row] = field(default_factory=list)

    def count(self, *states) -> int:
        return sum(1 for row in self.rows if row.state in states)

    @property
    def figures(self) -> dict:
        total = len(self.rows)
        finished = self.count("done", "held", "verified")
        return {
            "total": total,
            "to_come": self.count("to_come"),
            "in_progress": self.count("in_progress"),
            "finished": finished,
            "verified": self.count("verified"),
            "held": self.count("held"),
            "not_home": self.count("not_home"),
            "late": self.count("late"),
            "missed": self.count("missed"),
            "completion": round(100 * (finished + self.count("not_home")) / total) if total else 0,
        }

    @property
    def alerts(self) -> list[Row]:
        alerts = [row for row in self.rows if row.state in ("missed", "late")]
        return sorted(alerts, key=lambda row: (row.state != "missed", row.order.planned_start or self.now))


def _state(order: WorkOrder, visit: Visit | None, open_exceptions: int, now: dt.datetime,
           late_after: int | None) -> tuple[str, int]:
    if visit is not None:
        if visit.status == VisitStatus.CHECKED_IN:
            return "in_progress", 0
        if visit.status == VisitStatus.NOT_HOME:
            return "not_home", 0
        if visit.status == VisitStatus.VERIFIED and not open_exceptions:
            return "verified", 0
        if visit.status == VisitStatus.HELD or open_exceptions:
            return "held", 0
        return "done", 0
    if order.status == WorkOrderStatus.DONE:
        return "done", 0
    if order.status == WorkOrderStatus.NOT_HOME:
        return "not_home", 0
    if order.status == WorkOrderStatus.STARTED:
        return "in_progress", 0
    if now >= _aware(order.date, order.window_end):
        return "missed", 0
    start = order.planned_start or _aware(order.date, order.window_start)
    minutes = int((now - start).total_seconds() // 60)
    if late_after is not None and minutes >= late_after:
        return "late", minutes
    return "to_come", 0


def board_for(user, *, now: dt.datetime | None = None) -> Board:
    """Today's board for `user`, in their scope only."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    late_after = late_after_minutes(user, day)
    board = Board(day=day, now=now, late_after=late_after)
    visits = {v.work_order_id: v for v in visible_to(user, Visit).filter(date=day)}
    open_counts: dict[int, int] = {}
    for visit_id in visible_to(user, VisitException).filter(
            visit__date=day, status__in=[ExceptionStatus.OPEN, ExceptionStatus.RESOLVED]).values_list("visit_id", flat=True):
        open_counts[visit_id] = open_counts.get(visit_id, 0) + 1
    orders = (visible_to(user, WorkOrder).filter(date=day, status__in=ON_THE_BOARD)
              .select_related("elder__community", "caregiver", "organisation", "plan_visit__plan")
              .prefetch_related("lines__item").order_by("planned_start", "window_start", "id"))
    thresholds = LateThresholds(day)
    for order in orders:
        visit = visits.get(order.pk)
        exceptions = open_counts.get(visit.pk, 0) if visit else 0
        state, minutes = _state(order, visit, exceptions, now, thresholds.of(order))
        board.rows.append(Row(order=order, visit=visit, state=state, minutes_late=minutes, open_exceptions=exceptions))
    return board


def state_labels() -> dict[str, str]:
    return {
        "to_come": _("待上门"), "late": _("迟到未签到"), "missed": _("漏服务"), "in_progress": _("服务中"),
        "not_home": _("老人不在家"), "done": _("已签退"), "held": _("有待处理的异常"), "verified": _("已核验"),
    }


def _clock(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def live_data(board: Board) -> dict:
    """The board as the page's script polls it: figures, alerts and map points, in words."""
    labels = state_labels()

    def where(row: Row):
        visit = row.visit
        if visit is not None and visit.checked_in_lat is not None and row.state == "in_progress":
            return float(visit.checked_in_lat), float(visit.checked_in_lng)
        elder = row.order.elder
        if elder.lat is None:
            return None
        return float(elder.lat), float(elder.lng)

    def describe(row: Row) -> dict:
        order = row.order
        if row.state == "late":
            text = _("计划 %(time)s 开始，已过 %(m)s 分钟仍未签到") % {"time": _clock(order.planned_start),
                                                               "m": row.minutes_late}
        elif row.state == "missed":
            text = _("服务时段 %(start)s–%(end)s 已结束，没有签到") % {"start": f"{order.window_start:%H:%M}",
                                                                 "end": f"{order.window_end:%H:%M}"}
        else:
            text = labels[row.state]
        return {
            "id": order.pk, "state": row.state, "state_label": labels[row.state], "text": text,
            "elder": order.elder.name, "address": order.elder.address,
            "caregiver": order.caregiver.name if order.caregiver_id else "",
            "provider": order.organisation.name, "time": _clock(order.planned_start),
            "url": reverse("visits:board-visit", args=[order.pk]),
        }

    points = []
    for row in board.rows:
        if row.state not in ("in_progress", "verified", "held", "done", "not_home", "late", "missed"):
            continue
        place = where(row)
        if place is None:
            continue
        points.append({**describe(row), "lat": place[0], "lng": place[1]})
    return {
        "day": board.day.isoformat(),
        "updated": _clock(board.now),
        "figures": board.figures,
        "alerts": [describe(row) for row in board.alerts],
        "points": points,
        "rows": [{"id": row.order.pk, "state": row.state, "state_label": labels[row.state]} for row in board.rows],
    }


def row_state(user, order: WorkOrder, visit: Visit | None, *, now: dt.datetime | None = None) -> str:
    """Where one visit of the board stands now, as the board would show it."""
    now = now or timezone.now()
    exceptions = (visible_to(user, VisitException).filter(
        visit=visit, status__in=[ExceptionStatus.OPEN, ExceptionStatus.RESOLVED]).count() if visit else 0)
    return _state(order, visit, exceptions, now, LateThresholds(timezone.localdate(now)).of(order))[0]


def visit_detail(user, work_order_id: int):
    """One visit of the board with its evidence, or None when the reader may not see it."""
    order = (visible_to(user, WorkOrder).filter(pk=work_order_id)
             .select_related("elder", "caregiver", "organisation").prefetch_related("lines__item").first())
    if order is None:
        return None
    visit = (visible_to(user, Visit).filter(work_order=order)
             .prefetch_related("events", "items__item", "flags", Prefetch("exceptions")).first())
    return order, visit
