"""A deadline `hours` working hours after a moment: only the office hours of working days count."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable


def add_working_hours(start: dt.datetime, hours: int | float, *, is_working_day: Callable[[dt.date], bool],
                      day_start: dt.time, day_end: dt.time, max_days: int = 366) -> dt.datetime:
    """The moment `hours` working hours after `start`.

    Time before `day_start`, after `day_end` and on days that are not working days does not count. A
    start outside office hours begins counting at the next opening. The result keeps `start`'s tzinfo.
    """
    if day_end <= day_start:
        raise ValueError("the working day must end after it starts")
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = dt.timedelta(hours=hours)
    tz = start.tzinfo
    day = start.date()
    cursor = start
    for _ in range(max_days + 1):
        opens = dt.datetime.combine(day, day_start, tzinfo=tz)
        closes = dt.datetime.combine(day, day_end, tzinfo=tz)
        if is_working_day(day) and cursor < closes:
            begin = max(cursor, opens)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += dt.timedelta(days=1)
        cursor = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    raise ValueError("no working hours found within a year: check the calendar")
