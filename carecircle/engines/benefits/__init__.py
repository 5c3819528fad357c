"""Allowance arithmetic: the age an elder reaches in a month, the band and amount in force, the months a
person is owed or was overpaid. Pure Python (no Django): the caller reads the dated policy parameters and the
register and hands in plain values; every amount goes out with the rule that produced it.

Months are the first day of the month (`datetime.date(y, m, 1)`). Money is Decimal yuan with two places.
"""
from .arithmetic import (
    Band,
    BandBounds,
    Entitlement,
    Rule,
    age_in_month,
    band_for,
    band_reached_before,
    band_schedule,
    bands_from_table,
    entitlement_for,
    last_payable_month,
    month_add,
    month_of,
    months_between,
    reconcile,
)

__all__ = [
    "Band", "BandBounds", "Entitlement", "Rule", "age_in_month", "band_for", "band_reached_before", "band_schedule", "bands_from_table", "entitlement_for",
    "last_payable_month", "month_add", "month_of", "months_between", "reconcile",
]
