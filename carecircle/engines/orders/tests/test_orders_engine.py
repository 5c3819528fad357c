import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carecircle.engines.orders import VisitSlot, add_working_hours, fit_visits

SH = ZoneInfo("Asia/Shanghai")
OPEN, CLOSE = dt.time(8, 0), dt.time(18, 0)


def weekdays_only(day):
    return day.weekday() < 5


def test_deadline_inside_one_working_day():
    start = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SH)  # Monday
    assert add_working_hours(start, 2, is_working_day=weekdays_only, day_start=OPEN, day_end=CLOSE) == \
        dt.datetime(2026, 11, 23, 11, 30, tzinfo=SH)


def test_deadline_carries_over_the_night_and_the_weekend():
    start = dt.datetime(2026, 11, 27, 17, 0, tzinfo=SH)  # Friday, one office hour left
    result = add_working_hours(start, 2, is_working_day=weekdays_only, day_start=OPEN, day_end=CLOSE)
    assert result == dt.datetime(2026, 11, 30, 9, 0, tzinfo=SH)  # Monday 09:00


def test_order_placed_at_night_counts_from_the_next_opening():
    start = dt.datetime(2026, 11, 23, 22, 15, tzinfo=SH)
    assert add_working_hours(start, 1, is_working_day=weekdays_only, day_start=OPEN, day_end=CLOSE) == \
        dt.datetime(2026, 11, 24, 9, 0, tzinfo=SH)


def test_holidays_do_not_count():
    holiday = dt.date(2026, 10, 1)

    def working(day):
        return day.weekday() < 5 and day != holiday

    start = dt.datetime(2026, 9, 30, 17, 30, tzinfo=SH)  # Wednesday; Thursday is a holiday
    assert add_working_hours(start, 1, is_working_day=working, day_start=OPEN, day_end=CLOSE) == \
        dt.datetime(2026, 10, 2, 8, 30, tzinfo=SH)


def test_bad_office_hours_and_negative_hours_are_refused():
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH)
    with pytest.raises(ValueError):
        add_working_hours(start, 1, is_working_day=weekdays_only, day_start=CLOSE, day_end=OPEN)
    with pytest.raises(ValueError):
        add_working_hours(start, -1, is_working_day=weekdays_only, day_start=OPEN, day_end=CLOSE)
    with pytest.raises(ValueError):
        add_working_hours(start, 1, is_working_day=lambda d: False, day_start=OPEN, day_end=CLOSE)


def test_fit_covers_the_first_visits_of_the_week_and_marks_the_rest():
    slots = [VisitSlot(i, weekday, 9 * 60, 60) for i, weekday in enumerate([4, 0, 1, 2, 3, 5])]
    result = fit_visits(slots, visits_per_week=5, minutes_per_visit=60, weekly_minutes_cap=300)
    assert result.covered == [1, 2, 3, 4, 0]
    assert result.beyond == [(5, "count")]
    assert (result.covered_minutes, result.beyond_minutes) == (300, 60)


def test_fit_refuses_a_visit_longer_than_the_entitled_visit_and_respects_the_weekly_cap():
    slots = [VisitSlot("long", 0, 540, 90), VisitSlot("a", 1, 540, 60), VisitSlot("b", 2, 540, 60)]
    result = fit_visits(slots, visits_per_week=3, minutes_per_visit=60, weekly_minutes_cap=100)
    assert result.covered == ["a"]
    assert result.beyond == [("long", "visit_minutes"), ("b", "weekly_minutes")]
