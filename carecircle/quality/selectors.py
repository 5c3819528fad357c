"""Reads of service quality. Every function takes the acting user and starts from visible_to."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, F, IntegerField, Q, When
from django.utils import timezone

from carecircle.core.isolation import CHANGE, visible_to
from carecircle.core.params import parse_id

from .models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    ReturnVisit,
    ReturnVisitAttempt,
    ReturnVisitStatus,
)


def complaint_list(user, *, q: str = "", status: str = "", channel: str = "", category: str = "",
                   organisation_id=None, overdue: bool = False, today: dt.date | None = None):
    """The complaints the user may see, overdue first, then by answer deadline (closed ones last)."""
    from carecircle.elders.selectors import elders_matching

    today = today or timezone.localdate()
    qs = visible_to(user, Complaint).select_related("elder__community", "organisation", "caregiver")
    if status in ComplaintStatus.values:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if category:
        qs = qs.filter(category=category)
    organisation_id = parse_id(organisation_id, name="organisation") if organisation_id not in (None, "") else None
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    overdue_q = Q(status__in=OPEN_STATUSES, answer_due__lt=today)
    if overdue:
        qs = qs.filter(overdue_q)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(elder__in=elders_matching(text)) | Q(summary__icontains=text) | Q(pk=int(text) if
                                                                                           text.isdigit() and len(text) < 12 else 0))
    return qs.annotate(
        overdue_rank=Case(When(overdue_q, then=0), When(status__in=OPEN_STATUSES, then=1), default=2,
                          output_field=IntegerField()),
    ).order_by("overdue_rank", "answer_due", "id")


def complaint_steps(user, complaint):
    return visible_to(user, ComplaintStep).filter(complaint=complaint).select_related("actor")


def complaints_of_person(user):
    """An elder's or family member's own complaints, newest first."""
    return visible_to(user, Complaint).select_related("elder", "organisation").order_by("-received_on", "-id")


def return_visit_list(user, *, status: str = "", reason: str = "", q: str = ""):
    """The return visits the user may see, pending first by deadline (overdue lead)."""
    from carecircle.elders.selectors import elders_matching

    qs = visible_to(user, ReturnVisit).select_related("elder__community", "organisation", "work_order", "complaint")
    if status in ReturnVisitStatus.values:
        qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    if (q or "").strip():
        qs = qs.filter(elder__in=elders_matching(q))
    return qs.annotate(pending_rank=Case(When(status=ReturnVisitStatus.PENDING, then=0), default=1,
                                         output_field=IntegerField())).order_by("pending_rank", "due_on", "id")


def return_visit_calls(user, visit):
    return visible_to(user, ReturnVisitAttempt).filter(return_visit=visit).select_related("by")


# --- the provider scorecard ----------------------------------------------------------------------------------

def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def _rate(part, whole) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _visit_figures(user, *, start: dt.date, end: dt.date) -> dict[int, dict]:
    """Per provider: visits, on time, verified, with an exception, from the visits app's figures (which take
    the last day itself: `end` here is the first day after the month)."""
    from carecircle.visits.selectors import provider_visit_figures

    rows = provider_visit_figures(user, start=start, end=end - dt.timedelta(days=1))
    return {row["organisation_id"]: row for row in rows}


def provider_scorecards(user, *, month: dt.date, today: dt.date | None = None) -> list[dict]:
    """One row per provider in the user's scope for the month: on-time rate, verified share and exception rate
    (percentages of the month's visits), average satisfaction of the return visits made and their count,
    complaints per 1,000 visits and complaints overdue (received in the month and answered late or still
    open past their deadline). A provider sees its own row only."""
    from carecircle.providers.models import Organisation

    today = today or timezone.localdate()
    start, end = month_bounds(month)
    figures = _visit_figures(user, start=start, end=end)
    complaints = (visible_to(user, Complaint).filter(received_on__gte=start, received_on__lt=end,
                                                     organisation__isnull=False)
                  .values("organisation_id").order_by()
                  .annotate(n=Count("pk"),
                            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, answer_due__lt=today)
                                          | Q(answered_at__isnull=False, answered_at__date__gt=F("answer_due")))))
    complaint_rows = {row["organisation_id"]: row for row in complaints}
    satisfaction = (visible_to(user, ReturnVisit).filter(period=start, status=ReturnVisitStatus.DONE,
                                                         organisation__isnull=False)
                    .values("organisation_id").order_by()
                    .annotate(avg=Avg("satisfaction"), n=Count("pk")))
    satisfaction_rows = {row["organisation_id"]: row for row in satisfaction}
    ids = set(figures) | set(complaint_rows) | set(satisfaction_rows)
    organisations = {o.pk: o for o in visible_to(user, Organisation).filter(pk__in=ids)}
    if getattr(user, "organisation_id", None):
        organisations = {pk: o for pk, o in organisations.items() if pk == user.organisation_id}
    rows = []
    for pk, organisation in organisations.items():
        visits = figures.get(pk, {})
        total = visits.get("visits", 0) or 0
        complaint = complaint_rows.get(pk, {})
        rated = satisfaction_rows.get(pk, {})
        average = rated.get("avg")
        rows.append({
            "organisation_id": pk,
            "organisation": organisation.name,
            "month": start,
            "visits": total,
            "on_time_rate": _rate(visits.get("on_time"), total),
            "verified_share": _rate(visits.get("verified"), total),
            "exception_rate": _rate(visits.get("with_exception"), total),
            "satisfaction": (Decimal(str(average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                             if average is not None else None),
            "satisfaction_count": rated.get("n", 0),
            "complaints": complaint.get("n", 0),
            "complaints_per_1000": (Decimal(complaint.get("n", 0)) * 1000 / Decimal(total)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP) if total else None,
            "complaints_overdue": complaint.get("overdue", 0),
        })
    rows.sort(key=lambda row: (row["organisation"], row["organisation_id"]))
    return rows


SORT_KEYS = ("organisation", "visits", "on_time_rate", "verified_share", "exception_rate", "satisfaction",
             "complaints_per_1000", "complaints_overdue")


def sorted_scorecards(rows: list[dict], sort: str) -> list[dict]:
    """Sorted by a column (a leading "-" for descending); empty values last either way."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        return rows
    present = [row for row in rows if row[key] is not None]
    missing = [row for row in rows if row[key] is None]
    present.sort(key=lambda row: row[key], reverse=descending)
    return present + missing


# --- workbench, portal, timeline -----------------------------------------------------------------------------

def workbench_queues(user, *, today: dt.date | None = None) -> list:
    """Complaints waiting for this user (to accept for the street and the hotline, to answer for the provider,
    escalated ones for the district) and return visits to make, overdue first."""
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    today = today or timezone.localdate()
    cards = []

    def complaint_item(complaint, overdue):
        return QueueItem(title=_("%(name)s · %(category)s") % {"name": complaint.elder.name,
                                                               "category": complaint.get_category_display()},
                         url=reverse("quality:complaint-detail", args=[complaint.pk]), due=complaint.answer_due,
                         detail=complaint.get_status_display(), overdue=overdue)

    if has_capability(user, "quality.respond") or has_capability(user, "quality.handle"):
        waiting = Q()
        if has_capability(user, "quality.handle"):
            waiting |= Q(status__in=(ComplaintStatus.RECEIVED, ComplaintStatus.ANSWERED))
        if has_capability(user, "quality.district"):
            waiting |= Q(status=ComplaintStatus.ESCALATED)
        if has_capability(user, "quality.respond") and getattr(user, "organisation_id", None):
            waiting |= Q(status=ComplaintStatus.ACCEPTED, organisation_id=user.organisation_id)
        queryset = visible_to(user, Complaint, CHANGE if not getattr(user, "organisation_id", None) else "view"
                              ).filter(waiting).select_related("elder")
        cards.append(queue_card(order=8, key="complaints_to_handle", label=gettext_lazy("待处理的投诉"),
                                url_name="quality:complaint-list", queryset=queryset, due_field="answer_due",
                                cutoff=today, item=complaint_item))
    if has_capability(user, "quality.call"):
        pending = visible_to(user, ReturnVisit, CHANGE).filter(status=ReturnVisitStatus.PENDING).select_related("elder")

        def visit_item(visit, overdue):
            return QueueItem(title=_("%(name)s · %(reason)s") % {"name": visit.elder.name,
                                                                 "reason": visit.get_reason_display()},
                             url=reverse("quality:return-visit-detail", args=[visit.pk]), due=visit.due_on,
                             overdue=overdue)

        cards.append(queue_card(order=9, key="return_visits_to_make", label=gettext_lazy("待回访"),
                                url_name="quality:return-visit-list", queryset=pending, due_field="due_on",
                                cutoff=today, item=visit_item))
    return cards


def portal_rows(user) -> list:
    """The person's open complaints and the latest closed ones, for the portal block."""
    return list(complaints_of_person(user)[:5])


def elder_timeline(user, elder, limit: int):
    """Complaints and return visits in the elder's story, linking where the reader may open them."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    entries = []
    can_open = has_capability(user, "quality.view")
    for complaint in visible_to(user, Complaint).filter(elder=elder).select_related("organisation").order_by(
            "-created_at", "-id")[:limit]:
        entries.append(TimelineEntry(
            at=complaint.created_at, kind=_("投诉"),
            title=_("投诉：%(category)s，%(status)s") % {"category": complaint.get_category_display(),
                                                    "status": complaint.get_status_display()},
            detail=complaint.organisation.name if complaint.organisation else "",
            url=reverse("quality:complaint-detail", args=[complaint.pk]) if can_open else ""))
    can_call = has_capability(user, "quality.call")
    for visit in visible_to(user, ReturnVisit).filter(elder=elder).exclude(status=ReturnVisitStatus.PENDING).order_by(
            "-completed_at", "-id")[:limit]:
        title = _("回访：%(status)s") % {"status": visit.get_status_display()}
        if visit.satisfaction:
            title = _("回访：满意度 %(n)d 分") % {"n": visit.satisfaction}
        entries.append(TimelineEntry(at=visit.completed_at, kind=_("回访"), title=title,
                                     detail=visit.get_reason_display(),
                                     url=reverse("quality:return-visit-detail", args=[visit.pk]) if can_call else ""))
    return entries
