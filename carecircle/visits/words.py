"""What a supervision flag says, in the reader's language: what was seen, which rule and which value."""
from django.utils.translation import gettext as _

from .models import Rule, RuleAction


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return f"{number:g}"


def _state_label(state: str) -> str:
    return {
        "deceased": _("已故"), "moved_out": _("已迁出"), "merged": _("档案已合并"),
        "hospital": _("住院"), "travel": _("外出"), "other": _("登记为不在家"),
    }.get(state, _("不在家"))


def sentence(rule: str, measured, threshold, facts: dict | None = None) -> str:
    facts = facts or {}
    m, t = _number(measured), _number(threshold)
    if rule == Rule.DISTANCE:
        return _("签到位置离老人家 %(m)s 米，超过规则允许的 %(t)s 米。") % {"m": m, "t": t}
    if rule == Rule.UNDECLARED_GCJ02:
        return _("手机上报的坐标像是国内地图坐标（GCJ-02）却未声明：按 GCJ-02 换算后离老人家 %(c)s 米，"
                 "原样读取为 %(r)s 米，相差 %(m)s 米（规则：相差超过 %(t)s 米即视为未声明）。") % {
            "c": _number(facts.get("corrected_m")), "r": _number(facts.get("raw_m")), "m": m, "t": t}
    if rule == Rule.LATE_START:
        return _("比计划开始时间晚 %(m)s 分钟签到，规则允许 %(t)s 分钟。") % {"m": m, "t": t}
    if rule == Rule.EARLY_FINISH:
        return _("比计划结束时间早 %(m)s 分钟签退，规则允许 %(t)s 分钟。") % {"m": m, "t": t}
    if rule == Rule.SHORT_DURATION:
        return _("实际服务 %(minutes)s 分钟，是计划 %(planned)s 分钟的 %(share)s%%，规则要求至少 %(t)s%%。") % {
            "minutes": _number(facts.get("minutes")), "planned": _number(facts.get("planned")),
            "share": _number(round(float(measured) * 100)), "t": _number(round(float(threshold) * 100))}
    if rule == Rule.OVERLAP:
        return _("该护理员同时还有 %(m)s 个上门服务未签退，规则允许 %(t)s 个。") % {"m": m, "t": t}
    if rule == Rule.CONCURRENT_LTCI:
        return _("该老人同时还有 %(m)s 个长护险上门服务在进行，规则允许 %(t)s 个。") % {"m": m, "t": t}
    if rule == Rule.ELDER_UNAVAILABLE:
        return _("老人当天的状态为“%(state)s”，规则要求此时不应上门服务。") % {"state": _state_label(str(measured))}
    if rule == Rule.QUALIFICATION:
        from carecircle.providers.models import Qualification

        code = facts.get("qualification", "")
        qualification = Qualification(code).label if code in Qualification.values else code
        if measured == "expired":
            return _("护理员的“%(q)s”证书已过期，该服务项目须持此资质。") % {"q": qualification}
        return _("护理员没有“%(q)s”资质，该服务项目须持此资质。") % {"q": qualification}
    if rule == Rule.MISSING_CHECK_OUT:
        return _("服务时段结束 %(m)s 分钟后仍未签退，规则允许 %(t)s 分钟。") % {"m": m, "t": t}
    if rule == Rule.MOCK_LOCATION:
        return _("手机报告定位来自模拟定位程序。")
    if rule == Rule.DUPLICATE_PHOTO:
        return _("照片与另一次上门的照片几乎相同（感知哈希相差 %(m)s 位，规则：不超过 %(t)s 位视为同一张）。") % {
            "m": m, "t": t}
    if rule == Rule.IMPOSSIBLE_SPEED:
        speed = _("无法计算（时间相同）") if measured is None or measured == "" else m
        return _("与上一次上门相距 %(km)s 公里、间隔 %(minutes)s 分钟，速度 %(speed)s 公里/小时，"
                 "超过规则允许的 %(t)s 公里/小时。") % {
            "km": _number(facts.get("km")), "minutes": _number(facts.get("minutes")), "speed": speed, "t": t}
    return str(Rule(rule).label) if rule in Rule.values else rule


def flag_sentence(flag) -> str:
    return sentence(flag.rule, flag.measured, flag.threshold, flag.facts)


def action_sentence(action: str) -> str:
    return {
        RuleAction.WARN: _("请填写原因后再提交。"),
        RuleAction.BLOCK: _("按规则不能继续。"),
        RuleAction.REVIEW: _("已记录，将转入异常核查。"),
        RuleAction.CONTINUE: _("已记录。"),
    }[action]
