"""Reads, each taking the acting user, through visible_to.

A contracted agency's inspectors (role INSPECTOR with an organisation) see only the inspections their
agency is assigned and what follows from them; a district inspector (no organisation) sees their region.
Providers see their facilities' inspections once submitted — never a planned visit, announced or not."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.roles import Role, has_capability

from .choices import InspectionStatus, NoticeStatus, ProblemStatus, RatingStatus, SchemeKind
from .models import Inspection, InspectionPhoto, Problem, RatingScheme, RectificationNotice, StarRating

SUBMITTED = (InspectionStatus.SUBMITTED, InspectionStatus.ACKNOWLEDGED)


def is_agency_staff(user) -> bool:
    return getattr(user, "role", None) == Role.INSPECTOR and getattr(user, "organisation_id", None) is not None


def _narrow(user, queryset, path: str):
    """`path` leads from the queryset's model to an Inspection ("" for Inspection itself)."""
    prefix = f"{path}__" if path else ""
    if is_agency_staff(user):
        queryset = queryset.filter(**{f"{prefix}agency_id": user.organisation_id})
    if getattr(user, "role", None) in (Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.ASSESSOR):
        queryset = queryset.filter(**{f"{prefix}status__in": SUBMITTED})
    return queryset


def inspections_for(user, queryset=None):
    queryset = Inspection.objects.all() if queryset is None else queryset
    return _narrow(user, visible_to(user, queryset), "").select_related(
        "facility", "facility__organisation", "facility__community", "scheme", "inspector", "agency")


def photos_for(user):
    return _narrow(user, visible_to(user, InspectionPhoto), "inspection")


def notices_for(user, queryset=None):
    queryset = RectificationNotice.objects.all() if queryset is None else queryset
    return _narrow(user, visible_to(user, queryset), "inspection").select_related(
        "facility", "facility__organisation", "inspection")


def problems_for(user):
    return _narrow(user, visible_to(user, Problem), "notice__inspection").select_related("notice")


def ratings_for(user, queryset=None):
    queryset = StarRating.objects.all() if queryset is None else queryset
    return visible_to(user, queryset).select_related("facility", "facility__organisation", "scheme")


def schemes(kind=SchemeKind.STAR_RATING):
    return RatingScheme.objects.filter(kind=kind, is_current=True).order_by("code")


def scheme_by_code(code: str) -> RatingScheme | None:
    return RatingScheme.objects.filter(code=code, is_current=True).first()


def hazard_list(scheme: RatingScheme) -> RatingScheme | None:
    code = scheme.data.get("hazard_list")
    return scheme_by_code(code) if code else None


def hazard_items(scheme: RatingScheme) -> list[dict]:
    hazards = hazard_list(scheme)
    return list(hazards.data["items"]) if hazards is not None else []


def today():
    return timezone.localdate()


def overdue_problems(user, on: dt.date | None = None):
    """Problems past their deadline and not closed, earliest first: the district's overdue queue."""
    on = on or today()
    return problems_for(user).filter(status__in=(ProblemStatus.OPEN, ProblemStatus.RESPONDED),
                                     due_on__lt=on).order_by("due_on", "pk")


def rating_in_force(facility, on: dt.date | None = None) -> StarRating | None:
    on = on or today()
    return (StarRating.objects.filter(facility=facility, status=RatingStatus.IN_FORCE, valid_from__lte=on,
                                      valid_until__gte=on).select_related("scheme").first())


def published_ratings(on: dt.date | None = None):
    """The ratings in force today, for the public list: facility, operator, community, stars, validity.
    Ratings are public information, read by every signed-in reader whatever their scope."""
    on = on or today()
    return (StarRating.objects.filter(status=RatingStatus.IN_FORCE, valid_from__lte=on, valid_until__gte=on)
            .select_related("facility", "facility__organisation", "facility__community", "scheme")
            .order_by("-stars", "facility__name", "pk"))


