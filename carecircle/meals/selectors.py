"""Reads of the canteens app, always through visible_to (the till's diner lookup is the one exception: a card
is honoured at every canteen of the district, so `till_diner_search` looks across the district by name)."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.roles import PERSON_SCOPED
from carecircle.elders.models import Elder

from .models import (
    Canteen, ClaimStatus, DeliveryRound, DeliveryStop, Diner, Dish, MealBooking, MealClaim, Menu, Sale,
)


def canteen_list(*, user):
    return visible_to(user, Canteen).select_related("facility", "facility__organisation", "facility__community")


def canteen_facilities(*, user):
    """Facilities of the providers register the user may open a canteen on: of a kind that serves meals, in
    service, and not a canteen yet."""
    from carecircle.core.isolation import CHANGE
    from carecircle.providers.models import Facility

    from .services import CANTEEN_KINDS

    return (visible_to(user, Facility, CHANGE).filter(kind__in=CANTEEN_KINDS, is_active=True, canteen__isnull=True)
            .select_related("organisation", "community").order_by("name", "id"))


def delivery_communities(*, user, canteen: Canteen | None = None):
    """The communities a canteen may deliver to: those of its district (a new canteen: of the user's scope)."""
    from carecircle.regions.models import Region
    from carecircle.regions.selectors import regions_in_scope

    if canteen is None:
        return regions_in_scope(user=user, kinds=["community"])
    from .services import _district_prefix

    return Region.objects.filter(kind="community", path__startswith=_district_prefix(canteen.facility.community)
                                 ).order_by("path")


def may_manage_canteen(*, user, canteen: Canteen) -> bool:
    """Whether the user may change the canteen's own settings (its facility within the user's change scope)."""
    from carecircle.core.isolation import is_visible
    from carecircle.core.roles import has_capability

    return has_capability(user, "meals.manage") and is_visible(user, canteen.facility, "change")


def canteen_dishes(*, user, canteen: Canteen, active_only: bool = False):
    qs = visible_to(user, Dish).filter(canteen=canteen)
    return qs.filter(is_active=True) if active_only else qs


def dish_list(*, user):
    return visible_to(user, Dish).select_related("canteen__facility")


def menu_list(*, user):
    return visible_to(user, Menu).select_related("canteen__facility").prefetch_related("dishes")


def menu_canteens(*, user):
    """The canteens whose menus a reader sees: staff their scope; elders and family the canteens of the streets
    their elders live in."""
    base = Canteen.objects.filter(is_active=True).select_related("facility", "facility__community")
    if getattr(user, "role", None) in PERSON_SCOPED and not user.is_superuser:
        streets = visible_to(user, Elder).values("community__parent")
        return base.filter(facility__community__parent__in=streets)
    return visible_to(user, base)


def published_menus(*, user, start: dt.date, days: int = 7):
    canteens = menu_canteens(user=user)
    return (Menu.objects.filter(canteen__in=canteens, published_at__isnull=False,
                                date__range=(start, start + dt.timedelta(days=days - 1)))
            .select_related("canteen__facility").prefetch_related("dishes").order_by("canteen", "date", "meal"))


def diner_list(*, user, search: str = ""):
    qs = visible_to(user, Diner).select_related("elder", "elder__community")
    if search:
        qs = qs.filter(Q(elder__name__startswith=search) | Q(card_number=search))
    return qs


def till_diner_search(*, canteen: Canteen, name: str, limit: int = 10):
    """Registered diners of the canteen's district whose name starts with `name` (staff identify a diner who
    forgot the card); the page shows name, community and the card's last digits only."""
    name = (name or "").strip()
    if len(name) < 1:
        return Diner.objects.none()
    codes = [c for c in canteen.facility.community.path.strip("/").split("/") if c]
    prefix = "/" + "/".join(codes[:2]) + "/"  # city, district: the district the canteen lies in
    return (Diner.objects.filter(elder__name__startswith=name, is_active=True,
                                 elder__community__path__startswith=prefix)
            .select_related("elder", "elder__community").order_by("elder__name", "id")[:limit])


def sale_list(*, user, canteen: Canteen | None = None):
    qs = visible_to(user, Sale).select_related("canteen__facility", "diner__elder").prefetch_related("lines__dish")
    return qs.filter(canteen=canteen) if canteen is not None else qs


def sales_today(*, user):
    return visible_to(user, Sale).filter(date=timezone.localdate(), refund_of__isnull=True)


def claim_list(*, user):
    return visible_to(user, MealClaim).select_related("canteen__facility", "submitted_by", "reviewed_by")


def claims_to_review(*, user):
    return visible_to(user, MealClaim).filter(status=ClaimStatus.SUBMITTED)


def claim_sales(*, user, claim: MealClaim):
    from .services import month_bounds

    first, last = month_bounds(claim.month)
    return (visible_to(user, Sale).filter(canteen=claim.canteen, date__range=(first, last))
            .filter(Q(subsidy__gt=0) | Q(subsidy__lt=0) | Q(delivery_subsidy__gt=0) | Q(delivery_subsidy__lt=0))
            .select_related("diner__elder").order_by("diner__elder__name", "date", "id"))


def meals_per_day(*, user, canteen: Canteen, start: dt.date, end: dt.date):
    return meals_by_day(user=user, start=start, end=end, canteen=canteen)


def meals_by_day(*, user, start: dt.date, end: dt.date, canteen: Canteen | None = None):
    """Meals served per day, canteen, meal and subsidy class in the user's scope (a refunded sale and its refund
    line left out), with the subsidies granted: rows of date, canteen, meal, subsidy_class, meals, subsidy,
    delivery_subsidy."""
    qs = visible_to(user, Sale).filter(date__range=(start, end), refund_of__isnull=True, refund__isnull=True)
    if canteen is not None:
        qs = qs.filter(canteen=canteen)
    return (qs.values("date", "canteen", "canteen__facility__name", "meal", "subsidy_class")
            .annotate(meals=Count("id"), subsidy=Sum("subsidy"), delivery_subsidy=Sum("delivery_subsidy"))
            .order_by("-date", "canteen__facility__name", "canteen", "meal", "subsidy_class"))


def booking_list(*, user):
    return visible_to(user, MealBooking).select_related("diner__elder", "dish", "canteen__facility")


def round_list(*, user):
    return visible_to(user, DeliveryRound).select_related("canteen__facility")


def stop_list(*, user):
    return visible_to(user, DeliveryStop).select_related("round__canteen__facility", "booking__diner__elder")


def stopped_coming(*, user, region, today: dt.date | None = None):
    """Regular diners (at least `meals.welfare.regular_meals` meals in the 28 days before the quiet period) who
    have eaten at no canteen for `meals.welfare.quiet_days` days: a welfare signal for the hotline and the
    community. The diners are the elders in the user's scope (their meals at any canteen count) and, for a
    canteen's operator, the diners of its own canteens. Returns (rows, quiet_days); each row names the diner,
    the meals before and the last meal day. Refunded meals do not count."""
    from django.db.models import Max

    from carecircle.core.policy import policy_value

    today = today or timezone.localdate()
    quiet = int(policy_value("meals.welfare.quiet_days", region=region, on=today))
    regular = int(policy_value("meals.welfare.regular_meals", region=region, on=today))
    quiet_from = today - dt.timedelta(days=quiet - 1)
    observed_from = quiet_from - dt.timedelta(days=28)
    eaten = Sale.objects.filter(refund_of__isnull=True, refund__isnull=True, diner__isnull=False)
    recent = eaten.filter(date__gte=quiet_from).values("diner")
    mine = Q(diner__in=visible_to(user, Diner).values("pk")) | Q(pk__in=visible_to(user, Sale).values("pk"))
    rows = (eaten.filter(mine, date__range=(observed_from, quiet_from - dt.timedelta(days=1)))
            .exclude(diner__in=recent).exclude(diner__elder__status__in=["deceased", "moved_out", "merged"])
            .values("diner", "diner__elder__name", "diner__elder__community__name")
            .annotate(meals=Count("id"), last=Max("date")).filter(meals__gte=regular).order_by("last", "diner"))
    return list(rows), quiet
