"""Turning the engine's structured result into sentences in the reader's language."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext

RULE_NAMES = {
    "coma": gettext_lazy("昏迷者直接评定"),
    "dementia": gettext_lazy("确诊痴呆（F00–F03）提高一级"),
    "mental_disorder": gettext_lazy("确诊其他精神和行为障碍（F04–F99）提高一级"),
    "risk_events": gettext_lazy("近30天照护风险事件2次及以上提高一级"),
    "dementia_or_mental": gettext_lazy("有认知障碍/痴呆、精神疾病者提高一级"),
    "accidents": gettext_lazy("近30天意外事件2次及以上提高一级"),
}

NOTES = {
    "coma": gettext_lazy("已按昏迷直接评定，不再提高"),
    "already_severe": gettext_lazy("初步等级已为重度失能，不再提高"),
}


# What the engine names as evidence, in words: risk events ("fall=2"), the coma answer, item numbers.
EVIDENCE_EVENTS = {
    "fall": gettext_lazy("跌倒"), "wander": gettext_lazy("走失"), "choke": gettext_lazy("噎食"),
    "self_harm": gettext_lazy("自杀、自伤"), "other": gettext_lazy("其他风险事件"),
}
EVIDENCE_WORDS = {
    "coma": gettext_lazy("昏迷"),
    "sense.consciousness": gettext_lazy("意识水平：昏迷"),
    "A.5.11": gettext_lazy("昏迷"),
    "B.3.9": gettext_lazy("意识水平：昏迷"),
}


def rule_name(code: str) -> str:
    return str(RULE_NAMES.get(code, code))


def evidence_text(item: str) -> str:
    """One piece of evidence in words: "fall=2" is "跌倒 2 次"; diagnosis codes (F01) stay as they are."""
    kind, sep, count = str(item).partition("=")
    if sep and kind in EVIDENCE_EVENTS:
        return _("%(event)s %(count)s 次") % {"event": EVIDENCE_EVENTS[kind], "count": count}
    return str(EVIDENCE_WORDS.get(item, item))


def instrument_name(code: str) -> str:
    """The instrument's name in the reader's language (its code never reaches a page)."""
    from carecircle.engines.scoring import load_instrument
    from django.utils.translation import get_language

    try:
        instrument = load_instrument(code)
    except KeyError:
        return _("未知评估工具")
    return instrument.name if (get_language() or "zh-hans").startswith("zh") else instrument.name_en


def _choice_words(label: str) -> tuple[str, dict[str, str]]:
    """A setting's label "A1 变更条款叠加：single＝…；per_clause＝…" as (title, {choice: words})."""
    for colon, equals, separator in (("：", "＝", "；"), (": ", " = ", "; ")):
        title, sep, rest = label.partition(colon)
        if sep and equals in rest:
            words = {}
            for part in rest.split(separator):
                code, eq, text = part.partition(equals)
                if eq:
                    words[code.strip()] = text.strip()
            return title.strip(), words
    return label, {}


def decision_words(decision: dict) -> dict:
    """A setting that affected the result, as a title and its chosen value in words (never "single＝…")."""
    from django.utils.translation import get_language

    zh = (get_language() or "zh-hans").startswith("zh")
    label = decision.get("label") if zh else decision.get("label_en", decision.get("label"))
    title, words = _choice_words(str(label or ""))
    value = decision.get("value")
    return {"title": title, "value": words.get(str(value), str(value))}


def level_label(result: dict, level) -> str:
    from carecircle.engines.scoring import load_instrument
    from django.utils.translation import get_language

    if level is None:
        return ""
    try:
        instrument = load_instrument(result["instrument"])
    except KeyError:
        return str(level)
    zh = (get_language() or "zh-hans").startswith("zh")
    return instrument.level_name(level, "zh" if zh else "en")


def adjustment_lines(result: dict) -> list[str]:
    lines = []
    for adj in result.get("adjustments", []):
        evidence = pgettext("list separator", "、").join(evidence_text(e) for e in adj.get("evidence", []))
        words = {"rule": rule_name(adj["rule"]), "evidence": evidence, "old": adj["from"], "new": adj["to"]}
        if adj.get("note"):
            words["note"] = NOTES.get(adj["note"], adj["note"])
            lines.append(_("%(rule)s（依据：%(evidence)s）：%(note)s，维持 %(new)s 级") % words)
        elif adj["from"] == adj["to"]:
            # The rule applies but moves nothing (only one raise counts, or the cap is reached).
            lines.append(_("%(rule)s（依据：%(evidence)s）：不再另行提高（多条同时满足只提高一级，或已到提高上限），维持 %(new)s 级") % words)
        else:
            lines.append(_("%(rule)s（依据：%(evidence)s）：由 %(old)s 级提高到 %(new)s 级") % words)
    return lines


def explain(result: dict) -> str:
    """One paragraph: the total, the initial level, each rule that changed it, and the final level."""
    if not result:
        return ""
    if "grade" in result:
        return _("自评等级 %(grade)s；%(apply)s") % {
            "grade": result["grade"],
            "apply": _("可以申请失能等级评估") if result.get("may_apply") else _("暂不符合申请失能等级评估的条件")}
    parts = [_("总分 %(total)s 分，初步等级 %(level)s 级（%(name)s）") % {
        "total": result.get("total"), "level": result.get("initial_level"),
        "name": level_label(result, result.get("initial_level"))}]
    parts += adjustment_lines(result)
    parts.append(_("最终等级 %(level)s 级（%(name)s）") % {
        "level": result.get("final_level"), "name": level_label(result, result.get("final_level"))})
    if result.get("pending_confirmation"):
        parts.append(_("注意：本工具的分级表或组合表待与官方文本核实"))
    return pgettext("message separator", "；").join(str(p) for p in parts) + pgettext("sentence end", "。")
