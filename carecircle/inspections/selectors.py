"""Reads, each taking the acting user, through visible_to.

A contracted agency's inspectors (role INSPECTOR with an organisation) see only the inspections their
agency is assigned and what follows from them; a district inspector (no organisation) sees their region.
Providers see their facilities' inspections once submitted — never a planned visit, announced or not."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.roles import Role, has_capability

from .choices import InspectionStatus, NoticeStatus, ProblemStatus, RatingStatus, SchemeKind
from .models import (
    Consortium,
    ConsortiumMember,
    Inspection,
    InspectionPhoto,
    Problem,
    ProviderListEntry,
    RatingScheme,
    RectificationNotice,
    ScorecardPublication,
    StarRating,
)

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


def facilities_for(user):
    """The facilities the user may read about here: their scope's, or, for an agency's staff (who reach no
    facility through their region), the ones their agency has been assigned an inspection of."""
    from carecircle.providers.models import Facility

    if is_agency_staff(user):
        return Facility.objects.filter(pk__in=inspections_for(user).values("facility_id"))
    return visible_to(user, Facility)


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


def ratings_in_force(facility_ids, on: dt.date | None = None) -> dict[int, StarRating]:
    """`rating_in_force` for many facilities in one query: facility id → its rating in force on `on`."""
    on = on or today()
    found = {}
    for rating in (StarRating.objects.filter(facility_id__in=list(facility_ids), status=RatingStatus.IN_FORCE,
                                             valid_from__lte=on, valid_until__gte=on).select_related("scheme")):
        found.setdefault(rating.facility_id, rating)  # in the model's order: the latest first, as .first() takes
    return found


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


def facility_scorecard(user, facility, month: dt.date | None = None) -> dict:
    """What the district, the provider and an assigned agency read about one facility: the rating in force, the
    latest inspections, the open problems, the consortium it belongs to, and its operator's service figures of
    the last finished month (from the quality app's provider scorecard)."""
    inspections = inspections_for(user).filter(facility=facility, status__in=SUBMITTED).order_by("-submitted_at")
    open_problems = problems_for(user).filter(notice__facility=facility,
                                              status__in=(ProblemStatus.OPEN, ProblemStatus.RESPONDED))
    month = month or last_month()
    member = ConsortiumMember.objects.filter(facility=facility).select_related("consortium").first()
    lists = provider_lists()
    return {
        "facility": facility,
        "rating": rating_in_force(facility),
        "inspections": list(inspections[:5]),
        "inspection_count": inspections.count(),
        "open_problems": open_problems.count(),
        "overdue_problems": open_problems.filter(due_on__lt=today()).count(),
        "problems": list(open_problems.order_by("due_on", "pk")[:20]),
        "consortium": member.consortium if member else None,
        "lists": [lists[e.list_code] for e in list_entries(user, current_only=True).filter(
            organisation_id=facility.organisation_id) if e.list_code in lists],
        "month": month,
        "service": service_figures(user, month=month).get(facility.organisation_id),
    }


def last_month(on: dt.date | None = None) -> dt.date:
    """The first day of the last finished month."""
    first = (on or today()).replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


SERVICE_FIELDS = ("visits", "on_time_rate", "verified_share", "exception_rate", "satisfaction", "complaints",
                  "complaints_per_1000")


def service_figures(user, *, month: dt.date) -> dict[int, dict]:
    """Per operator: the month's on-time rate, verified share, exception rate, satisfaction and complaints
    (and per 1,000 visits), as the quality app computes them for `user`'s scope (through its selector, which
    reads the visits app's figures). An agency's staff read no service figures."""
    from carecircle.quality.selectors import provider_scorecards

    if is_agency_staff(user) or not has_capability(user, "quality.scorecard"):
        return {}
    return {row["organisation_id"]: {key: row[key] for key in SERVICE_FIELDS}
            for row in provider_scorecards(user, month=month)}


PUBLISHED_FIELDS = ("organisation", "facility", "consortium", "name", "stars", "inspections", "open_problems",
                    "overdue_problems") + SERVICE_FIELDS


def _empty_service() -> dict:
    return {key: (0 if key in ("visits", "complaints") else None) for key in SERVICE_FIELDS}


def scorecard_rows(user, *, month: dt.date) -> list[dict]:
    """What a publication freezes, computed for `user`'s scope: one row per provider with rated facilities
    (its figures from visits and complaints), one per facility (its rating, inspections, open problems, and its
    operator's service figures), and one per consortium (the chain: its members' inspections and problems
    summed, the lowest star among its members, the lead's service figures)."""
    service = service_figures(user, month=month)
    facilities = list(facility_comparison(user))
    inspections = dict(inspections_for(user).filter(status__in=SUBMITTED).order_by().values("facility_id")
                       .annotate(n=Count("pk")).values_list("facility_id", "n"))
    rows, providers = [], {}
    for facility in facilities:
        figures = service.get(facility.organisation_id) or _empty_service()
        rows.append({"organisation": facility.organisation, "facility": facility, "consortium": None,
                     "name": facility.name, "stars": facility.stars, "inspections": inspections.get(facility.pk, 0),
                     "open_problems": facility.open_problems, "overdue_problems": facility.overdue_problems,
                     **figures})
        provider = providers.setdefault(facility.organisation_id, {
            "organisation": facility.organisation, "facility": None, "consortium": None,
            "name": facility.organisation.name, "stars": None, "inspections": 0, "open_problems": 0,
            "overdue_problems": 0, **figures})
        for key in ("inspections", "open_problems", "overdue_problems"):
            provider[key] += rows[-1][key]
    by_facility = {row["facility"].pk: row for row in rows}
    for consortium in consortia_for(user):
        members = [by_facility[m.facility_id] for m in consortium.members.all() if m.facility_id in by_facility]
        stars = [m["stars"] or 0 for m in members]
        rows.append({"organisation": consortium.lead, "facility": None, "consortium": consortium,
                     "name": consortium.name, "stars": min(stars) if stars else None,
                     "inspections": sum(m["inspections"] for m in members),
                     "open_problems": sum(m["open_problems"] for m in members),
                     "overdue_problems": sum(m["overdue_problems"] for m in members),
                     **(service.get(consortium.lead_id) or _empty_service())})
    return list(providers.values()) + rows


def publications(region=None):
    queryset = ScorecardPublication.objects.select_related("region").order_by("-month", "region__code")
    return queryset.filter(region=region) if region is not None else queryset


def published_rows(publication, *, kind: str = ""):
    rows = publication.rows.select_related("organisation", "facility", "facility__community", "consortium")
    if kind == "provider":
        rows = rows.filter(facility__isnull=True, consortium__isnull=True)
    elif kind == "facility":
        rows = rows.filter(facility__isnull=False)
    elif kind == "consortium":
        rows = rows.filter(consortium__isnull=False)
    return rows.order_by("name", "pk")


# --- provider lists and consortia -------------------------------------------------------------------------

def provider_lists() -> dict[str, dict]:
    """The four lists as configured (data/lists/provider-lists.json), with their names in the reader's language."""
    import json
    from pathlib import Path

    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    path = Path(__file__).resolve().parent / "data" / "lists" / "provider-lists.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {item["code"]: {"code": item["code"], "negative": item["negative"],
                           "name": item["name_en"] if english else item["name_zh"],
                           "description": item["description_en"] if english else item["description_zh"]}
            for item in data["lists"]}