def subsidy_for_year(*, facility, year: int) -> Decimal:
    """The facility's operating subsidy for `year`: the policy's base × the coefficient of each rating's stars,
    pro rata to the days the rating was in force in that year (values in force on the rating's first day in
    the year)."""
    from carecircle.core.money import to_money
    from carecircle.core.policy import policy_value

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days_in_year = (end - start).days + 1
    total = Decimal("0")
    rows = StarRating.objects.filter(facility=facility, valid_from__lte=end, valid_until__gte=start).exclude(
        status=RatingStatus.REVOKED)
    region = facility.community
    for rating in rows:
        first, last = max(start, rating.valid_from), min(end, rating.valid_until)
        if rating.status == RatingStatus.SUPERSEDED:
            later = (StarRating.objects.filter(facility=facility, valid_from__gt=rating.valid_from)
                     .order_by("valid_from").first())
            if later is not None:
                last = min(last, later.valid_from - dt.timedelta(days=1))
        if last < first:
            continue
        base = policy_value("inspections.subsidy.annual_base", region=region, on=first)
        coefficient = Decimal(str(policy_value("inspections.subsidy.coefficient", region=region, on=first).get(
            str(rating.stars), "0")))
        total += base * coefficient * Decimal((last - first).days + 1) / Decimal(days_in_year)
    return to_money(total)


def subsidy_table(user, *, year: int) -> list[dict]:
    """Every facility with a rating in the year, within the user's scope, and its subsidy for the year."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ratings = ratings_for(user).filter(valid_from__lte=end, valid_until__gte=start).exclude(
        status=RatingStatus.REVOKED)
    facilities = {}
    for rating in ratings.order_by("facility__name", "valid_from"):
        facilities.setdefault(rating.facility_id, {"facility": rating.facility, "ratings": []})["ratings"].append(
            rating)
    rows = []
    for row in facilities.values():
        row["amount"] = subsidy_for_year(facility=row["facility"], year=year)
        rows.append(row)
    return rows


def facility_scorecard(user, facility) -> dict:
    """What the district and the provider read about one facility: the rating in force, the latest
    inspections and the open problems. Figures from visits, complaints and satisfaction belong to the
    quality app's provider scorecard and are read through `service_figures` once it exists."""
    inspections = inspections_for(user).filter(facility=facility, status__in=SUBMITTED).order_by("-submitted_at")
    open_problems = problems_for(user).filter(notice__facility=facility,
                                              status__in=(ProblemStatus.OPEN, ProblemStatus.RESPONDED))
    return {
        "facility": facility,
        "rating": rating_in_force(facility),
        "inspections": list(inspections[:5]),
        "open_problems": open_problems.count(),
        "overdue_problems": open_problems.filter(due_on__lt=today()).count(),
        "service": service_figures(facility),
    }


def service_figures(facility) -> dict | None:
    """Hook for the service figures of a facility's operator (on-time rate, verified share, exception rate,
    satisfaction, complaints), to be read from the quality app's scorecard selector when it lands. Until
    then there are none, and the scorecard says so rather than show made-up numbers."""
    return None


