"""The gap map shows uncovered elders on hexagons of at least the policy's threshold, never one home."""
import datetime as dt

import pytest
from django.urls import reverse

from carecircle.conftest import make_elder
from carecircle.planning import selectors

pytestmark = pytest.mark.django_db


def test_cells_below_the_threshold_are_not_shown(district, users, planning):
    # Eleven uncovered elders in one building far from any facility, and one alone elsewhere.
    for i in range(11):
        make_elder(district.a2, name=f"楼{i}", birth=dt.date(1941, 1, 1) + dt.timedelta(days=i), lat="31.195000", lng="121.420000")
    make_elder(district.a2, name="独户", birth=dt.date(1939, 3, 3), lat="31.170000", lng="121.400000")
    gaps = selectors.gap_map(user=users.district_admin, root=district.district, kind="meal_point", radius_m=500)
    assert gaps.min_elders == 10
    assert all(cell.count >= gaps.min_elders for cell in gaps.cells)
    assert sum(c.count for c in gaps.cells) + gaps.suppressed == gaps.uncovered
    assert any(cell.count >= 11 for cell in gaps.cells)
    assert gaps.suppressed >= 1


def test_the_map_data_holds_no_person(district, users, planning, client):
    for i in range(12):
        make_elder(district.a2, name=f"楼{i}", birth=dt.date(1941, 1, 1) + dt.timedelta(days=i), lat="31.195000", lng="121.420000")
    client.force_login(users.district_admin)
    response = client.get(reverse("planning:coverage"), {"kind": "meal_point", "radius_m": "500"})
    data = response.context["map_data"]
    assert data["gaps"]["features"]
    assert all(f["properties"]["count"] >= 10 for f in data["gaps"]["features"])
    # No point on the map is an elder's: the only points are facilities.
    assert {(p["lat"], p["lng"]) for p in data["facilities"]} <= {(31.205, 121.445), (31.19, 121.46)}
    # The gaps are hexagons (six corners and the closing one), never a home's point.
    assert all(f["geometry"]["type"] == "Polygon" and len(f["geometry"]["coordinates"][0]) == 7
               for f in data["gaps"]["features"])


def test_a_higher_threshold_hides_more(district, users, planning):
    from carecircle.core.models import PolicyParameter

    for i in range(12):
        make_elder(district.a2, name=f"楼{i}", birth=dt.date(1941, 1, 1) + dt.timedelta(days=i), lat="31.195000", lng="121.420000")
    PolicyParameter.objects.create(key="planning.gap_map.min_elders", region=district.district, value=50,
                                   effective_from=dt.date(2025, 1, 1), source="test", confidence="local")
    gaps = selectors.gap_map(user=users.district_admin, root=district.district, kind="meal_point", radius_m=500)
    assert gaps.cells == [] and gaps.suppressed == gaps.uncovered
