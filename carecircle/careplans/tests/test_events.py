"""Care plans follow other apps' changes through the outbox: a death recorded while the care-plan service
fails stays recorded, the event waits visibly and is retried until the plans are stopped — in the name of
the person who recorded the death, and never twice."""
import datetime as dt

import pytest
from django.urls import reverse

from carecircle.careplans import services
from carecircle.careplans.models import CarePlan, PlanChange, PlanChangeKind, PlanStatus, StopReason
from carecircle.core import events
from carecircle.core.models import AuditEvent, OutboxEvent
from carecircle.elders.models import Elder

from .conftest import MONDAY, set_level

pytestmark = pytest.mark.django_db


def test_a_death_while_care_plans_fail_is_kept_told_and_followed_on_retry(level4, users, client, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from carecircle.elders.services import elder_change_status

    plan = services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)

    def down(**kwargs):
        raise RuntimeError("care plan service unavailable")

    monkeypatch.setattr(services, "care_plans_stop_for_elder", down)
    with django_capture_on_commit_callbacks(execute=True):
        elder_change_status(actor=users.street_staff, elder=level4, status="deceased", on=MONDAY,
                            reason="死亡医学证明")

    # The death is committed; the plan is still active, and the event says so where the district looks.
    assert Elder.objects.get(pk=level4.pk).status == "deceased"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    event = OutboxEvent.objects.get(name="elders.status_changed")
    assert event.failed and event.attempts == 1 and "care plan service unavailable" in event.last_error
    assert event.actor == users.street_staff and event.region == level4.community
    # The assessment app's and the allowances' handlers did their part already and are not repeated.
    assert sorted(event.deliveries.values_list("handler", flat=True)) == ["assessment.close_orders_for_elder",
                                                                          "benefits.follow_elder_status"]
    client.force_login(users.district_admin)
    page = client.get(reverse("core:outbox-list")).content.decode()
    assert f"<td>#{event.pk}</td>" in page and "care plan service unavailable" in page

    # The service is back; the periodic task delivers the event when it is due.
    monkeypatch.undo()
    assert events.redeliver_due(now=event.next_attempt_at + dt.timedelta(seconds=1)) == {"due": 1, "delivered": 1}
    event.refresh_from_db()
    assert event.delivered_at is not None and not event.failed
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STOPPED and plan.stop_reason == StopReason.DECEASED
    # The consequence is recorded in the name of the person who recorded the death.
    consequence = AuditEvent.objects.get(action="careplans.elder_change")
    assert consequence.actor == users.street_staff and consequence.subject_id == str(level4.pk)

    # A replay stops nothing twice and writes no second explanation.
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None)
    assert events.deliver(event.pk) is True
    assert PlanChange.objects.filter(plan=plan, kind=PlanChangeKind.STOPPED).count() == 1
    assert AuditEvent.objects.filter(action="careplans.elder_change").count() == 1


def test_a_new_care_level_reaches_the_plan_with_its_actor(level4, users, django_capture_on_commit_callbacks):
    from carecircle.assessment.services import care_level_record_external

    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY, weekdays=[0, 1, 2, 3, 4])
    with django_capture_on_commit_callbacks(execute=True):
        care_level_record_external(elder=level4, programme="ltci", level=5, source="市评估系统 R-9",
                                   valid_from=dt.date(2026, 12, 1), actor=users.district_admin)
    event = OutboxEvent.objects.get(name="assessment.care_level_changed", payload__new_level=5)
    assert event.delivered_at is not None and event.actor == users.district_admin
    new = CarePlan.objects.get(status=PlanStatus.ACTIVE)
    assert new.care_level == 5 and new.created_by == users.district_admin
    assert AuditEvent.objects.get(action="careplans.plan_level_change").actor == users.district_admin


def test_a_level_set_without_a_commit_reaches_nobody(level4, users):
    """No commit, no delivery: the event waits (and the periodic task would pick it up)."""
    services.care_plan_create(actor=users.provider_admin, elder=level4, on=MONDAY)
    set_level(level4, 5, dt.date(2026, 12, 1))
    event = OutboxEvent.objects.get(name="assessment.care_level_changed", payload__new_level=5)
    assert event.delivered_at is None and event.attempts == 0 and event.next_attempt_at is not None
    assert CarePlan.objects.get().status == PlanStatus.ACTIVE
