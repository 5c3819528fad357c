"""Who gets which meal subsidy, and how much of one meal it pays.

Classes follow the district rule the policy describes: class A — an elder of at least `min_age` in economic
hardship (minimum living allowance, low income, extreme poverty …); class C — an elder of at least
`senior_age`; class B — every other elder of at least `min_age`. The amounts are per person and day; a week's
subsidy is capped too, and one meal time (breakfast, lunch, dinner) is subsidised at most once a day. A
delivered meal adds the delivery subsidy for elders at or above the policy's care level, also once a day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from carecircle.engines.funding import Rule, money

ZERO = Decimal("0.00")

__all__ = ["DinerFacts", "MealPolicy", "MealSplit", "Rule", "SubsidyClass", "UsedSubsidy", "age_on", "classify",
           "money", "split_meal"]


class SubsidyClass:
    A = "A"
    B = "B"
    C = "C"
    NONE = ""


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years on `day`: the birthday itself counts (born 1946-12-07 is 80 on 2026-12-07)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class MealPolicy:
    """The policy values in force on the meal's date (read by the caller from the dated parameters)."""

    min_age: int
    senior_age: int
    hardship_categories: tuple[str, ...]
    registrations: tuple[str, ...]
    daily_amount: dict  # class -> Decimal yuan a day
    weekly_cap: dict  # class -> Decimal yuan a week
    min_spend: Decimal  # the dine-in subsidy applies once the day's spending (this meal included) reaches it
    delivery_amount: Decimal  # yuan a day towards delivery
    delivery_min_level: int


@dataclass(frozen=True)
class DinerFacts:
    """What the register says about the diner on the meal's date."""

    birth_date: dt.date
    economic_category: str
    registration: str
    status: str  # "active" | "moved_out" | "deceased" | "merged"
    care_level: int | None = None


@dataclass(frozen=True)
class UsedSubsidy:
    """Subsidies the diner was already granted (net of refunds)."""

    today: Decimal = ZERO
    this_week: Decimal = ZERO
    meal_time_taken: bool = False  # this meal time of this day is already subsidised
    delivery_today: Decimal = ZERO
    spent_today: Decimal = ZERO  # dine-in spending of the day so far (all canteens, net of refunds)


@dataclass
class MealSplit:
    total: Decimal
    subsidy: Decimal
    delivery_subsidy: Decimal
    self_pay: Decimal
    subsidy_class: str
    rules: list[Rule] = field(default_factory=list)


def classify(facts: DinerFacts | None, policy: MealPolicy, *, on: dt.date) -> tuple[str, list[Rule]]:
    """The diner's class on `on` and the rule that decided it; "" with the reason when none applies."""
    if facts is None:
        return SubsidyClass.NONE, [Rule("meals.not_registered")]
    if facts.status != "active":
        return SubsidyClass.NONE, [Rule("meals.status", {"status": facts.status})]
    if facts.registration not in policy.registrations:
        return SubsidyClass.NONE, [Rule("meals.registration", {"registration": facts.registration})]
    age = age_on(facts.birth_date, on)
    if age < policy.min_age:
        return SubsidyClass.NONE, [Rule("meals.too_young", {"age": age, "min_age": policy.min_age})]
    if facts.economic_category in policy.hardship_categories:
        return SubsidyClass.A, [Rule("meals.class_a", {"age": age, "category": facts.economic_category,
                                                        "min_age": policy.min_age})]
    if age >= policy.senior_age:
        return SubsidyClass.C, [Rule("meals.class_c", {"age": age, "senior_age": policy.senior_age})]
    return SubsidyClass.B, [Rule("meals.class_b", {"age": age, "min_age": policy.min_age,
                                                    "senior_age": policy.senior_age})]


def _line_total(lines) -> Decimal:
    total = ZERO
    for unit_price, quantity in lines:
        unit_price = Decimal(unit_price)
        if unit_price < 0:
            raise ValueError("unit price must not be negative")
        if int(quantity) != quantity or quantity <= 0:
            raise ValueError("quantity must be a positive whole number")
        total += (unit_price * int(quantity)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return money(total)


def split_meal(lines, facts: DinerFacts | None, policy: MealPolicy, *, on: dt.date, delivery: bool = False,
               used: UsedSubsidy = UsedSubsidy()) -> MealSplit:
    """Price the lines (unit price, quantity), then the subsidy within every cap, then self-pay.

    The parts always add up: total = subsidy + delivery subsidy + self-pay, none negative."""
    total = _line_total(lines)
    subsidy_class, rules = classify(facts, policy, on=on)
    split = MealSplit(total=total, subsidy=ZERO, delivery_subsidy=ZERO, self_pay=total,
                      subsidy_class=subsidy_class, rules=list(rules))
    if not subsidy_class:
        return split
    if used.meal_time_taken:
        split.rules.append(Rule("meals.meal_time_taken"))
        return split
    if not delivery and money(used.spent_today) + total < policy.min_spend:
        split.rules.append(Rule("meals.below_min_spend", {"min_spend": money(policy.min_spend),
                                                           "total": money(used.spent_today) + total}))
        return split
    daily = money(policy.daily_amount[subsidy_class])
    weekly = money(policy.weekly_cap[subsidy_class])
    left_today = max(ZERO, daily - money(used.today))
    left_week = max(ZERO, weekly - money(used.this_week))
    subsidy = min(left_today, left_week, total)
    split.rules.append(Rule("meals.daily_amount", {"class": subsidy_class, "amount": daily,
                                                    "used": money(used.today)}))
    if left_week < left_today:
        split.rules.append(Rule("meals.weekly_cap", {"class": subsidy_class, "amount": weekly,
                                                      "used": money(used.this_week)}))
    if subsidy == ZERO:
        split.rules.append(Rule("meals.cap_reached"))
    split.subsidy = subsidy
    rest = total - subsidy
    if delivery:
        level = facts.care_level
        if level is not None and level >= policy.delivery_min_level:
            left = max(ZERO, money(policy.delivery_amount) - money(used.delivery_today))
            split.delivery_subsidy = min(left, rest)
            split.rules.append(Rule("meals.delivery", {"level": level, "amount": money(policy.delivery_amount),
                                                        "min_level": policy.delivery_min_level}))
        else:
            split.rules.append(Rule("meals.delivery_not_eligible", {"level": level,
                                                                     "min_level": policy.delivery_min_level}))
    split.self_pay = total - subsidy - split.delivery_subsidy
    return split
