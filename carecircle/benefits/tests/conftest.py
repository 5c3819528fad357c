import datetime as dt

import pytest

from carecircle.conftest import make_elder, seed_policy

KEYS = ("benefits.age_allowance.bands", "benefits.age_allowance.residence", "benefits.age_allowance.auto_enrol",
        "benefits.age_allowance.arrears_months", "benefits.card.kinds", "benefits.card.residence")


@pytest.fixture
def programmes(district):
    seed_policy(*KEYS)
    return district


@pytest.fixture
def roll(programmes, users):
    """Street A: one elder turning 80 in Dec 2026 (born 31 Dec), one born 29 Feb 1936 (90 in Feb 2026); the
    fixture's A1 (born 1940) and A2 (1935). Street B: B1 (born 1950, 76). A resident without local
    registration (not eligible). Everyone past 65 in Jan 2026 is enrolled (catch-up)."""
    from carecircle.benefits import services

    d = programmes
    extra = {
        "eighty": make_elder(d.a1, name="赵八十", birth=dt.date(1946, 12, 31)),
        "leap": make_elder(d.a2, name="钱闰日", birth=dt.date(1936, 2, 29), gender="F"),
        "visitor": make_elder(d.a1, name="孙外地", birth=dt.date(1940, 3, 3), registration="resident"),
    }
    services.enrolments_sweep(actor=users.district_admin, region=d.district, month=dt.date(2026, 1, 1), catch_up=True)
    d.extra = extra
    return d


def approve(run, users):
    from carecircle.benefits import services

    services.run_step(actor=users.district_admin, run=run, action="check")
    return services.run_step(actor=users.district_admin, run=run, action="approve")


def make_run(d, users, month):
    from carecircle.benefits import services

    services.enrolments_sweep(actor=users.district_admin, region=d.district, month=month)
    return services.run_make(actor=users.district_admin, region=d.district, month=month)
