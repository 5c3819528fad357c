"""Worked examples of entitlements and splits for each care level and economic category, the continuity
bonus, a mid-month level change, institutional care, and policy values changing on a date."""
import datetime as dt
from decimal import Decimal as D

import pytest

from carecircle.assessment.services import care_level_record_external
from carecircle.catalog.selectors import entitlement_for
from carecircle.catalog.services import quote
from carecircle.conftest import make_elder
from carecircle.core.policy import policy_label
from carecircle.core.services import policy_parameter_set


def level(elder, value, since, until=None):
    return care_level_record_external(elder=elder, programme="ltci", level=value, source="市评估系统报告（测试）",
                                      valid_from=since, valid_until=until, actor=None)


@pytest.fixture
def elder(policy, catalogue):
    return policy.elders.a1


@pytest.mark.parametrize("care_level,visits,minutes,cap", [
    (2, 3, 60, 180), (3, 3, 60, 180), (4, 5, 60, 300), (5, 7, 60, 420), (6, 7, 60, 420),
])
def test_entitlement_for_each_eligible_level(elder, care_level, visits, minutes, cap):
    level(elder, care_level, dt.date(2026, 11, 1))
    ent = entitlement_for(elder, on=dt.date(2026, 11, 20))
    assert (ent.care_level, ent.visits_per_week, ent.minutes_per_visit, ent.weekly_minutes_cap) == (
        care_level, visits, minutes, cap)
    assert any("长护险居家照护每周上门次数" in rule for rule in ent.rules)  # the parameter by its label


def test_no_entitlement_for_level_one_no_level_or_a_deceased_elder(elder, policy):
    assert entitlement_for(elder, on=dt.date(2026, 11, 20)) is None
    level(elder, 1, dt.date(2026, 11, 1))
    assert entitlement_for(elder, on=dt.date(2026, 11, 20)) is None
    other = policy.elders.a2
    level(other, 4, dt.date(2026, 11, 1))
    assert entitlement_for(other, on=dt.date(2026, 10, 31)) is None  # before the level starts
    other.status = "deceased"
    other.save()
    assert entitlement_for(other, on=dt.date(2026, 11, 20)) is None
    assert entitlement_for(elder, programme="gov_purchase", on=dt.date(2026, 11, 20)) is None


def test_continuity_bonus_tiers_for_level_five(elder):
    level(elder, 5, dt.date(2026, 1, 10))
    cases = [(dt.date(2026, 2, 9), 0, D("0.00")), (dt.date(2026, 2, 10), 60, D("40.00")),
             (dt.date(2026, 7, 10), 60, D("40.00")), (dt.date(2026, 7, 11), 120, D("80.00"))]
    for on, minutes, cash in cases:
        ent = entitlement_for(elder, on=on)
        assert (ent.continuity_bonus_minutes_per_month, ent.continuity_bonus_cash_per_month) == (minutes, cash), on
    assert any("超过 6 个月" in rule for rule in entitlement_for(elder, on=dt.date(2026, 9, 1)).rules)


def test_continuity_runs_across_level_five_to_six_but_a_level_four_breaks_it(policy, catalogue):
    steady = policy.elders.a1
    level(steady, 5, dt.date(2026, 1, 1))
    level(steady, 6, dt.date(2026, 4, 1))
    ent = entitlement_for(steady, on=dt.date(2026, 8, 1))
    assert ent.care_level == 6 and ent.continuous_since == dt.date(2026, 1, 1)
    assert ent.continuity_bonus_minutes_per_month == 120
    broken = policy.elders.a2
    level(broken, 5, dt.date(2026, 1, 1))
    level(broken, 4, dt.date(2026, 3, 1))
    level(broken, 5, dt.date(2026, 5, 1))
    ent = entitlement_for(broken, on=dt.date(2026, 8, 1))
    assert ent.continuous_since == dt.date(2026, 5, 1) and ent.continuity_bonus_minutes_per_month == 60


def test_level_four_gets_no_continuity_bonus(elder):
    level(elder, 4, dt.date(2025, 1, 1))
    ent = entitlement_for(elder, on=dt.date(2026, 11, 20))
    assert ent.continuity_bonus_minutes_per_month == 0 and ent.continuous_since is None


def test_mid_month_level_change(elder):
    level(elder, 4, dt.date(2026, 6, 1))
    level(elder, 5, dt.date(2026, 11, 16))
    before = entitlement_for(elder, on=dt.date(2026, 11, 15))
    after = entitlement_for(elder, on=dt.date(2026, 11, 16))
    assert (before.care_level, before.visits_per_week, before.weekly_minutes_cap) == (4, 5, 300)
    assert (after.care_level, after.visits_per_week, after.weekly_minutes_cap) == (5, 7, 420)
    assert after.continuous_since == dt.date(2026, 11, 16) and after.continuity_bonus_minutes_per_month == 0
    assert entitlement_for(elder, on=dt.date(2026, 12, 16)).continuity_bonus_minutes_per_month == 60
    # Both halves of the month are priced with the fund paying its share of a plan visit.
    for on in (dt.date(2026, 11, 15), dt.date(2026, 11, 16)):
        line = quote(elder=elder, on=on, lines=[("ltci-home-hour", 1)], basis="plan").lines[0]
        assert (line.fund, line.self_pay) == (D("40.50"), D("4.50"))


