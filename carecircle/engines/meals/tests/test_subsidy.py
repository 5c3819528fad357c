import datetime as dt
from decimal import Decimal as D

import pytest

from carecircle.engines.meals import DinerFacts, MealPolicy, UsedSubsidy, age_on, classify, split_meal

POLICY = MealPolicy(
    min_age=60, senior_age=80, hardship_categories=("min_living", "low_income", "extreme_poverty"),
    registrations=("local", "resident"),
    daily_amount={"A": D("6"), "B": D("2"), "C": D("3")},
    weekly_cap={"A": D("30"), "B": D("10"), "C": D("15")},
    min_spend=D("15"), delivery_amount=D("4"), delivery_min_level=2,
)
ON = dt.date(2026, 12, 7)


def facts(birth=dt.date(1950, 1, 1), category="general", registration="local", status="active", level=None):
    return DinerFacts(birth, category, registration, status, level)


def test_age_counts_the_birthday_itself():
    assert age_on(dt.date(1946, 12, 7), ON) == 80
    assert age_on(dt.date(1946, 12, 8), ON) == 79


@pytest.mark.parametrize(("birth", "category", "expected"), [
    (dt.date(1966, 12, 7), "general", "B"),  # 60 today
    (dt.date(1966, 12, 8), "general", ""),  # 60 tomorrow
    (dt.date(1946, 12, 7), "general", "C"),  # 80 today
    (dt.date(1946, 12, 8), "general", "B"),  # 80 tomorrow
    (dt.date(1946, 12, 7), "min_living", "A"),
    (dt.date(1966, 12, 8), "min_living", ""),  # hardship below the minimum age
])
def test_class_boundaries(birth, category, expected):
    assert classify(facts(birth, category), POLICY, on=ON)[0] == expected


@pytest.mark.parametrize(("status", "code"), [("deceased", "meals.status"), ("moved_out", "meals.status")])
def test_no_class_for_the_deceased_or_moved_away_with_the_reason(status, code):
    cls, rules = classify(facts(status=status), POLICY, on=ON)
    assert cls == "" and rules[0].code == code and rules[0].params["status"] == status


def test_no_class_without_registration_or_for_an_unlisted_residence():
    assert classify(None, POLICY, on=ON) == ("", classify(None, POLICY, on=ON)[1])
    assert classify(None, POLICY, on=ON)[1][0].code == "meals.not_registered"
    assert classify(facts(registration="visitor"), POLICY, on=ON)[0] == ""


def test_split_adds_up_and_pays_the_daily_amount():
    split = split_meal([(D("12.50"), 1), (D("3.25"), 2)], facts(category="low_income"), POLICY, on=ON)
    assert split.total == D("19.00") and split.subsidy == D("6.00") and split.self_pay == D("13.00")
    assert split.subsidy + split.delivery_subsidy + split.self_pay == split.total
    assert [r.code for r in split.rules] == ["meals.class_a", "meals.daily_amount"]


def test_below_the_minimum_spend_no_dine_in_subsidy():
    split = split_meal([(D("14.99"), 1)], facts(), POLICY, on=ON)
    assert split.subsidy == D("0.00") and split.self_pay == D("14.99")
    assert split.rules[-1].code == "meals.below_min_spend"
    assert split_meal([(D("15.00"), 1)], facts(), POLICY, on=ON).subsidy == D("2.00")


def test_daily_cap_exactly_reached_then_one_over():
    used = UsedSubsidy(today=D("4.00"))
    assert split_meal([(D("20"), 1)], facts(category="min_living"), POLICY, on=ON, used=used).subsidy == D("2.00")
    used = UsedSubsidy(today=D("6.00"))
    split = split_meal([(D("20"), 1)], facts(category="min_living"), POLICY, on=ON, used=used)
    assert split.subsidy == D("0.00") and split.rules[-1].code == "meals.cap_reached"


def test_weekly_cap_exactly_reached_and_partly_left():
    split = split_meal([(D("20"), 1)], facts(), POLICY, on=ON, used=UsedSubsidy(this_week=D("9.00")))
    assert split.subsidy == D("1.00") and "meals.weekly_cap" in [r.code for r in split.rules]
    split = split_meal([(D("20"), 1)], facts(), POLICY, on=ON, used=UsedSubsidy(this_week=D("10.00")))
    assert split.subsidy == D("0.00")


def test_one_subsidised_meal_per_meal_time():
    split = split_meal([(D("20"), 1)], facts(), POLICY, on=ON, used=UsedSubsidy(meal_time_taken=True))
    assert split.subsidy == D("0.00") and split.rules[-1].code == "meals.meal_time_taken"


def test_delivery_subsidy_from_level_two():
    split = split_meal([(D("10"), 1)], facts(level=2), POLICY, on=ON, delivery=True)
    assert (split.subsidy, split.delivery_subsidy, split.self_pay) == (D("2.00"), D("4.00"), D("4.00"))
    split = split_meal([(D("10"), 1)], facts(level=1), POLICY, on=ON, delivery=True)
    assert split.delivery_subsidy == D("0.00") and split.rules[-1].code == "meals.delivery_not_eligible"


def test_subsidy_never_exceeds_the_meal():
    split = split_meal([(D("1.00"), 1)], facts(category="min_living", level=3), POLICY, on=ON, delivery=True)
    assert (split.subsidy, split.delivery_subsidy, split.self_pay) == (D("1.00"), D("0.00"), D("0.00"))


@pytest.mark.parametrize("lines", [[(D("-1"), 1)], [(D("1"), 0)], [(D("1"), 1.5)]])
def test_bad_lines_are_refused(lines):
    with pytest.raises(ValueError):
        split_meal(lines, facts(), POLICY, on=ON)


def test_minimum_spend_counts_the_day_so_far():
    used = UsedSubsidy(spent_today=D("8.00"))
    assert split_meal([(D("7.00"), 1)], facts(), POLICY, on=ON, used=used).subsidy == D("2.00")
    used = UsedSubsidy(spent_today=D("7.99"))
    assert split_meal([(D("7.00"), 1)], facts(), POLICY, on=ON, used=used).subsidy == D("0.00")
