import json
from decimal import Decimal
from pathlib import Path

import pytest

from carecircle.engines.inspections import SchemeError, ScoringError, check_scheme, score
from carecircle.engines.inspections.engine import BAND, HARD_STOP, NO_BAND, PART_BELOW_MINIMUM

DATA = Path(__file__).resolve().parents[3] / "inspections" / "data"


def load(code):
    return json.loads((DATA / f"{code}.json").read_text(encoding="utf-8"))


STATION = load("station-500")
CENTRE = load("centre-1000")
HAZARDS = [item["code"] for item in load("major-hazards-2023")["items"]]


def full(scheme):
    return {item["code"]: item["max_points"] for part in scheme["parts"] for item in part["items"]}


def station(safety_s01=10, safety_s02=40, service=300, management=70, facilities=80):
    return {"S01": safety_s01, "S02": safety_s02, "V01": service, "M01": management, "F01": facilities}


@pytest.mark.parametrize("code", ["station-500", "centre-1000", "institution-1000"])
def test_every_shipped_scheme_adds_up(code):
    check_scheme(load(code))


def test_a_perfect_station_has_five_stars():
    result = score(STATION, full(STATION), hazard_codes=HAZARDS)
    assert (result.total, result.stars, result.passed) == (Decimal("500"), 5, True)
    assert result.rules[0].kind == BAND and result.unanswered == []


def test_a_part_at_exactly_forty_percent_keeps_the_stars():
    # Safety 20 of 50 is exactly 40 %: allowed. Total 470 → five stars.
    result = score(STATION, station(safety_s01=0, safety_s02=20), hazard_codes=HAZARDS)
    assert result.parts[0].points == Decimal("20") and result.parts[0].minimum == Decimal("20.00")
    assert result.stars == 5
    assert not [r for r in result.rules if r.kind == PART_BELOW_MINIMUM]


def test_a_part_one_point_under_forty_percent_loses_every_star():
    result = score(STATION, station(safety_s01=0, safety_s02=19), hazard_codes=HAZARDS)
    assert result.total == Decimal("469") and result.band_stars == 5
    assert result.stars == 0
    below = [r for r in result.rules if r.kind == PART_BELOW_MINIMUM]
    assert [(r.part, r.points, r.threshold) for r in below] == [("safety", Decimal("19"), Decimal("20.00"))]


def test_half_a_point_under_forty_percent_is_under():
    result = score(CENTRE, {"S01": "79.5", "V01": 500, "M01": 150, "F01": 150}, hazard_codes=HAZARDS)
    assert result.stars == 0 and result.rules[-1].part == "safety"


def test_a_hard_stop_with_a_perfect_score_fails():
    result = score(STATION, full(STATION), hard_stops=["H03"], hazard_codes=HAZARDS)
    assert result.total == Decimal("500") and result.band_stars == 5
    assert (result.stars, result.passed, result.hard_stops) == (0, False, ["H03"])
    assert [r.item for r in result.rules if r.kind == HARD_STOP] == ["H03"]


def test_every_hard_stop_is_listed_once():
    result = score(STATION, full(STATION), hard_stops=["H01", "H04", "H01"], hazard_codes=HAZARDS)
    assert result.hard_stops == ["H01", "H04"]


@pytest.mark.parametrize(("service", "stars"), [(119, 0), (120, 1), ("169.5", 1), (170, 2), (219, 2), (220, 3),
                                                (269, 3), (270, 4), (300, 4)])
def test_band_edges(service, stars):
    # Safety 20 + management 30 + facilities 80 = 130; the total is 130 + service (service 119 is also under
    # its 40 % minimum of 120, and 249 under the lowest band).
    points = station(safety_s01=0, safety_s02=20, management=30, facilities=80)
    points["V01"] = service
    result = score(STATION, points, hazard_codes=HAZARDS)
    assert result.stars == stars == result.band_stars


def test_below_the_lowest_band_no_star_and_the_rule_says_so():
    result = score(STATION, station(safety_s01=10, safety_s02=10, service=120, management=28, facilities=32),
                   hazard_codes=HAZARDS)
    assert result.total == Decimal("200") and result.stars == 0
    assert result.rules[0].kind == NO_BAND


def test_the_institution_checklist_scores_but_proposes_no_grade():
    scheme = load("institution-1000")
    result = score(scheme, full(scheme), hazard_codes=HAZARDS)
    assert result.total == Decimal("1000") and result.stars == 0 and result.rules[0].kind == NO_BAND


def test_missing_items_count_zero_and_are_listed():
    result = score(STATION, {"V01": 300}, hazard_codes=HAZARDS)
    assert result.total == Decimal("300") and result.unanswered == ["S01", "S02", "M01", "F01"]


def test_bad_points_are_all_named():
    with pytest.raises(ScoringError) as caught:
        score(STATION, {"S01": 11, "S02": -1, "V01": "x", "M01": "1.25", "ZZ": 1, "F01": True},
              hard_stops=["H99"], hazard_codes=HAZARDS)
    kinds = {(code, kind) for code, kind, _detail in caught.value.problems}
    assert kinds == {("S01", "above_maximum"), ("S02", "negative"), ("V01", "not_a_number"), ("M01", "too_precise"),
                     ("ZZ", "unknown_item"), ("F01", "not_a_number"), ("H99", "unknown_hazard")}


@pytest.mark.parametrize("value", ["NaN", "Infinity", None, [], {}])
def test_non_numbers_are_refused(value):
    with pytest.raises(ScoringError):
        score(STATION, {"S01": value}, hazard_codes=HAZARDS)


def test_a_scheme_whose_items_do_not_add_up_is_refused():
    broken = json.loads(json.dumps(STATION))
    broken["parts"][0]["items"][0]["max_points"] = 11
    with pytest.raises(SchemeError):
        check_scheme(broken)


def test_overlapping_bands_are_refused():
    broken = json.loads(json.dumps(STATION))
    broken["bands"][1]["min"] = 299
    with pytest.raises(SchemeError):
        check_scheme(broken)
