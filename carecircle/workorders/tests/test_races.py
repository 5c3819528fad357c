"""A day's work orders generated twice at the same moment (the nightly run and a provider's button, or two
desks), through the API in real threads. Generation is idempotent: one run makes the work orders, the other
waits for it and finds them made — both answer 200 and there is one live work order per visit and day, on
SQLite (a file database, as deployed) as on PostgreSQL; never a 500 or a duplicate.
"""
import datetime as dt

import pytest
from rest_framework.test import APIClient

from carecircle.careplans import services
from carecircle.core.models import AuditEvent
from carecircle.workorders.models import WorkOrder, WorkOrderRun, WorkOrderStatus

from .conftest import MONDAY, set_level


@pytest.fixture
def plans(policy, users):
    """Two plans with visits on Monday: street A's elder and a second elder of the same community."""
    from carecircle.conftest import make_elder

    second = make_elder(policy.a1, name="陈阿婆", gender="F", birth=dt.date(1938, 4, 4))
    made = []
    for elder in (policy.elders.a1, second):
        set_level(elder, 4, dt.date(2026, 9, 1))
        made.append(services.care_plan_create(actor=users.provider_admin, elder=elder, on=dt.date(2026, 9, 1),
                                              items=[("ltci-b01", 1)]))
    return made


def _generate(user, day):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/v1/work-orders/generate/", {"date": day.isoformat()}, format="json")

    return call


@pytest.mark.parametrize("second_desk", ["provider_admin", "district_admin"])
def test_a_day_generated_twice_at_once_makes_its_work_orders_once(plans, users, race, second_desk):
    monday_visits = [v for plan in plans for v in plan.visits.filter(weekday=MONDAY.weekday())]
    assert monday_visits
    results = race.run(_generate(users.provider_admin, MONDAY), _generate(getattr(users, second_desk), MONDAY))
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    assert [r.status_code for r in results] == [200, 200], [r.content for r in results]
    summaries = sorted((r.json() for r in results), key=lambda s: s["created"])
    assert summaries[0]["created"] == 0 and summaries[0]["unchanged"] == len(monday_visits)
    assert summaries[1]["created"] == len(monday_visits)
    live = WorkOrder.objects.filter(date=MONDAY).exclude(status=WorkOrderStatus.CANCELLED)
    assert sorted(live.values_list("plan_visit_id", flat=True)) == sorted(v.pk for v in monday_visits)
    assert not WorkOrder.objects.filter(status=WorkOrderStatus.CANCELLED).exists()
    assert WorkOrderRun.objects.filter(date=MONDAY).count() == 2
    assert AuditEvent.objects.filter(action="workorders.generate").count() == 2
