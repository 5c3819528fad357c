"""Reads of the intake app. Every function takes the acting user and starts from visible_to."""
from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.sensitive import last4_lookup_hash, mask_name

from .texts import notice_result
from .models import CLOSED_STATES, Application, ApplicationEvent, PublicNotice, State, WaitlistEntry, WaitlistStatus

STREET_QUEUE_STATES = [State.REGISTERED, State.ACCEPTED, State.CORRECTION, State.DISTRICT_PASSED, State.ASSESSED,
                       State.PUBLIC_NOTICE, State.WAITLISTED, State.APPROVED]
DISTRICT_QUEUE_STATES = [State.STREET_PASSED, State.DISTRICT_PASSED, State.ASSESSMENT_ORDERED]


def application_queue(user, *, state: str = "", search: str = "", type_code: str = "", channel: str = "",
                      region: str = "", overdue: bool = False, states=None, today: dt.date | None = None) -> QuerySet:
    """Applications the user may see, overdue first, then by deadline."""
    today = today or timezone.localdate()
    queryset = visible_to(user, Application).select_related("elder", "type", "community", "street")
    if states:
        queryset = queryset.filter(state__in=states)
    if state:
        queryset = queryset.filter(state=state)
    if type_code:
        queryset = queryset.filter(type__code=type_code)
    if channel:
        queryset = queryset.filter(channel=channel)
    if region:
        queryset = queryset.filter(Q(community__code=region) | Q(street__code=region))
    search = (search or "").strip()
    if search:
        condition = Q(number__iexact=search) | Q(elder__name__startswith=search)
        if len(search) == 4:
            condition |= Q(elder__id_number_last4_hash=last4_lookup_hash(search))
        queryset = queryset.filter(condition)
    overdue_q = Q(is_open=True, due_on__lt=today)
    if overdue:
        queryset = queryset.filter(overdue_q)
    return queryset.annotate(
        overdue_rank=Case(When(overdue_q, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("overdue_rank", "due_on", "created_at", "id")


def state_counts(user, *, states, today: dt.date | None = None) -> list[dict]:
    """[{state, label, count, overdue}] for the queue tabs."""
    today = today or timezone.localdate()
    rows = (visible_to(user, Application).filter(state__in=states).values("state")
            .annotate(n=Count("id"), late=Count("id", filter=Q(is_open=True, due_on__lt=today))))
    by_state = {row["state"]: row for row in rows}
    return [{"state": s, "label": State(s).label, "count": by_state.get(s, {}).get("n", 0),
             "overdue": by_state.get(s, {}).get("late", 0)} for s in states]


def open_application_count(user) -> int:
    return visible_to(user, Application).filter(is_open=True).count()


def overdue_count(user, *, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return visible_to(user, Application).filter(is_open=True, due_on__lt=today).count()


def application_timeline(user, application) -> QuerySet:
    return (visible_to(user, ApplicationEvent).filter(application=application)
            .select_related("actor", "actor__scope_region", "actor__organisation").order_by("at", "id"))


def with_timeline(user, queryset: QuerySet) -> QuerySet:
    """The applications with the timeline events the user may see prefetched as `visible_events`, so a page of
    applications reads all its timelines in one query."""
    events = visible_to(user, ApplicationEvent).order_by("at", "id")
    return queryset.prefetch_related(Prefetch("events", queryset=events, to_attr="visible_events"))


def application_notices(user, application):
    return visible_to(user, PublicNotice).filter(application=application).prefetch_related("objections")


def waitlist(user, *, type_id=None) -> QuerySet:
    queryset = visible_to(user, WaitlistEntry).filter(status=WaitlistStatus.WAITING).select_related(
        "application", "application__elder", "application__community", "type")
    if type_id:
        queryset = queryset.filter(type_id=type_id)
    return queryset.order_by("type__sort_order", "position", "id")


def my_applications(user) -> QuerySet:
    return visible_to(user, Application).select_related("type", "elder").order_by("-created_at")


def public_notices(*, street, today: dt.date | None = None) -> list[dict]:
    """What anyone may read on a street's notice board: masked names only, no identifiers."""
    today = today or timezone.localdate()
    rows = (PublicNotice.objects.filter(street=street, is_open=True, starts_on__lte=today, ends_on__gte=today)
            .select_related("application", "application__elder", "application__community", "application__type")
            .order_by("ends_on", "id"))
    return [{"id": n.pk, "name": mask_name(n.application.elder.name), "community": n.application.community.name,
             "type": n.application.type.name, "result": notice_result(n), "starts_on": n.starts_on,
             "ends_on": n.ends_on}
            for n in rows]


def open_states():
    return [s for s in State.values if s not in CLOSED_STATES]


def application_visible(user, pk) -> Application | None:
    """One application by its record id, when `user` may see it (other apps link to it by its number)."""
    if not pk:
        return None
    return visible_to(user, Application).filter(pk=pk).first()
