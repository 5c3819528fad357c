"""The adapter: work orders and shifts become the engine's Problem, and a stored plan reads back as the
same solution the engine's checker accepted."""
import datetime as dt

import pytest

from carecircle.dispatch import problem as adapter
from carecircle.dispatch.models import DispatchPlan
from carecircle.dispatch.services import build_day, current_solution
from carecircle.engines.routing import check
from carecircle.workorders.models import WorkOrderStatus

from .conftest import DAY, make_order, make_shift, make_staff

pytestmark = pytest.mark.django_db


def built_for(board):
    plan = DispatchPlan.objects.get_or_create(organisation=board.org, date=board.day)[0]
    return plan, build_day(plan)


def test_visits_carry_windows_fixed_times_qualifications_and_preferences(board):
    _, built = built_for(board)
    visits = {v.id: v for v in built.problem.visits}
    first, nurse, fixed, preferred, female, dialect = (visits[f"wo{o.pk}"] for o in board.orders)
    # The window is when the visit happens: it starts by window end minus its duration.
    assert (first.time_windows[0].start, first.time_windows[0].end) == (8.5 * 3600, 9.5 * 3600)
    assert nurse.services[0].qualification == "registered_nurse" and first.services[0].qualification is None
    assert fixed.fixed_start == 10 * 3600 and fixed.windows()[0].start == fixed.windows()[0].end == 10 * 3600
    shifts = board.shifts
    assert preferred.preferred_caregivers == {f"sh{shifts.wang.pk}"}
    # A gender preference is a hard rule: the male caregiver is excluded, nobody else.
    assert female.excluded_caregivers == {f"sh{shifts.li.pk}"}
    # A dialect is soft: those who speak it are preferred.
    assert dialect.preferred_caregivers == {f"sh{shifts.wang.pk}"} and not dialect.excluded_caregivers
    assert first.location.lat == pytest.approx(31.2) and first.location.lon == pytest.approx(121.44)


def test_caregivers_carry_shift_lunch_mode_hours_and_valid_qualifications(board):
    _, built = built_for(board)
    caregivers = {c.id: c for c in built.problem.caregivers}
    wang = caregivers[f"sh{board.shifts.wang.pk}"]
    li = caregivers[f"sh{board.shifts.li.pk}"]
    zhao = caregivers[f"sh{board.shifts.zhao.pk}"]
    assert (wang.shift.start, wang.shift.end) == (8 * 3600, 17 * 3600)
    # Lunch defaults come from the policy parameters: 11:30–13:00, 30 minutes.
    assert (wang.lunch_break.earliest, wang.lunch_break.latest, wang.lunch_break.duration) == (41400, 46800, 1800)
    assert wang.max_working_time == 8 * 3600
    assert zhao.travel_mode == "walking" and wang.travel_mode == "ebike"
    # A grade-3 care worker may do grade-4 and grade-5 items; a grade-4 one not grade-3 items.
    assert {"care_worker_3", "care_worker_4", "care_worker_5"} <= li.qualifications
    assert "care_worker_3" not in wang.qualifications
    assert "registered_nurse" in zhao.qualifications
    # Walking is slower than the e-bike, by the policy speeds (67 and 250 metres a minute).
    a, b = built.problem.visits[0].location, built.problem.visits[-1].location
    metres = built.problem.matrix.distance(a, b)
    assert built.problem.matrix.duration(zhao, a, b) == pytest.approx(metres / (67 / 60))
    assert built.problem.matrix.duration(wang, a, b) == pytest.approx(metres / (250 / 60))


def test_an_expired_certificate_gives_no_qualification(board, district):
    old_nurse = make_staff(board.org, name="孙丽", qualifications=("registered_nurse",),
                           expires_on=DAY - dt.timedelta(days=1))
    shift = make_shift(board.actor, old_nurse)
    _, built = built_for(board)
    assert "registered_nurse" not in built.problem.caregiver_by_id[f"sh{shift.pk}"].qualifications


def test_an_elder_without_coordinates_is_listed_with_the_reason(board, district):
    from carecircle.conftest import make_elder

    elder = make_elder(district.a1, name="钱七", lat=None, lng=None)
    elder.lat = elder.lng = None
    elder.save()
    order = make_order(board.org, elder, "09:00", "11:00")
    _, built = built_for(board)
    assert f"wo{order.pk}" not in built.problem.visit_by_id
    assert "坐标" in built.excluded[order.pk]


def test_cancelled_orders_and_other_days_are_not_planned(board):
    board.orders[0].status = WorkOrderStatus.CANCELLED
    board.orders[0].save()
    make_order(board.org, board.elders[0], "09:00", "11:00", day=DAY + dt.timedelta(days=1))
    _, built = built_for(board)
    assert f"wo{board.orders[0].pk}" not in built.problem.visit_by_id
    assert len(built.problem.visits) == 5


def test_time_route_waits_for_windows_and_places_the_lunch_break(board):
    _, built = built_for(board)
    wang = f"sh{board.shifts.wang.pk}"
    morning, afternoon = f"wo{board.orders[0].pk}", f"wo{board.orders[3].pk}"
    route = adapter.time_route(built.problem, wang, [morning, afternoon])
    assert route.stops[0].start == 8.5 * 3600  # waits for the window to open
    assert route.stops[1].start == 13 * 3600
    # On duty through the lunch window: the break starts inside it, after the morning visit.
    assert 41400 <= route.break_start <= 46800 and route.break_start >= route.stops[0].start + 3600
    assert route.departure >= 8 * 3600 and route.arrival > route.stops[1].start + 3600


def test_the_optimised_plan_reads_back_as_a_feasible_solution(optimised):
    plan = optimised.plan
    built = build_day(plan)
    solution = current_solution(plan, built)
    assert check(built.problem, solution) == []
    served = {s.visit_id for r in solution.routes for s in r.stops}
    unscheduled = {u.visit_id for u in solution.unscheduled}
    assert served | unscheduled == set(built.problem.visit_by_id) and not served & unscheduled
    # Times survive the round trip through the database to the microsecond.
    for route in solution.routes:
        for stop in route.stops:
            stored = plan.stops.get(work_order_id=adapter.pk_of(stop.visit_id)).planned_start
            assert adapter.at_seconds(plan.date, stop.start) == stored


def test_engine_reasons_and_violations_are_put_into_words(board):
    assert "资质" in adapter.reason_text("no available caregiver may do it (qualification 'x', exclusions)")
    assert "时间窗" in adapter.reason_text("no caregiver can fit it in feasibly (time windows, shifts)")
    assert adapter.reason_text("其他原因") == "其他原因"
