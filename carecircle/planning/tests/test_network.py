"""Walking networks: an OpenStreetMap extract read into a graph, coverage as a 15-minute walk over it, and the
method said on every page and in the API."""
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from carecircle.conftest import make_elder, seed_policy
from carecircle.core.models import AuditEvent
from carecircle.engines.coverage import network as walking
from carecircle.planning import selectors, services
from carecircle.planning.models import RoadNetwork

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "data" / "tianping.osm"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def across_canal(district, planning):
    """An elder 445 m north of the meal point, across the canal: near in a straight line, a 3.3 km walk."""
    return make_elder(district.a1, name="李四", lat="31.209000", lng="121.445000", birth=dt.date(1941, 2, 3))


@pytest.fixture
def loaded(district, users, planning, across_canal):
    seed_policy("planning.community_circle_minutes")
    network = services.road_network_from_path(path=FIXTURE, region=district.district)
    services.road_network_import_run(network_id=network.pk)
    network.refresh_from_db()
    return network


def upload(content: bytes, name="tianping.osm"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_only_walkable_ways_enter_the_graph():
    graph = walking.read_osm(str(FIXTURE))
    # The street (3 edges), the footway bridge, the lane and the private road open to walkers; the
    # expressway, the path closed to walkers, the private service road and the building outline are left out.
    assert (graph.ways, graph.nodes, graph.edges) == (4, 7, 6)
    again = walking.WalkGraph.from_bytes(graph.to_bytes())
    assert np.array_equal(again.edge_m, graph.edge_m) and again.ways == 4


def test_a_pbf_extract_gives_the_same_graph(tmp_path):
    import osmium

    pbf = tmp_path / "tianping.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(FIXTURE)):
            writer.add(obj)
    xml, binary = walking.read_osm(str(FIXTURE)), walking.read_osm(str(pbf))
    assert (binary.nodes, binary.edges) == (xml.nodes, xml.edges)
    assert binary.length_m == pytest.approx(xml.length_m, abs=0.01)


def test_walking_distance_follows_the_streets_not_the_crow():
    graph = walking.read_osm(str(FIXTURE))
    straight = walking.haversine_m(31.205, 121.445, 31.209, 121.445)
    walk = walking.walk_distances(graph, 31.205, 121.445, [31.209], [121.445])[0]
    assert straight == pytest.approx(445, abs=1)
    # east 1,429 m, over the bridge 445 m, back west 1,429 m
    assert walk == pytest.approx(1429.2 + 444.8 + 1429.2, abs=15)
    assert walking.walk_covered_mask(graph, [31.209], [121.445], [31.205], [121.445], walk - 1).tolist() == [False]
    assert walking.walk_covered_mask(graph, [31.209], [121.445], [31.205], [121.445], walk + 0.01).tolist() == [True]


def test_without_a_network_coverage_is_a_straight_line(district, users, planning, across_canal, api_as):
    seed_policy("planning.community_circle_minutes")
    figures = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point")
    assert figures["method"] == "straight_line" and figures["radius_m"] == 1000
    # the centre, the one at 1,000 m and the one across the canal
    assert (figures["elders"], figures["covered"]) == (4, 3)


def test_with_a_network_coverage_is_a_fifteen_minute_walk(district, users, loaded, client, api_as):
    assert loaded.status == "ready" and (loaded.ways, loaded.nodes) == (4, 7)
    figures = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point")
    # 15 minutes at 60 m a minute: 900 m of walking. The elder at 1,000 m east walks 1,000 m; across the canal
    # 3.3 km: only the elder at the meal point is covered.
    assert figures["method"] == "walking_network" and figures["radius_m"] == 900
    assert (figures["elders"], figures["covered"]) == (4, 1)
    longer = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point",
                                        radius_m=1000)
    assert longer["covered"] == 2
    api = api_as(users.district_admin).get("/api/v1/coverage/", {"region": district.a1.code,
                                                                  "facility_kind": "meal_point"})
    assert api.status_code == 200
    assert api.json() == {"region": district.a1.code, "facility_kind": "meal_point", "radius_m": 900, "elders": 4,
                          "covered": 1, "share": 0.25, "method": "walking_network"}
    report = selectors.coverage_report(user=users.district_admin, root=district.district, kind="meal_point")
    a1 = [c for s in report.rows for c in s.children if c.region.pk == district.a1.pk][0]
    assert report.method == "walking_network" and (a1.elders, a1.covered) == (4, 1)
    client.force_login(users.district_admin)
    page = client.get(reverse("planning:coverage"), {"kind": "meal_point"}).content.decode()
    assert 'data-method="walking_network"' in page and "沿步行路网步行 900 米以内" in page
    assert "tianping.osm" in page