def workbench_queues(user):
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from carecircle.core.plugins import QueueItem, queue_card

    cards = []
    now = today()
    if has_capability(user, "inspections.inspect"):
        mine = inspections_for(user).filter(status__in=(InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS))
        if not is_agency_staff(user):
            mine = mine.filter(Q(inspector=user) | Q(inspector__isnull=True, agency__isnull=True))
        else:
            mine = mine.filter(Q(inspector=user) | Q(inspector__isnull=True))
        cards.append(queue_card(
            order=263, key="inspections_due", label=_("待检查"), url_name="inspections:list", queryset=mine,
            due_field="due_on", cutoff=now,
            item=lambda row, overdue: QueueItem(title=str(row.facility), due=row.due_on, overdue=overdue,
                                                url=reverse("inspections:detail", args=[row.pk]),
                                                detail=row.get_kind_display())))
        checks = problems_for(user).filter(status=ProblemStatus.RESPONDED)
        cards.append(queue_card(
            order=264, key="inspections_recheck", label=_("待复查的整改"), url_name="inspections:notice-list",
            queryset=checks, due_field="due_on", cutoff=now,
            item=lambda row, overdue: QueueItem(title=str(row.notice.facility), due=row.due_on, overdue=overdue,
                                                url=reverse("inspections:notice-detail", args=[row.notice_id]),
                                                detail=row.description[:40])))
    if has_capability(user, "inspections.respond"):
        todo = problems_for(user).filter(status=ProblemStatus.OPEN)
        cards.append(queue_card(
            order=265, key="inspections_rectify", label=_("待整改的问题"), url_name="inspections:notice-list",
            queryset=todo, due_field="due_on", cutoff=now,
            item=lambda row, overdue: QueueItem(title=str(row.notice.facility), due=row.due_on, overdue=overdue,
                                                url=reverse("inspections:notice-detail", args=[row.notice_id]),
                                                detail=row.description[:40])))
        ack = inspections_for(user).filter(status=InspectionStatus.SUBMITTED)
        cards.append(queue_card(
            order=266, key="inspections_acknowledge", label=_("待确认的检查结果"), url_name="inspections:list",
            queryset=ack, due_field="due_on", cutoff=now,
            item=lambda row, overdue: QueueItem(title=str(row.facility), due=None,
                                                url=reverse("inspections:detail", args=[row.pk]),
                                                detail=row.get_kind_display())))
    if has_capability(user, "inspections.overdue") and not has_capability(user, "inspections.inspect"):
        overdue = problems_for(user).filter(status__in=(ProblemStatus.OPEN, ProblemStatus.RESPONDED))
        cards.append(queue_card(
            order=267, key="inspections_overdue", label=_("整改问题（逾期在前）"), url_name="inspections:overdue",
            queryset=overdue, due_field="due_on", cutoff=now,
            item=lambda row, overdue: QueueItem(title=str(row.notice.facility), due=row.due_on, overdue=overdue,
                                                url=reverse("inspections:notice-detail", args=[row.notice_id]),
                                                detail=row.description[:40])))
    return cards


def open_notices(user):
    return notices_for(user).filter(status=NoticeStatus.OPEN)


def facility_comparison(user):
    """The district's comparison table: every facility in the user's scope that a scheme rates, with its rating
    in force, its latest submitted score and its open and overdue problems (as far as the user may see them)."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from carecircle.providers.models import Facility

    kinds = {kind for scheme in schemes() for kind in scheme.data.get("applies_to", [])}
    on = today()
    open_problems = problems_for(user).filter(notice__facility=OuterRef("pk"),
                                              status__in=(ProblemStatus.OPEN, ProblemStatus.RESPONDED))

    def count(queryset):
        return Coalesce(Subquery(queryset.order_by().values("notice__facility").annotate(n=Count("pk")).values("n"),
                                 output_field=IntegerField()), 0)

    latest = inspections_for(user).filter(facility=OuterRef("pk"), status__in=SUBMITTED).order_by("-submitted_at")
    rating = StarRating.objects.filter(facility=OuterRef("pk"), status=RatingStatus.IN_FORCE, valid_from__lte=on,
                                       valid_until__gte=on)
    return (visible_to(user, Facility).filter(is_active=True, kind__in=kinds)
            .select_related("organisation", "community")
            .annotate(stars=Subquery(rating.values("stars")[:1]), latest_total=Subquery(latest.values("total")[:1]),
                      latest_max=Subquery(latest.values("scheme__max_points")[:1]),
                      open_problems=count(open_problems), overdue_problems=count(open_problems.filter(due_on__lt=on)))
            .order_by(Coalesce("stars", 0).desc(), "name", "pk"))
