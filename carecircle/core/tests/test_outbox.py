"""The transactional outbox: an event commits with its change or not at all, is delivered after commit, a
failing handler leaves a visible event that is retried with backoff, and a replay does nothing twice."""
import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from carecircle.core import events
from carecircle.core.models import AuditEvent, OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db

EVENT = "tests.something_happened"


@pytest.fixture
def calls():
    """Two handlers of a test event: `steady` always works, `flaky` fails while `calls["broken"]` is set."""
    seen = {"steady": [], "flaky": [], "broken": False}

    def steady(event):
        seen["steady"].append((event.pk, event.actor))

    def flaky(event):
        if seen["broken"]:
            raise RuntimeError("the receiving service is down")
        seen["flaky"].append(event.pk)

    events.register_handler(EVENT, handler="tests.steady", function=steady)
    events.register_handler(EVENT, handler="tests.flaky", function=flaky)
    yield seen
    events._HANDLERS.pop(EVENT, None)


def test_an_event_is_delivered_to_every_handler_once_the_change_commits(calls, users, district,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = events.emit(name=EVENT, payload={"on": dt.date(2026, 12, 1)}, actor=users.street_staff,
                                region=district.street_a)
            assert calls["steady"] == []  # nothing is delivered before the commit
    event.refresh_from_db()
    assert event.payload == {"on": "2026-12-01"} and event.actor_repr == users.street_staff.username
    assert event.delivered_at is not None and event.attempts == 1 and event.last_error == ""
    assert calls["steady"] == [(event.pk, users.street_staff)] and calls["flaky"] == [event.pk]
    assert set(event.deliveries.values_list("handler", flat=True)) == {"tests.steady", "tests.flaky"}


def test_a_change_that_rolls_back_leaves_no_event(calls, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZeroDivisionError):
            with transaction.atomic():
                events.emit(name=EVENT, payload={}, actor=users.street_staff)
                1 / 0
    assert not OutboxEvent.objects.exists() and calls["steady"] == []


def test_a_failing_handler_is_retried_with_backoff_and_a_replay_does_nothing_twice(calls, users,
                                                                                   django_capture_on_commit_callbacks):
    calls["broken"] = True
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(name=EVENT, payload={"n": 1}, actor=users.district_admin)
    event.refresh_from_db()
    assert event.delivered_at is None and event.attempts == 1 and event.failed
    assert "tests.flaky" in event.last_error and "the receiving service is down" in event.last_error
    # The handler that worked is recorded and is not run again on the retry.
    assert list(event.deliveries.values_list("handler", flat=True)) == ["tests.steady"]
    first_retry = event.next_attempt_at
    assert first_retry > timezone.now()

    # Not due yet: the periodic task leaves it alone.
    assert events.redeliver_due() == {"due": 0, "delivered": 0}
    # Due, still failing: the next attempt moves further out.
    events.redeliver_due(now=first_retry + dt.timedelta(seconds=1))
    event.refresh_from_db()
    assert event.attempts == 2 and event.delivered_at is None
    assert event.next_attempt_at - timezone.now() > dt.timedelta(seconds=90)

    calls["broken"] = False
    assert events.redeliver_due(now=event.next_attempt_at + dt.timedelta(seconds=1)) == {"due": 1, "delivered": 1}
    event.refresh_from_db()
    assert event.delivered_at is not None and not event.failed and event.next_attempt_at is None
    assert len(calls["steady"]) == 1 and calls["flaky"] == [event.pk]

    # A replay (a message delivered twice, a retry pressed late) changes nothing.
    assert events.deliver(event.pk) is True
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None)
    assert events.deliver(event.pk) is True
    assert len(calls["steady"]) == 1 and calls["flaky"] == [event.pk]
    assert OutboxDelivery.objects.filter(event=event).count() == 2


def test_backoff_doubles_up_to_a_cap():
    assert [events.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert events.backoff(40) == events.RETRY_CAP


def test_an_event_without_handlers_is_simply_delivered(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit(name="tests.nobody_listens", payload={}, actor=None)
    event.refresh_from_db()
    assert event.delivered_at is not None and event.actor is None and event.actor_repr == "system"
    assert events.deliver(123456789) is False  # a message that outlived its row


def test_a_handler_name_is_taken_once(calls):
    with pytest.raises(ValueError):
        events.register_handler(EVENT, handler="tests.steady", function=lambda event: None)


def test_failed_events_page_and_retry_now(calls, users, district, client, django_capture_on_commit_callbacks):
    calls["broken"] = True
    with django_capture_on_commit_callbacks(execute=True):
        ours = events.emit(name=EVENT, payload={"n": 1}, actor=users.street_staff, region=district.street_a)
    elsewhere = OutboxEvent.objects.create(name=EVENT, payload={"n": 2}, last_error="boom",
                                           next_attempt_at=timezone.now())  # no region: not the district's
    url = reverse("core:outbox-list")

    client.force_login(users.district_admin)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f"<td>#{ours.pk}</td>" in body and f"<td>#{elsewhere.pk}</td>" not in body
    assert "the receiving service is down" in body and "立即重试" in body

    calls["broken"] = False
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("core:outbox-retry", args=[ours.pk]))
    assert answer.status_code == 302
    ours.refresh_from_db()
    assert ours.delivered_at is not None and ours.attempts == 2
    retry = AuditEvent.objects.get(action="core.outbox_retry")
    assert retry.actor == users.district_admin and retry.subject_id == str(ours.pk)
    assert f"<td>#{ours.pk}</td>" not in client.get(url).content.decode()  # delivered: off the failed list
    assert f"<td>#{ours.pk}</td>" in client.get(url + "?state=all").content.decode()
    # Retrying a delivered event says so and changes nothing.
    client.post(reverse("core:outbox-retry", args=[ours.pk]))
    assert AuditEvent.objects.filter(action="core.outbox_retry").count() == 1
    # Out of scope: not found.
    assert client.post(reverse("core:outbox-retry", args=[elsewhere.pk])).status_code == 404

    # A street clerk has neither the list nor the retry.
    client.force_login(users.street_staff)
    assert client.get(url).status_code == 403
    assert client.post(reverse("core:outbox-retry", args=[ours.pk])).status_code == 403
    # An inspector reads the list but does not retry.
    client.force_login(users.inspector)
    assert client.get(url).status_code == 200
    assert client.post(reverse("core:outbox-retry", args=[ours.pk])).status_code == 403


def test_the_periodic_redelivery_is_scheduled():
    from django.conf import settings

    assert any(entry["task"] == "carecircle.core.outbox_redeliver" for entry in settings.CELERY_BEAT_SCHEDULE.values())
