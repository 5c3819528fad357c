import pytest

from carecircle.inspections import services

from .conftest import full_points

pytestmark = pytest.mark.django_db


def test_the_schemes_are_listed_with_their_maxima(world, api_as):
    response = api_as(world.users.inspector).get("/api/v1/rating-schemes/")
    assert response.status_code == 200
    assert {(s["code"], s["max_points"]) for s in response.json()} == {
        ("station-500", 500), ("centre-1000", 1000), ("institution-1000", 1000)}
    detail = api_as(world.users.inspector).get("/api/v1/rating-schemes/station-500/").json()
    assert [(p["code"], p["max_points"]) for p in detail["parts"]] == [
        ("safety", 50), ("service", 300), ("management", 70), ("facilities", 80)]
    assert len(detail["hard_stops"]) == 9
    assert api_as(world.users.inspector).get("/api/v1/rating-schemes/nothing/").status_code == 404


def test_the_dry_run_score(world, api_as):
    client = api_as(world.users.inspector)
    url = "/api/v1/rating-schemes/station-500/score/"
    body = {"points": {"S01": 0, "S02": 20, "V01": 300, "M01": 70, "F01": 80}}
    result = client.post(url, body, format="json").json()
    assert result["total"] == "470.0" or result["total"] == "470"
    assert result["stars"] == 5
    assert [(p["code"], p["points"], p["max_points"]) for p in result["parts"]][0] == ("safety", "20", "50")
    body["points"]["S02"] = 19
    result = client.post(url, body, format="json").json()
    assert result["stars"] == 0
    assert {r["kind"] for r in result["rules"]} == {"band", "part_below_minimum"}
    result = client.post(url, {**body, "hard_stops": ["H01"]}, format="json").json()
    assert "hard_stop" in {r["kind"] for r in result["rules"]} and result["passed"] is False
    # Nothing saved.
    from carecircle.inspections.models import Inspection

    assert not Inspection.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"points": {"S01": 11}}, "points"),
    ({"points": {"XX": 1}}, "points"),
    ({"points": {"S01": "ten"}}, "points"),
    ({"points": ["S01"]}, "points"),
    ({"points": {}, "hard_stops": "H01"}, "hard_stops"),
    ({"points": {}, "hard_stops": ["H77"]}, "hard_stops"),
])
def test_bad_scores_are_refused_naming_the_problem(world, api_as, body, field):
    response = api_as(world.users.inspector).post("/api/v1/rating-schemes/station-500/score/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_the_score_is_refused_in_english_too(world, api_as):
    response = api_as(world.users.inspector).post("/api/v1/rating-schemes/station-500/score/",
                                                  {"points": {"S01": 11}}, format="json",
                                                  HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "S01" in response.json()["points"][0]


def test_inspections_in_the_api_are_within_the_assignment(world, api_as):
    mine = services.inspection_create(actor=world.users.district_admin, facility=world.station, agency=world.agency)
    services.inspection_create(actor=world.users.district_admin, facility=world.centre,
                               agency=world.other_agency)
    listed = api_as(world.agency_inspector).get("/api/v1/inspections/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [mine.pk]
    services.inspection_submit(actor=world.agency_inspector, inspection=mine, points=full_points(mine.scheme))
    provider_rows = api_as(world.users.provider_admin).get("/api/v1/inspections/").json()
    provider_rows = provider_rows["results"] if isinstance(provider_rows, dict) else provider_rows
    assert provider_rows == []  # the station is the other provider's


def _rows(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def test_rectifications_and_ratings_in_the_api_are_within_scope(world, api_as):
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.station,
                                            agency=world.agency)
    inspection = services.inspection_submit(actor=world.agency_inspector, inspection=inspection,
                                            points=full_points(inspection.scheme))
    notice = services.notice_issue(actor=world.agency_inspector, inspection=inspection,
                                   problems=[{"description": "灭火器过期", "working_days": 5}])
    rating = services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=inspection.stars)
    # The district sees the notice; the first provider (not the station's operator) sees neither it nor the rating.
    other = api_as(world.users.district_admin)
    assert [row["number"] for row in _rows(other.get("/api/v1/rectifications/"))] == [notice.number]
    provider = api_as(world.users.provider_admin)
    assert _rows(provider.get("/api/v1/rectifications/")) == []
    assert provider.get(f"/api/v1/rectifications/{notice.pk}/").status_code == 404
    assert provider.get(f"/api/v1/star-ratings/{rating.pk}/").status_code == 404
    # The agency reads the notice of its own inspection, with the problem and its deadline, but no rating.
    agency = api_as(world.agency_inspector)
    detail = agency.get(f"/api/v1/rectifications/{notice.pk}/").json()
    assert detail["problems"][0]["description"] == "灭火器过期" and detail["problems"][0]["due_on"]
    assert _rows(agency.get("/api/v1/star-ratings/")) == []
    assert api_as(world.other_inspector).get(f"/api/v1/rectifications/{notice.pk}/").status_code == 404
    street = api_as(world.users.street_staff_b)
    assert [row["stars"] for row in _rows(street.get("/api/v1/star-ratings/"))] == [inspection.stars]
    assert api_as(world.users.street_staff).get(f"/api/v1/star-ratings/{rating.pk}/").status_code == 404
