"""Settlement arithmetic in whole fen: the exact reference of what the month's SQL computes row by row.

Money is counted in integer fen (0.01 yuan) and shares in basis points (0.01 %), so that the database (SQLite or
PostgreSQL, in one INSERT … SELECT) and this module compute the same figures without floating point. Rounding
is half-up and happens only at the defined points: the line amount (price × quantity), then the fund part, then
the subsidy part; the self-pay is what is left, so the three parts always add up to the amount.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_fen(value) -> int:
    """Yuan (Decimal, int or str; never float) → whole fen, half-up."""
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(CENT)


def to_bp(share) -> int:
    """A share between 0 and 1 → basis points (0.9 → 9000); more precision than 0.01 % is refused."""
    if isinstance(share, float):
        share = str(share)
    value = Decimal(str(share)) * 10000
    if value != value.to_integral_value():
        raise ValueError("a share must have at most four decimal places")
    if not 0 <= value <= 10000:
        raise ValueError("a share must lie between 0 and 1")
    return int(value)


def to_centi(quantity) -> int:
    """A quantity (at most two decimals) → hundredths."""
    value = Decimal(str(quantity)) * 100
    if value != value.to_integral_value() or value <= 0:
        raise ValueError("a quantity must be positive with at most two decimals")
    return int(value)


def half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, for numerator ≥ 0 (as the SQL: (n + d/2) / d)."""
    if numerator < 0:
        return -half_up_div(-numerator, denominator)
    return (numerator + denominator // 2) // denominator


def line_amount(price_fen: int, quantity_centi: int) -> int:
    return half_up_div(price_fen * quantity_centi, 100)


def part(amount_fen: int, share_bp: int) -> int:
    return half_up_div(amount_fen * share_bp, 10000)


@dataclass(frozen=True)
class Line:
    """One line to value: the amount and which payers may take part of it."""

    key: object
    amount: int  # fen
    fund_bp: int | None  # None: the fund does not pay this line
    subsidy_bp: int | None  # None: no subsidy on this line


@dataclass(frozen=True)
class Split:
    key: object
    amount: int
    fund: int
    subsidy: int
    self_pay: int
    subsidy_wanted: int


def split(lines: list[Line], *, budget: int | None, used: int = 0) -> list[Split]:
    """Fund first, then the subsidy's share of what is left, within the budget (consumed in the order given,
    `used` of it already gone), then self-pay. budget None: no limit."""
    taken = 0  # wanted so far (the SQL's running sum of the wanted subsidy)
    result = []
    for line in lines:
        fund = part(line.amount, line.fund_bp) if line.fund_bp is not None else 0
        wanted = part(line.amount - fund, line.subsidy_bp) if line.subsidy_bp is not None else 0
        if budget is None:
            granted = wanted
        else:
            granted = max(0, min(wanted, budget - used - taken))
        taken += wanted
        result.append(Split(line.key, line.amount, fund, granted, line.amount - fund - granted, wanted))
    return result


@dataclass(frozen=True)
class Slot:
    """One visit of a week, in order: its minutes and whether it counts towards the entitlement's cap."""

    key: object
    minutes: int
    counts: bool
    cap: int | None  # the weekly cap in minutes on the visit's date; None when no entitlement


def within_cap(slots: list[Slot], *, already: int = 0) -> dict:
    """key → True when the visit lies within the weekly cap: the minutes of the counted visits up to and
    including it (after `already` minutes of the same week settled earlier) do not exceed the cap. A whole visit
    is inside or outside; visits that do not count are always inside."""
    total = already
    inside = {}
    for slot in slots:
        if not slot.counts or slot.cap is None:
            inside[slot.key] = True
            continue
        total += slot.minutes
        inside[slot.key] = total <= slot.cap
    return inside
