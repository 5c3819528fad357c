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



def test_beyond_the_weekly_cap_is_held_unless_the_elder_confirmed_self_pay(district, priced):
    elder = district.elders.a1
    priced.level(elder, 2)  # level 2: 3 hours a week
    monday = dt.date(2026, 11, 2)
    visits = [priced.visit(elder, monday + dt.timedelta(days=i)) for i in range(4)]
    confirmed = priced.visit(elder, monday + dt.timedelta(days=4), funding="self_pay")
    run = settle(district)
    assert [len(lines_of(v)) for v in visits] == [1, 1, 1, 0]
    held = HeldVisit.objects.get()
    assert (held.visit_id, held.reason) == (visits[3].pk, "beyond_cap")
    [own] = lines_of(confirmed)
    assert (own.fund, own.subsidy, own.self_pay, own.self_pay_confirmed) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("45.00"), True)
    assert run.visits_held == 1 and run.visits_settled == 4


def test_a_week_across_two_months_counts_the_minutes_already_paid(district, priced):
    elder = district.elders.a1
    priced.level(elder, 2)
    october = [priced.visit(elder, dt.date(2026, 10, 27) + dt.timedelta(days=i)) for i in range(3)]  # Tue–Thu
    settle(district, month=dt.date(2026, 10, 1))
    assert all(lines_of(v) for v in october)
    november = priced.visit(elder, dt.date(2026, 11, 1))  # Sunday of the same week
    settle(district)
    assert lines_of(november) == []
    assert HeldVisit.objects.get(visit_id=november.pk).reason == "beyond_cap"


def test_min_living_subsidy_takes_the_self_pay_within_the_monthly_budget(district, priced):
    from carecircle.core.models import PolicyParameter

    elder = district.elders.a1
    elder.economic_category = "min_living"
    elder.save(update_fields=["economic_category"])
    priced.level(elder, 4)
    # A small budget for the example: 10.00 a month at level 4.
    PolicyParameter.objects.create(key="benefits.care_subsidy.monthly.min_living", region=district.district,
                                   value={"4": "10.00"}, effective_from=dt.date(2026, 1, 1), source="test",
                                   confidence="local")
    first = priced.visit(elder, dt.date(2026, 11, 3))
    second = priced.visit(elder, dt.date(2026, 11, 4))
    third = priced.visit(elder, dt.date(2026, 11, 5))
    settle(district)
    # 45.00: fund 40.50, self part 4.50 → subsidy 100 % wanted 4.50; budget 10.00: 4.50, 4.50, then 1.00.
    assert [(l.fund, l.subsidy, l.self_pay, l.subsidy_wanted) for v in (first, second, third) for l in lines_of(v)] == [
        (Decimal("40.50"), Decimal("4.50"), Decimal("0.00"), Decimal("4.50")),
        (Decimal("40.50"), Decimal("4.50"), Decimal("0.00"), Decimal("4.50")),
        (Decimal("40.50"), Decimal("1.00"), Decimal("3.50"), Decimal("4.50")),
    ]


def test_a_level_change_mid_month_and_a_death(district, priced):
    elder = district.elders.a1
    priced.level(elder, 4, until=dt.date(2026, 11, 14))
    priced.level(elder, 1, since=dt.date(2026, 11, 15))  # level 1: no LTCI home care
    before = priced.visit(elder, dt.date(2026, 11, 10))
    after = priced.visit(elder, dt.date(2026, 11, 16))
    other = district.elders.a2
    priced.level(other, 5)
    alive = priced.visit(other, dt.date(2026, 11, 5))
    on_the_day = priced.visit(other, dt.date(2026, 11, 9))
    late = priced.visit(other, dt.date(2026, 11, 12))
    other.status, other.status_date = "deceased", dt.date(2026, 11, 9)
    other.save(update_fields=["status", "status_date"])
    settle(district)
    assert len(lines_of(before)) == 1 and lines_of(after) == []
    assert HeldVisit.objects.get(visit_id=after.pk).reason == "no_entitlement"
    assert len(lines_of(alive)) == 1 and len(lines_of(on_the_day)) == 1
    assert HeldVisit.objects.get(visit_id=late.pk).reason == "after_death"