def test_the_gap_map_counts_the_walk_too(district, users, loaded):
    gaps = selectors.gap_map(user=users.district_admin, root=district.a1, kind="meal_point")
    assert gaps.uncovered == 3  # in a straight line only the one 1,001 m away would be


def test_the_public_map_gives_walking_distances(district, users, loaded, client):
    page = client.get(reverse("planning:public-map"), {"lat": "31.209", "lng": "121.445", "kind": "meal_point"})
    text = page.content.decode()
    assert page.status_code == 200 and 'data-method="walking_network"' in text
    assert "步行路程约 3298 米" in text  # 3.3 km by the bridge, not the 445 m across the canal


def test_the_page_imports_a_file_as_a_job(district, users, planning, client, django_capture_on_commit_callbacks):
    client.force_login(users.district_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("planning:network-import"),
                               {"region": district.district.code, "file": upload(FIXTURE.read_bytes())})
    network = RoadNetwork.objects.get()
    assert response.status_code == 302 and response.url == reverse("core:job-detail", args=[network.job_id])
    network.job.refresh_from_db()
    assert network.status == "ready" and network.job.status == "done" and network.job.result["ways"] == 4
    assert not list(services.network_dir().iterdir())  # the uploaded file is not kept
    assert list(AuditEvent.objects.filter(action__startswith="planning.network").values_list("action", flat=True)
                .order_by("id")) == ["planning.network_import", "planning.network_finish"]
    listing = client.get(reverse("planning:networks")).content.decode()
    assert "tianping.osm" in listing and "已启用" in listing


@pytest.mark.parametrize("content, message", [
    (b"", "空文件"),
    (b"name,lat,lng\n", "文件不是 OpenStreetMap 数据"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 40, "文件不是 OpenStreetMap 数据"),
])
def test_a_file_that_is_not_osm_is_refused_and_nothing_kept(district, users, planning, client, content, message):
    client.force_login(users.district_admin)
    response = client.post(reverse("planning:network-import"),
                           {"region": district.district.code, "file": upload(content)})
    assert response.status_code == 400 and message in response.content.decode()
    assert RoadNetwork.objects.count() == 0


def test_an_extract_without_walkable_ways_fails_in_words(district, users, planning, client,
                                                         django_capture_on_commit_callbacks):
    client.force_login(users.district_admin)
    empty = b'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="31.2" lon="121.4"/></osm>'
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("planning:network-import"), {"region": district.district.code, "file": upload(empty)})
    network = RoadNetwork.objects.get()
    network.job.refresh_from_db()
    assert network.status == "failed" and network.error == "文件中没有可步行的道路"
    assert network.job.status == "failed" and "没有可步行的道路" in network.job.message
    figures = selectors.coverage_figures(user=users.district_admin, region=district.a1, kind="meal_point")
    assert figures["method"] == "straight_line"


def test_a_street_imports_for_its_own_street_only(district, users, planning, client):
    client.force_login(users.street_staff)
    response = client.post(reverse("planning:network-import"),
                           {"region": district.street_b.code, "file": upload(FIXTURE.read_bytes())})
    assert response.status_code == 404 and RoadNetwork.objects.count() == 0
    client.force_login(users.inspector)
    response = client.post(reverse("planning:network-import"),
                           {"region": district.district.code, "file": upload(FIXTURE.read_bytes())})
    assert response.status_code == 403


def test_a_street_network_serves_that_street_only(district, users, planning):
    seed_policy("planning.community_circle_minutes")
    network = services.road_network_from_path(path=FIXTURE, region=district.street_a)
    services.road_network_import_run(network_id=network.pk)
    assert selectors.network_for(district.a1).pk == network.pk
    assert selectors.network_for(district.b1) is None
    assert selectors.network_for(district.district) is None


def test_the_command_imports_and_prints_progress(district, planning):
    out = io.StringIO()
    call_command("import_road_network", str(FIXTURE), region=district.district.code, stdout=out)
    assert "ready: 4 walkable ways" in out.getvalue()
    assert RoadNetwork.objects.get().status == "ready"
    with pytest.raises(CommandError):
        call_command("import_road_network", "/nonexistent.osm", region=district.district.code, stdout=out)
    with pytest.raises(CommandError):
        call_command("import_road_network", str(FIXTURE), region="999", stdout=out)
