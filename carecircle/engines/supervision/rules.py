"""The supervision rules that judge a visit's check-in and check-out, as pure functions of plain facts.

Each rule has a threshold and an action from the district's policy (`Policy`): `continue` (record the flag
and go on), `warn` (refuse until the caregiver gives a reason, then record the flag), `block` (refuse even
with a reason) and `review` (accept and send the visit to the exceptions queue). A rule whose threshold is
crossed gives a `Finding`: the rule, the action, what was measured, the threshold it was compared with and
the facts the app layer turns into a sentence in the reader's language.

Thresholds (all inclusive: a value equal to the threshold passes):

* distance_from_home     metres between the fix (WGS84) and the home; > threshold is a finding
* undeclared_gcj02       metres the fix moves towards the home when read as GCJ-02; a fix declared WGS84 whose
                         GCJ-02 reading lies within the distance threshold while its WGS84 reading does not,
                         and that moves it by more than this, was sent by a map SDK without saying so
* late_start             minutes after the planned start (or the window's start)
* early_finish           minutes before the planned end (start + planned duration)
* short_duration         the share (0–1) of the planned minutes actually spent; < threshold is a finding
* overlapping_visit      the number of the caregiver's other visits under way; > threshold
* concurrent_ltci        the number of other LTCI visits under way at the same elder; > threshold
* elder_unavailable      the elder is deceased, moved out or recorded away (hospital, travel) that day
* qualification          the caregiver holds no valid certificate for the item's qualification
* missing_check_out      minutes after the window's end with no check-out
* mock_location          the phone said the location was mocked
* duplicate_photo        Hamming distance between perceptual hashes; <= threshold is the same photo
* impossible_speed       km/h between the previous visit's check-out and this check-in; > threshold
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from carecircle.engines.geo.coords import gcj02_to_wgs84, in_mainland_china

CONTINUE = "continue"
WARN = "warn"
BLOCK = "block"
REVIEW = "review"
ACTIONS = (CONTINUE, WARN, BLOCK, REVIEW)
# How strict an action is: where several policies apply to one visit, the strictest wins.
STRICTNESS = {CONTINUE: 0, REVIEW: 1, WARN: 2, BLOCK: 3}

DISTANCE = "distance_from_home"
UNDECLARED_GCJ02 = "undeclared_gcj02"
LATE_START = "late_start"
EARLY_FINISH = "early_finish"
SHORT_DURATION = "short_duration"
OVERLAP = "overlapping_visit"
CONCURRENT_LTCI = "concurrent_ltci"
ELDER_UNAVAILABLE = "elder_unavailable"
QUALIFICATION = "qualification"
MISSING_CHECK_OUT = "missing_check_out"
MOCK_LOCATION = "mock_location"
DUPLICATE_PHOTO = "duplicate_photo"
IMPOSSIBLE_SPEED = "impossible_speed"
RULES = (DISTANCE, UNDECLARED_GCJ02, LATE_START, EARLY_FINISH, SHORT_DURATION, OVERLAP, CONCURRENT_LTCI,
         ELDER_UNAVAILABLE, QUALIFICATION, MISSING_CHECK_OUT, MOCK_LOCATION, DUPLICATE_PHOTO, IMPOSSIBLE_SPEED)

# Care-worker grades, highest first: a grade covers every item that asks for the same or a lower one.
CARE_WORKER_LADDER = ("care_worker_1", "care_worker_2", "care_worker_3", "care_worker_4", "care_worker_5")

EARTH_RADIUS_M = 6371008.8


class PolicyError(ValueError):
    """A rule's policy names an unknown action or a threshold that is not a number."""


@dataclass(frozen=True)
class Rule:
    threshold: float
    action: str

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise PolicyError(f"unknown action {self.action!r}")
        if not isinstance(self.threshold, (int, float)) or isinstance(self.threshold, bool) \
                or math.isnan(self.threshold):
            raise PolicyError(f"threshold {self.threshold!r} is not a number")


Policy = dict  # rule name -> Rule


def resolve_policy(thresholds: dict, actions: dict, *, programme: str = "", items: tuple[str, ...] = ()) -> Policy:
    """Each rule's threshold and action from two tables keyed "rule", "rule|programme" or "rule|item code":
    an item's entry beats the programme's, which beats the default; among several items the strictest
    action wins (and its threshold with it)."""
    policy = {}
    for rule in RULES:
        candidates = []
        for scope in [f"{rule}|{item}" for item in items]:
            if scope in thresholds or scope in actions:
                candidates.append(scope)
        if not candidates:
            candidates = [f"{rule}|{programme}"] if programme and (
                f"{rule}|{programme}" in thresholds or f"{rule}|{programme}" in actions) else [rule]
        chosen = None
        for scope in candidates:
            threshold = thresholds.get(scope, thresholds.get(f"{rule}|{programme}", thresholds.get(rule)))
            action = actions.get(scope, actions.get(f"{rule}|{programme}", actions.get(rule)))
            if threshold is None or action is None:
                continue
            candidate = Rule(float(threshold), str(action))
            if chosen is None or STRICTNESS[candidate.action] > STRICTNESS[chosen.action]:
                chosen = candidate
        if chosen is not None:
            policy[rule] = chosen
    return policy