def test_a_held_visit_is_paid_by_the_next_run_once_resolved(district, priced):
    elder = district.elders.a1
    priced.level(elder, 4)
    held = priced.visit(elder, dt.date(2026, 11, 20), status="held")
    run = settle(district)
    assert run.visits_held == 1 and lines_of(held) == []
    held.status = "verified"
    held.save(update_fields=["status"])
    again = settle(district)
    assert again.pk == run.pk and again.visits_held == 1 and lines_of(held) == []  # November is closed
    december = settle(district, month=dt.date(2026, 12, 1))
    [line] = lines_of(held)
    assert line.claim.run == december and line.visit_date == dt.date(2026, 11, 20)
    assert december.visits_settled == 1


def test_settling_twice_changes_nothing_and_a_reopened_month_gives_the_same_figures(district, priced, users):
    from carecircle.billing.services import reopen_month, run_summary

    for elder, level in ((district.elders.a1, 4), (district.elders.a2, 2), (district.elders.b1, 6)):
        priced.level(elder, level)
        for day in range(2, 28, 2):
            priced.visit(elder, dt.date(2026, 11, day),
                         organisation=district.other_provider if elder == district.elders.b1 else None)
    first = run_summary(settle(district))
    count = ClaimLine.objects.count()
    assert run_summary(settle(district)) == first and ClaimLine.objects.count() == count
    reopen_month(actor=users.district_admin, run=settle(district), reason="核对护理员工时后重算")
    assert run_summary(settle(district)) == first and ClaimLine.objects.count() == count
    assert first["lines"] == count and Decimal(first["total"]) == sum(
        Decimal(first[k]) for k in ("fund", "subsidy", "self_pay"))


def test_items_recorded_as_not_done_are_not_paid(district, priced):
    from carecircle.catalog.models import ServiceItem
    from carecircle.visits.models import VisitItemResult

    elder = district.elders.a1
    priced.level(elder, 4)
    visit = priced.visit(elder, dt.date(2026, 11, 3), items=(("ltci-home-hour", "1"), ("ltci-b01", "1")))
    VisitItemResult.objects.create(visit=visit, item=ServiceItem.objects.get(code="ltci-b01"), done=False)
    settle(district)
    assert [line.item.code for line in lines_of(visit)] == ["ltci-home-hour"]


def test_a_contract_price_beats_the_policy_price(district, priced):
    from carecircle.catalog.models import ContractPrice, ServiceItem

    elder = district.elders.a1
    priced.level(elder, 4)
    ContractPrice.objects.create(organisation=district.provider, item=ServiceItem.objects.get(code="ltci-home-hour"),
                                 unit_price=Decimal("52.35"), effective_from=dt.date(2026, 11, 10))
    early = priced.visit(elder, dt.date(2026, 11, 9))
    late = priced.visit(elder, dt.date(2026, 11, 10), items=(("ltci-home-hour", "1.5"),))
    settle(district)
    [a], [b] = lines_of(early), lines_of(late)
    assert (a.unit_price, a.amount) == (Decimal("45.00"), Decimal("45.00"))
    # 52.35 × 1.5 = 78.525 → 78.53 (half-up); fund 90 % = 70.677 → 70.68; self-pay 7.85.
    assert (b.unit_price, b.amount, b.fund, b.self_pay) == (Decimal("52.35"), Decimal("78.53"), Decimal("70.68"),
                                                            Decimal("7.85"))


@pytest.mark.parametrize("month, message", [("2026-13", "YYYY-MM"), ("november", "YYYY-MM"), ("2027-01", "尚未开始")])
def test_bad_months_are_refused(district, priced, month, message):
    from django.core.exceptions import ValidationError

    from carecircle.billing.services import settle_month
    from carecircle.core.validators import parse_month

    with pytest.raises(ValidationError) as error:
        settle_month(actor=None, region=district.district, month=parse_month(month))
    assert message in str(error.value)
    with pytest.raises(ValidationError):
        settle_month(actor=None, region=district.street_a, month=dt.date(2026, 11, 1))


