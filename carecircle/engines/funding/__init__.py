"""Funding arithmetic: prices, the split of an amount between fund, subsidy and self-pay, entitlements.

Pure Python (no Django). Every number comes in as an argument — the caller reads the dated policy
parameters — and every amount goes out with the rules that produced it, as `Rule(code, params)`; the
caller turns a rule into words in the reader's language.

Money is Decimal yuan with two places, rounded half-up where a share is applied; the parts of a line
always add up to its amount (self-pay is what remains after fund and subsidy).
"""
from .entitlement import EntitlementResult, LevelPolicy, compute_entitlement, continuity_tier, months_completed
from .split import LineInput, LineSplit, Rule, SubsidyBudget, line_amount, money, split_lines

__all__ = [
    "EntitlementResult", "LevelPolicy", "LineInput", "LineSplit", "Rule", "SubsidyBudget",
    "compute_entitlement", "continuity_tier", "line_amount", "money", "months_completed", "split_lines",
]
