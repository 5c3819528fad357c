import datetime as dt
from types import SimpleNamespace

import pytest

from carecircle.conftest import make_elder, seed_policy
from carecircle.engines.coverage import destination

PLANNING_KEYS = ("planning.service_radius_m", "planning.gap_map.min_elders", "planning.gap_map.h3_resolution",
                 "planning.norm.community_facility_kinds", "planning.community_facility_m2_per_1000_residents",
                 "planning.beds_ratio_of_registered_elders", "planning.site_study.solver_seconds",
                 "planning.elder_walking_speed_m_per_min")


@pytest.fixture
def planning(district, users):
    """Street A's community A1 has a meal point at its centre; elders exactly at 1,000 m and at 1,001 m from
    it, one with no position; street B has a day centre."""
    from carecircle.providers.models import Facility

    seed_policy(*PLANNING_KEYS)
    d = district
    meal = Facility.objects.create(organisation=d.provider, name="天平长者食堂", kind="meal_point", community=d.a1,
                                   address="天平路 100 号", lat=d.a1.centroid_lat, lng=d.a1.centroid_lng,
                                   floor_area_m2="300.00", opening_hours="10:30-13:00")
    day = Facility.objects.create(organisation=d.other_provider, name="枫林日间照料中心", kind="day_centre",
                                  community=d.b1, address="枫林路 8 号", lat=d.b1.centroid_lat, lng=d.b1.centroid_lng,
                                  floor_area_m2="500.00", beds=20)
    lat0, lng0 = float(d.a1.centroid_lat), float(d.a1.centroid_lng)
    at = destination(lat0, lng0, 90, 1000.0)
    over = destination(lat0, lng0, 90, 1001.0)
    at_radius = make_elder(d.a1, name="赵一", lat=f"{at[0]:.6f}", lng=f"{at[1]:.6f}")
    one_over = make_elder(d.a1, name="钱二", lat=f"{over[0]:.6f}", lng=f"{over[1]:.6f}",
                          birth=dt.date(1960, 1, 1), household_type="with_children")
    nowhere = make_elder(d.a1, name="孙三", lat=None, lng=None)
    return SimpleNamespace(meal=meal, day=day, at_radius=at_radius, one_over=one_over, nowhere=nowhere)