@pytest.mark.parametrize("category,care_level,subsidy,self_pay,budget_key", [
    ("general", 4, "0.00", "4.50", None),
    ("min_living", 4, "4.50", "0.00", "benefits.care_subsidy.monthly.min_living[4]"),
    ("low_income", 5, "4.50", "0.00", "benefits.care_subsidy.monthly.low_income[5]"),
    ("extreme_poverty", 2, "4.50", "0.00", "gov_purchase.monthly_budget[extreme_poverty]"),
    ("near_poverty", 3, "2.25", "2.25", "gov_purchase.monthly_budget[near_poverty]"),
])
def test_plan_visit_split_for_each_category(policy, catalogue, category, care_level, subsidy, self_pay, budget_key):
    person = make_elder(policy.a1, name="孙测试", economic_category=category, birth=dt.date(1941, 3, 3))
    level(person, care_level, dt.date(2026, 1, 1))
    q = quote(elder=person, on=dt.date(2026, 11, 20), lines=[("ltci-home-hour", 1)], basis="plan")
    [line] = q.lines
    assert (line.amount, line.fund, line.subsidy, line.self_pay) == (D("45.00"), D("40.50"), D(subsidy), D(self_pay))
    assert any("长护险基金支付比例" in rule and "90%" in rule for rule in line.rules)
    if budget_key:
        assert any(policy_label(budget_key) in rule for rule in line.rules)  # the parameter by its label
    assert q.entitlement.care_level == care_level


def test_low_income_level_budget_runs_out_on_plan_visits(policy, catalogue):
    person = make_elder(policy.a1, name="钱低收", economic_category="low_income", birth=dt.date(1942, 4, 4))
    level(person, 5, dt.date(2026, 1, 1))
    line = quote(elder=person, on=dt.date(2026, 11, 20), lines=[("ltci-nursing-hour", 2)], basis="plan",
                 subsidy_used=D("440.00")).lines[0]
    assert (line.amount, line.fund, line.subsidy, line.self_pay) == (D("150.00"), D("135.00"), D("4.00"),
                                                                     D("11.00"))


def test_institutional_care_uses_its_own_share(elder):
    level(elder, 4, dt.date(2026, 1, 1))
    line = quote(elder=elder, on=dt.date(2026, 11, 20), lines=[("ltci-home-hour", 1)], basis="plan",
                 setting="institution").lines[0]
    assert (line.fund, line.self_pay) == (D("38.25"), D("6.75"))
    assert any(policy_label("ltci.institution.fund_share") in rule for rule in line.rules)


def test_extra_order_by_the_family_is_self_pay_even_with_an_entitlement(elder):
    level(elder, 4, dt.date(2026, 1, 1))
    q = quote(elder=elder, on=dt.date(2026, 11, 20), lines=[("gb-bathing", 1)], basis="order")
    assert (q.total, q.fund, q.self_pay) == (D("80.00"), D("0.00"), D("80.00"))
    non_ltci_on_plan = quote(elder=elder, on=dt.date(2026, 11, 20), lines=[("gb-bathing", 1)], basis="plan")
    assert non_ltci_on_plan.fund == D("0.00")
    assert any("不属于长护险服务项目" in rule for rule in non_ltci_on_plan.lines[0].rules)


def test_entitlement_and_fund_share_changing_on_a_date(elder, users, policy):
    level(elder, 4, dt.date(2026, 1, 1))
    policy_parameter_set(actor=users.district_admin, key="ltci.home.fund_share", region=policy.district,
                         value="0.95", effective_from=dt.date(2027, 1, 1), source="医保局 2027 年调整通知",
                         confidence="official")
    policy_parameter_set(actor=users.district_admin, key="ltci.home.visits_per_week", region=policy.district,
                         value={"2": 3, "3": 4, "4": 6, "5": 7, "6": 7}, effective_from=dt.date(2027, 1, 1),
                         source="医保局 2027 年调整通知", confidence="official")
    old = quote(elder=elder, on=dt.date(2026, 12, 31), lines=[("ltci-home-hour", 1)], basis="plan").lines[0]
    new = quote(elder=elder, on=dt.date(2027, 1, 1), lines=[("ltci-home-hour", 1)], basis="plan").lines[0]
    assert (old.fund, old.self_pay) == (D("40.50"), D("4.50"))
    assert (new.fund, new.self_pay) == (D("42.75"), D("2.25"))
    assert entitlement_for(elder, on=dt.date(2026, 12, 31)).visits_per_week == 5
    assert entitlement_for(elder, on=dt.date(2027, 1, 1)).visits_per_week == 6


def test_entitlement_api_with_a_level(api_as, users, elder):
    level(elder, 5, dt.date(2026, 1, 10))
    body = api_as(users.provider_admin).get(f"/api/v1/entitlements/{elder.pk}/?date=2026-09-01").json()
    ent = body["entitlement"]
    assert (ent["care_level"], ent["visits_per_week"], ent["weekly_minutes_cap"],
            ent["continuity_bonus_minutes_per_month"], ent["continuity_bonus_cash_per_month"]) == (5, 7, 420, 120, "80.00")


def test_entitlement_segments_split_a_month_at_the_level_change(elder):
    from carecircle.catalog.selectors import entitlement_segments

    level(elder, 4, dt.date(2026, 6, 1))
    level(elder, 5, dt.date(2026, 11, 16))
    first, second = entitlement_segments(elder, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    assert (first.start, first.end, first.entitlement.care_level) == (dt.date(2026, 11, 1), dt.date(2026, 11, 15), 4)
    assert (second.start, second.end, second.entitlement.care_level) == (dt.date(2026, 11, 16),
                                                                         dt.date(2026, 11, 30), 5)
    [before] = entitlement_segments(elder, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31))
    assert before.entitlement is None
    gap = entitlement_segments(elder, start=dt.date(2026, 5, 20), end=dt.date(2026, 6, 10))
    assert [(s.start, s.entitlement and s.entitlement.care_level) for s in gap] == [
        (dt.date(2026, 5, 20), None), (dt.date(2026, 6, 1), 4)]
