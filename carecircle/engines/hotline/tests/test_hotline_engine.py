import datetime as dt

from carecircle.engines.hotline import (GENERAL, HIGH, KEY, CareFacts, SignatureProblem, SilenceFacts,
                                        care_call_due, case_timers, resolve_code, risk_tier, sign,
                                        silence_reasons, verify, visit_due, visit_rate)
from carecircle.engines.hotline.silence import NO_CONTACT, NO_HEARTBEAT, UNANSWERED_CALLS

SECRET = "s3cret-device-key"
BODY = b'{"event_id":"e1","code":"sos"}'
NOW = 1_800_000_000


def test_a_right_signature_passes():
    assert verify(secret=SECRET, timestamp=str(NOW), body=BODY, signature=sign(SECRET, NOW, BODY), now=NOW) is None


def test_signature_in_upper_case_hex_passes():
    assert verify(secret=SECRET, timestamp=str(NOW), body=BODY, signature=sign(SECRET, NOW, BODY).upper(),
                  now=NOW) is None


def test_another_body_or_secret_or_timestamp_fails():
    good = sign(SECRET, NOW, BODY)
    assert verify(secret=SECRET, timestamp=str(NOW), body=BODY + b" ", signature=good, now=NOW) \
        is SignatureProblem.MISMATCH
    assert verify(secret="other", timestamp=str(NOW), body=BODY, signature=good, now=NOW) is SignatureProblem.MISMATCH
    assert verify(secret=SECRET, timestamp=str(NOW + 1), body=BODY, signature=good, now=NOW) \
        is SignatureProblem.MISMATCH


def test_the_window_is_five_minutes_each_way():
    for offset, expected in ((-300, None), (-301, SignatureProblem.EXPIRED), (300, None),
                             (301, SignatureProblem.FUTURE)):
        ts = NOW + offset
        assert verify(secret=SECRET, timestamp=str(ts), body=BODY, signature=sign(SECRET, ts, BODY),
                      now=NOW) is expected, offset


def test_missing_or_malformed_headers():
    assert verify(secret=SECRET, timestamp=None, body=BODY, signature="ab", now=NOW) is SignatureProblem.MISSING
    assert verify(secret=SECRET, timestamp=str(NOW), body=BODY, signature="", now=NOW) is SignatureProblem.MISSING
    assert verify(secret=SECRET, timestamp="12.5", body=BODY, signature="ab", now=NOW) \
        is SignatureProblem.BAD_TIMESTAMP
    assert verify(secret=SECRET, timestamp="-5", body=BODY, signature="ab", now=NOW) is SignatureProblem.BAD_TIMESTAMP


def test_codes_and_vendor_aliases():
    assert resolve_code("sos").priority == 1 and resolve_code("SOS").emergency
    assert resolve_code("01").code == "sos"
    assert resolve_code("3001").code == "left_bed"
    assert resolve_code("heartbeat").heartbeat
    assert resolve_code("nonsense") is None and resolve_code(None) is None and resolve_code(True) is None
    assert resolve_code(6) is None  # numbers are vendor strings: "06"


def test_risk_tiers():
    assert risk_tier(CareFacts(age=85, lives_alone=True)) == HIGH
    assert risk_tier(CareFacts(age=70, lives_alone=True, hardship=True)) == HIGH
    assert risk_tier(CareFacts(age=70, lives_alone=True)) == KEY
    assert risk_tier(CareFacts(age=80, lives_alone=False)) == KEY
    assert risk_tier(CareFacts(age=79, lives_alone=False)) == GENERAL
    assert risk_tier(CareFacts(age=79, lives_alone=False, elderly_only=True)) == KEY


def test_care_call_due():
    today = dt.date(2026, 3, 10)
    assert care_call_due(per_week=2, last_call=None, today=today)
    assert not care_call_due(per_week=2, last_call=today - dt.timedelta(days=2), today=today)
    assert care_call_due(per_week=2, last_call=today - dt.timedelta(days=3), today=today)
    assert care_call_due(per_week=1, last_call=today - dt.timedelta(days=7), today=today)
    assert not care_call_due(per_week=1, last_call=today - dt.timedelta(days=6), today=today)
    assert care_call_due(per_week=14, last_call=today - dt.timedelta(days=1), today=today)
    assert not care_call_due(per_week=0, last_call=None, today=today)


