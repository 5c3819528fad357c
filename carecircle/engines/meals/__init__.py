"""Meal subsidy arithmetic for community canteens: the diner's subsidy class, and the split of a meal's price
into subsidy and self-pay within the per-day and per-week caps.

Pure Python (no Django). Every number comes in as an argument — the caller reads the dated policy parameters
and the diner's subsidies already granted — and every amount goes out with the rules that produced it, as
`Rule(code, params)`; the caller turns a rule into words in the reader's language.
"""
from .subsidy import (
    DinerFacts, MealPolicy, MealSplit, Rule, SubsidyClass, UsedSubsidy, age_on, classify, money, split_meal,
)

__all__ = ["DinerFacts", "MealPolicy", "MealSplit", "Rule", "SubsidyClass", "UsedSubsidy", "age_on", "classify",
           "money", "split_meal"]
