"""The demo district's rosters: tomorrow's shifts for the caregivers and nurses of every home-care provider and
nursing station, so the dispatch board has a day to plan (with the work orders of that day, when present).

Caregivers start from their provider's own facility when it has one, otherwise from home (a point in a
community the provider serves). Half of those whose day starts within walking reach (3 km) of every
community their provider serves walk; everybody else rides an e-bike (a walker who starts kilometres away
would spend hours of the day on the road, which no provider would roster). Lunch and working hours follow
the district's policy parameters.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from carecircle.core.policy import policy_value
from carecircle.dispatch.models import PlaceKind, Shift, TravelMode
from carecircle.providers.models import Facility, OrganisationKind, ServiceArea, StaffMember, StaffPosition

# Start times of the usual day and early shifts in home care.
SHIFT_PATTERNS = ((dt.time(8, 0), dt.time(17, 0)), (dt.time(7, 30), dt.time(16, 30)), (dt.time(9, 0), dt.time(18, 0)))
WALKING_SHARE = 0.5
# Homes lie within about 800 m of a served community's centre.
HOME_SPREAD_DEGREES = 0.007
# A caregiver walks only when every served community's centre lies within this distance of where the day starts.
WALKING_REACH_M = 3000


def _metres(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance, close enough for choosing a demo caregiver's way of getting around."""
    from math import asin, cos, radians, sin, sqrt

    p1, p2 = radians(float(lat1)), radians(float(lat2))
    dp, dl = p2 - p1, radians(float(lng2) - float(lng1))
    return 2 * 6_371_000 * asin(sqrt(sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2))


def demo_dispatch_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    day = as_of + dt.timedelta(days=1)
    staff = (StaffMember.objects.filter(is_active=True, position__in=[StaffPosition.CAREGIVER, StaffPosition.NURSE],
                                        organisation__kind__in=[OrganisationKind.HOME_CARE,
                                                                OrganisationKind.NURSING_STATION])
             .select_related("organisation__region").order_by("organisation_id", "id"))
    facilities = {}
    for facility in Facility.objects.filter(is_active=True).order_by("id"):
        facilities.setdefault(facility.organisation_id, facility)
    communities: dict[int, list] = {}
    for area in ServiceArea.objects.select_related("community").order_by("id"):
        if area.community.centroid_lat is not None:
            communities.setdefault(area.organisation_id, []).append(area.community)
    settings_by_region: dict[int, tuple] = {}
    shifts = []
    for member in staff:
        org = member.organisation
        if org.region_id not in settings_by_region:
            settings_by_region[org.region_id] = (
                Decimal(str(policy_value("dispatch.max_daily_hours", region=org.region, on=day))),
                policy_value("dispatch.lunch.minutes", region=org.region, on=day),
                dt.time.fromisoformat(policy_value("dispatch.lunch.earliest", region=org.region, on=day)),
                dt.time.fromisoformat(policy_value("dispatch.lunch.latest", region=org.region, on=day)),
            )
        max_hours, lunch_minutes, lunch_earliest, lunch_latest = settings_by_region[org.region_id]
        facility = facilities.get(org.pk)
        served = communities.get(org.pk)
        if facility is not None and rng.random() < 0.5:
            kind, place, lat, lng = PlaceKind.FACILITY, facility, facility.lat, facility.lng
        elif served:
            community = rng.choice(served)
            kind, place = PlaceKind.HOME, None
            lat = Decimal(str(round(float(community.centroid_lat) + rng.uniform(-1, 1) * HOME_SPREAD_DEGREES, 6)))
            lng = Decimal(str(round(float(community.centroid_lng) + rng.uniform(-1, 1) * HOME_SPREAD_DEGREES, 6)))
        elif facility is not None:
            kind, place, lat, lng = PlaceKind.FACILITY, facility, facility.lat, facility.lng
        else:
            continue  # a provider with neither a facility nor a served community has nobody to plan
        start, end = rng.choice(SHIFT_PATTERNS)
        within_reach = bool(served) and lat is not None and lng is not None and all(
            _metres(lat, lng, c.centroid_lat, c.centroid_lng) <= WALKING_REACH_M for c in served)
        walks = rng.random() < WALKING_SHARE and within_reach
        shifts.append(Shift(
            organisation=org, caregiver=member, date=day, start_time=start, end_time=end,
            lunch_minutes=lunch_minutes, lunch_earliest=lunch_earliest, lunch_latest=lunch_latest,
            start_kind=kind, start_facility=place, start_lat=lat, start_lng=lng,
            end_kind=kind, end_facility=place, end_lat=lat, end_lng=lng,
            travel_mode=TravelMode.WALKING if walks else TravelMode.EBIKE,
            max_hours=max_hours,
        ))
    Shift.objects.bulk_create(shifts, batch_size=1000)
    return {"shifts": len(shifts)}
