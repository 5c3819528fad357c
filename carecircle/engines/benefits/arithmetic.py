from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from `first` to `last`, both included (empty when last is before first)."""
    result, month = [], month_of(first)
    last = month_of(last)
    while month <= last:
        result.append(month)
        month = month_add(month, 1)
    return result


def age_in_month(birth: dt.date, month: dt.date) -> int:
    """The age a person reaches during `month`: the whole month counts at the age of that month's birthday
    (the rule "from the month one reaches the age"), so a birthday on the 1st and on the 31st, and one on
    29 February in a year without it, all count in their month."""
    return month.year - birth.year - (month.month < birth.month)


@dataclass(frozen=True)
class Band:
    min_age: int
    amount: Decimal

    @property
    def code(self) -> str:
        return str(self.min_age)


@dataclass(frozen=True)
class Rule:
    """What an amount rests on: the policy key, the value read and where and since when it applied."""

    key: str
    value: str
    region: str = ""
    effective_from: str = ""

    def as_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "region": self.region, "effective_from": self.effective_from}


def bands_from_table(table: dict) -> list[Band]:
    """A policy table {"80": "180.00", ...} (minimum age → monthly amount) as bands, youngest first."""
    bands = []
    for key, amount in table.items():
        age = int(str(key))
        if age < 0:
            raise ValueError(f"band age {key} is negative")
        bands.append(Band(age, money(amount)))
    bands.sort(key=lambda b: b.min_age)
    return bands


def band_for(age: int, bands: list[Band]) -> Band | None:
    """The highest band whose minimum age has been reached; None below the first."""
    found = None
    for band in bands:
        if age >= band.min_age:
            found = band
    return found


def band_reached_before(min_age: int, month: dt.date) -> dt.date:
    """Whoever was born before this day has reached `min_age` in `month` (the whole month counts at the age of
    that month's birthday): the first day of the month after the one `min_age` years before `month`."""
    return month_add(dt.date(month.year - min_age, month.month, 1), 1)


@dataclass(frozen=True)
class BandBounds:
    """The births that fall in one band in one month: `born_from` <= birth date < `born_before`."""

    band: Band
    born_from: dt.date
    born_before: dt.date


def band_schedule(bands: list[Band], month: dt.date) -> list[BandBounds]:
    """The bands of a month as birth-date ranges, so that a database can pick everyone's band with range
    comparisons: a birth date falls in the range of exactly the band that `band_for(age_in_month(birth, month))`
    gives, and in none below the first band."""
    month = month_of(month)
    ordered = sorted(bands, key=lambda b: b.min_age)
    result = []
    for i, band in enumerate(ordered):
        upper = band_reached_before(band.min_age, month)
        lower = band_reached_before(ordered[i + 1].min_age, month) if i + 1 < len(ordered) else dt.date.min
        if lower < upper:
            result.append(BandBounds(band, lower, upper))
    return result


def last_payable_month(stop_on: dt.date | None) -> dt.date | None:
    """A death or a move on any day of a month is paid for that month and stops from the next one."""
    return month_of(stop_on) if stop_on is not None else None


@dataclass(frozen=True)
class Entitlement:
    month: dt.date
    age: int
    band: Band | None
    amount: Decimal
    reason: str  # "band" | "below_age" | "stopped" | "before_start"


def entitlement_for(*, birth: dt.date, month: dt.date, bands: list[Band], start_month: dt.date | None = None,
                    stop_on: dt.date | None = None) -> Entitlement:
    """What one person is owed for one month."""
    month = month_of(month)
    age = age_in_month(birth, month)
    last = last_payable_month(stop_on)
    if last is not None and month > last:
        return Entitlement(month, age, None, money(0), "stopped")
    if start_month is not None and month < month_of(start_month):
        return Entitlement(month, age, None, money(0), "before_start")
    band = band_for(age, bands)
    if band is None:
        return Entitlement(month, age, None, money(0), "below_age")
    return Entitlement(month, age, band, band.amount, "band")


@dataclass
class Reconciliation:
    """For one person: per month, what is owed against what was already paid (the months given)."""

    arrears: list = field(default_factory=list)   # (month, amount owed but unpaid)
    recoveries: list = field(default_factory=list)  # (month, amount paid but not owed: to recover, positive)
    adjustments: list = field(default_factory=list)  # (month, difference when paid a different amount)


def reconcile(*, owed: dict, paid: dict) -> Reconciliation:
    """Compare the amounts owed and paid per month (month → Decimal). A month owed and never paid is arrears;
    a month paid and not owed is a recovery; a month paid a different amount is an adjustment of the
    difference (positive: to pay; negative: to recover)."""
    result = Reconciliation()
    for month in sorted(set(owed) | set(paid)):
        due = money(owed.get(month, 0))
        got = money(paid.get(month, 0))
        if got == 0 and due > 0:
            result.arrears.append((month, due))
        elif due == 0 and got > 0:
            result.recoveries.append((month, got))
        elif due != got:
            result.adjustments.append((month, due - got))
    return result
