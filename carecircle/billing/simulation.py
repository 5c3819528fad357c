"""Policy simulation: what a period would have cost under other values (the home-care fund share, the weekly
hours of a care level), re-valued from the same verified visits by the same statement as the real run, side by
side with the policy in force, by payer and by street. Nothing is written that outlasts the call."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from carecircle.engines.settlement import to_yuan
from carecircle.regions.models import Region

from . import valuation

PAYERS = ("total", "fund", "subsidy", "self_pay")


@dataclass
class Figures:
    total: Decimal = Decimal("0.00")
    fund: Decimal = Decimal("0.00")
    subsidy: Decimal = Decimal("0.00")
    self_pay: Decimal = Decimal("0.00")
    lines: int = 0
    visits_beyond_cap: int = 0


@dataclass
class Comparison:
    start: dt.date
    end: dt.date
    overrides: valuation.Overrides
    baseline: Figures
    scenario: Figures
    streets: list = field(default_factory=list)  # (street name, baseline Figures, scenario Figures)


def _months(start: dt.date, count: int) -> list[dt.date]:
    months, month = [], start
    for _n in range(count):
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _value(region, months, overrides) -> tuple[Figures, dict]:
    total, by_street = Figures(), defaultdict(Figures)
    communities = {r.pk: r.parent_id for r in Region.objects.filter(path__startswith=region.path, kind="community")}
    streets = {r.pk: r.name for r in Region.objects.filter(path__startswith=region.path, kind="street")}
    for month in months:
        window = valuation.Window(region, month, valuation.month_end(month))
        tables = valuation.policy_tables(window, overrides=overrides)
        try:
            valuation.build_scratch(window, tables, include_claimed=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH {valuation.split_ctes()} SELECT x.community_id, SUM(x.amount_fen), SUM(x.fund_fen), "
                    "SUM(x.sub_fen), SUM(x.amount_fen - x.fund_fen - x.sub_fen), COUNT(*) FROM split x "
                    "GROUP BY x.community_id")
                rows = cursor.fetchall()
                cursor.execute(f"SELECT COUNT(DISTINCT visit_id) FROM {valuation.SCRATCH} WHERE hold = 'beyond_cap'")
                total.visits_beyond_cap += cursor.fetchone()[0]
        finally:
            valuation.drop_scratch()
        for community_id, amount, fund, subsidy, self_pay, lines in rows:
            street = streets.get(communities.get(community_id), "")
            for figures in (total, by_street[street]):
                figures.total += to_yuan(amount or 0)
                figures.fund += to_yuan(fund or 0)
                figures.subsidy += to_yuan(subsidy or 0)
                figures.self_pay += to_yuan(self_pay or 0)
                figures.lines += lines
    return total, by_street


def simulate(*, region, start: dt.date, months: int, overrides: valuation.Overrides) -> Comparison:
    """The period's verified visits valued twice: by the policy in force and with `overrides`."""
    periods = _months(start, months)
    with transaction.atomic():
        baseline, base_streets = _value(region, periods, None)
        scenario, scenario_streets = _value(region, periods, overrides)
        transaction.set_rollback(True)  # nothing of the scratch work is kept
    names = sorted(set(base_streets) | set(scenario_streets))
    return Comparison(periods[0], valuation.month_end(periods[-1]), overrides, baseline, scenario,
                      [(name, base_streets.get(name, Figures()), scenario_streets.get(name, Figures()))
                       for name in names])
