"""Recording audit events. Every service write and every reveal of sensitive data calls `record`.

Action names are declared by the app that records them (`audit_actions` in its plugin.py, typed choices in
the style "area.entity_verb"); `record` refuses a name nobody declared, so the trail holds only names that
mean something. Rows written under an older name stay as they are and stay readable.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from django.db import models

from .isolation import region_of
from .middleware import current_request_id, current_request_meta


def _plain(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):  # most values: checked first (files of 50,000)
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (Decimal,)):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# Secrets and bookkeeping that must never be copied into the trail (a password hash is a secret too).
NEVER_AUDITED = {"password", "last_login", "bin_key", "key"}


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """The audit-safe values of an instance: sensitive fields appear masked, never in clear."""
    result = {}
    for f in instance._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if getattr(f, "audit_hidden", False) or f.name in NEVER_AUDITED:
            continue
        value = getattr(instance, f.attname)
        if getattr(f, "is_sensitive", False):
            value = f.mask(value) if value else value
        result[f.name] = _plain(value)
    return result


def diff(old: dict, new: dict) -> dict:
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


def _region_of(actor, subject):
    """The subject's own region as its Scoping derives it, else the actor's."""
    region = region_of(subject) if subject is not None else None
    if region is not None:
        return region
    if actor is not None and getattr(actor, "is_authenticated", False):
        if actor.scope_region_id:
            return actor.scope_region
        if actor.organisation_id:
            return actor.organisation.region
    return None


def record(*, actor, action: str, subject: models.Model | None = None, changes: dict | None = None,
           reason: str = "", subject_type: str = "", subject_id: str = "", subject_repr: str = "",
           region=None):
    from .models import AuditEvent
    from .plugins import registry

    registry.check_audit_action(action)
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
        subject_repr = subject_repr or str(subject)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_repr=(actor.get_username() if authenticated else "system")[:150],
        action=str(action),
        subject_type=subject_type,
        subject_id=subject_id,
        subject_repr=subject_repr,
        changes=_plain(changes or {}),
        reason=reason,
        request_id=current_request_id(),
        ip_address=current_request_meta().get("ip") or None,
        region=region or _region_of(actor, subject),
    )


class Ref(NamedTuple):
    """A subject named without loading it (a bulk write that has only ids at hand): its model label
    ("benefits.enrolment"), its id and the words the trail shows for it."""

    label: str
    pk: Any
    text: str


def record_many(*, actor, action: str, entries) -> int:
    """One audit event per subject, written in bulk (COPY on PostgreSQL), for a write that changes many records
    at once (an imported file, a monthly job). `entries` yields (subject, changes, reason, region): the subject a
    model instance or a `Ref`, the region a Region or its id, given by the caller, who has it at hand, because
    deriving it subject by subject would cost a query each."""
    from django.utils import timezone

    from .models import AuditEvent
    from .plugins import registry
    from .sql import bulk_insert

    registry.check_audit_action(action)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    common = (timezone.now(), actor.pk if authenticated else None,
              (actor.get_username() if authenticated else "system")[:150], str(action))
    request_id, ip_address = current_request_id(), current_request_meta().get("ip") or None
    rows = []
    for subject, changes, reason, region in entries:
        if isinstance(subject, Ref):
            label, pk, text = subject
        else:
            label, pk, text = subject._meta.label_lower, subject.pk, str(subject)
        rows.append((*common, label, str(pk), text[:200], _plain(changes or {}), reason or "", request_id,
                     ip_address, getattr(region, "pk", region)))
    return bulk_insert(AuditEvent, ["at", "actor", "actor_repr", "action", "subject_type", "subject_id",
                                    "subject_repr", "changes", "reason", "request_id", "ip_address", "region"], rows)
