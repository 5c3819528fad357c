"""The bridge between the pure engine and the platform: region settings from policy, messages in words."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from carecircle.core.policy import MissingPolicyParameter, policy_value, specs
from carecircle.engines.scoring import ScoringError, instrument_codes, load_instrument, score


def problem_message(problem) -> str:
    if problem.code == "missing_item":
        return _("缺少评估项目 %(item)s 的作答") % {"item": problem.item}
    if problem.code == "unknown_item":
        return _("未知的评估项目代码“%(item)s”") % {"item": problem.item}
    if problem.code == "unknown_option":
        return _("评估项目 %(item)s 没有选项“%(value)s”（可选：%(allowed)s）") % {
            "item": problem.item, "value": problem.value, "allowed": problem.detail}
    if problem.code == "impossible_total":
        if problem.detail:
            return _("%(item)s 的总分 %(value)s 不可能出现或与作答不符（按作答应为 %(expected)s）") % {
                "item": problem.item, "value": problem.value, "expected": problem.detail}
        return _("%(item)s 的总分 %(value)s 不在任何分级区间内，请核对作答") % {
            "item": problem.item, "value": problem.value}
    if problem.code == "unknown_instrument":
        return _("未知的评估工具“%(code)s”（可选：%(allowed)s）") % {
            "code": problem.item, "allowed": "、".join(instrument_codes())}
    if problem.code == "bad_setting":
        return _("判定设置 %(item)s 的取值“%(value)s”无效（可选：%(allowed)s）") % {
            "item": problem.item, "value": problem.value, "allowed": problem.detail}
    if problem.value:
        return _("字段 %(item)s 的值“%(value)s”无效（应为：%(expected)s）") % {
            "item": problem.item, "value": problem.value, "expected": problem.detail}
    return _("字段 %(item)s 格式无效（应为：%(expected)s）") % {"item": problem.item, "expected": problem.detail}


def problems_by_field(error: ScoringError) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for problem in error.problems:
        key = problem.item or "non_field_errors"
        if problem.code in {"missing_item", "unknown_item", "unknown_option"}:
            key = f"answers.{problem.item}"
        result.setdefault(key, []).append(problem_message(problem))
    return result


def as_validation_error(error: ScoringError) -> ValidationError:
    return ValidationError({k: [ValidationError(m) for m in v] for k, v in problems_by_field(error).items()})


def setting_key(instrument_code: str, setting: str) -> str:
    return f"assessment.{instrument_code}.{setting}"


def region_settings(instrument_code: str, *, region, on: dt.date | None = None) -> dict:
    """The ambiguity settings in force for a region (policy), falling back to the instrument's defaults."""
    instrument = load_instrument(instrument_code)
    values = {}
    declared = specs()
    for name in instrument.settings:
        key = setting_key(instrument_code, name)
        if region is None or key not in declared:
            continue
        try:
            values[name] = policy_value(key, region=region, on=on)
        except MissingPolicyParameter:
            continue
    return values


def score_answers(instrument_code: str, payload: dict, *, region=None, on: dt.date | None = None) -> dict:
    """Score with the region's settings; a ValidationError naming every offending item otherwise."""
    try:
        return score(instrument_code, payload, region_settings(instrument_code, region=region, on=on)
                     if region is not None and instrument_code in instrument_codes() else None)
    except ScoringError as error:
        raise as_validation_error(error)
