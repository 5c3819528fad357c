"""Daily work orders: from plans and accepted orders, idempotent, suppressed on holidays and absences."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from carecircle.careplans import services
from carecircle.core.workflow import IllegalStep
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrder, WorkOrderRun, WorkOrderStatus

from .conftest import MONDAY, set_level

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def plan(policy, users):
    set_level(policy.elders.a1, 4, dt.date(2026, 9, 1))
    return services.care_plan_create(actor=users.provider_admin, elder=policy.elders.a1, on=dt.date(2026, 9, 1),
                                     items=[("ltci-b01", 1)], dialect="上海话", preferred_gender="F")


def test_generation_is_idempotent_and_carries_what_dispatch_needs(plan, users):
    first = work_orders.work_orders_generate(date=MONDAY)
    again = work_orders.work_orders_generate(date=MONDAY)
    assert first["created"] == 1 and again["created"] == 0 and again["unchanged"] == 1
    work = WorkOrder.objects.get()
    assert (work.organisation, work.elder, work.date, work.source) == (plan.organisation, plan.elder, MONDAY, "plan")
    assert (work.window_start, work.duration_minutes, work.dialect, work.preferred_gender) == (
        dt.time(9, 0), 60, "上海话", "F")
    assert work.priority == 4 and work.required_qualification == "" and work.status == WorkOrderStatus.PENDING
    assert WorkOrderRun.objects.count() == 2
    # Saturday: the level-4 plan has no visit.
    assert work_orders.work_orders_generate(date=MONDAY + dt.timedelta(days=5))["created"] == 0


def test_a_clinical_item_needs_a_registered_nurse(level4, users):
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, items=[("ltci-c05", 1)])
    work_orders.work_orders_generate(date=MONDAY)
    assert WorkOrder.objects.get().required_qualification == "registered_nurse"


def test_a_statutory_holiday_suppresses_the_visit_with_the_reason(plan, users):
    national_day = dt.date(2026, 10, 1)  # a Thursday
    work_orders.work_orders_generate(date=national_day)
    work = WorkOrder.objects.get()
    assert work.status == WorkOrderStatus.SUPPRESSED and "法定节假日" in work.suppressed_reason
    plan.serve_on_holidays = True
    plan.save()
    work_orders.work_orders_generate(date=national_day)
    work.refresh_from_db()
    assert work.status == WorkOrderStatus.PENDING and work.suppressed_reason == ""


def test_an_absence_suppresses_visits_and_its_cancellation_restores_them(plan, users):
    absence = services.elder_absence_record(actor=users.elder, elder=plan.elder,
                                            kind="hospital", starts_on=MONDAY, ends_on=MONDAY + dt.timedelta(days=3),
                                            note="瑞金医院")
    work_orders.work_orders_generate(date=MONDAY)
    work = WorkOrder.objects.get()
    assert work.status == WorkOrderStatus.SUPPRESSED
    assert work.suppressed_reason == "老人住院（2026-11-23 至 2026-11-26）"
    services.elder_absence_cancel(actor=users.elder, absence=absence)
    work_orders.work_orders_generate(date=MONDAY)
    work.refresh_from_db()
    assert work.status == WorkOrderStatus.PENDING
    with pytest.raises(IllegalStep):
        services.elder_absence_cancel(actor=users.elder, absence=absence)


def test_a_dispatched_order_is_never_overwritten_it_is_cancelled_with_the_reason(plan, users):
    work_orders.work_orders_generate(date=MONDAY)
    work = WorkOrder.objects.get()
    caregiver = _caregiver_of(plan.organisation)
    work_orders.work_order_publish(actor=users.provider_admin, work_order=work, caregiver=caregiver,
                                   planned_start=dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    assert work_orders.work_orders_generate(date=MONDAY)["kept_dispatched"] == 1
    edited = [{"weekday": day, "window_start": "15:00", "window_end": "16:00", "duration_minutes": 60}
              for day in range(5)]
    services.care_plan_update(actor=users.provider_admin, plan=plan, visits=edited, on=MONDAY)
    summary = work_orders.work_orders_generate(date=MONDAY)
    work.refresh_from_db()
    assert work.status == WorkOrderStatus.CANCELLED and work.planned_start is not None
    assert "不再安排" in work.suppressed_reason
    assert summary["created"] == 1
    assert WorkOrder.objects.get(status=WorkOrderStatus.PENDING).window_start == dt.time(15, 0)


def test_generation_by_a_provider_covers_its_own_work_only(plan, users):
    with pytest.raises(PermissionDenied):
        work_orders.work_orders_generate(date=MONDAY, actor=users.caregiver)
    with pytest.raises(PermissionDenied):
        work_orders.work_orders_generate(date=MONDAY, actor=users.provider_admin,
                                      organisation=users.assessor.organisation)
    summary = work_orders.work_orders_generate(date=MONDAY, actor=users.provider_admin)
    assert summary["created"] == 1


def test_done_when_plan_and_an_extra_bathing_order_both_reach_tomorrows_work_orders(level4, users):
    """A level-4 elder gets five one-hour visits a week; the family orders an extra bathing visit and sees the
    self-pay first; tomorrow's work orders exist for both."""
    today, tomorrow = MONDAY, MONDAY + dt.timedelta(days=1)
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=today)
    priced = services.order_quote(elder=level4, lines=[{"item": "gb-bathing", "quantity": 1}], service_date=tomorrow)
    order = services.service_order_place(actor=users.elder, elder=level4, lines=[{"item": "gb-bathing", "quantity": 1}],
                                         service_date=tomorrow, window_start=dt.time(15, 0),
                                         window_end=dt.time(17, 0), expected_self_pay=priced.self_pay,
                                         now=dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH))
    services.service_order_accept(actor=users.provider_admin, order=order,
                                  now=dt.datetime(2026, 11, 23, 10, 30, tzinfo=SH))
    work_orders.work_orders_generate(date=tomorrow)
    sources = sorted(WorkOrder.objects.filter(date=tomorrow, elder=level4).values_list("source", flat=True))
    assert sources == ["order", "plan"]


def test_the_nightly_beat_entry_generates_tomorrow_and_the_offer_expiry_runs_every_few_minutes(plan):
    from carecircle.careplans import tasks
    from carecircle.celery import app
    from carecircle.workorders import tasks as work_order_tasks

    schedule = app.conf.beat_schedule
    assert schedule["workorders-nightly-generation"]["task"] == "carecircle.workorders.generate_tomorrow"
    assert schedule["careplans-expire-order-offers"]["task"] == "carecircle.careplans.expire_order_offers"
    summary = work_order_tasks.generate_tomorrow()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    expected = 1 if tomorrow.weekday() < 5 else 0  # the level-4 plan visits Monday to Friday
    assert summary["from_plans"] == expected
    assert WorkOrder.objects.filter(date=tomorrow).count() == expected
    assert tasks.expire_order_offers() == 0


def _caregiver_of(organisation):
    from carecircle.dispatch.tests.conftest import make_staff

    return make_staff(organisation, name="王护理")


def test_work_orders_are_generated_only_for_the_own_organisation(policy, district, users):
    with pytest.raises(PermissionDenied, match="只能为本机构生成工单"):
        work_orders.work_orders_generate(date=dt.date(2026, 11, 24), organisation=district.other_provider,
                                         actor=users.provider_admin)
    # The district works for no organisation and names any.
    work_orders.work_orders_generate(date=dt.date(2026, 11, 24), organisation=district.other_provider,
                                     actor=users.district_admin)
