import datetime as dt
from decimal import Decimal

from carecircle.engines.benefits import (
    age_in_month,
    band_for,
    bands_from_table,
    entitlement_for,
    month_add,
    months_between,
    reconcile,
)

SHANGHAI = bands_from_table({"65": "75.00", "70": "150.00", "80": "180.00", "90": "350.00", "100": "600.00"})


def test_age_reached_in_the_month_of_the_birthday():
    birth = dt.date(1946, 12, 31)
    assert age_in_month(birth, dt.date(2026, 11, 1)) == 79
    assert age_in_month(birth, dt.date(2026, 12, 1)) == 80  # the birthday is the month's last day


def test_born_on_29_february_reaches_the_age_in_february_of_a_common_year():
    birth = dt.date(1936, 2, 29)
    assert age_in_month(birth, dt.date(2026, 1, 1)) == 89
    assert age_in_month(birth, dt.date(2026, 2, 1)) == 90
    ent = entitlement_for(birth=birth, month=dt.date(2026, 2, 1), bands=SHANGHAI)
    assert ent.band.min_age == 90 and ent.amount == Decimal("350.00")
    assert entitlement_for(birth=birth, month=dt.date(2026, 1, 1), bands=SHANGHAI).amount == Decimal("180.00")


def test_band_edges():
    assert band_for(64, SHANGHAI) is None
    assert band_for(65, SHANGHAI).amount == Decimal("75.00")
    assert band_for(79, SHANGHAI).amount == Decimal("150.00")
    assert band_for(80, SHANGHAI).amount == Decimal("180.00")
    assert band_for(99, SHANGHAI).amount == Decimal("350.00")
    assert band_for(100, SHANGHAI).amount == Decimal("600.00")
    assert band_for(113, SHANGHAI).amount == Decimal("600.00")


def test_death_on_first_or_last_day_is_paid_for_that_month_and_stops_from_the_next():
    birth = dt.date(1940, 1, 1)
    for died in (dt.date(2026, 3, 1), dt.date(2026, 3, 31)):
        assert entitlement_for(birth=birth, month=dt.date(2026, 3, 1), bands=SHANGHAI, stop_on=died).amount == \
            Decimal("180.00")
        stopped = entitlement_for(birth=birth, month=dt.date(2026, 4, 1), bands=SHANGHAI, stop_on=died)
        assert stopped.amount == 0 and stopped.reason == "stopped"


def test_months_and_reconcile():
    assert month_add(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert month_add(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert months_between(dt.date(2026, 11, 15), dt.date(2027, 1, 1)) == [
        dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
    assert months_between(dt.date(2027, 1, 1), dt.date(2026, 1, 1)) == []
    m1, m2, m3 = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    result = reconcile(owed={m1: Decimal("180"), m2: Decimal("350")},
                       paid={m2: Decimal("180.00"), m3: Decimal("180.00")})
    assert result.arrears == [(m1, Decimal("180.00"))]
    assert result.adjustments == [(m2, Decimal("170.00"))]
    assert result.recoveries == [(m3, Decimal("180.00"))]


def test_bad_table_is_refused():
    import pytest

    with pytest.raises(ValueError):
        bands_from_table({"abc": "1.00"})
    with pytest.raises(TypeError):
        entitlement_for(birth=dt.date(1940, 1, 1), month=dt.date(2026, 1, 1),
                        bands=bands_from_table({"60": 1.5}))


def test_band_schedule_gives_the_same_band_as_the_age_for_every_birth_date():
    """The birth-date ranges the set-based run uses agree with `band_for(age_in_month(...))` day by day across
    every band edge (the months of the 65th, 70th, 80th, 90th, 95th and 100th birthday, 29 February included)."""
    from carecircle.engines.benefits import band_schedule

    bands = bands_from_table({"65": "75.00", "70": "150.00", "80": "180.00", "90": "350.00", "95": "500.00",
                              "100": "600.00"})
    for month in (dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 12, 1), dt.date(2028, 2, 1)):
        schedule = band_schedule(bands, month)
        assert [b.band.min_age for b in schedule] == [65, 70, 80, 90, 95, 100]
        for edge in (65, 70, 80, 90, 95, 100):
            around = dt.date(month.year - edge, month.month, 1)
            for offset in range(-40, 70):
                birth = around + dt.timedelta(days=offset)
                expected = band_for(age_in_month(birth, month), bands)
                found = [b.band for b in schedule if b.born_from <= birth < b.born_before]
                assert found == ([expected] if expected else []), (month, birth)
    assert band_schedule([], dt.date(2026, 1, 1)) == []
