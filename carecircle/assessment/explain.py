"""Turning the engine's structured result into sentences in the reader's language."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


def rule_name(code: str) -> str:
    return str(RULE_NAMES.get(code, code))


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
        evidence = "、".join(adj.get("evidence", []))
        if adj.get("note"):
            lines.append(_("%(rule)s（依据：%(evidence)s）：%(note)s") % {
                "rule": rule_name(adj["rule"]), "evidence": evidence, "note": NOTES.get(adj["note"], adj["note"])})
        else:
            lines.append(_("%(rule)s（依据：%(evidence)s）：由 %(old)s 级调整为 %(new)s 级") % {
                "rule": rule_name(adj["rule"]), "evidence": evidence, "old": adj["from"], "new": adj["to"]})
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
    return "；".join(str(p) for p in parts) + "。"
