"""The waiting list's order and explanations, admission by capacity, deadlines in working days, overdue counts."""
import datetime as dt

import pytest

from carecircle.conftest import make_elder
from carecircle.core.models import PolicyParameter
from carecircle.intake import selectors
from carecircle.intake.models import State, WaitlistEntry
from carecircle.intake.services import IllegalStep, allowed_actions, application_record_assessment

from .helpers import act, submit, to_state

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def waitlisted(intake, today, elder, level, code="institution"):
    app = to_state(intake, submit(intake, elder=elder, type_code=code), "assessed")
    app.assessed_level = level
    app.save(update_fields=["assessed_level"])
    return to_state(intake, app, "waitlisted", today=today)


def elders(intake):
    a1 = intake.district.a1
    return {
        "general_old": make_elder(a1, name="周一般", birth=dt.date(1950, 1, 3), household_type="with_children"),
        "poverty": make_elder(a1, name="吴特困", birth=dt.date(1951, 2, 4), economic_category="extreme_poverty",
                              household_type="with_children"),
        "alone_85": make_elder(a1, name="郑独居", birth=dt.date(1940, 3, 5), household_type="alone"),
        "general_high": make_elder(a1, name="冯重度", birth=dt.date(1952, 4, 6), household_type="with_children"),
    }


def test_order_by_priority_then_level_then_date_with_explanations(intake, today):
    people = elders(intake)
    general_old = waitlisted(intake, today, people["general_old"], 2)
    general_high = waitlisted(intake, today, people["general_high"], 5)
    alone = waitlisted(intake, today, people["alone_85"], 2)
    poverty = waitlisted(intake, today, people["poverty"], 1)
    order = [e.application for e in WaitlistEntry.objects.filter(status="waiting").order_by("position")]
    assert order == [poverty, alone, general_high, general_old]
    first = poverty.waitlist_entry
    assert first.position == 1 and first.priority_label == "特困" and first.priority_group == 1
    assert "特困" in first.explanation and "评估等级" in first.explanation and "申请日期" in first.explanation
    assert alone.waitlist_entry.priority_label == "高龄独居"
    assert general_high.waitlist_entry.priority_label == "无优先类别"
    # Everyone pushed back by a newcomer was told why, on their own timeline.
    moved = general_old.events.filter(action="position_changed").order_by("id")
    assert [(e.data["from"], e.data["to"]) for e in moved] == [(None, 1), (1, 2), (2, 3), (3, 4)]
    assert "吴*困 进入轮候" in moved.last().reason


def test_same_group_and_level_earlier_application_first(intake, today):
    people = elders(intake)
    first = submit(intake, elder=people["general_old"], type_code="institution")
    today.set(today.start + dt.timedelta(days=3))
    second = submit(intake, elder=people["general_high"], type_code="institution")
    for app in (second, first):
        to_state(intake, app, "assessed")
        app.assessed_level = 3
        app.save(update_fields=["assessed_level"])
        to_state(intake, app, "waitlisted", today=today)
    assert first.waitlist_entry.position == 1 and second.waitlist_entry.position == 2


def test_rule_is_a_policy_parameter(intake, today):
    people = elders(intake)
    PolicyParameter.objects.create(key="intake.waitlist.order", region=intake.district.district,
                                   value=["level", "applied"], effective_from=dt.date(2026, 1, 1), source="区规定",
                                   confidence="local")
    poverty = waitlisted(intake, today, people["poverty"], 1)
    high = waitlisted(intake, today, people["general_high"], 5)
    assert high.waitlist_entry.position == 1 and poverty.waitlist_entry.position == 2
    assert "评估等级（高者在前）" in high.waitlist_entry.explanation


def test_one_queue_follows_the_rule_of_the_types_region_whoever_entered_first(intake, today):
    people = elders(intake)
    # A rule set for one community only does not reorder the district's shared queue.
    PolicyParameter.objects.create(key="intake.waitlist.order", region=intake.district.a2,
                                   value=["level", "applied"], effective_from=dt.date(2026, 1, 1), source="社区试行",
                                   confidence="local")
    poverty = waitlisted(intake, today, people["poverty"], 1)
    other = waitlisted(intake, today, make_elder(intake.district.a2, name="陈其他", birth=dt.date(1952, 5, 7),
                                                  household_type="with_children"), 5)
    assert poverty.waitlist_entry.position == 1 and other.waitlist_entry.position == 2
    assert "优先类别" in other.waitlist_entry.explanation


