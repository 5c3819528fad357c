"""The waiting-list rule: priority categories (configurable), then assessed level, then application date.

Every position comes with its explanation, in words, naming the rule and the elder's values."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy

from carecircle.core.policy import policy_value
from carecircle.elders.identity import age_on

CATEGORY_LABELS = {
    "extreme_poverty": gettext_lazy("特困"),
    "advanced_age_alone": gettext_lazy("高龄独居"),
    "min_living": gettext_lazy("低保"),
    "near_poverty": gettext_lazy("低保边缘"),
    "low_income": gettext_lazy("低收入"),
    "alone": gettext_lazy("独居"),
    "advanced_age": gettext_lazy("高龄"),
}


def _matches(category: str, elder, *, advanced_age: int, on: dt.date) -> bool:
    old = age_on(elder.birth_date, on) >= advanced_age
    alone = elder.household_type == "alone"
    return {
        "extreme_poverty": elder.economic_category == "extreme_poverty",
        "advanced_age_alone": old and alone,
        "min_living": elder.economic_category == "min_living",
        "near_poverty": elder.economic_category == "near_poverty",
        "low_income": elder.economic_category == "low_income",
        "alone": alone,
        "advanced_age": old,
    }.get(category, False)


def category_label(code: str) -> str:
    """A priority category in the reader's language ("" is "none")."""
    if not code:
        return _("无优先类别")
    return str(CATEGORY_LABELS.get(code, _("其他优先类别")))


def priority_of(elder, *, region, on: dt.date) -> tuple[int, str]:
    """(group, category code): group 1 is the first listed category the elder belongs to; none ("") → after
    all of them."""
    categories = policy_value("intake.waitlist.priority_categories", region=region, on=on)
    advanced_age = policy_value("intake.waitlist.advanced_age", region=region, on=on)
    for index, category in enumerate(categories, start=1):
        if _matches(category, elder, advanced_age=advanced_age, on=on):
            return index, category
    return len(categories) + 1, ""


def _key(entry, order: list[str]):
    parts = []
    for rule in order:
        if rule == "priority":
            parts.append(entry.priority_group)
        elif rule == "level":
            parts.append(-(entry.level or 0))
        elif rule == "applied":
            parts.append(entry.applied_on)
    parts.append(entry.application_id)
    return tuple(parts)


def rule_text(order: list[str]) -> str:
    words = {"priority": _("优先类别（特困、高龄独居等按规定先后）"), "level": _("评估等级（高者在前）"),
             "applied": _("申请日期（早者在前）")}
    return _("排序规则：依次比较%(rules)s，最后按申请编号。") % {"rules": pgettext("list separator", "、").join(words[r] for r in order if r in words)}


def queue_rule(kind, *, on: dt.date) -> str:
    """A type's waiting-list order in words, as the policy in force for the type's region sets it."""
    return rule_text(policy_value("intake.waitlist.order", region=kind.region, on=on))


def explain(entry) -> str:
    from .texts import waitlist_explanation

    return waitlist_explanation(entry)


def rank_entries(entries, *, region, on: dt.date):
    """[(entry, explanation)] in waiting order."""
    order = policy_value("intake.waitlist.order", region=region, on=on)
    text = rule_text(order)
    return [(entry, explain(entry) + text) for entry in sorted(entries, key=lambda e: _key(e, order))]
