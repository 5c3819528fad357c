"""The demo district, end to end: the coverage table and its map agree with an independent straight-line
computation from the elders' and facilities' coordinates; the gap map shows no single home; five suggested sites
cover more uncovered elders than the naive choice."""
import datetime as dt
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from carecircle.engines.coverage import haversine_m
from carecircle.planning import selectors, services
from carecircle.planning.models import SiteStudy

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, tmp_path):
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role
    from carecircle.regions.models import Region

    call_command("seed_demo", "--scale", "tiny", "--seed", "7", "--as-of", dt.date.today().isoformat(),
                 "--no-progress", "--accounts-file", str(tmp_path / "accounts.json"), stdout=StringIO())
    district = Region.objects.get(kind="district")
    admin = User.objects.create_user(username="planner", password="Test-pass-2026", role=Role.DISTRICT_ADMIN,
                                     scope_region=district, display_name="规划")
    return district, admin


def _independent(kind: str, radius: float):
    """Per community: (located active elders, those within `radius` of an active facility of `kind`), by
    computing every elder–facility distance."""
    from carecircle.elders.models import Elder
    from carecircle.providers.models import Facility

    sites = np.array([(float(a), float(b)) for a, b in Facility.objects.filter(
        kind=kind, is_active=True, organisation__is_active=True).values_list("lat", "lng")])
    result: dict[int, list[int]] = {}
    for community, lat, lng in Elder.objects.filter(status="active", lat__isnull=False).values_list(
            "community_id", "lat", "lng"):
        near = bool((haversine_m(float(lat), float(lng), sites[:, 0], sites[:, 1]) <= radius).any())
        counts = result.setdefault(community, [0, 0])
        counts[0] += 1
        counts[1] += near
    return result


def test_the_demo_district_is_planned_as_promised(demo, api_as):
    """One seed of the demo district (the slow part), three promises checked on it."""
    table_and_map_agree(*demo, api_as)
    gap_map_shows_no_single_home(*demo)
    five_sites_beat_the_naive_choice(*demo)


def table_and_map_agree(district, admin, api_as):
    report = selectors.coverage_report(user=admin, root=district, kind="meal_point")
    assert report.method == "straight_line" and report.radius_m == 1000
    expected = _independent("meal_point", report.radius_m)
    assert sum(n for n, _c in expected.values()) > 100
    shares = {f["properties"]["name"]: f["properties"]["share"]
              for f in selectors.region_features(report)["features"]}
    for street in report.rows:
        for row in street.children:
            elders, covered = expected.get(row.region.pk, [0, 0])
            assert (row.elders, row.covered) == (elders, covered), row.region.name
            assert shares[row.region.name] == (None if elders == 0 else round(covered / elders, 3))
        assert street.covered == sum(c.covered for c in street.children)
    street = report.rows[0]
    api = api_as(admin).get("/api/v1/coverage/", {"region": street.region.code, "facility_kind": "meal_point"})
    assert api.status_code == 200
    assert (api.json()["elders"], api.json()["covered"], api.json()["method"]) == (
        street.elders, street.covered, "straight_line")


def gap_map_shows_no_single_home(district, admin):
    from carecircle.elders.models import Elder

    report = selectors.coverage_report(user=admin, root=district, kind="day_centre", radius_m=500)
    gaps = selectors.gap_map(user=admin, root=district, kind="day_centre", radius_m=500)
    assert gaps.uncovered == report.total.elders - report.total.covered > 0
    assert gaps.cells, "the demo district has gaps to show"
    assert all(cell.count >= gaps.min_elders >= 2 for cell in gaps.cells)
    assert sum(c.count for c in gaps.cells) + gaps.suppressed == gaps.uncovered
    features = selectors.gap_features(gaps)["features"]
    assert {f["geometry"]["type"] for f in features} == {"Polygon"}
    positions = {(float(a), float(b)) for a, b in Elder.objects.values_list("lng", "lat") if a is not None}
    corners = {tuple(p) for f in features for p in f["geometry"]["coordinates"][0]}
    assert not positions & corners  # no corner of a hexagon is anyone's home


def five_sites_beat_the_naive_choice(district, admin):
    study = services.site_study_start(actor=admin, region=district, facility_kind="day_centre", radius_m=500,
                                      site_count=5)
    services.site_study_run(study_id=study.pk)
    result = SiteStudy.objects.get(pk=study.pk).result
    assert len(result["optimal"]) == 5 and result["solver_status"] == "Optimal"
    assert result["optimal_total"] > result["naive_total"], result
    assert sum(c["gain"] for c in result["optimal"]) == result["optimal_total"] <= result["uncovered"]
