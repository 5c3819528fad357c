import datetime as dt

import pytest

from carecircle.billing.models import ClaimLine, SettlementRun
from carecircle.billing.services import run_summary, settle_month

from .conftest import NOVEMBER


@pytest.mark.django_db(transaction=True)
def test_a_month_closed_twice_at_once_is_built_once(district, priced, race, today_after_november):
    for elder, level in ((district.elders.a1, 4), (district.elders.a2, 2)):
        priced.level(elder, level)
        for day in range(2, 20, 3):
            priced.visit(elder, dt.date(2026, 11, day))
    results = race.run(lambda: settle_month(actor=None, region=district.district, month=NOVEMBER),
                       lambda: settle_month(actor=None, region=district.district, month=NOVEMBER))
    assert all(isinstance(r, SettlementRun) for r in results), results
    assert SettlementRun.objects.count() == 1
    run = SettlementRun.objects.get()
    assert {tuple(run_summary(r).items()) for r in results} == {tuple(run_summary(run).items())}
    assert ClaimLine.objects.count() == run.lines == 12
