"""Every rule at its threshold and either side of it; the actions; the policy's resolution."""
import datetime as dt

import pytest

from carecircle.engines.geo.coords import wgs84_to_gcj02
from carecircle.engines.supervision import rules as r

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
HOME = (31.205, 121.445)
METRE_LAT = 1 / 111_195.0  # degrees of latitude in one metre on the sphere the engine uses


def policy(**overrides):
    base = {rule: r.Rule(0, r.REVIEW) for rule in r.RULES}
    base.update({r.DISTANCE: r.Rule(300, r.WARN), r.UNDECLARED_GCJ02: r.Rule(150, r.REVIEW),
                 r.LATE_START: r.Rule(30, r.REVIEW), r.EARLY_FINISH: r.Rule(15, r.WARN),
                 r.SHORT_DURATION: r.Rule(0.8, r.REVIEW), r.MISSING_CHECK_OUT: r.Rule(60, r.REVIEW),
                 r.DUPLICATE_PHOTO: r.Rule(6, r.REVIEW), r.IMPOSSIBLE_SPEED: r.Rule(80, r.REVIEW)})
    base.update(overrides)
    return base


def rules_of(findings):
    return [f.rule for f in findings]


def check_in(**facts):
    facts.setdefault("at", T0)
    facts.setdefault("planned_start", T0)
    return r.check_in(r.CheckInFacts(**facts), policy())[1]


def north(metres):
    return r.Fix(lat=HOME[0] + metres * METRE_LAT, lng=HOME[1], datum="wgs84")


@pytest.mark.parametrize("metres, flagged", [(299, False), (300, False), (301, True)])
def test_distance_at_and_either_side_of_threshold(metres, flagged):
    found = [f for f in check_in(fix=north(metres), home=HOME) if f.rule == r.DISTANCE]
    assert bool(found) is flagged
    if flagged:
        assert found[0].measured == 301 and found[0].threshold == 300 and found[0].action == r.WARN


def test_haversine_matches_a_known_distance():
    # One degree of latitude is about 111.2 km on the mean sphere.
    assert abs(r.haversine_m(31, 121, 32, 121) - 111_195) < 5


def test_declared_gcj02_fix_is_converted_before_measuring():
    gcj = wgs84_to_gcj02(*HOME)
    assert r.haversine_m(*gcj, *HOME) > 300  # read raw it would be far away
    point, findings = r.check_in(r.CheckInFacts(at=T0, planned_start=T0, home=HOME,
                                                fix=r.Fix(lat=gcj[0], lng=gcj[1], datum="gcj02")), policy())
    assert findings == []
    assert r.haversine_m(*point, *HOME) < 1


def test_undeclared_gcj02_fix_is_detected_and_absorbed():
    gcj = wgs84_to_gcj02(*HOME)
    point, findings = r.check_in(r.CheckInFacts(at=T0, planned_start=T0, home=HOME,
                                                fix=r.Fix(lat=gcj[0], lng=gcj[1], datum="wgs84", declared=False)),
                                 policy())
    assert rules_of(findings) == [r.UNDECLARED_GCJ02]
    assert findings[0].facts["corrected_m"] < 1 and findings[0].facts["raw_m"] > 300
    assert r.haversine_m(*point, *HOME) < 1


def test_a_genuinely_far_wgs84_fix_is_not_taken_for_gcj02():
    far = north(2000)
    findings = check_in(fix=far, home=HOME)
    assert rules_of(findings) == [r.DISTANCE] and findings[0].measured == 2000


def test_outside_china_no_gcj02_offset():
    point, findings = r.check_in(r.CheckInFacts(at=T0, planned_start=T0, home=(48.85, 2.35),
                                                fix=r.Fix(lat=48.85, lng=2.35)), policy())
    assert findings == [] and point == (48.85, 2.35)


@pytest.mark.parametrize("minutes, flagged", [(29, False), (30, False), (31, True)])
def test_late_start(minutes, flagged):
    found = [f for f in check_in(at=T0 + dt.timedelta(minutes=minutes)) if f.rule == r.LATE_START]
    assert bool(found) is flagged


def out(at, checked_in_at=T0, planned=60, pol=None):
    return r.check_out(r.CheckOutFacts(at=at, checked_in_at=checked_in_at, planned_start=T0, planned_minutes=planned),
                       pol or policy(short_duration=r.Rule(0.8, r.REVIEW)))[1]


@pytest.mark.parametrize("early, flagged", [(14, False), (15, False), (16, True)])
def test_early_finish(early, flagged):
    pol = policy(**{r.SHORT_DURATION: r.Rule(0, r.REVIEW)})
    found = [f for f in out(T0 + dt.timedelta(minutes=60 - early), pol=pol) if f.rule == r.EARLY_FINISH]
    assert bool(found) is flagged


@pytest.mark.parametrize("minutes, flagged", [(47, True), (48, False), (49, False)])
def test_short_duration_share(minutes, flagged):
    pol = policy(**{r.EARLY_FINISH: r.Rule(1000, r.WARN)})
    found = [f for f in out(T0 + dt.timedelta(minutes=minutes), pol=pol) if f.rule == r.SHORT_DURATION]
    assert bool(found) is flagged
    if flagged:
        assert found[0].measured == 0.78 and found[0].threshold == 0.8


@pytest.mark.parametrize("others, flagged", [(0, False), (1, True)])
def test_overlapping_visit(others, flagged):
    spans = tuple(r.Span(10 + i, T0 - dt.timedelta(minutes=20)) for i in range(others))
    assert (r.OVERLAP in rules_of(check_in(caregiver_open_visits=spans))) is flagged