@dataclass(frozen=True)
class Finding:
    rule: str
    action: str
    measured: float | str | None
    threshold: float | None
    facts: dict = field(default_factory=dict)

    @property
    def stops(self) -> bool:
        return self.action in (WARN, BLOCK)


@dataclass(frozen=True)
class Fix:
    lat: float
    lng: float
    accuracy_m: float | None = None
    datum: str = "wgs84"
    declared: bool = True  # False: the app did not say which datum (read as WGS84)
    mock: bool = False


@dataclass(frozen=True)
class Span:
    """Another visit: its id, when it started and (if it has) when it ended."""

    visit: int
    start: dt.datetime
    end: dt.datetime | None = None


@dataclass(frozen=True)
class Certificate:
    qualification: str
    issued_on: dt.date
    expires_on: dt.date | None


@dataclass(frozen=True)
class PreviousStop:
    visit: int
    lat: float
    lng: float
    at: dt.datetime


@dataclass(frozen=True)
class CheckInFacts:
    at: dt.datetime
    planned_start: dt.datetime
    fix: Fix | None = None
    home: tuple[float, float] | None = None
    caregiver_open_visits: tuple[Span, ...] = ()
    elder_open_ltci_visits: tuple[Span, ...] = ()
    is_ltci: bool = False
    elder_status: str = "active"
    elder_absence: str = ""
    required_qualification: str = ""
    certificates: tuple[Certificate, ...] = ()
    previous: PreviousStop | None = None
    photo_hash: str = ""
    known_photo_hashes: tuple[tuple[int, str], ...] = ()  # (visit id, hash) of earlier photos


@dataclass(frozen=True)
class CheckOutFacts:
    at: dt.datetime
    checked_in_at: dt.datetime
    planned_start: dt.datetime
    planned_minutes: int
    fix: Fix | None = None
    home: tuple[float, float] | None = None
    photo_hash: str = ""
    known_photo_hashes: tuple[tuple[int, str], ...] = ()


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def valid_coordinates(lat, lng) -> bool:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180


def to_wgs84(fix: Fix) -> tuple[float, float]:
    if fix.datum == "gcj02":
        return gcj02_to_wgs84(fix.lat, fix.lng)
    return fix.lat, fix.lng


def place(fix: Fix, home, policy: Policy) -> tuple[tuple[float, float], list[Finding]]:
    """Where the fix really is (WGS84) and the findings about it: the distance from home, an undeclared
    GCJ-02 fix (read as GCJ-02 from then on), a mocked location."""
    findings = []
    point = to_wgs84(fix)
    if fix.mock and MOCK_LOCATION in policy:
        findings.append(Finding(MOCK_LOCATION, policy[MOCK_LOCATION].action, 1, None))
    if home is None:
        return point, findings
    distance = haversine_m(*point, *home)
    if fix.datum == "wgs84" and in_mainland_china(fix.lat, fix.lng) and UNDECLARED_GCJ02 in policy:
        as_gcj = gcj02_to_wgs84(fix.lat, fix.lng)
        gcj_distance = haversine_m(*as_gcj, *home)
        limit = policy[DISTANCE].threshold if DISTANCE in policy else 300.0
        moved = distance - gcj_distance
        rule = policy[UNDECLARED_GCJ02]
        if gcj_distance <= limit < distance and moved > rule.threshold:
            findings.append(Finding(UNDECLARED_GCJ02, rule.action, round(moved), rule.threshold,
                                    {"raw_m": round(distance), "corrected_m": round(gcj_distance)}))
            point, distance = as_gcj, gcj_distance
    if DISTANCE in policy:
        rule = policy[DISTANCE]
        if round(distance) > rule.threshold:  # judged in whole metres, as it is reported
            findings.append(Finding(DISTANCE, rule.action, round(distance), rule.threshold,
                                    {"accuracy_m": fix.accuracy_m}))
    return point, findings


def hamming(a: str, b: str) -> int | None:
    try:
        x, y = int(a, 16), int(b, 16)
    except ValueError:
        return None
    if len(a) != len(b):
        return None
    return bin(x ^ y).count("1")


def _photo(photo_hash: str, known, policy: Policy) -> list[Finding]:
    if not photo_hash or DUPLICATE_PHOTO not in policy:
        return []
    rule = policy[DUPLICATE_PHOTO]
    best = None
    for visit, other in known:
        distance = hamming(photo_hash, other)
        if distance is not None and distance <= rule.threshold and (best is None or distance < best[0]):
            best = (distance, visit)
    if best is None:
        return []
    return [Finding(DUPLICATE_PHOTO, rule.action, best[0], rule.threshold, {"other_visit": best[1]})]


def qualifications_on(certificates, day: dt.date) -> frozenset[str]:
    """What a caregiver may do on `day`: certificates valid that day, with the care-worker ladder applied."""
    held = {c.qualification for c in certificates
            if c.issued_on <= day and (c.expires_on is None or c.expires_on >= day)}
    covered = set(held)
    for grade in held & set(CARE_WORKER_LADDER):
        covered.update(CARE_WORKER_LADDER[CARE_WORKER_LADDER.index(grade):])
    return frozenset(covered)


