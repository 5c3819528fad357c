"""The live board: today's visits of the reader's scope only (district, street, provider), the day's figures,
late and missed visits as alerts, the JSON the page polls, and the drill-down to one visit's evidence."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.conftest import seed_policy
from carecircle.core.testing import assert_no_internals
from carecircle.dispatch.tests.conftest import make_order, make_staff

pytestmark = pytest.mark.django_db


def _at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def board_world(district, users):
    """Today: in street A (provider) one visit under way, one verified, one late, one missed and one to come;
    in street B (the other provider) one under way."""
    from carecircle.visits.models import Visit, VisitStatus

    seed_policy("visits.rules.threshold", "visits.rules.action")
    today = timezone.localdate()
    me = make_staff(district.provider, name="周小红", user=users.caregiver)
    other = make_staff(district.other_provider, name="孙护理")
    a1, a2, b1 = district.elders.a1, district.elders.a2, district.elders.b1

    def order(organisation, elder, start, end, caregiver, status="published"):
        return make_order(organisation, elder, start, end, day=today, status=status, caregiver=caregiver,
                          planned_start=_at(today, int(start[:2]), int(start[3:])))

    def visit(work_order, status, **extra):
        return Visit.objects.create(work_order=work_order, organisation=work_order.organisation,
                                    elder=work_order.elder, caregiver=work_order.caregiver, date=today,
                                    status=status, **extra)

    orders = {
        "under_way": order(district.provider, a1, "09:00", "10:00", me, "started"),
        "verified": order(district.provider, a2, "07:00", "08:00", me, "done"),
        "late": order(district.provider, a1, "10:00", "12:00", me),
        "missed": order(district.provider, a2, "06:00", "07:00", me),
        "to_come": order(district.provider, a1, "16:00", "17:00", me),
        "street_b": order(district.other_provider, b1, "09:30", "10:30", other, "started"),
    }
    visit(orders["under_way"], VisitStatus.CHECKED_IN, checked_in_at=_at(today, 9, 5),
          checked_in_lat=a1.lat, checked_in_lng=a1.lng)
    visit(orders["verified"], VisitStatus.VERIFIED, checked_in_at=_at(today, 7), checked_out_at=_at(today, 8),
          verified_at=_at(today, 8))
    visit(orders["street_b"], VisitStatus.CHECKED_IN, checked_in_at=_at(today, 9, 31))
    return {"orders": orders, "now": _at(today, 10, 45), "today": today}


def _states(board):
    return {row.order.pk: row.state for row in board.rows}


def test_the_district_sees_every_state_of_the_day(users, board_world):
    from carecircle.visits.board import board_for

    orders = board_world["orders"]
    board = board_for(users.district_admin, now=board_world["now"])
    states = _states(board)
    assert states == {
        orders["under_way"].pk: "in_progress", orders["verified"].pk: "verified", orders["late"].pk: "late",
        orders["missed"].pk: "missed", orders["to_come"].pk: "to_come", orders["street_b"].pk: "in_progress",
    }
    figures = board.figures
    assert figures["total"] == 6 and figures["in_progress"] == 2 and figures["verified"] == 1
    assert figures["late"] == 1 and figures["missed"] == 1 and figures["completion"] == 17
    # Missed first, then late; each says what it saw.
    assert [row.state for row in board.alerts] == ["missed", "late"]
    assert board.late_after == 30


def test_late_is_the_late_start_threshold_either_side(users, board_world):
    from carecircle.visits.board import board_for

    late = board_world["orders"]["late"]
    today = board_world["today"]
    assert _states(board_for(users.district_admin, now=_at(today, 10, 29)))[late.pk] == "to_come"
    assert _states(board_for(users.district_admin, now=_at(today, 10, 30)))[late.pk] == "late"
    # Once its window has ended without a check-in it is missed, not late.
    assert _states(board_for(users.district_admin, now=_at(today, 12, 0)))[late.pk] == "missed"


def test_an_open_exception_keeps_a_visit_off_verified(users, board_world):
    from carecircle.visits.board import board_for
    from carecircle.visits.models import Visit, VisitException

    verified = board_world["orders"]["verified"]
    VisitException.objects.create(visit=Visit.objects.get(work_order=verified))
    assert _states(board_for(users.district_admin, now=board_world["now"]))[verified.pk] == "held"


@pytest.mark.parametrize("who, expected", [
    ("street_staff", {"under_way", "verified", "late", "missed", "to_come"}),
    ("street_staff_b", {"street_b"}),
    ("provider_admin", {"under_way", "verified", "late", "missed", "to_come"}),
    ("inspector", {"under_way", "verified", "late", "missed", "to_come", "street_b"}),
])
def test_the_board_is_scoped_by_role(users, board_world, who, expected):
    from carecircle.visits.board import board_for

    orders = board_world["orders"]
    board = board_for(getattr(users, who), now=board_world["now"])
    assert {row.order.pk for row in board.rows} == {orders[name].pk for name in expected}


def test_the_live_json_carries_figures_alerts_and_points_in_words(client, users, board_world):
    client.force_login(users.street_staff_b)
    response = client.get(reverse("visits:board-live"))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["figures"]["total"] == 1 and data["figures"]["in_progress"] == 1
    assert [p["elder"] for p in data["points"]] == ["王建国"]
    assert all(p["state_label"] for p in data["points"])
    assert "张三明" not in response.content.decode() and "李秀英" not in response.content.decode()


def test_the_board_page_shows_the_day_and_the_alerts(client, users, board_world):
    client.force_login(users.district_admin)
    response = client.get(reverse("visits:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="total">6<' in html
    assert "visits-board-data" in html and "data-visits-map" in html
    assert_no_internals(html, allow=(users.district_admin.username,))


@pytest.mark.parametrize("who", ["caregiver", "community_worker", "elder", "family", "assessor"])
def test_roles_without_the_board_are_refused(client, users, board_world, who):
    client.force_login(getattr(users, who))
    assert client.get(reverse("visits:board")).status_code == 403
    assert client.get(reverse("visits:board-live")).status_code == 403


def test_the_drill_down_shows_the_evidence_inside_the_scope_only(client, users, board_world):
    from carecircle.visits.models import EventKind, Visit, VisitEvent

    under_way = board_world["orders"]["under_way"]
    visit = Visit.objects.get(work_order=under_way)
    VisitEvent.objects.create(visit=visit, kind=EventKind.CHECK_IN, user=users.caregiver, lat=visit.checked_in_lat,
                              lng=visit.checked_in_lng, accuracy_m=12, device_time=visit.checked_in_at,
                              clock_skew_seconds=3, reason="")
    url = reverse("visits:board-visit", args=[under_way.pk])
    client.force_login(users.street_staff)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "服务中" in html and "签到" in html and "精度约 12 米" in html
    assert_no_internals(html, allow=(users.street_staff.username,))
    client.force_login(users.street_staff_b)
    assert client.get(url).status_code == 404


def test_without_a_late_threshold_the_board_says_so_and_raises_no_late_alert(client, users, board_world):
    from carecircle.core.models import PolicyParameter
    from carecircle.visits.board import board_for

    PolicyParameter.objects.filter(key="visits.rules.threshold").delete()
    board = board_for(users.district_admin, now=board_world["now"])
    assert board.late_after is None
    assert _states(board)[board_world["orders"]["late"].pk] == "to_come"
    assert _states(board)[board_world["orders"]["missed"].pk] == "missed"  # the window's end needs no threshold
    client.force_login(users.district_admin)
    assert "看板不提示迟到" in client.get(reverse("visits:board")).content.decode()


def test_an_alert_says_what_it_saw(users, board_world):
    from carecircle.visits.board import board_for, live_data

    data = live_data(board_for(users.district_admin, now=board_world["now"]))
    texts = {alert["id"]: alert["text"] for alert in data["alerts"]}
    assert texts[board_world["orders"]["late"].pk] == "计划 10:00 开始，已过 45 分钟仍未签到"
    assert texts[board_world["orders"]["missed"].pk] == "服务时段 06:00–07:00 已结束，没有签到"


def test_an_items_own_late_threshold_beats_the_default(users, board_world):
    from carecircle.catalog.models import ServiceItem
    from carecircle.core.models import PolicyParameter
    from carecircle.visits.board import board_for
    from carecircle.workorders.models import WorkOrderItem

    row = PolicyParameter.objects.get(key="visits.rules.threshold")
    PolicyParameter.objects.filter(pk=row.pk).update(value={**row.value, "late_start|ltci-c05": 10})
    to_come = board_world["orders"]["to_come"]  # planned 16:00
    WorkOrderItem.objects.create(work_order=to_come, item=ServiceItem.objects.get(code="ltci-c05"))
    today = board_world["today"]
    states = _states(board_for(users.district_admin, now=_at(today, 16, 10)))
    assert states[to_come.pk] == "late"  # the item's 10 minutes
    # Without the item, 16:10 is within the default's 30 minutes.
    WorkOrderItem.objects.filter(work_order=to_come).delete()
    assert _states(board_for(users.district_admin, now=_at(today, 16, 10)))[to_come.pk] == "to_come"
    WorkOrderItem.objects.create(work_order=to_come, item=ServiceItem.objects.get(code="ltci-c05"))
    assert _states(board_for(users.district_admin, now=_at(today, 16, 9)))[to_come.pk] == "to_come"
