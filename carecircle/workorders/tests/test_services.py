"""Every status step of a work order: legal from the states the step table names, refused (IllegalStep, with
what is allowed) from the others, and audited once per changed order."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.careplans import services as careplans
from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep, allowed_actions
from carecircle.dispatch.tests.conftest import make_staff
from carecircle.workorders import services
from carecircle.workorders.models import WorkOrder, WorkOrderStatus

from .conftest import MONDAY, set_level

SH = ZoneInfo("Asia/Shanghai")
NINE = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH)


@pytest.fixture
def work(policy, users):
    """Monday's pending work order of a level-4 plan at 福寿, and 王芳 (the `caregiver` user) who works there."""
    set_level(policy.elders.a1, 4, dt.date(2026, 9, 1))
    careplans.care_plan_create(actor=users.provider_admin, elder=policy.elders.a1, on=dt.date(2026, 9, 1))
    services.work_orders_generate(date=MONDAY)
    order = WorkOrder.objects.get()
    order.wang = make_staff(order.organisation, name="王芳", user=users.caregiver)
    return order


def events(action, order):
    return AuditEvent.objects.filter(action=f"workorders.work_order_{action}", subject_id=str(order.pk))


def test_the_day_of_a_visit_schedule_publish_start_complete(work, users):
    admin, wang = users.provider_admin, work.wang
    assert allowed_actions(work, admin) == ["schedule", "publish", "cancel", "suppress"]
    work = services.work_order_schedule(actor=admin, work_order=work)
    assert work.status == WorkOrderStatus.SCHEDULED
    assert events("schedule", work).get().changes == {"status": ["pending", "scheduled"]}
    work = services.work_order_publish(actor=admin, work_order=work, caregiver=wang, planned_start=NINE)
    assert (work.status, work.planned_start) == (WorkOrderStatus.PUBLISHED, NINE)
    published = events("publish", work).get()
    assert published.changes["status"] == ["scheduled", "published"] and published.changes["caregiver"][0] is None
    assert allowed_actions(work, users.caregiver) == ["start", "not_home"]
    work = services.work_order_start(actor=users.caregiver, work_order=work)
    work = services.work_order_complete(actor=users.caregiver, work_order=work)
    assert WorkOrder.objects.get(pk=work.pk).status == WorkOrderStatus.DONE
    assert events("start", work).count() == events("complete", work).count() == 1
    assert events("complete", work).get().actor == users.caregiver


def test_a_step_the_state_does_not_allow_is_refused_naming_what_is_allowed(work, users):
    admin = users.provider_admin
    with pytest.raises(IllegalStep) as refused:
        services.work_order_start(actor=admin, work_order=work)
    assert refused.value.allowed == ["schedule", "publish", "cancel", "suppress"]
    with pytest.raises(IllegalStep):
        services.work_order_complete(actor=admin, work_order=work)
    with pytest.raises(IllegalStep):
        services.work_order_unschedule(actor=admin, work_order=work)
    assert WorkOrder.objects.get(pk=work.pk).status == WorkOrderStatus.PENDING
    assert not AuditEvent.objects.filter(action__startswith="workorders.work_order_").exists()


def test_a_visit_under_way_or_over_is_never_cancelled(work, users):
    admin = users.provider_admin
    services.work_order_publish(actor=admin, work_order=work, caregiver=work.wang, planned_start=NINE)
    services.work_order_start(actor=users.caregiver, work_order=work)
    with pytest.raises(IllegalStep) as refused:
        services.work_order_cancel(actor=admin, work_order=work, reason="老人住院")
    assert refused.value.allowed == ["complete"]
    # The bulk form leaves it alone instead.
    assert services.work_orders_cancel(actor=admin, work_orders=WorkOrder.objects.all(), reason="计划停止") == 0
    assert WorkOrder.objects.get(pk=work.pk).status == WorkOrderStatus.STARTED


def test_cancel_and_suppress_need_a_reason_and_keep_it(work, users):
    admin = users.provider_admin
    with pytest.raises(ValidationError):
        services.work_order_cancel(actor=admin, work_order=work, reason="  ")
    with pytest.raises(ValidationError):
        services.work_orders_cancel(actor=admin, work_orders=WorkOrder.objects.all(), reason="")
    work = services.work_order_suppress(actor=admin, work_order=work, reason="老人住院")
    assert (work.status, work.suppressed_reason) == (WorkOrderStatus.SUPPRESSED, "老人住院")
    assert events("suppress", work).get().reason == "老人住院"
    work = services.work_order_cancel(actor=admin, work_order=work, reason="计划停止")
    assert WorkOrder.objects.get(pk=work.pk).suppressed_reason == "计划停止"
    assert events("cancel", work).get().changes["status"] == ["suppressed", "cancelled"]
    with pytest.raises(IllegalStep) as refused:
        services.work_order_suppress(actor=admin, work_order=work, reason="again")
    assert refused.value.allowed == []