def _minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60.0


def check_in(facts: CheckInFacts, policy: Policy) -> tuple[tuple[float, float] | None, list[Finding]]:
    """The check-in's WGS84 point and every finding, in the order of `RULES`."""
    findings: list[Finding] = []
    point = None
    if facts.fix is not None:
        point, found = place(facts.fix, facts.home, policy)
        findings += found
    if LATE_START in policy:
        rule = policy[LATE_START]
        late = _minutes(facts.at - facts.planned_start)
        if late > rule.threshold:
            findings.append(Finding(LATE_START, rule.action, round(late), rule.threshold))
    if OVERLAP in policy and len(facts.caregiver_open_visits) > policy[OVERLAP].threshold:
        findings.append(Finding(OVERLAP, policy[OVERLAP].action, len(facts.caregiver_open_visits),
                                policy[OVERLAP].threshold, {"visits": [s.visit for s in facts.caregiver_open_visits]}))
    if facts.is_ltci and CONCURRENT_LTCI in policy and \
            len(facts.elder_open_ltci_visits) > policy[CONCURRENT_LTCI].threshold:
        findings.append(Finding(CONCURRENT_LTCI, policy[CONCURRENT_LTCI].action, len(facts.elder_open_ltci_visits),
                                policy[CONCURRENT_LTCI].threshold,
                                {"visits": [s.visit for s in facts.elder_open_ltci_visits]}))
    if ELDER_UNAVAILABLE in policy:
        state = facts.elder_status if facts.elder_status != "active" else facts.elder_absence
        if state:
            findings.append(Finding(ELDER_UNAVAILABLE, policy[ELDER_UNAVAILABLE].action, state, None))
    if QUALIFICATION in policy and facts.required_qualification:
        day = facts.at.date()
        if facts.required_qualification not in qualifications_on(facts.certificates, day):
            expired = any(c.qualification == facts.required_qualification and c.expires_on is not None
                          and c.expires_on < day for c in facts.certificates)
            findings.append(Finding(QUALIFICATION, policy[QUALIFICATION].action, "expired" if expired else "missing",
                                    None, {"qualification": facts.required_qualification}))
    if IMPOSSIBLE_SPEED in policy and facts.previous is not None and point is not None:
        rule = policy[IMPOSSIBLE_SPEED]
        km = haversine_m(facts.previous.lat, facts.previous.lng, *point) / 1000.0
        hours = (facts.at - facts.previous.at).total_seconds() / 3600.0
        speed = km / hours if hours > 0 else (math.inf if km > 0.05 else 0.0)
        if math.isfinite(speed):
            speed = round(speed, 1)  # judged to a tenth of a km/h, as it is reported
        if speed > rule.threshold:
            findings.append(Finding(IMPOSSIBLE_SPEED, rule.action, speed if math.isfinite(speed) else None,
                                    rule.threshold, {"km": round(km, 2), "minutes": round(hours * 60),
                                                     "other_visit": facts.previous.visit}))
    findings += _photo(facts.photo_hash, facts.known_photo_hashes, policy)
    return point, findings


def check_out(facts: CheckOutFacts, policy: Policy) -> tuple[tuple[float, float] | None, list[Finding]]:
    findings: list[Finding] = []
    point = None
    if facts.fix is not None:
        point, found = place(facts.fix, facts.home, policy)
        findings += found
    planned_end = facts.planned_start + dt.timedelta(minutes=facts.planned_minutes)
    if EARLY_FINISH in policy:
        rule = policy[EARLY_FINISH]
        early = _minutes(planned_end - facts.at)
        if early > rule.threshold:
            findings.append(Finding(EARLY_FINISH, rule.action, round(early), rule.threshold))
    if SHORT_DURATION in policy and facts.planned_minutes > 0:
        rule = policy[SHORT_DURATION]
        share = _minutes(facts.at - facts.checked_in_at) / facts.planned_minutes
        if share < rule.threshold:
            findings.append(Finding(SHORT_DURATION, rule.action, round(share, 2), rule.threshold,
                                    {"minutes": round(_minutes(facts.at - facts.checked_in_at)),
                                     "planned": facts.planned_minutes}))
    findings += _photo(facts.photo_hash, facts.known_photo_hashes, policy)
    return point, findings


def missing_check_out(*, now: dt.datetime, window_end: dt.datetime, policy: Policy) -> Finding | None:
    """A visit checked in and not out: a finding once `now` is more than the threshold past the window."""
    if MISSING_CHECK_OUT not in policy:
        return None
    rule = policy[MISSING_CHECK_OUT]
    over = _minutes(now - window_end)
    if over > rule.threshold:
        return Finding(MISSING_CHECK_OUT, rule.action, round(over), rule.threshold)
    return None


def stopping(findings) -> list[Finding]:
    """The findings that refuse the step: blocks always, warnings until a reason is given."""
    return [f for f in findings if f.stops]
