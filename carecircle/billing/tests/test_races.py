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


@pytest.mark.django_db(transaction=True)
def test_a_line_rejected_by_two_reviewers_at_once_is_rejected_once(district, priced, users, race,
                                                                   today_after_november):
    from carecircle.billing.models import Claim
    from carecircle.billing.services import claim_step, line_reject
    from carecircle.core.workflow import IllegalStep

    priced.level(district.elders.a1, 4)
    priced.visit(district.elders.a1, dt.date(2026, 11, 3))
    settle_month(actor=None, region=district.district, month=NOVEMBER)
    claim = Claim.objects.get()
    claim_step(actor=users.provider_admin, claim=claim, action="submit")
    line = ClaimLine.objects.get()
    results = race.run(lambda: line_reject(actor=users.district_admin, line=line, reason="照片不符"),
                       lambda: line_reject(actor=users.district_admin, line=line, reason="时间不符"))
    assert sorted(type(r).__name__ for r in results) == ["ClaimLine", "IllegalStep"], results
    claim.refresh_from_db()
    assert (claim.rejected_count, claim.lines_count) == (1, 0)
    assert isinstance(next(r for r in results if not isinstance(r, ClaimLine)), IllegalStep)