def test_visit_due_and_rate():
    today = dt.date(2026, 3, 10)
    assert visit_due(interval_days=7, last_visit=None, today=today) == today
    assert visit_due(interval_days=7, last_visit=dt.date(2026, 3, 1), today=today) == dt.date(2026, 3, 8)
    assert visit_due(interval_days=0, last_visit=None, today=today) is None
    assert visit_rate(0, 0) is None
    assert visit_rate(4, 3) == 0.75
    assert visit_rate(2, 5) == 1


def test_silence_reasons_at_each_edge():
    now = dt.datetime(2026, 3, 10, 12, 0)
    limits = dict(heartbeat_hours=24, silent_days=7, max_unanswered=3)
    recent = now - dt.timedelta(days=1)
    heard = SilenceFacts(has_device=True, last_heartbeat=now - dt.timedelta(hours=23, minutes=59),
                         last_answered_call=recent, last_visit=None)
    assert silence_reasons(heard, now=now, **limits) == []
    late = SilenceFacts(has_device=True, last_heartbeat=now - dt.timedelta(hours=24), last_answered_call=recent,
                        last_visit=None)
    assert silence_reasons(late, now=now, **limits) == [NO_HEARTBEAT]
    never = SilenceFacts(has_device=True, last_heartbeat=None, last_answered_call=recent, last_visit=None)
    assert silence_reasons(never, now=now, **limits) == [NO_HEARTBEAT]
    no_device = SilenceFacts(has_device=False, last_heartbeat=None, last_answered_call=recent, last_visit=None)
    assert silence_reasons(no_device, now=now, **limits) == []
    quiet = SilenceFacts(has_device=False, last_heartbeat=None, last_answered_call=now - dt.timedelta(days=7, seconds=1),
                         last_visit=now - dt.timedelta(days=8))
    assert silence_reasons(quiet, now=now, **limits) == [NO_CONTACT]
    visited = SilenceFacts(has_device=False, last_heartbeat=None, last_answered_call=None,
                           last_visit=now - dt.timedelta(days=6))
    assert silence_reasons(visited, now=now, **limits) == []
    fed = SilenceFacts(has_device=False, last_heartbeat=None, last_answered_call=None, last_visit=None,
                       has_meals=True, last_meal=now - dt.timedelta(days=1))
    assert silence_reasons(fed, now=now, **limits) == []
    unanswered = SilenceFacts(has_device=False, last_heartbeat=None, last_answered_call=recent, last_visit=None,
                              unanswered_in_a_row=3)
    assert silence_reasons(unanswered, now=now, **limits) == [UNANSWERED_CALLS]
    assert silence_reasons(SilenceFacts(False, None, recent, None, unanswered_in_a_row=2), now=now, **limits) == []
    # a device that keeps reporting is a sign of life even when nobody has called or visited
    alive = SilenceFacts(has_device=True, last_heartbeat=now - dt.timedelta(hours=1), last_answered_call=None,
                         last_visit=None)
    assert silence_reasons(alive, now=now, **limits) == []
    gone = SilenceFacts(has_device=True, last_heartbeat=now - dt.timedelta(hours=30), last_answered_call=None,
                        last_visit=None)
    assert silence_reasons(gone, now=now, **limits) == [NO_HEARTBEAT, NO_CONTACT]


def test_case_timers():
    raised = dt.datetime(2026, 3, 10, 12, 0)
    timers = case_timers(raised=raised, now=raised + dt.timedelta(seconds=100),
                         acknowledged=raised + dt.timedelta(seconds=20), first_action=None, arrived=None,
                         answer_target=30, action_target=90, arrival_target=1800, needs_arrival=False)
    assert [(t.name, t.state, t.elapsed_seconds) for t in timers] == [("answer", "met", 20),
                                                                       ("first_action", "overdue", 100)]
    timers = case_timers(raised=raised, now=raised + dt.timedelta(seconds=100), acknowledged=raised +
                         dt.timedelta(seconds=31), first_action=raised + dt.timedelta(seconds=50), arrived=None,
                         answer_target=30, action_target=90, arrival_target=1800, needs_arrival=True)
    assert [t.state for t in timers] == ["missed", "met", "running"]