def test_simulation_revalues_the_same_visits_without_touching_the_run(district, priced):
    from carecircle.billing.simulation import simulate
    from carecircle.billing.valuation import Overrides

    elder = district.elders.a1
    priced.level(elder, 4)  # 5 hours a week
    for day in (2, 3, 4, 5, 6, 7):  # six hours in one week: the sixth is beyond the cap
        priced.visit(elder, dt.date(2026, 11, day))
    run = settle(district)
    lines = ClaimLine.objects.count()
    result = simulate(region=district.district, start=dt.date(2026, 11, 1), months=1,
                      overrides=Overrides(fund_share=Decimal("0.85"), weekly_hours={4: 6}))
    assert (result.baseline.total, result.baseline.fund, result.baseline.self_pay) == (
        Decimal("225.00"), Decimal("202.50"), Decimal("22.50"))
    assert result.baseline.visits_beyond_cap == 1 and result.scenario.visits_beyond_cap == 0
    # Six hours at 85 %: 45.00 × 0.85 = 38.25 each.
    assert (result.scenario.total, result.scenario.fund, result.scenario.self_pay) == (
        Decimal("270.00"), Decimal("229.50"), Decimal("40.50"))
    assert [name for name, _b, _s in result.streets] == ["天平路街道"]
    assert ClaimLine.objects.count() == lines and run.total == Decimal("225.00")


@pytest.mark.parametrize("level, hours", [(2, 3), (3, 3), (4, 5), (5, 7), (6, 7)])
def test_each_level_is_paid_up_to_its_weekly_hours(district, priced, level, hours):
    elder = district.elders.a1
    priced.level(elder, level)
    monday = dt.date(2026, 11, 9)
    visits = [priced.visit(elder, monday + dt.timedelta(days=day % 7), at=dt.time(8 + day // 7 * 3))
              for day in range(hours + 1)]
    run = settle(district)
    paid = [v for v in visits if lines_of(v)]
    assert len(paid) == hours and HeldVisit.objects.get().reason == "beyond_cap"
    for visit in paid:
        [line] = lines_of(visit)
        assert (line.amount, line.fund, line.self_pay) == (Decimal("45.00"), Decimal("40.50"), Decimal("4.50"))
    assert run.total == Decimal("45.00") * hours


def test_level_one_has_no_ltci_home_care(district, priced):
    elder = district.elders.a1
    priced.level(elder, 1)
    visit = priced.visit(elder, dt.date(2026, 11, 3))
    settle(district)
    assert lines_of(visit) == [] and HeldVisit.objects.get().reason == "no_entitlement"


def test_government_purchase_plan_for_an_elder_in_extreme_poverty(district, priced):
    elder = district.elders.b1
    elder.economic_category = "extreme_poverty"
    elder.save(update_fields=["economic_category"])
    visits = [priced.visit(elder, dt.date(2026, 11, day), programme="gov_purchase",
                           organisation=district.other_provider, items=(("gb-cleaning", "2"),))
              for day in range(2, 30, 3)]  # ten visits of two hours' cleaning
    run = settle(district)
    lines = [line for v in visits for line in lines_of(v)]
    # The item table's 40.00 an hour × 2 = 80.00 a visit; no fund (not LTCI); the subsidy pays 100 % of it within
    # the 400.00 budget: the first five visits, then nothing.
    assert [line.subsidy for line in lines] == [Decimal("80.00")] * 5 + [Decimal("0.00")] * 5
    assert all(line.fund == Decimal("0.00") and line.amount == Decimal("80.00") for line in lines)
    assert run.subsidy == Decimal("400.00") and run.self_pay == Decimal("400.00")
    claim = lines[0].claim
    assert (claim.programme, claim.organisation) == ("gov_purchase", district.other_provider)
