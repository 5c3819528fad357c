"""Emergency cases, escalation, funding by policy, calls, care calls, welfare visits, silence, visit rates."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.conftest import make_elder
from carecircle.core.isolation import visible_to
from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep

from .. import selectors, services
from ..models import (Alarm, AlarmStatus, Call, CareCall, CareCallStatus, Device, WelfareTask, WelfareVisit)

pytestmark = pytest.mark.django_db


def _alarm(hotline, *, raised=None, code="sos"):
    return Alarm.objects.create(elder=hotline.elders.a1, device=hotline.device, source="device", code=code,
                                priority=1, raised_at=raised or timezone.now())


# --- cases ---------------------------------------------------------------------------------------------------

def test_a_case_from_answer_to_call_back_is_audited_at_every_step(hotline, users):
    alarm = _alarm(hotline)
    op = users.operator
    services.alarm_acknowledge(actor=op, alarm=alarm)
    services.alarm_act(actor=op, alarm=alarm, kind="called_120", note="胸痛")
    services.alarm_act(actor=op, alarm=alarm, kind="call_contact", note="儿子 20 分钟到")
    services.alarm_act(actor=op, alarm=alarm, kind="arrived")
    services.alarm_close(actor=op, alarm=alarm, outcome="hospital", category="meals_emergency")
    services.alarm_callback(actor=op, alarm=alarm, note="已出院，情况稳定")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED and alarm.needs_arrival and alarm.arrived_at and alarm.callback_at
    assert alarm.first_action_at <= alarm.arrived_at
    assert list(alarm.actions.values_list("kind", flat=True)) == ["called_120", "call_contact", "arrived"]
    actions = list(AuditEvent.objects.filter(subject_type="hotline.alarm", subject_id=str(alarm.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["hotline.alarm_acknowledge", "hotline.alarm_act", "hotline.alarm_act", "hotline.alarm_act",
                       "hotline.alarm_close", "hotline.alarm_callback"]
    with pytest.raises(IllegalStep):
        services.alarm_callback(actor=op, alarm=alarm, note="again")


def test_acting_answers_an_unanswered_alarm_and_a_closed_one_takes_no_more(hotline, users):
    alarm = _alarm(hotline)
    services.alarm_act(actor=users.operator, alarm=alarm, kind="call_elder")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.acknowledged_by == users.operator
    services.alarm_close(actor=users.operator, alarm=alarm, outcome="resolved_remotely")
    with pytest.raises(IllegalStep):
        services.alarm_act(actor=users.operator, alarm=alarm, kind="note", note="x")
    with pytest.raises(IllegalStep):
        services.alarm_acknowledge(actor=users.operator, alarm=alarm)


def test_an_open_alarm_cannot_be_closed_and_without_action_only_as_false_alarm(hotline, users):
    alarm = _alarm(hotline)
    with pytest.raises(IllegalStep):
        services.alarm_close(actor=users.operator, alarm=alarm, outcome="false_alarm")
    services.alarm_acknowledge(actor=users.operator, alarm=alarm)
    with pytest.raises(ValidationError):
        services.alarm_close(actor=users.operator, alarm=alarm, outcome="resolved_remotely")
    services.alarm_close(actor=users.operator, alarm=alarm, outcome="false_alarm")


def test_bad_action_input_is_refused(hotline, users):
    alarm = _alarm(hotline)
    with pytest.raises(ValidationError):
        services.alarm_act(actor=users.operator, alarm=alarm, kind="teleport")
    with pytest.raises(ValidationError):
        services.alarm_act(actor=users.operator, alarm=alarm, kind="note", note=" ")
    services.alarm_act(actor=users.operator, alarm=alarm, kind="arrived")
    with pytest.raises(ValidationError):
        services.alarm_act(actor=users.operator, alarm=alarm, kind="arrived")


def test_only_operators_in_scope_act_on_cases(hotline, users, district):
    alarm = _alarm(hotline)
    for user in (users.street_staff, users.community_worker, users.inspector, users.caregiver):
        with pytest.raises(PermissionDenied):
            services.alarm_acknowledge(actor=user, alarm=alarm)
    assert not visible_to(users.street_staff_b, Alarm).exists()
    assert visible_to(users.street_staff, Alarm).count() == 1
    from carecircle.accounts.models import User

    operator_b = User.objects.create_user(username="op_b", password="Test-pass-2026", role="operator",
                                          scope_region=district.street_b)
    with pytest.raises(PermissionDenied):
        services.alarm_acknowledge(actor=operator_b, alarm=alarm)


def test_escalation_once_per_target_period_while_unanswered(hotline, users):
    now = timezone.now()
    late = _alarm(hotline, raised=now - dt.timedelta(seconds=65))  # target 30 s: two periods passed
    fresh = _alarm(hotline, raised=now - dt.timedelta(seconds=29))
    answered = _alarm(hotline, raised=now - dt.timedelta(seconds=300))
    services.alarm_acknowledge(actor=users.operator, alarm=answered)
    assert services.alarms_escalate(now=now) == 1
    late.refresh_from_db(), fresh.refresh_from_db(), answered.refresh_from_db()
    assert (late.escalation_level, fresh.escalation_level, answered.escalation_level) == (2, 0, 0)
    assert services.alarms_escalate(now=now) == 0
    assert services.alarms_escalate(now=now + dt.timedelta(seconds=30)) == 2


def test_timers_against_policy_targets(hotline, users):
    raised = timezone.now() - dt.timedelta(seconds=200)
    alarm = _alarm(hotline, raised=raised)
    alarm.acknowledged_at = raised + dt.timedelta(seconds=10)
    alarm.first_action_at = raised + dt.timedelta(seconds=150)
    alarm.needs_arrival = True
    timers = selectors.alarm_timers(alarm, now=raised + dt.timedelta(seconds=200))
    assert [(t.name, t.state, t.target_seconds) for t in timers] == [
        ("answer", "met", 30), ("first_action", "missed", 120), ("arrival", "running", 1800)]


# --- devices ----------------------------------------------------------------------------------------------------

def test_who_pays_for_a_device_follows_policy(hotline, users):
    community = hotline.a1
    poor_old_alone = make_elder(community, name="甲", birth=dt.date(1940, 1, 1), household_type="alone",
                                economic_category="min_living")
    poor_young_alone = make_elder(community, name="乙", birth=dt.date(1955, 1, 1), household_type="alone",
                                  economic_category="min_living")
    disabled = make_elder(community, name="丙", birth=dt.date(1950, 1, 1), household_type="with_children",
                          has_disability_certificate=True)
    rich_old_alone = make_elder(community, name="丁", birth=dt.date(1930, 1, 1), household_type="alone")
    on = dt.date(2026, 3, 1)
    results = {}
    for elder in (poor_old_alone, poor_young_alone, disabled, rich_old_alone):
        device, _secret = services.device_register(actor=users.operator, elder=elder, kind="watch", vendor="V",
                                                   installed_on=on)
        results[elder.name] = (device.funding, device.subsidy_share)
    assert results == {"甲": ("full", Decimal("1.00")), "乙": ("part", Decimal("0.50")),
                       "丙": ("part", Decimal("0.50")), "丁": ("self", Decimal("0.00"))}


def test_device_registration_checks_input_and_scope(hotline, users):
    with pytest.raises(ValidationError) as error:
        services.device_register(actor=users.operator, elder=hotline.elders.a1, kind="toaster", vendor="",
                                 installed_on=dt.date(2026, 1, 1), device_id="DEV-A1")
    assert set(error.value.message_dict) == {"kind", "vendor", "device_id"}
    with pytest.raises(PermissionDenied):
        services.device_register(actor=users.street_staff_b, elder=hotline.elders.a1, kind="watch", vendor="V",
                                 installed_on=dt.date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        services.device_register(actor=users.community_worker, elder=hotline.elders.a1, kind="watch", vendor="V",
                                 installed_on=dt.date(2026, 1, 1))


# --- calls -----------------------------------------------------------------------------------------------------

def test_an_incoming_call_finds_the_elder_by_number_and_is_stored_once(hotline, users):
    call = services.call_record(actor=users.operator, direction="in", number="138-0013-8000", call_ref="tel-1")
    # a1, a2 and b1 share the fixture's number: ambiguous, so no elder is guessed
    assert call.elder is None
    hotline.elders.a2.phone = "13700000002"
    hotline.elders.a2.save()
    call = services.call_record(actor=users.operator, direction="in", number="13700000002", call_ref="tel-2")
    assert call.elder == hotline.elders.a2
    again = services.call_record(actor=users.operator, direction="in", number="13700000002", call_ref="tel-2")
    assert again.pk == call.pk and Call.objects.count() == 2


def test_an_emergency_call_opens_a_case_and_classifying_does_too(hotline, users):
    call = services.call_record(actor=users.operator, direction="in", elder=hotline.elders.a1, is_emergency=True,
                                category="meals_emergency")
    assert call.alarm is not None and call.alarm.status == AlarmStatus.ACKNOWLEDGED
    other = services.call_record(actor=users.operator, direction="in", elder=hotline.elders.a2)
    assert other.alarm is None
    services.call_classify(actor=users.operator, call=other, category="comfort", is_emergency=True)
    other.refresh_from_db()
    assert other.alarm is not None and other.category == "comfort"


def test_numbers_are_shown_during_a_case_and_the_showing_is_recorded(hotline, users):
    card = selectors.elder_card(users.operator, hotline.elders.a1)
    shown = services.numbers_reveal(actor=users.operator, elder=card.elder, contacts=card.contacts, reason="处置")
    assert shown["revealed"] and list(shown["contacts"].values()) == ["13900139000"]
    assert AuditEvent.objects.filter(action="hotline.numbers_reveal").count() == 1
    masked = services.numbers_reveal(actor=users.inspector, elder=card.elder, contacts=card.contacts, reason="x")
    assert not masked["revealed"] and "*" in list(masked["contacts"].values())[0]
    assert card.key_holders and card.key_holders[0].name == "张小明"
    assert [o.name for o in card.providers] == [hotline.provider.name]
    assert [u.username for u in card.community_workers] == ["community_a1"]


# --- care calls, welfare visits, silence ----------------------------------------------------------------------

TODAY = dt.date(2026, 3, 10)


def test_care_calls_follow_the_risk_tiers(hotline, users):
    # a1: 85, alone → high risk (2 a week); a2: 91, elderly only → key (1 a week); b1: 75, with children → none
    assert services.care_calls_generate(actor=users.operator, date=TODAY) == 2
    assert set(CareCall.objects.values_list("elder__name", "tier")) == {("张三明", "high_risk"), ("李秀英", "key")}
    assert services.care_calls_generate(actor=users.operator, date=TODAY) == 0


def test_care_calls_are_not_due_again_before_their_interval(hotline, users):
    services.care_calls_generate(actor=users.operator, date=TODAY)
    for call in CareCall.objects.all():
        services.care_call_attempt(actor=users.operator, care_call=call, answered=True,
                                   now=timezone.make_aware(dt.datetime(2026, 3, 10, 10)))
    assert services.care_calls_generate(actor=users.operator, date=TODAY + dt.timedelta(days=2)) == 0
    assert services.care_calls_generate(actor=users.operator, date=TODAY + dt.timedelta(days=3)) == 1  # a1
    assert services.care_calls_generate(actor=users.operator, date=TODAY + dt.timedelta(days=7)) == 1  # a2


def test_no_answer_three_times_raises_a_welfare_visit_within_24_hours(hotline, users):
    services.care_calls_generate(actor=users.operator, date=TODAY)
    call = CareCall.objects.get(elder=hotline.elders.a1)
    now = timezone.now()
    for attempt in (1, 2):
        call = services.care_call_attempt(actor=users.operator, care_call=call, answered=False, now=now)
        assert call.status == CareCallStatus.RETRY and not WelfareTask.objects.exists()
    call = services.care_call_attempt(actor=users.operator, care_call=call, answered=False, now=now)
    assert call.status == CareCallStatus.UNREACHED
    task = WelfareTask.objects.get()
    assert task.elder == hotline.elders.a1 and task.due_at == now + dt.timedelta(hours=24)
    assert Call.objects.filter(direction="out", answered=False).count() == 3
    with pytest.raises(IllegalStep):
        services.care_call_attempt(actor=users.operator, care_call=call, answered=True)
    # the community worker's list leads with it; the visit closes it
    due = selectors.welfare_due(users.community_worker)
    assert due[0].task == task
    services.welfare_visit_record(actor=users.community_worker, elder=hotline.elders.a1, seen_in_person=True,
                                  health="fair", home_safe=True)
    task.refresh_from_db()
    assert task.done_at is not None


def test_a_visit_without_seeing_the_elder_leaves_the_task_open(hotline, users):
    task = services.welfare_task_raise(elder=hotline.elders.a1, source="silent", reason="r", now=timezone.now())
    services.welfare_visit_record(actor=users.community_worker, elder=hotline.elders.a1, seen_in_person=False,
                                  health="fair", home_safe=True)
    task.refresh_from_db()
    assert task.done_at is None
    assert services.welfare_task_raise(elder=hotline.elders.a1, source="silent", reason="r2",
                                       now=timezone.now()).pk == task.pk


def test_visit_form_rules(hotline, users):
    with pytest.raises(ValidationError) as error:
        services.welfare_visit_record(actor=users.community_worker, elder=hotline.elders.a1, seen_in_person=True,
                                      health="splendid", home_safe=True, follow_up="order")
    assert set(error.value.message_dict) == {"health", "needs"}
    with pytest.raises(PermissionDenied):
        services.welfare_visit_record(actor=users.community_worker, elder=hotline.elders.b1, seen_in_person=True,
                                      health="good", home_safe=True)
    with pytest.raises(PermissionDenied):
        services.welfare_visit_record(actor=users.operator, elder=hotline.elders.a1, seen_in_person=True,
                                      health="good", home_safe=True)


def test_silent_elders_with_their_reasons(hotline, users):
    now = timezone.now()
    # a1 lives alone, has a device that never reported, and nobody has heard from them
    silent = dict((e.name, r) for e, r in selectors.silent_elders(users.operator, now=now))
    assert silent == {"张三明": ["no_heartbeat", "no_contact"]}
    Device.objects.filter(pk=hotline.device.pk).update(last_heartbeat_at=now - dt.timedelta(hours=23))
    WelfareVisit.objects.create(elder=hotline.elders.a1, visited_at=now - dt.timedelta(days=6),
                                visitor=users.community_worker, seen_in_person=True, health="good", home_safe=True)
    assert selectors.silent_elders(users.operator, now=now) == []
    # a week and a day later the visit is too old and the device went quiet
    later = now + dt.timedelta(days=2)
    assert [r for _e, r in selectors.silent_elders(users.operator, now=later)] == [["no_heartbeat", "no_contact"]]
    # street B sees none of street A's elders
    assert selectors.silent_elders(users.street_staff_b, now=now) == []


def test_the_silence_sweep_raises_one_task_per_silent_elder(hotline):
    now = timezone.now()
    assert services.silence_sweep(now=now) == 1
    assert services.silence_sweep(now=now) == 0
    task = WelfareTask.objects.get()
    assert task.source == "silent" and "设备" in task.reason


def test_monthly_visit_rate_per_street(hotline, users):
    month = timezone.localdate().replace(day=1)
    # eligible: a1 (alone) and a2 (elderly only, 91) in street A; b1 (75, with children) is not
    communities, streets = selectors.visit_rates(users.district_admin, month)
    assert [(s.region["name"], s.eligible, s.visited) for s in streets] == [("天平路街道", 2, 0)]
    services.welfare_visit_record(actor=users.community_worker, elder=hotline.elders.a1, seen_in_person=True,
                                  health="good", home_safe=True)
    communities, streets = selectors.visit_rates(users.district_admin, month)
    assert [(s.eligible, s.visited, s.rate) for s in streets] == [(2, 1, 0.5)]
    assert sorted((c.region["name"], c.rate) for c in communities) == [("天平社区", 1.0), ("永嘉社区", 0.0)]
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    assert [s.visited for s in selectors.visit_rates(users.district_admin, previous)[1]] == [0]
    assert selectors.visit_rates(users.street_staff_b, month) == ([], [])


def test_statistics_by_category_and_response_time(hotline, users):
    alarm = _alarm(hotline, raised=timezone.now() - dt.timedelta(seconds=60))
    services.alarm_acknowledge(actor=users.operator, alarm=alarm)
    services.call_record(actor=users.operator, direction="in", elder=hotline.elders.a2, category="housekeeping")
    today = timezone.localdate()
    stats = selectors.statistics(users.district_admin, today, today)
    by = {r.category: (r.alarms, r.calls_in, r.calls_out) for r in stats["rows"]}
    assert by["meals_emergency"] == (1, 0, 0) and by["housekeeping"] == (0, 1, 0)
    assert stats["total"] == 2 and stats["late"] == 1 and stats["within"] == 0


def test_statistics_by_month_and_street_and_every_response_time_against_its_target(hotline, users):
    now = timezone.now()
    # answered in 10 s (target 30 s), first action after 200 s (target 120 s), arrived after 10 minutes
    fast = _alarm(hotline, raised=now - dt.timedelta(seconds=600))
    services.alarm_acknowledge(actor=users.operator, alarm=fast, now=fast.raised_at + dt.timedelta(seconds=10))
    services.alarm_act(actor=users.operator, alarm=fast, kind="sent_worker",
                       now=fast.raised_at + dt.timedelta(seconds=200))
    services.alarm_act(actor=users.operator, alarm=fast, kind="arrived", now=fast.raised_at + dt.timedelta(seconds=600))
    waiting = _alarm(hotline, raised=now - dt.timedelta(seconds=5), code="water")
    Alarm.objects.filter(pk=waiting.pk).update(category="other", is_emergency=False)
    services.call_record(actor=users.operator, direction="out", elder=hotline.elders.a2, category="comfort")
    today = timezone.localdate()
    stats = selectors.statistics(users.district_admin, today, today)
    timers = {t.name: t for t in stats["timers"]}
    assert (timers["answer"].within, timers["answer"].late, timers["answer"].waiting) == (1, 0, 1)
    assert timers["answer"].target_seconds == 30 and timers["answer"].median_seconds == 10
    assert (timers["first_action"].within, timers["first_action"].late, timers["first_action"].waiting) == (0, 1, 1)
    # arrival counts only the case that sent someone; ten minutes is within the on-site target
    arrival_target = timers["arrival"].target_seconds
    assert timers["arrival"].done == 1 and timers["arrival"].waiting == 0
    assert (timers["arrival"].within == 1) == (600 <= arrival_target)
    assert stats["total"] == 3 and stats["emergency"] == 1
    [month] = stats["months"]
    assert month.total == 3 and month.counts == {"meals_emergency": 1, "other": 1, "comfort": 1}
    assert month.cells == [1, 0, 0, 1, 1]
    streets = {row.label: row.total for row in stats["streets"]}
    assert sum(streets.values()) == 3 and None not in streets
    # nothing of another district, and an empty period is empty
    assert selectors.statistics(users.street_staff_b, today, today)["total"] == 0
    empty = selectors.statistics(users.district_admin, today - dt.timedelta(days=40), today - dt.timedelta(days=35))
    assert empty["total"] == 0 and empty["months"] == [] and all(t.done == 0 for t in empty["timers"])
