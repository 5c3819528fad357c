"""Consequences across apps that cannot be half-done: a transactional outbox.

A service that changes something other apps must follow (an elder died, a care level changed, an assessment
became final) calls `emit(name=..., payload=..., actor=...)` inside its own transaction. The event row
commits with the change or not at all. Once the transaction has committed, a background task delivers the
event to every handler registered for its name; the receiving app registers them in its `handlers.py`
(collected at start-up, so core imports no domain app):

    from carecircle.core.events import handles

    @handles("elders.status_changed", handler="careplans.stop_plans")
    def stop_plans(event):
        ...  # load what the payload names, call the app's own service with actor=event.actor

Each handler runs in its own savepoint together with the record that it ran (`OutboxDelivery`): a handler
that fails changes nothing and leaves the event undelivered with its error and a next attempt time
(exponential backoff); the periodic task `carecircle.core.outbox_redeliver` (beat schedule in settings)
tries due events again, and the district can retry one at once from the events page. A replay runs only
the handlers that have not completed, so nothing happens twice. The actor who made the change travels with
the event and is the actor of the consequences.

Direct call or event? The app that owns the change calls another app's public service in the same
transaction when it depends on that app anyway and the step cannot exist without the other (intake orders
an assessment through `assessment.services.assessment_order_create`). It emits an event when the app that
must follow sits above it (elders → assessment, care plans; assessment → intake, care plans): the lower app
does not know who listens, and its fact (a death, a final result) stands even while a follower fails.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .jobs import queue_on_commit

logger = logging.getLogger(__name__)

# The normal path delivers right after commit; the periodic task only picks up what that missed.
FIRST_RETRY_AFTER = dt.timedelta(minutes=2)
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=6)
REDELIVER_BATCH = 200

EventHandler = Callable[[object], object]


@dataclass(frozen=True)
class Registration:
    event: str
    name: str
    handler: EventHandler


_HANDLERS: dict[str, list[Registration]] = {}


def register_handler(event: str, *, handler: str, function: EventHandler) -> EventHandler:
    """Declare that `function(event)` follows events named `event`; `handler` names it in the delivery
    records and must stay stable (it is how a replay knows the handler already ran)."""
    registrations = _HANDLERS.setdefault(event, [])
    for existing in registrations:
        if existing.name == handler:
            if existing.handler is not function and existing.handler.__qualname__ != function.__qualname__:
                raise ValueError(f"event {event!r} already has a handler named {handler!r}")
            return function
    registrations.append(Registration(event, handler, function))
    return function


def handles(event: str, *, handler: str) -> Callable[[EventHandler], EventHandler]:
    def decorate(function: EventHandler) -> EventHandler:
        return register_handler(event, handler=handler, function=function)

    return decorate


def handlers_for(event: str) -> list[Registration]:
    return list(_HANDLERS.get(event, ()))


def _plain(payload: dict) -> dict:
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def emit(*, name: str, payload: dict, actor=None, region=None):
    """Write the event in the current transaction; it is delivered once that transaction commits."""
    from .models import OutboxEvent

    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = OutboxEvent.objects.create(
        name=name, payload=_plain(payload), actor=actor if authenticated else None,
        actor_repr=(actor.get_username() if authenticated else "system")[:150], region=region,
        next_attempt_at=timezone.now() + FIRST_RETRY_AFTER)
    from .tasks import deliver_outbox_event

    queue_on_commit(deliver_outbox_event, event.pk)
    return event


def emit_many(*, name: str, items, actor=None, batch_size: int = 500) -> int:
    """`emit` for many events of one name at once (an imported file): `items` yields (payload, region). The rows
    are written in bulk in the current transaction and delivered after commit in batches, one task each."""
    from .models import OutboxEvent
    from .sql import bulk_insert
    from .tasks import deliver_outbox_events

    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    now = timezone.now()
    common = (actor.pk if authenticated else None, (actor.get_username() if authenticated else "system")[:150],
              now, 0, "", now + FIRST_RETRY_AFTER, None)
    # COPY on PostgreSQL, the ids drawn beforehand: a death file of 50,000 rows writes 50,000 events.
    ids = bulk_insert(OutboxEvent, ["name", "payload", "region", "actor", "actor_repr", "created_at", "attempts",
                                    "last_error", "next_attempt_at", "delivered_at"],
                      ((name, _plain(payload), getattr(region, "pk", region), *common) for payload, region in items),
                      returning_ids=True)
    for start in range(0, len(ids), batch_size):
        queue_on_commit(deliver_outbox_events, ids[start:start + batch_size])
    return len(ids)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most six hours."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def deliver(event_id: int) -> bool:
    """Run every handler of the event that has not completed yet; True when the event is now delivered."""
    from .models import OutboxDelivery, OutboxEvent

    with transaction.atomic():
        # Only the event row is locked: the actor is a nullable (outer) join, which PostgreSQL will not lock.
        event = OutboxEvent.objects.select_for_update(of=("self",)).select_related("actor").filter(pk=event_id).first()
        if event is None:
            logger.warning("outbox event %s no longer exists", event_id)
            return False
        if event.delivered_at is not None:
            return True
        done = set(event.deliveries.values_list("handler", flat=True))
        errors = []
        for registration in handlers_for(event.name):
            if registration.name in done:
                continue
            try:
                with transaction.atomic():
                    registration.handler(event)
                    OutboxDelivery.objects.create(event=event, handler=registration.name)
            except Exception as exc:  # noqa: BLE001 — any failure is recorded and retried, never lost
                logger.exception("outbox event %s (%s): handler %s failed", event.pk, event.name, registration.name)
                errors.append(f"{registration.name}: {type(exc).__name__}: {exc}")
        now = timezone.now()
        event.attempts += 1
        if errors:
            event.last_error = "\n".join(errors)[:4000]
            event.next_attempt_at = now + backoff(event.attempts)
        else:
            event.last_error = ""
            event.delivered_at = now
            event.next_attempt_at = None
        event.save(update_fields=["attempts", "last_error", "next_attempt_at", "delivered_at"])
        return not errors


def redeliver_due(*, now=None, limit: int = REDELIVER_BATCH) -> dict:
    """Deliver the events whose next attempt is due, oldest first (the periodic task)."""
    from .models import OutboxEvent

    now = now or timezone.now()
    due = list(OutboxEvent.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=now)
               .order_by("created_at", "id").values_list("pk", flat=True)[:limit])
    delivered = sum(1 for pk in due if deliver(pk))
    return {"due": len(due), "delivered": delivered}


def retry_now(*, event, actor):
    """The district asks for an undelivered event to be tried again at once (queued after commit)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from . import audit
    from .models import OutboxEvent
    from .tasks import deliver_outbox_event

    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
        if event.delivered_at is not None:
            raise ValidationError(_("该事件已投递完成，无需重试"))
        event.next_attempt_at = timezone.now()
        event.save(update_fields=["next_attempt_at"])
        audit.record(actor=actor, action="core.outbox_retry", subject=event, region=event.region,
                     changes={"name": event.name, "attempts": event.attempts, "last_error": event.last_error})
        queue_on_commit(deliver_outbox_event, event.pk)
    return event


def collect_handlers() -> None:
    """Import every installed app's `handlers` module (called once at start-up by the core app)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("handlers")
