import datetime as dt
from decimal import Decimal as D

import pytest

from carecircle.engines.funding import (
    LevelPolicy, LineInput, Rule, SubsidyBudget, compute_entitlement, continuity_tier, line_amount, money,
    months_completed, split_lines,
)

SH = LevelPolicy(
    eligible_levels=(2, 3, 4, 5, 6),
    visits_per_week={"2": 3, "3": 3, "4": 5, "5": 7, "6": 7},
    hours_per_visit=D("1"),
    weekly_hours_cap={"2": 3, "3": 3, "4": 5, "5": 7, "6": 7},
    bonus_levels=(5, 6),
    bonus_first_tier_months=6,
    bonus_hours_per_month={"first": 1, "second": 2},
    bonus_cash_per_month={"first": D("40.00"), "second": D("80.00")},
)
ON = dt.date(2026, 11, 20)


def test_money_rounds_half_up_and_refuses_float():
    assert money(D("0.005")) == D("0.01")
    assert money(D("2.345")) == D("2.35")
    with pytest.raises(TypeError):
        money(1.5)


def test_line_amount_and_bad_input():
    assert line_amount(D("45.00"), D("1.5")) == D("67.50")
    with pytest.raises(ValueError):
        line_amount(D("45.00"), D("0"))
    with pytest.raises(ValueError):
        line_amount(D("-1"), D("1"))


@pytest.mark.parametrize("level,visits,cap", [(2, 3, 180), (3, 3, 180), (4, 5, 300), (5, 7, 420), (6, 7, 420)])
def test_entitlement_by_level(level, visits, cap):
    result = compute_entitlement(level, SH, on=ON)
    assert (result.visits_per_week, result.minutes_per_visit, result.weekly_minutes_cap) == (visits, 60, cap)
    assert result.continuity_bonus_minutes_per_month == 0
    assert [r.code for r in result.rules][:3] == ["entitlement.visits", "entitlement.hours_per_visit",
                                                  "entitlement.weekly_cap"]


def test_level_one_and_unknown_levels_have_no_entitlement():
    assert compute_entitlement(1, SH, on=ON) is None
    assert compute_entitlement(7, SH, on=ON) is None


def test_eligible_level_without_values_is_a_policy_error():
    broken = LevelPolicy(eligible_levels=(2,), visits_per_week={}, hours_per_visit=D("1"), weekly_hours_cap={})
    with pytest.raises(ValueError):
        compute_entitlement(2, broken, on=ON)


def test_months_completed():
    assert months_completed(dt.date(2026, 1, 15), dt.date(2026, 2, 14)) == 0
    assert months_completed(dt.date(2026, 1, 15), dt.date(2026, 2, 15)) == 1
    assert months_completed(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 1  # month end clamps
    assert months_completed(dt.date(2026, 3, 1), dt.date(2026, 2, 1)) == 0


def test_continuity_tiers_at_the_boundaries():
    since = dt.date(2026, 1, 10)
    assert continuity_tier(since, dt.date(2026, 2, 9), 6) == ("", 0)
    assert continuity_tier(since, dt.date(2026, 2, 10), 6) == ("first", 1)
    assert continuity_tier(since, dt.date(2026, 7, 10), 6) == ("first", 6)  # 含6个月
    assert continuity_tier(since, dt.date(2026, 7, 11), 6) == ("second", 6)  # 超过6个月
    assert continuity_tier(None, ON, 6) == ("", 0)


def test_continuity_bonus_for_levels_five_and_six_only():
    since = dt.date(2026, 1, 1)
    level5 = compute_entitlement(5, SH, on=dt.date(2026, 3, 1), continuous_since=since)
    assert (level5.continuity_tier, level5.continuity_bonus_minutes_per_month,
            level5.continuity_bonus_cash_per_month) == ("first", 60, D("40.00"))
    level6 = compute_entitlement(6, SH, on=dt.date(2026, 9, 1), continuous_since=since)
    assert (level6.continuity_tier, level6.continuity_bonus_minutes_per_month,
            level6.continuity_bonus_cash_per_month) == ("second", 120, D("80.00"))
    level4 = compute_entitlement(4, SH, on=dt.date(2026, 9, 1), continuous_since=since)
    assert level4.continuity_bonus_minutes_per_month == 0 and level4.continuity_tier == ""
    fresh = compute_entitlement(5, SH, on=dt.date(2026, 1, 20), continuous_since=since)
    assert fresh.continuity_bonus_minutes_per_month == 0
    assert fresh.rules[-1].code == "entitlement.bonus_not_yet"


def _codes(split):
    return [r.code for r in split.rules]


def test_ltci_fund_ninety_percent_rest_self_pay():
    [line] = split_lines([LineInput("a", D("45.00"), fund_share=D("0.90"))])
    assert (line.fund, line.subsidy, line.self_pay) == (D("40.50"), D("0.00"), D("4.50"))
    assert line.fund + line.subsidy + line.self_pay == line.amount
    assert _codes(line) == ["fund.share", "self_pay.remainder"]


def test_rounding_keeps_parts_adding_up():
    [line] = split_lines([LineInput("a", D("33.33"), fund_share=D("0.85"))])
    assert line.fund == D("28.33")  # 28.3305 → 28.33
    assert line.self_pay == D("5.00")
    assert line.fund + line.subsidy + line.self_pay == D("33.33")


def test_subsidy_share_within_budget_and_exhausted():
    budget = SubsidyBudget(share=D("1"), monthly_budget=D("100.00"), used=D("40.00"),
                           share_rule=Rule("subsidy.share", {}), budget_rule=Rule("subsidy.budget", {}))
    first, second = split_lines([
        LineInput("a", D("50.00"), subsidised=True),
        LineInput("b", D("50.00"), subsidised=True),
    ], subsidy=budget)
    assert (first.subsidy, first.self_pay) == (D("50.00"), D("0.00"))
    assert (second.subsidy, second.self_pay) == (D("10.00"), D("40.00"))
    assert "subsidy.budget_exhausted" in _codes(second)


def test_subsidy_on_self_pay_part_after_fund():
    budget = SubsidyBudget(share=D("0.5"), monthly_budget=D("1000.00"))
    [line] = split_lines([LineInput("a", D("45.00"), fund_share=D("0.90"), subsidised=True)], subsidy=budget)
    assert (line.fund, line.subsidy, line.self_pay) == (D("40.50"), D("2.25"), D("2.25"))


def test_unsubsidised_line_keeps_its_reason_and_budget_used_beyond_total():
    reason = Rule("subsidy.not_applicable", {"item": "x"})
    budget = SubsidyBudget(share=D("1"), monthly_budget=D("100.00"), used=D("150.00"))
    assert budget.remaining == D("0.00")
    a, b = split_lines([LineInput("a", D("20.00"), subsidised=False, subsidy_rule=reason),
                        LineInput("b", D("20.00"), subsidised=True)], subsidy=budget)
    assert a.subsidy == D("0.00") and reason in a.rules
    assert b.subsidy == D("0.00") and b.self_pay == D("20.00")


def test_bad_shares_are_refused():
    with pytest.raises(ValueError):
        split_lines([LineInput("a", D("1.00"), fund_share=D("1.2"))])
    with pytest.raises(ValueError):
        split_lines([LineInput("a", D("1.00"))], subsidy=SubsidyBudget(share=D("-0.1"), monthly_budget=D("1")))


def test_engine_imports_no_django():
    import carecircle.engines.funding.entitlement as e
    import carecircle.engines.funding.split as s

    for module in (e, s):
        source = open(module.__file__, encoding="utf-8").read()
        assert "django" not in source
