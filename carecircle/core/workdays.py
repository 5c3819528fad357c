"""The working-day calendar: Chinese statutory holidays and adjusted working weekends (调休上班).

Published years ship as data (core/data/holidays.json, one entry per State Council notice); a district
administrator adds a new year's days on the calendar page (`CalendarDay` rows, which override the shipped
data date by date). A year with no data at all falls back to the ordinary week (Monday–Friday), and the
calendar page says so.

Every public function reads the calendar once per call; `Calendar.load()` gives one snapshot for many
questions in a row.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "holidays.json"

HOLIDAY = "holiday"
WORKDAY = "workday"


@dataclass(frozen=True)
class Entry:
    date: dt.date
    kind: str  # HOLIDAY | WORKDAY
    name: str
    source: str
    entered: bool = False  # True when a district administrator entered it (not shipped data)


@lru_cache(maxsize=1)
def shipped_entries() -> dict[dt.date, Entry]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    result: dict[dt.date, Entry] = {}
    for year in data["years"].values():
        source = year["source"]
        for holiday in year["holidays"]:
            day, last = dt.date.fromisoformat(holiday["from"]), dt.date.fromisoformat(holiday["to"])
            if last < day:
                raise ValueError(f"holiday {holiday['name']} ends before it starts")
            while day <= last:
                result[day] = Entry(day, HOLIDAY, holiday["name"], source)
                day += dt.timedelta(days=1)
        for working in year["working_weekends"]:
            day = dt.date.fromisoformat(working["date"])
            if day.weekday() < 5:
                raise ValueError(f"{day} is listed as an adjusted working weekend day but is a weekday")
            result[day] = Entry(day, WORKDAY, working["name"], source)
    return result


@lru_cache(maxsize=1)
def shipped_years() -> frozenset[int]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return frozenset(int(year) for year in data["years"])


class Calendar:
    """One snapshot of the calendar: shipped data plus the entries in the database."""

    def __init__(self, entries: dict[dt.date, Entry], years_with_data: set[int]):
        self.entries = entries
        self.years_with_data = years_with_data

    @classmethod
    def load(cls) -> "Calendar":
        from .models import CalendarDay

        entries = dict(shipped_entries())
        years = set(shipped_years())
        for row in CalendarDay.objects.all():
            entries[row.date] = Entry(row.date, row.kind, row.name, row.source, entered=True)
            years.add(row.date.year)
        return cls(entries, years)

    def has_data(self, year: int) -> bool:
        return year in self.years_with_data

    def is_working_day(self, d: dt.date) -> bool:
        entry = self.entries.get(d)
        if entry is not None:
            return entry.kind == WORKDAY
        return d.weekday() < 5

    def is_statutory_holiday(self, d: dt.date) -> bool:
        entry = self.entries.get(d)
        return entry is not None and entry.kind == HOLIDAY

    def holiday_name(self, d: dt.date) -> str | None:
        entry = self.entries.get(d)
        return entry.name if entry is not None and entry.kind == HOLIDAY else None

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        if n < 0:
            raise ValueError("n must be 0 or more")
        day, counted = start, 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after `a` up to and including `b` (negative when b is before a).

        So `working_days_between(a, add_working_days(a, n)) == n`."""
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def year(self, year: int) -> list[Entry]:
        return sorted((e for e in self.entries.values() if e.date.year == year), key=lambda e: e.date)


def is_working_day(d: dt.date) -> bool:
    return Calendar.load().is_working_day(d)


def is_statutory_holiday(d: dt.date) -> bool:
    return Calendar.load().is_statutory_holiday(d)


def holiday_name(d: dt.date) -> str | None:
    return Calendar.load().holiday_name(d)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (n ≥ 0; n == 0 gives `start` itself)."""
    return Calendar.load().add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date) -> int:
    return Calendar.load().working_days_between(a, b)
