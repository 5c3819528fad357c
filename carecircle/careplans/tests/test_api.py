"""The API: plans, orders, absences — scope, bad input and illegal steps (409)."""
import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from carecircle.careplans import services
from carecircle.careplans.models import ServiceOrder

from .conftest import MONDAY

# Two days ahead in Shanghai: a window on that day is never already over, whatever the hour of the run.
TOMORROW = timezone.localdate() + dt.timedelta(days=2)


def test_create_preview_revise_and_stop_a_plan(level4, users, api_as):
    api = api_as(users.provider_admin)
    preview = api.post("/api/v1/care-plans/preview/", {"elder": level4.pk, "on": "2026-11-23", "visits": [
        {"weekday": d, "window_start": "09:00", "window_end": "10:00", "duration_minutes": 60} for d in range(6)]},
        format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["excess_count"] == 1 and preview.json()["excess_self_pay"] == "45.00"

    created = api.post("/api/v1/care-plans/", {"elder": level4.pk, "on": "2026-11-23", "weekdays": [1, 3],
                                               "items": [{"item": "ltci-b01", "quantity": 1}]}, format="json")
    assert created.status_code == 201, created.content
    plan = created.json()
    assert len(plan["visits"]) == 5 and plan["care_level"] == 4 and plan["changes"][0]["kind"] == "created"
    again = api.post("/api/v1/care-plans/", {"elder": level4.pk, "on": "2026-11-23"}, format="json")
    assert again.status_code == 409 and "care_plan_update" in again.json()["allowed"]

    too_much = {"visits": [{"weekday": d, "window_start": "09:00", "window_end": "10:00", "duration_minutes": 60}
                           for d in range(7)]}
    refused = api.post(f"/api/v1/care-plans/{plan['id']}/revise/", too_much, format="json")
    assert refused.status_code == 400 and "每周自付 90.00 元" in str(refused.json())
    accepted = api.post(f"/api/v1/care-plans/{plan['id']}/revise/", {**too_much, "accept_self_pay": True},
                        format="json")
    assert accepted.status_code == 200
    assert sorted(v["funding"] for v in accepted.json()["visits"]).count("self_pay") == 2

    stopped = api.post(f"/api/v1/care-plans/{plan['id']}/stop/", {"reason": "provider", "on": "2026-11-30"},
                       format="json")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert api.post(f"/api/v1/care-plans/{plan['id']}/stop/", {"reason": "provider", "on": "2026-11-30"},
                    format="json").status_code == 409


def test_plans_are_scoped(level4, users, api_as):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    assert api_as(users.street_staff).get("/api/v1/care-plans/").json()["count"] == 1
    assert api_as(users.street_staff_b).get("/api/v1/care-plans/").json()["count"] == 0
    assert api_as(users.elder).get("/api/v1/care-plans/").json()["count"] == 1
    assert api_as(users.family).get("/api/v1/care-plans/").json()["count"] == 0
    assert api_as(users.caregiver).get("/api/v1/care-plans/").status_code == 403


def test_order_through_the_api_quote_first_then_accept_and_illegal_steps(policy, users, api_as):
    elder = policy.elders.a1
    api = api_as(users.elder)
    lines = [{"item": "gb-bathing", "quantity": 1}]
    quote = api.post("/api/v1/service-orders/quote/", {"elder": elder.pk, "service_date": TOMORROW.isoformat(),
                                                      "lines": lines}, format="json")
    assert quote.status_code == 200 and quote.json()["self_pay"] == "80.00"
    line = quote.json()["lines"][0]
    assert line["amount"] == "80.00" and line["rules"]
    body = {"elder": elder.pk, "service_date": TOMORROW.isoformat(), "lines": lines, "window_start": "14:00",
            "window_end": "16:00", "expected_self_pay": "80.00"}
    created = api.post("/api/v1/service-orders/", body, format="json")
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["status"] == "offered" and order["answer_deadline"]
    provider = APIClient()
    provider.force_authenticate(users.provider_admin)
    accepted = provider.post(f"/api/v1/service-orders/{order['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = provider.post(f"/api/v1/service-orders/{order['id']}/accept/", {}, format="json")
    assert again.status_code == 409 and "complete" in again.json()["allowed"]
    assert api.post(f"/api/v1/service-orders/{order['id']}/rate/", {"stars": 5}, format="json").status_code == 409
    assert api.post(f"/api/v1/service-orders/{order['id']}/accept/", {}, format="json").status_code == 403


def test_order_bad_input_is_named(policy, users, api_as):
    api = api_as(users.elder)
    body = {"elder": policy.elders.a1.pk, "service_date": TOMORROW.isoformat(),
            "lines": [{"item": "gb-bathing", "quantity": 1}], "window_start": "14:00", "window_end": "16:00",
            "expected_self_pay": "1.00"}
    refused = api.post("/api/v1/service-orders/", body, format="json")
    assert refused.status_code == 400 and "价格已变化" in str(refused.json())
    assert not ServiceOrder.objects.exists()
    assert api.post("/api/v1/service-orders/", {**body, "elder": policy.elders.b1.pk},
                    format="json").status_code == 404


def test_absence_through_the_api(level4, users, api_as):
    api = api_as(users.elder)
    created = api.post("/api/v1/absences/", {"elder": level4.pk, "kind": "hospital", "starts_on": "2026-11-24",
                                             "ends_on": "2026-11-28"}, format="json")
    assert created.status_code == 201, created.content
    bad = api.post("/api/v1/absences/", {"elder": level4.pk, "kind": "hospital", "starts_on": "2026-11-24",
                                         "ends_on": "2026-11-20"}, format="json")
    assert bad.status_code == 400 and "早于开始日期" in str(bad.json())
    absence = created.json()["id"]
    assert api.post(f"/api/v1/absences/{absence}/cancel/").status_code == 200
    assert api.post(f"/api/v1/absences/{absence}/cancel/").status_code == 409
    assert api_as(users.family).post("/api/v1/absences/", {"elder": level4.pk, "kind": "travel",
                                                            "starts_on": "2026-11-24", "ends_on": "2026-11-24"},
                                     format="json").status_code == 404


def test_the_plan_list_reads_visits_and_changes_in_a_fixed_number_of_queries(level4, policy, users, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import set_level

    api = api_as(users.district_admin)
    services.care_plan_create(actor=None, elder=level4, on=MONDAY)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v1/care-plans/")
        assert response.status_code == 200, response.content
        return response.json()["count"], len(captured)

    count, one = queries()
    set_level(policy.elders.b1, 4, dt.date(2026, 11, 1))
    services.care_plan_create(actor=None, elder=policy.elders.b1, on=MONDAY)
    more, two = queries()
    assert (count, more) == (1, 2)
    assert two == one


def test_illegal_steps_answer_409_naming_the_allowed_actions_of_the_step_tables(level4, users, api_as):
    """The API's 409 names what the actor may do now, from the same step table the pages ask."""
    from carecircle.careplans.models import ORDER_FLOW, PLAN_FLOW
    from carecircle.core.workflow import allowed_actions

    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    api = api_as(users.provider_admin)
    again = api.post("/api/v1/care-plans/", {"elder": level4.pk, "on": "2026-11-23"}, format="json")
    assert again.status_code == 409
    allowed = PLAN_FLOW.allowed_actions(plan, users.provider_admin)
    assert allowed == ["care_plan_update", "care_plan_stop"]
    assert again.json()["allowed_actions"] == again.json()["allowed"] == allowed
    stopped = api.post(f"/api/v1/care-plans/{plan.pk}/stop/", {"reason": "provider", "on": "2026-11-24"},
                       format="json")
    assert stopped.status_code == 200, stopped.content
    refused = api.post(f"/api/v1/care-plans/{plan.pk}/stop/", {"reason": "provider", "on": "2026-11-24"},
                       format="json")
    assert refused.status_code == 409 and refused.json()["allowed_actions"] == []
    assert "已停止" in refused.json()["detail"]
    # An order offered to the provider: it may accept or decline, the orderer may cancel.
    order = ServiceOrder.objects.create(elder=level4, organisation=plan.organisation, channel="phone",
                                        service_date=TOMORROW, window_start=dt.time(14), window_end=dt.time(16),
                                        total="80.00", fund="0.00", subsidy="0.00", self_pay="80.00")
    assert allowed_actions(order, users.provider_admin) == ["accept", "decline"]
    assert ORDER_FLOW.allowed_actions(order, users.elder) == ["cancel"]
    assert allowed_actions(order, users.street_staff_b) == ["cancel"]  # may order, so may cancel (if in scope)
    completed = api.post(f"/api/v1/service-orders/{order.pk}/complete/", {}, format="json")
    assert completed.status_code == 409 and completed.json()["allowed_actions"] == ["accept", "decline"]