def test_overlap_threshold_allows_one():
    spans = (r.Span(10, T0), r.Span(11, T0))
    found = r.check_in(r.CheckInFacts(at=T0, planned_start=T0, caregiver_open_visits=spans[:1]),
                       policy(**{r.OVERLAP: r.Rule(1, r.BLOCK)}))[1]
    assert found == []
    found = r.check_in(r.CheckInFacts(at=T0, planned_start=T0, caregiver_open_visits=spans),
                       policy(**{r.OVERLAP: r.Rule(1, r.BLOCK)}))[1]
    assert rules_of(found) == [r.OVERLAP] and r.stopping(found)


def test_concurrent_ltci_only_for_ltci_visits():
    spans = (r.Span(5, T0),)
    assert r.CONCURRENT_LTCI in rules_of(check_in(is_ltci=True, elder_open_ltci_visits=spans))
    assert r.CONCURRENT_LTCI not in rules_of(check_in(is_ltci=False, elder_open_ltci_visits=spans))
    assert r.CONCURRENT_LTCI not in rules_of(check_in(is_ltci=True))


@pytest.mark.parametrize("status, absence, measured", [("deceased", "", "deceased"), ("active", "hospital", "hospital"),
                                                        ("moved_out", "", "moved_out"), ("active", "", None)])
def test_elder_unavailable(status, absence, measured):
    found = [f for f in check_in(elder_status=status, elder_absence=absence) if f.rule == r.ELDER_UNAVAILABLE]
    assert (found[0].measured if found else None) == measured


def test_qualification_missing_expired_and_covered_by_a_higher_grade():
    day = T0.date()
    valid = r.Certificate("care_worker_3", dt.date(2020, 1, 1), None)
    expired = r.Certificate("registered_nurse", dt.date(2020, 1, 1), day - dt.timedelta(days=1))
    last_day = r.Certificate("registered_nurse", dt.date(2020, 1, 1), day)
    assert check_in(required_qualification="care_worker_4", certificates=(valid,)) == []
    found = check_in(required_qualification="registered_nurse", certificates=(valid, expired))
    assert rules_of(found) == [r.QUALIFICATION] and found[0].measured == "expired"
    found = check_in(required_qualification="registered_nurse", certificates=(valid,))
    assert found[0].measured == "missing"
    assert check_in(required_qualification="registered_nurse", certificates=(last_day,)) == []


@pytest.mark.parametrize("over, flagged", [(59, False), (60, False), (61, True)])
def test_missing_check_out(over, flagged):
    finding = r.missing_check_out(now=T0 + dt.timedelta(minutes=over), window_end=T0, policy=policy())
    assert (finding is not None) is flagged


def test_mock_location():
    fix = r.Fix(lat=HOME[0], lng=HOME[1], mock=True)
    assert rules_of(check_in(fix=fix, home=HOME)) == [r.MOCK_LOCATION]


@pytest.mark.parametrize("bits, flagged", [(5, True), (6, True), (7, False)])
def test_duplicate_photo_hamming_threshold(bits, flagged):
    mine = "0" * 16
    other = f"{(1 << bits) - 1:016x}"
    found = [f for f in check_in(photo_hash=mine, known_photo_hashes=((42, other),)) if f.rule == r.DUPLICATE_PHOTO]
    assert bool(found) is flagged
    if flagged:
        assert found[0].measured == bits and found[0].facts["other_visit"] == 42


@pytest.mark.parametrize("km_per_h, flagged", [(79, False), (80, False), (81, True)])
def test_impossible_speed(km_per_h, flagged):
    # The previous stop an hour ago, `km_per_h` km to the south of the home.
    prev = r.PreviousStop(7, HOME[0] - km_per_h * 1000 * METRE_LAT, HOME[1], T0 - dt.timedelta(hours=1))
    found = [f for f in check_in(fix=r.Fix(*HOME), home=HOME, previous=prev) if f.rule == r.IMPOSSIBLE_SPEED]
    assert bool(found) is flagged


def test_actions_refuse_only_block_and_warn():
    findings = [r.Finding("late_start", action, 40, 30) for action in r.ACTIONS]
    assert [f.action for f in r.stopping(findings)] == [r.WARN, r.BLOCK]


def test_a_rule_without_policy_is_not_applied():
    assert r.check_in(r.CheckInFacts(at=T0 + dt.timedelta(hours=3), planned_start=T0), {})[1] == []


def test_policy_resolution_item_beats_programme_beats_default_and_strictest_item_wins():
    thresholds = {"distance_from_home": 300, "distance_from_home|ltci": 200, "distance_from_home|A1": 100,
                  "distance_from_home|B2": 500}
    actions = {"distance_from_home": "continue", "distance_from_home|ltci": "warn",
               "distance_from_home|A1": "review", "distance_from_home|B2": "block"}
    assert r.resolve_policy(thresholds, actions)[r.DISTANCE] == r.Rule(300, "continue")
    assert r.resolve_policy(thresholds, actions, programme="ltci")[r.DISTANCE] == r.Rule(200, "warn")
    assert r.resolve_policy(thresholds, actions, programme="ltci", items=("A1",))[r.DISTANCE] == r.Rule(100, "review")
    assert r.resolve_policy(thresholds, actions, items=("A1", "B2"))[r.DISTANCE] == r.Rule(500, "block")


def test_policy_refuses_unknown_action():
    with pytest.raises(r.PolicyError):
        r.resolve_policy({"late_start": 10}, {"late_start": "ignore"})


@pytest.mark.parametrize("lat, lng, ok", [(31.2, 121.4, True), (91, 0, False), (0, 181, False), ("x", 0, False),
                                          (float("nan"), 0, False)])
def test_valid_coordinates(lat, lng, ok):
    assert r.valid_coordinates(lat, lng) is ok
