"""Each role's home is its own queue: what waits for the user, overdue first, with counts; the district also
sees its monthly trends as a chart fed by a JSON endpoint."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.dispatch.tests.conftest import make_order, make_staff
from carecircle.intake.tests.conftest import intake  # noqa: F401
from carecircle.intake.tests.helpers import submit, to_state

pytestmark = pytest.mark.django_db


def queues_of(client, user):
    client.force_login(user)
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 200
    return {queue.key: queue for queue in response.context["queues"]}, response.content.decode()


def test_street_staff_see_applications_to_accept_overdue_first_and_notices_to_close(client, intake):  # noqa: F811
    from carecircle.intake.models import Application

    district, users = intake.district, intake.users
    late = submit(intake, elder=district.elders.a1)
    fresh = submit(intake, elder=district.elders.a2)
    today = timezone.localdate()
    Application.objects.filter(pk=late.pk).update(due_on=today - dt.timedelta(days=2))
    Application.objects.filter(pk=fresh.pk).update(due_on=today + dt.timedelta(days=3))
    queues, body = queues_of(client, users.street_staff)
    accept = queues["applications_to_accept"]
    assert accept.count == 2 and accept.overdue == 1
    assert [item.overdue for item in accept.items] == [True, False]
    assert accept.items[0].url == reverse("intake:detail", args=[late.pk])
    assert body.index(district.elders.a1.name) < body.index(district.elders.a2.name)
    assert "notices_to_close" in queues and queues["notices_to_close"].count == 0
    assert "applications_to_review" not in queues  # the district's queue
    # Street B's staff have nothing of street A waiting.
    other, _ = queues_of(client, users.street_staff_b)
    assert other["applications_to_accept"].count == 0


def test_due_today_is_not_yet_overdue(client, intake):  # noqa: F811
    from carecircle.intake.models import Application

    application = submit(intake, elder=intake.district.elders.a1)
    Application.objects.filter(pk=application.pk).update(due_on=timezone.localdate())
    queues, _ = queues_of(client, intake.users.street_staff)
    assert queues["applications_to_accept"].overdue == 0
    assert queues["applications_to_accept"].items[0].overdue is False


def test_the_district_sees_applications_to_review(client, intake):  # noqa: F811
    application = to_state(intake, submit(intake, elder=intake.district.elders.a1), "street_passed")
    queues, body = queues_of(client, intake.users.district_admin)
    review = queues["applications_to_review"]
    assert review.count == 1 and review.items[0].url == reverse("intake:detail", args=[application.pk])
    assert "applications_to_accept" not in queues
    assert "等我处理" in body


def test_an_assessor_sees_today_s_appointments_with_missed_ones_first(client, intake):  # noqa: F811
    from carecircle.assessment.models import AssessmentOrder

    district, (me, colleague) = intake.district, intake.assessors
    app_a = to_state(intake, submit(intake, elder=district.elders.a1, type_code="ltci-home"), "assessment_ordered")
    app_b = to_state(intake, submit(intake, elder=district.elders.a2, type_code="ltci-home"), "assessment_ordered")
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    AssessmentOrder.objects.filter(pk=app_a.assessment_order_id).update(
        assessor_1=me, assessor_2=colleague, status="scheduled", appointment_at=now - dt.timedelta(minutes=30))
    AssessmentOrder.objects.filter(pk=app_b.assessment_order_id).update(
        assessor_1=me, assessor_2=colleague, status="scheduled", appointment_at=start + dt.timedelta(days=1, hours=9))
    queues, _ = queues_of(client, me)
    today = queues["appointments_today"]
    assert today.count == 1 and today.overdue == 1  # tomorrow's appointment is not today's work
    assert today.items[0].url == reverse("assessment:order", args=[app_a.assessment_order_id])
    AssessmentOrder.objects.filter(pk=app_a.assessment_order_id).update(status="submitted")
    queues, body = queues_of(client, me)
    assert queues["appointments_today"].count == 0 and "没有待办" in body
    # Someone else's appointments are not in my queue.
    AssessmentOrder.objects.filter(pk=app_a.assessment_order_id).update(status="scheduled", assessor_1=colleague)
    assert queues_of(client, me)[0]["appointments_today"].count == 0


def test_a_provider_sees_orders_to_answer_and_visits_not_scheduled(client, district, users):
    from carecircle.careplans.models import OrderOffer, ServiceOrder

    now = timezone.now()
    today = timezone.localdate()
    for n, deadline in enumerate([now + dt.timedelta(hours=3), now - dt.timedelta(hours=1)]):
        order = ServiceOrder.objects.create(elder=district.elders.a1, channel="portal", service_date=today,
                                            window_start=dt.time(8), window_end=dt.time(12), total=0, fund=0,
                                            subsidy=0, self_pay=0, status="offered", organisation=district.provider)
        OrderOffer.objects.create(order=order, organisation=district.provider, offered_at=now, deadline=deadline)
    make_order(district.provider, district.elders.a1, "09:00", "10:00", day=today + dt.timedelta(days=1))
    make_order(district.provider, district.elders.a1, "09:00", "10:00", day=today)
    make_order(district.provider, district.elders.a1, "09:00", "10:00", day=today, status="scheduled")
    make_order(district.other_provider, district.elders.b1, "09:00", "10:00", day=today)
    queues, _ = queues_of(client, users.provider_admin)
    answer = queues["orders_to_answer"]
    assert answer.count == 2 and answer.overdue == 1 and answer.items[0].overdue
    unscheduled = queues["visits_unscheduled"]
    assert unscheduled.count == 2 and unscheduled.overdue == 1  # today's needs a caregiver now
    assert unscheduled.items[0].due == today and unscheduled.items[0].overdue


def test_a_caregiver_sees_today_s_visits_still_to_do(client, district, users):
    me = make_staff(district.provider, name="周小红", user=users.caregiver)
    now = timezone.localtime()
    today = timezone.localdate()

    def visit(start, status, day=today):
        return make_order(district.provider, district.elders.a1, "08:00", "20:00", day=day, status=status,
                          caregiver=me, planned_start=start)

    missed = visit(now - dt.timedelta(minutes=20), "published")
    visit(now - dt.timedelta(minutes=40), "started")
    visit(now + dt.timedelta(hours=1), "published")
    visit(now - dt.timedelta(hours=2), "done")
    visit(now + dt.timedelta(days=1), "published", day=today + dt.timedelta(days=1))
    queues, body = queues_of(client, users.caregiver)
    visits = queues["visits_today"]
    assert visits.count == 3 and visits.overdue == 1  # the visit under way is not late
    assert [item.overdue for item in visits.items] == [False, True, False]
    assert visits.items[1].title.endswith(missed.elder.name)
    assert body.count("已超期") == 1


def test_the_trends_endpoint_is_the_district_s_and_counts_by_month(client, intake):  # noqa: F811
    submit(intake, elder=intake.district.elders.a1)
    client.force_login(intake.users.district_admin)
    data = client.get(reverse("workbench:trends")).json()
    assert len(data["months"]) == 12 and data["months"][-1] == timezone.localdate().strftime("%Y-%m")
    series = {s["key"]: s for s in data["series"]}
    assert {"applications", "assessments", "orders", "visits_done"} <= set(series)
    assert series["applications"]["values"][-1] == 1 and sum(series["applications"]["values"]) == 1
    assert all(len(s["values"]) == 12 for s in data["series"])
    body = client.get(reverse("workbench:home")).content.decode()
    assert "data-trends-src" in body and "echarts.min.js" in body and "<script>" not in body
    for role in ("street_staff", "caregiver", "provider_admin", "inspector"):
        client.force_login(getattr(intake.users, role))
        assert client.get(reverse("workbench:trends")).status_code == 403, role
        assert "data-trends-src" not in client.get(reverse("workbench:home")).content.decode()
    client.logout()
    assert client.get(reverse("workbench:trends")).status_code == 302


def test_trend_months_cross_the_year():
    from carecircle.workbench.selectors import trend_months

    months = trend_months(today=dt.date(2026, 2, 15))
    assert months[0] == dt.date(2025, 3, 1) and months[-1] == dt.date(2026, 2, 1) and len(months) == 12
