"""Price × quantity, then fund share, then subsidy share (within a monthly budget), then self-pay."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    """Why an amount is what it is: a stable code and the values it used (policy keys included)."""

    code: str
    params: dict = field(default_factory=dict)


def line_amount(unit_price: Decimal, quantity: Decimal) -> Decimal:
    if unit_price < 0:
        raise ValueError("unit price must not be negative")
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return money(Decimal(unit_price) * Decimal(quantity))


@dataclass(frozen=True)
class LineInput:
    """One priced line. `fund_share` None = no fund pays (with `fund_rule` saying why);
    `subsidised` False = the subsidy does not apply to this item (with `subsidy_rule` saying why)."""

    key: str
    amount: Decimal
    fund_share: Decimal | None = None
    fund_rule: Rule | None = None
    subsidised: bool = False
    subsidy_rule: Rule | None = None


@dataclass
class SubsidyBudget:
    """A share of the self-pay part, paid by the government up to what is left of a monthly budget."""

    share: Decimal
    monthly_budget: Decimal
    used: Decimal = ZERO
    share_rule: Rule | None = None
    budget_rule: Rule | None = None

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, money(self.monthly_budget - self.used))


@dataclass
class LineSplit:
    key: str
    amount: Decimal
    fund: Decimal
    subsidy: Decimal
    self_pay: Decimal
    rules: list[Rule]


def _check_ratio(value: Decimal, name: str):
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"{name} must lie between 0 and 1")


def split_lines(lines: list[LineInput], *, subsidy: SubsidyBudget | None = None) -> list[LineSplit]:
    """Split each line; the subsidy budget is consumed line by line in the order given."""
    if subsidy is not None:
        _check_ratio(subsidy.share, "subsidy share")
        if subsidy.monthly_budget < 0 or subsidy.used < 0:
            raise ValueError("subsidy budget and used amount must not be negative")
    remaining = subsidy.remaining if subsidy is not None else ZERO
    result = []
    for line in lines:
        amount = money(line.amount)
        if amount < 0:
            raise ValueError("amount must not be negative")
        rules: list[Rule] = []
        if line.fund_share is not None:
            _check_ratio(line.fund_share, "fund share")
            fund = money(amount * line.fund_share)
            rules.append(line.fund_rule or Rule("fund.share", {"share": line.fund_share}))
        else:
            fund = ZERO
            if line.fund_rule is not None:
                rules.append(line.fund_rule)
        after_fund = amount - fund
        granted = ZERO
        if subsidy is None or not line.subsidised:
            if line.subsidy_rule is not None:
                rules.append(line.subsidy_rule)
        elif after_fund > 0:
            wanted = money(after_fund * subsidy.share)
            granted = min(wanted, remaining)
            remaining -= granted
            if subsidy.share_rule is not None:
                rules.append(subsidy.share_rule)
            if granted < wanted:
                rules.append(Rule("subsidy.budget_exhausted", {
                    "wanted": wanted, "granted": granted, "budget": money(subsidy.monthly_budget),
                    "used": money(subsidy.used),
                }))
            elif subsidy.budget_rule is not None:
                rules.append(subsidy.budget_rule)
        self_pay = amount - fund - granted
        rules.append(Rule("self_pay.remainder", {"amount": amount, "fund": fund, "subsidy": granted,
                                                 "self_pay": self_pay}))
        result.append(LineSplit(line.key, amount, fund, granted, self_pay, rules))
    return result
