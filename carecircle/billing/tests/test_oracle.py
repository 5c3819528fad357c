"""The month's SQL against the pure settlement engine: random visits of elders of every category and level,
valued once by the database and once in Python from the quote's prices and the engine's cap and budget rules;
every line must agree to the fen."""
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from carecircle.billing.models import ClaimLine, HeldVisit
from carecircle.catalog.models import ServiceItem
from carecircle.catalog.services import item_unit_price, subsidy_terms
from carecircle.engines.settlement import Line, Slot, split, to_bp, to_centi, to_fen, within_cap

from .conftest import settle

pytestmark = pytest.mark.usefixtures("today_after_november")
ITEMS = ("ltci-home-hour", "ltci-b01", "ltci-b05", "gb-cleaning", "gb-bathing")
CAPS = {2: 180, 3: 180, 4: 300, 5: 420, 6: 420}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_database_and_the_engine_agree_to_the_fen(district, priced, seed):
    from carecircle.elders.models import Elder

    rng = random.Random(seed)
    elders = list(Elder.objects.all())
    categories = ["general", "min_living", "low_income", "near_poverty", "extreme_poverty"]
    levels = {}
    for elder in elders:
        elder.economic_category = rng.choice(categories)
        elder.save(update_fields=["economic_category"])
        levels[elder.pk] = rng.choice([2, 3, 4, 5, 6])
        priced.level(elder, levels[elder.pk])
    visits = []
    for elder in elders:
        for _n in range(rng.randint(8, 16)):
            day = dt.date(2026, 11, rng.randint(1, 30))
            items = [(code, str(rng.choice(["1", "1", "2", "0.5", "1.25"])) if code.endswith("hour") or
                      code == "gb-cleaning" else "1") for code in rng.sample(ITEMS, rng.randint(1, 3))]
            funding = "self_pay" if rng.random() < 0.15 else "plan"
            minutes = rng.choice([30, 60, 90])
            visits.append(priced.visit(elder, day, items=items, minutes=minutes, funding=funding,
                                       at=dt.time(rng.randint(7, 18), rng.randint(0, 59))))
    settle(district)

    # The expectation, visit by visit in the run's order.
    ordered = sorted(visits, key=lambda v: (v.date, v.checked_in_at, v.pk))
    inside = {}
    by_week = defaultdict(list)
    for visit in ordered:
        by_week[(visit.elder_id, visit.date - dt.timedelta(days=visit.date.weekday()))].append(visit)
    for (elder_id, _week), week_visits in by_week.items():
        funding = {v.pk: v.work_order.plan_visit.funding for v in week_visits}
        slots = [Slot(v.pk, v.work_order.duration_minutes, funding[v.pk] == "plan", CAPS[levels[elder_id]])
                 for v in week_visits]
        inside.update(within_cap(slots))
    expected = {}
    by_month = defaultdict(list)
    for visit in ordered:
        if not inside[visit.pk]:
            continue
        elder = visit.elder
        share, budget, _rules = subsidy_terms(elder.economic_category, region=elder.community, on=visit.date,
                                              care_level=levels[elder.pk])
        for wi in sorted(visit.work_order.lines.all(), key=lambda line: line.item_id):
            item = ServiceItem.objects.get(pk=wi.item_id)
            price, _rule = item_unit_price(item, region=elder.community, on=visit.date, provider=None)
            amount = (to_fen(price) * to_centi(wi.quantity) + 50) // 100
            fund = to_bp("0.90") if (visit.work_order.plan_visit.funding == "plan" and item.in_programme("ltci")) \
                else None
            subsidy = to_bp(share) if share is not None and item.in_programme("gov_purchase") else None
            by_month[elder.pk].append((Line((visit.pk, wi.item_id), amount, fund, subsidy),
                                       to_fen(budget) if budget is not None else None))
    for elder_id, rows in by_month.items():
        budgets = {b for _l, b in rows if b is not None}
        budget = budgets.pop() if budgets else 0
        for result in split([line for line, _b in rows], budget=budget):
            expected[result.key] = (result.amount, result.fund, result.subsidy, result.self_pay)

    actual = {(line.visit_id, line.item_id): (to_fen(line.amount), to_fen(line.fund), to_fen(line.subsidy),
                                              to_fen(line.self_pay))
              for line in ClaimLine.objects.filter(kind="visit")}
    assert actual == expected
    assert set(HeldVisit.objects.values_list("visit_id", flat=True)) == {pk for pk, ok in inside.items() if not ok}
    assert any(v[2] for v in actual.values()) and any(v[1] for v in actual.values())
    assert sum(Decimal(v[0]) for v in actual.values()) > 0