def test_admission_in_order_and_by_capacity(intake, today):
    kind = intake.types["institution"]
    kind.capacity = 1
    kind.save()
    people = elders(intake)
    poverty = waitlisted(intake, today, people["poverty"], 1)
    alone = waitlisted(intake, today, people["alone_85"], 2)
    assert "admit" not in allowed_actions(alone, intake.users.street_staff)
    with pytest.raises(IllegalStep) as refused:
        act(alone, "admit", intake.users.street_staff)
    assert "第 2 位" in refused.value.message
    act(poverty, "admit", intake.users.street_staff)
    assert poverty.state == State.IN_SERVICE
    alone.refresh_from_db()
    assert alone.waitlist_entry.position == 1
    assert "已入住" in alone.events.filter(action="position_changed").last().reason
    with pytest.raises(IllegalStep) as refused:
        act(alone, "admit", intake.users.street_staff)
    assert "容量 1 人已满" in refused.value.message


def test_withdrawal_moves_the_others_up(intake, today):
    people = elders(intake)
    poverty = waitlisted(intake, today, people["poverty"], 1)
    general = waitlisted(intake, today, people["general_old"], 1)
    act(poverty, "withdraw", intake.users.street_staff, reason="已入住其他机构")
    general.refresh_from_db()
    assert general.waitlist_entry.position == 1
    assert "撤回申请" in general.events.filter(action="position_changed").last().reason


class TestDeadlines:
    def test_registered_before_national_day_2025(self, intake, today):
        today.set(dt.datetime(2025, 9, 26, 16, 0, tzinfo=TZ))  # Friday
        app = submit(intake, type_code="call-device")
        # 2 working days: Sunday 09-28 is an adjusted working day, then Monday 09-29.
        assert app.due_on == dt.date(2025, 9, 29)
        today.set(dt.datetime(2025, 9, 30, 9, 0, tzinfo=TZ))
        act(app, "accept", intake.users.street_staff)
        # first review: 5 working days from 09-30, across the eight days off (10-01..10-08) and the
        # working Saturday 10-11: 10-09, 10-10, 10-11, 10-13, 10-14.
        assert app.due_on == dt.date(2025, 10, 14)

    def test_age_allowance_has_its_own_deadlines(self, intake, today):
        app = submit(intake, type_code="age-allowance")
        assert app.due_on == dt.date(2026, 3, 12)  # 3 working days after Monday 2026-03-09
        act(app, "accept", intake.users.street_staff)
        assert app.due_on == dt.date(2026, 3, 23)  # 10 working days

    def test_public_notice_across_spring_festival_2026(self, intake, today):
        app = to_state(intake, submit(intake, type_code="age-allowance"), "district_passed")
        today.set(dt.datetime(2026, 2, 12, 10, 0, tzinfo=TZ))  # Thursday
        act(app, "publish_notice", intake.users.street_staff)
        notice = app.notices.get()
        # Five working days: 02-12, 02-13, Saturday 02-14 (worked), then 02-24, 02-25 after the holiday.
        assert (notice.starts_on, notice.ends_on) == (dt.date(2026, 2, 12), dt.date(2026, 2, 25))
        assert app.due_on == dt.date(2026, 2, 25)

    def test_notice_published_on_a_holiday_starts_on_the_next_working_day(self, intake, today):
        app = to_state(intake, submit(intake, type_code="age-allowance"), "district_passed")
        today.set(dt.datetime(2025, 10, 3, 10, 0, tzinfo=TZ))
        act(app, "publish_notice", intake.users.street_staff)
        notice = app.notices.get()
        assert notice.starts_on == dt.date(2025, 10, 9)
        assert notice.ends_on == dt.date(2025, 10, 14)

    def test_overdue_is_flagged_and_counted(self, intake, today):
        late = submit(intake, type_code="call-device")
        fresh = submit(intake, type_code="call-device", elder=intake.district.elders.a2)
        today.set(dt.datetime(2026, 3, 12, 9, 0, tzinfo=TZ))  # late is due 03-11; fresh too
        assert selectors.overdue_count(intake.users.street_staff) == 2
        act(fresh, "accept", intake.users.street_staff)
        assert selectors.overdue_count(intake.users.street_staff) == 1
        assert selectors.overdue_count(intake.users.district_admin) == 1
        assert selectors.overdue_count(intake.users.street_staff_b) == 0
        queue = list(selectors.application_queue(intake.users.street_staff, states=selectors.open_states()))
        assert queue[0] == late and queue[0].overdue_rank == 0
        tabs = {t["state"]: t for t in selectors.state_counts(intake.users.street_staff,
                                                               states=selectors.STREET_QUEUE_STATES)}
        assert tabs["registered"]["overdue"] == 1 and tabs["accepted"]["overdue"] == 0

    def test_missing_parameter_leaves_no_deadline(self, intake, today):
        PolicyParameter.objects.filter(key="intake.deadline.registered").delete()
        app = submit(intake, type_code="call-device")
        assert app.due_on is None
