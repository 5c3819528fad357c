"""Coverage per street and community: exact at the radius, counted from the elders the reader may see."""
import datetime as dt

import numpy as np
import pytest
from django.urls import reverse

from carecircle.conftest import make_elder
from carecircle.core.testing import assert_no_internals
from carecircle.engines.coverage import haversine_m
from carecircle.planning import selectors

pytestmark = pytest.mark.django_db


def _row(report, code):
    for street in report.rows:
        for row in [street, *street.children]:
            if row.region.code == code:
                return row
    raise AssertionError(code)


def test_an_elder_at_the_radius_is_covered_and_one_metre_over_is_not(district, users, planning):
    report = selectors.coverage_report(user=users.district_admin, root=district.district, kind="meal_point",
                                       radius_m=1000)
    a1 = _row(report, district.a1.code)
    # A1: the fixture's elder at the centre, the one at 1,000 m (covered), the one at 1,001 m (not); one without
    # a position is not counted.
    assert (a1.elders, a1.covered, a1.unlocated) == (3, 2, 1)
    one_over = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point",
                                          radius_m=1002)
    assert one_over["covered"] == 3  # stored to six decimals, the second elder is 1,001.004 m away


def test_the_table_agrees_with_an_independent_all_pairs_computation(district, users, planning):
    from carecircle.elders.models import Elder
    from carecircle.providers.models import Facility

    rng = np.random.default_rng(5)
    for i in range(40):
        community = [district.a1, district.a2, district.b1][i % 3]
        make_elder(community, name=f"测试{i}", birth=dt.date(1940, 1, 1) + dt.timedelta(days=i), lat=f"{31.18 + rng.random() * 0.04:.6f}",
                   lng=f"{121.42 + rng.random() * 0.05:.6f}")
    report = selectors.coverage_report(user=users.district_admin, root=district.district, kind="all", radius_m=800)
    facilities = [(float(f.lat), float(f.lng)) for f in Facility.objects.all()]
    for community in (district.a1, district.a2, district.b1):
        elders = Elder.objects.filter(community=community, lat__isnull=False)
        expected = sum(1 for e in elders if min(haversine_m(float(e.lat), float(e.lng), la, ln)
                                                 for la, ln in facilities) <= 800)
        row = _row(report, community.code)
        assert (row.elders, row.covered) == (elders.count(), expected)
    street_a = _row(report, district.street_a.code)
    assert street_a.covered == _row(report, district.a1.code).covered + _row(report, district.a2.code).covered


def test_filters_living_alone_and_eighty_plus(district, users, planning):
    alone = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point",
                                       radius_m=1000, group="alone")
    # One over the radius lives with children: only the centre elder and the one at the radius live alone.
    assert (alone["elders"], alone["covered"]) == (2, 2)
    old = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point",
                                     radius_m=1000, group="80plus", on=dt.date(2026, 12, 1))
    assert old["elders"] == 2  # born 1940; the one born 1960 is not 80


def test_an_empty_street_shows_no_share_and_no_error(district, users, planning, client):
    from carecircle.conftest import make_region, square

    empty = make_region("310104099", "空街道", "street", district.district, 31.10, 121.50, square(31.10, 121.50, 0.01))
    make_region("310104099001", "空社区", "community", empty, 31.10, 121.50, square(31.10, 121.50, 0.004))
    report = selectors.coverage_report(user=users.district_admin, root=empty, kind="all")
    assert report.total.elders == 0 and report.total.share is None
    client.force_login(users.district_admin)
    response = client.get(reverse("planning:coverage"), {"region": empty.code})
    assert response.status_code == 200
    assert_no_internals(response.content.decode(), allow=[users.district_admin.username])


def test_a_street_sees_its_own_figures_only(district, users, planning, api_as):
    client = api_as(users.street_staff)
    mine = client.get("/api/v1/coverage/", {"region": district.street_a.code, "facility_kind": "meal_point"})
    assert mine.status_code == 200
    assert mine.json() | {} == {"region": district.street_a.code, "facility_kind": "meal_point", "radius_m": 1000,
                                "elders": 4, "covered": 2, "share": 0.5, "method": "straight_line"}
    other = client.get("/api/v1/coverage/", {"region": district.street_b.code})
    assert other.status_code == 404
    # The street's own report lists street A only, from street A's elders.
    report = selectors.coverage_report(user=users.street_staff, root=selectors.planning_root(user=users.street_staff))
    assert [r.region.code for r in report.rows] == [district.street_a.code]
    assert report.total.elders == 4


def test_the_api_refuses_bad_parameters_in_words(district, users, planning, api_as):
    client = api_as(users.district_admin)
    response = client.get("/api/v1/coverage/", {"radius_m": "abc"})
    assert response.status_code == 400 and "radius_m" in response.json()
    assert client.get("/api/v1/coverage/", {"facility_kind": "spaceship"}).status_code == 400
    assert client.get("/api/v1/coverage/", {"radius_m": "999999"}).status_code == 400
    assert client.get("/api/v1/coverage/").status_code == 200


def test_the_page_shows_the_table_norms_and_method(district, users, planning, client):
    from carecircle.planning.models import CommunityPopulation

    CommunityPopulation.objects.create(community=district.a1, as_of=dt.date(2024, 1, 1), residents=10000,
                                       households=4000, estate_type="old_estate")
    client.force_login(users.district_admin)
    response = client.get(reverse("planning:coverage"), {"kind": "meal_point"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "直线距离" in html and "天平社区" in html and "每千常住人口设施面积" in html
    report = response.context["report"]
    a1 = _row(report, district.a1.code)
    norm = a1.norms[0]
    # 50 m² per 1,000 residents × 10,000 residents = 500 m² asked for; the meal point has 300 m².
    assert (norm.required, norm.actual, norm.shortfall) == (500, 300, 200)
    assert_no_internals(html, allow=[users.district_admin.username])
    # Names of elders never appear on the page.
    assert "赵一" not in html and "钱二" not in html
    bad = client.get(reverse("planning:coverage"), {"radius_m": "x"})
    assert bad.status_code == 400


def test_the_export_lists_regions_not_people(district, users, planning, client):
    client.force_login(users.street_staff)
    response = client.get(reverse("planning:coverage-export"), {"kind": "meal_point"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "天平社区" in text and "枫林社区" not in text and "赵一" not in text
