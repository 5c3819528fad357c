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


def elder_timeline(user, elder, limit: int):
    """The elder's applications, the notices written for them and their public notices, newest first, each
    linking to the application's pages when the user may open them."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    from .documents import KINDS

    can_open = has_capability(user, "intake.view")
    entries = []
    for application in (visible_to(user, Application).filter(elder=elder).select_related("type")
                        .order_by("-created_at", "-id")[:limit]):
        entries.append(TimelineEntry(
            at=application.created_at, kind=_("申请"),
            title=_("%(type)s：%(state)s") % {"type": _(application.type.name), "state": application.get_state_display()},
            detail=_("申请编号 %(number)s") % {"number": application.number},
            url=reverse("intake:detail", args=[application.pk]) if can_open else ""))
    producing = {action: kind for kind, (_title, actions) in KINDS.items() for action in actions}
    for event in (visible_to(user, ApplicationEvent).filter(application__elder=elder, action__in=list(producing))
                  .select_related("application").order_by("-at", "-id")[:limit]):
        kind = producing[event.action]
        entries.append(TimelineEntry(
            at=event.at, kind=_("通知书"), title=str(KINDS[kind][0]),
            detail=_("申请编号 %(number)s") % {"number": event.application.number},
            url=reverse("intake:notice-document", args=[event.application_id, kind]) if can_open else ""))
    for notice in (visible_to(user, PublicNotice).filter(application__elder=elder).select_related("application")
                   .order_by("-created_at", "-id")[:limit]):
        entries.append(TimelineEntry(
            at=notice.created_at, kind=_("公示"),
            title=_("公示 %(start)s 至 %(end)s") % {"start": notice.starts_on.isoformat(),
                                                    "end": notice.ends_on.isoformat()},
            detail=_("申请编号 %(number)s") % {"number": notice.application.number},
            url=reverse("intake:detail", args=[notice.application_id]) if can_open else ""))
    return entries


def workbench_queues(user, *, today: dt.date | None = None) -> list:
    """What waits for the user in intake, overdue first: for a street, applications to accept and public
    notices to close; for the district, applications to review."""
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    today = today or timezone.localdate()

    def item(application, overdue):
        return QueueItem(title=_("%(name)s · %(type)s") % {"name": application.elder.name,
                                                         "type": _(application.type.name)},
                         url=reverse("intake:detail", args=[application.pk]), due=application.due_on,
                         detail=application.number, overdue=overdue)

    def waiting(state):
        return (visible_to(user, Application).filter(is_open=True, state=state)
                .select_related("elder", "type"))

    queues = []
    if has_capability(user, "intake.street"):
        queues.append(queue_card(order=55, key="applications_to_accept", label=gettext_lazy("待受理的申请"),
                                 url_name="intake:queue", query=f"view=street&state={State.REGISTERED}",
                                 queryset=waiting(State.REGISTERED), due_field="due_on", cutoff=today, item=item))
        queues.append(queue_card(order=56, key="notices_to_close", label=gettext_lazy("待结束的公示"),
                                 url_name="intake:queue", query=f"view=street&state={State.PUBLIC_NOTICE}",
                                 queryset=waiting(State.PUBLIC_NOTICE), due_field="due_on", cutoff=today,
                                 item=item))
    if has_capability(user, "intake.district"):
        queues.append(queue_card(order=55, key="applications_to_review", label=gettext_lazy("待区级复核的申请"),
                                 url_name="intake:queue", query=f"view=district&state={State.STREET_PASSED}",
                                 queryset=waiting(State.STREET_PASSED), due_field="due_on", cutoff=today,
                                 item=item))
    return queues


def application_visible(user, pk) -> Application | None:
    """One application by its record id, when `user` may see it (other apps link to it by its number)."""
    if not pk:
        return None
    return visible_to(user, Application).filter(pk=pk).first()
