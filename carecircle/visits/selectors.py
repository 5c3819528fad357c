"""Reads of visits, flags and exceptions, always through visible_to."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carecircle.core.isolation import visible_to

from .models import ExceptionStatus, Visit, VisitException, VisitStatus

# Work orders a caregiver should have visited: published to them and never checked in to.
MISSABLE = ("published",)
RECORDED = (VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT, VisitStatus.NOT_HOME, VisitStatus.HELD,
            VisitStatus.VERIFIED)


def visits_for(user) -> QuerySet:
    return visible_to(user, Visit).select_related("elder__community", "organisation", "caregiver", "work_order")


def visit_for(user, pk: int) -> Visit:
    return visits_for(user).get(pk=pk)


def exceptions_for(user, *, status: str = "", rule: str = "", organisation: str = "", street: str = "",
                   date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet:
    """The exceptions queue: filtered by status (default: everything not closed), rule, provider, street."""
    queryset = (visible_to(user, VisitException)
                .select_related("visit__elder__community__parent", "visit__organisation", "visit__caregiver",
                                "visit__work_order", "flag", "resolved_by", "approved_by"))
    if status in ExceptionStatus.values:
        queryset = queryset.filter(status=status)
    elif status != "all":
        queryset = queryset.exclude(status=ExceptionStatus.APPROVED)
    if rule:
        queryset = queryset.filter(flag__rule=rule)
    if organisation.isdigit():
        queryset = queryset.filter(visit__organisation_id=int(organisation))
    if street.isdigit():
        queryset = queryset.filter(visit__elder__community__parent_id=int(street))
    if date_from:
        queryset = queryset.filter(visit__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(visit__date__lte=date_to)
    return queryset.order_by("opened_at", "id")


def provider_visit_figures(user, *, start: dt.date, end: dt.date) -> list[dict]:
    """One row per provider organisation visible to the user with visits in [start, end] (by the work
    order's date): visits (checked in, "not at home", or missed: published and never visited once the
    window has passed), on time, verified and with an exception."""
    from carecircle.providers.models import Organisation
    from carecircle.workorders.models import WorkOrder

    visits = (visible_to(user, Visit).filter(work_order__date__gte=start, work_order__date__lte=end,
                                             status__in=RECORDED).order_by()
              .annotate(has_exception=Exists(VisitException.objects.filter(visit=OuterRef("pk"))))
              .values("organisation_id")
              .annotate(visits=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)),
                        verified=Count("pk", filter=Q(status=VisitStatus.VERIFIED)),
                        with_exception=Count("pk", filter=Q(has_exception=True))))
    now = timezone.localtime()
    missed_rows = (visible_to(user, WorkOrder).filter(date__gte=start, date__lte=end, status__in=MISSABLE)
                   .filter(Q(date__lt=now.date()) | Q(date=now.date(), window_end__lt=now.time()))
                   .exclude(Exists(Visit.objects.filter(work_order=OuterRef("pk"))))
                   .order_by().values("organisation_id").annotate(n=Count("pk")))
    figures: dict[int, dict] = {}

    def row(organisation_id):
        return figures.setdefault(organisation_id, {"organisation_id": organisation_id, "visits": 0, "on_time": 0,
                                                    "verified": 0, "with_exception": 0})

    for entry in visits:
        target = row(entry["organisation_id"])
        for key in ("visits", "on_time", "verified", "with_exception"):
            target[key] += entry[key]
    for entry in missed_rows:
        row(entry["organisation_id"])["visits"] += entry["n"]
    visible = set(visible_to(user, Organisation).filter(pk__in=list(figures)).values_list("pk", flat=True))
    return [figures[pk] for pk in sorted(figures) if pk in visible]


def open_exceptions(user) -> QuerySet:
    return visible_to(user, VisitException).exclude(status=ExceptionStatus.APPROVED)


def workbench_queues(user) -> list:
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    if not has_capability(user, "visits.resolve"):
        return []
    queryset = open_exceptions(user).select_related("visit__elder", "flag")
    cutoff = timezone.now() - dt.timedelta(days=1)

    def item(exception, overdue):
        return QueueItem(title=_("%(date)s · %(name)s · %(what)s") % {
                             "date": exception.visit.date.isoformat(), "name": exception.visit.elder.name,
                             "what": exception.flag.get_rule_display() if exception.flag else _("异常")},
                         url=reverse("visits:exception", args=[exception.pk]), due=exception.opened_at,
                         detail=exception.get_status_display(), overdue=overdue)

    return [queue_card(order=7, key="visit_exceptions", label=gettext_lazy("待处理的上门异常"),
                       url_name="visits:exceptions", queryset=queryset, due_field="opened_at", cutoff=cutoff,
                       item=item)]


def elder_timeline(user, elder, limit: int) -> list:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    can_open = has_capability(user, "visits.view")
    entries = []
    for visit in (visible_to(user, Visit).filter(elder=elder).exclude(checked_in_at=None)
                  .select_related("caregiver", "organisation").order_by("-checked_in_at", "-id")[:limit]):
        exception = visit.exceptions.order_by("-id").first() if can_open else None
        url = reverse("visits:exception", args=[exception.pk]) if exception is not None else ""
        entries.append(TimelineEntry(
            at=visit.checked_in_at, kind=_("上门记录"),
            title=_("%(caregiver)s 上门，%(status)s") % {"caregiver": visit.caregiver.name,
                                                    "status": visit.get_status_display()},
            detail=visit.organisation.name, url=url))
    return entries


def trend_series(user, months) -> list:
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import TrendSeries, monthly_counts

    verified = visible_to(user, Visit).filter(status=VisitStatus.VERIFIED)
    exceptions = visible_to(user, VisitException)
    return [TrendSeries("visits_verified", gettext_lazy("已核验的上门服务"), monthly_counts(verified, "date", months)),
            TrendSeries("visit_exceptions", gettext_lazy("上门异常"), monthly_counts(exceptions, "opened_at", months))]


def portal_today(user) -> list[dict]:
    """Today's visits to the elders a person is linked to, for the elder's or family's home page: when, who comes,
    where it stands, and the code the family gives the caregiver to confirm the visit."""
    from carecircle.elders.models import Elder, ElderStatus
    from carecircle.workorders.models import MY_DAY, WorkOrder

    from .models import ElderConfirmationPin
    from .services import family_code

    today = timezone.localdate()
    elders = list(visible_to(user, Elder).filter(status=ElderStatus.ACTIVE).order_by("name", "id"))
    if not elders:
        return []
    orders = (visible_to(user, WorkOrder).filter(elder__in=elders, date=today, status__in=MY_DAY)
              .select_related("caregiver").order_by("planned_start", "window_start", "id"))
    visits = {visit.work_order_id: visit for visit in Visit.objects.filter(work_order__in=orders)}
    with_pin = set(ElderConfirmationPin.objects.filter(elder__in=elders).values_list("elder_id", flat=True))
    rows = []
    for elder in elders:
        mine = [order for order in orders if order.elder_id == elder.pk]
        rows.append({"elder": elder, "has_pin": elder.pk in with_pin, "visits": [
            {"order": order, "visit": visits.get(order.pk),
             "start": timezone.localtime(order.planned_start) if order.planned_start else None,
             "caregiver": order.caregiver.name if order.caregiver_id else "",
             "code": family_code(order) if order.status in ("published", "started") else ""}
            for order in mine]})
    return rows


def elders_for_pin(user, query: str):
    """Elders whose PIN the reader may set at the window, found by name (at most a page)."""
    from carecircle.elders.models import Elder, ElderStatus

    from .models import ElderConfirmationPin
    from .services import may_set_pin

    query = (query or "").strip()
    if not query:
        return []
    elders = (visible_to(user, Elder, "change").filter(status=ElderStatus.ACTIVE)
              .filter(Q(name__contains=query) | Q(name_pinyin__icontains=query) | Q(name_initials__iexact=query))
              .select_related("community").order_by("name", "id")[:20])
    with_pin = set(ElderConfirmationPin.objects.filter(elder__in=list(elders)).values_list("elder_id", flat=True))
    return [{"elder": elder, "has_pin": elder.pk in with_pin} for elder in elders if may_set_pin(user, elder)]