def test_who_may_take_a_step(work, users):
    # A caregiver neither plans nor publishes; the district watches.
    with pytest.raises(IllegalStep):
        services.work_order_schedule(actor=users.caregiver, work_order=work)
    with pytest.raises(IllegalStep):
        services.work_order_publish(actor=users.district_admin, work_order=work, caregiver=work.wang,
                                    planned_start=NINE)
    assert allowed_actions(work, users.district_admin) == ["cancel", "suppress"]
    # Another provider's caregiver is never assigned, and only the assigned caregiver starts the visit.
    stranger = make_staff(users.assessor.organisation, name="外人")
    with pytest.raises(PermissionDenied):
        services.work_order_publish(actor=users.provider_admin, work_order=work, caregiver=stranger,
                                    planned_start=NINE)
    li = make_staff(work.organisation, name="李强", gender="M")
    services.work_order_publish(actor=users.provider_admin, work_order=work, caregiver=li, planned_start=NINE)
    with pytest.raises(PermissionDenied):
        services.work_order_start(actor=users.caregiver, work_order=work)
    assert services.work_order_start(actor=users.provider_admin, work_order=work).status == WorkOrderStatus.STARTED


def test_a_work_order_outside_the_scope_is_not_touched(work, users):
    with pytest.raises(PermissionDenied):
        services.work_order_cancel(actor=users.street_staff_b, work_order=work, reason="不在辖区")


def test_bulk_steps_change_only_what_the_step_applies_to_and_audit_each(work, users):
    admin = users.provider_admin
    second = WorkOrder.objects.create(organisation=work.organisation, elder=work.elder, date=MONDAY,
                                      window_start=dt.time(14), window_end=dt.time(15), duration_minutes=60,
                                      source="order")
    services.work_order_schedule(actor=admin, work_order=second)
    assert services.work_orders_schedule(actor=admin, work_orders=WorkOrder.objects.all()) == 1
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {WorkOrderStatus.SCHEDULED}
    changed = services.work_orders_publish(actor=admin, assignments=[(work, work.wang, NINE),
                                                                     (second, work.wang, NINE)])
    assert changed == 2 and AuditEvent.objects.filter(action="workorders.work_order_publish").count() == 2
    # Publishing the same again changes and audits nothing.
    assert services.work_orders_publish(actor=admin, assignments=[(work, work.wang, NINE)]) == 0
    assert AuditEvent.objects.filter(action="workorders.work_order_publish").count() == 2
    assert services.work_orders_unschedule(actor=admin, work_orders=WorkOrder.objects.all()) == 2
    assert set(WorkOrder.objects.values_list("caregiver", flat=True)) == {None}
    with pytest.raises(IllegalStep):
        services.work_orders_schedule(actor=users.caregiver, work_orders=WorkOrder.objects.all())


def test_a_stopped_plan_cancels_its_work_through_the_services(work, users):
    plan = work.plan_visit.plan
    careplans.care_plan_stop(actor=users.provider_admin, plan=plan, reason="provider", on=MONDAY)
    work.refresh_from_db()
    assert work.status == WorkOrderStatus.CANCELLED and "照护计划自 2026-11-23 起停止" in work.suppressed_reason
    event = events("cancel", work).get()
    assert event.actor == users.provider_admin and event.changes["status"] == ["pending", "cancelled"]


def test_regeneration_cancels_a_stale_order_and_audits_it(work, users):
    plan = work.plan_visit.plan
    edited = [{"weekday": day, "window_start": "15:00", "window_end": "16:00", "duration_minutes": 60}
              for day in range(5)]
    careplans.care_plan_update(actor=users.provider_admin, plan=plan, visits=edited, on=MONDAY)
    summary = services.work_orders_generate(date=MONDAY)
    assert summary["cancelled"] == 1 and summary["created"] == 1
    assert events("cancel", work).count() == 1
    again = services.work_orders_generate(date=MONDAY)
    assert (again["created"], again["cancelled"], again["unchanged"]) == (0, 0, 1)
