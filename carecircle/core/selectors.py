"""Reads for the core pages: policy parameters in force, their history, the audit trail and jobs.
Every function takes the acting user and goes through visible_to."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from .isolation import visible_to
from .models import AuditEvent, Job, PolicyParameter
from .policy import ParameterSpec, specs


@dataclass
class KeyInForce:
    spec: ParameterSpec
    row: PolicyParameter | None
    inherited_from: object | None  # the ancestor region the value comes from, None when set on the region itself


def _chain_paths(region) -> list[str]:
    """The region and its ancestors, nearest first."""
    return [region.path, *reversed(region.ancestor_paths())]


def policy_rows_for_region(*, user, region, on: dt.date | None = None, key: str = ""):
    qs = visible_to(user, PolicyParameter).filter(region__path__in=_chain_paths(region)).select_related(
        "region", "created_by")
    if on is not None:
        qs = qs.filter(effective_from__lte=on)
    if key:
        qs = qs.filter(key=key)
    return qs.order_by("key", "-effective_from", "-created_at", "-id")


def _in_force(rows: list[PolicyParameter], region) -> PolicyParameter | None:
    """The nearest region's newest row (rows already ordered newest first)."""
    for path in _chain_paths(region):
        for row in rows:
            if row.region.path == path:
                return row
    return None


def policy_overview(*, user, region, on: dt.date, search: str = "", needs_confirmation: bool = False):
    """Every known key with the value in force for `region` on `on`, in one query."""
    by_key: dict[str, list[PolicyParameter]] = {}
    for row in policy_rows_for_region(user=user, region=region, on=on):
        by_key.setdefault(row.key, []).append(row)
    result = []
    for key, spec in sorted(specs().items()):
        if search and search.lower() not in key.lower() and search not in spec.label_zh \
                and search.lower() not in spec.label_en.lower():
            continue
        row = _in_force(by_key.get(key, []), region)
        if needs_confirmation and not (row is not None and row.needs_confirmation):
            continue
        inherited = row.region if row is not None and row.region_id != region.pk else None
        result.append(KeyInForce(spec=spec, row=row, inherited_from=inherited))
    return result


def policy_history(*, user, key: str, region, on: dt.date):
    """All values of `key` on the region and its ancestors, newest first, and which one is in force."""
    rows = list(policy_rows_for_region(user=user, region=region, key=key))
    in_force = _in_force([r for r in rows if r.effective_from <= on], region)
    return rows, in_force


def policy_parameter_list(*, user, key: str = "", region_code: str = ""):
    qs = visible_to(user, PolicyParameter).select_related("region")
    if key:
        qs = qs.filter(key=key)
    if region_code:
        qs = qs.filter(region__code=region_code)
    return qs.order_by("key", "region__path", "-effective_from", "-created_at", "-id")


def audit_events(*, user, subject_type: str = "", subject_id: str = "", actor: str = "", action: str = "",
                 since: dt.datetime | None = None, until: dt.datetime | None = None):
    qs = visible_to(user, AuditEvent)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    if actor:
        qs = qs.filter(Q(actor_repr__iexact=actor) | Q(actor__display_name__icontains=actor))
    if action:
        qs = qs.filter(action__startswith=action)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def audit_subject_types(*, user) -> list[str]:
    return list(visible_to(user, AuditEvent).order_by().values_list("subject_type", flat=True).distinct())


def job_for(*, user, pk: int) -> Job | None:
    """A job is shown to the person who started it (and to superusers), within their scope."""
    qs = visible_to(user, Job)
    if not user.is_superuser:
        qs = qs.filter(created_by=user)
    return qs.filter(pk=pk).first()


def outbox_events(*, user, state: str = "failed"):
    """Outbox events the user may see: "failed" (a handler failed, not yet delivered), "pending" (not yet
    delivered) or "all"."""
    from .models import OutboxEvent

    qs = visible_to(user, OutboxEvent).select_related("region")
    if state == "failed":
        qs = qs.filter(delivered_at__isnull=True).exclude(last_error="")
    elif state == "pending":
        qs = qs.filter(delivered_at__isnull=True)
    return qs.order_by("-created_at", "-id")