def list_entries(user, *, current_only: bool = False):
    queryset = visible_to(user, ProviderListEntry).select_related("organisation", "entered_by", "exited_by")
    if current_only:
        queryset = queryset.filter(exited_on__isnull=True)
    return queryset.order_by("list_code", "organisation__name", "-entered_on", "-pk")


def consortia_for(user):
    return visible_to(user, Consortium).select_related("lead", "institution", "region").prefetch_related(
        "members__facility")


def unification_label(key: str) -> str:
    from django.utils.translation import gettext

    return {"brand": gettext("统一品牌"), "building": gettext("统一建设标准"), "service": gettext("统一服务标准"),
            "operations": gettext("统一运营管理"), "supervision": gettext("统一监督考核")}.get(key, key)


def consortium_scorecard(user, consortium, month: dt.date | None = None) -> dict:
    """One scorecard for the chain and its members: each member's rating, inspections and open problems, the
    chain's totals, and the lead's service figures."""
    month = month or last_month()
    cards = [facility_scorecard(user, member.facility, month) for member in consortium.members.all()]
    stars = [card["rating"].stars if card["rating"] else 0 for card in cards]
    return {
        "consortium": consortium, "month": month, "members": cards,
        "unifications": [{"label": unification_label(key), "text": consortium.unifications.get(key, "")}
                         for key in ("brand", "building", "service", "operations", "supervision")],
        "lowest_stars": min(stars) if stars else None,
        "inspection_count": sum(card["inspection_count"] for card in cards),
        "open_problems": sum(card["open_problems"] for card in cards),
        "overdue_problems": sum(card["overdue_problems"] for card in cards),
        "service": service_figures(user, month=month).get(consortium.lead_id),
    }


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
    return (facilities_for(user).filter(is_active=True, kind__in=kinds)
            .select_related("organisation", "community")
            .annotate(stars=Subquery(rating.values("stars")[:1]), latest_total=Subquery(latest.values("total")[:1]),
                      latest_max=Subquery(latest.values("scheme__max_points")[:1]),
                      open_problems=count(open_problems), overdue_problems=count(open_problems.filter(due_on__lt=on)))
            .order_by(Coalesce("stars", 0).desc(), "name", "pk"))
