"""Worked examples, to the fen, of the month's settlement."""
import datetime as dt
from decimal import Decimal

import pytest

from carecircle.billing.models import Claim, ClaimLine, HeldVisit

from .conftest import settle

pytestmark = pytest.mark.usefixtures("today_after_november")


def lines_of(visit):
    return list(ClaimLine.objects.filter(visit_id=visit.pk).order_by("id"))


def test_level_four_home_hour_is_ninety_percent_fund(district, priced):
    elder = district.elders.a1
    priced.level(elder, 4)
    visit = priced.visit(elder, dt.date(2026, 11, 3))
    run = settle(district)
    [line] = lines_of(visit)
    # hourly 45.00 (default qualification) × 1 = 45.00; fund 90 % = 40.50; general elder: no subsidy.
    assert (line.unit_price, line.amount, line.fund, line.subsidy, line.self_pay) == (
        Decimal("45.00"), Decimal("45.00"), Decimal("40.50"), Decimal("0.00"), Decimal("4.50"))
    assert line.work_order_id == visit.work_order_id
    assert run.status == "closed" and run.visits_settled == 1 and run.lines == 1
    assert (run.total, run.fund, run.self_pay) == (Decimal("45.00"), Decimal("40.50"), Decimal("4.50"))
    claim = Claim.objects.get()
    assert (claim.programme, claim.status, claim.total) == ("ltci", "draft", Decimal("45.00"))

