"""Turning the funding engine's rules into sentences in the reader's language."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from carecircle.core.policy import policy_label
from carecircle.engines.funding import Rule


def _hourly(p) -> str:
    return policy_label(f"catalog.price.hourly_by_qualification[{p.get('qualification') or 'default'}]")


def percent(value) -> str:
    """0.9 → "90%", 0.125 → "12.5%"."""
    number = (Decimal(str(value)) * 100).normalize()
    text = f"{number:f}"
    return f"{text}%"


def _amount(value) -> str:
    return f"{Decimal(value):.2f}"


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def rule_record(rule: Rule) -> dict:
    """A rule as JSON-safe code and values (amounts as strings), to store with a quote."""
    return {"code": rule.code, "params": _plain(dict(rule.params))}


def describe_record(record) -> str:
    """A stored rule in the reader's language; a record that is not a rule reads as it was stored."""
    if not isinstance(record, dict) or "code" not in record:
        return str(record)
    return describe(Rule(code=str(record["code"]), params=dict(record.get("params") or {})))


def describe(rule: Rule) -> str:
    p = dict(rule.params)
    for key in ("price", "hourly", "amount", "fund", "subsidy", "self_pay", "budget", "used", "granted", "wanted",
                "cash", "remaining"):
        if key in p and p[key] is not None:
            p[key] = _amount(p[key])
    for key in ("share",):
        if key in p and p[key] is not None:
            p[key] = percent(p[key])
    if p.get("quantity") is not None:
        p["quantity"] = f"{Decimal(p['quantity']).normalize():f}"
    code = rule.code
    if code == "price.contract":
        return _("单价 %(price)s 元：%(provider)s 的协议价格（自 %(since)s 起）") % p
    if code == "price.item":
        return _("单价 %(price)s 元：政策参数“%(param)s”（%(region)s，自 %(since)s 起）") % {
            **p, "param": policy_label(f"catalog.price.item[{p.get('code')}]")}
    if code == "price.package":
        return _("单价 %(price)s 元：政策参数“%(param)s”（%(region)s，自 %(since)s 起）") % {
            **p, "param": policy_label(f"catalog.package.price[{p.get('code')}]")}
    if code == "price.hourly":
        return _("单价 %(price)s 元/小时：政策参数“%(param)s”（%(region)s，自 %(since)s 起）") % {
            **p, "param": _hourly(p)}
    if code == "price.minutes":
        return _("单价 %(price)s 元 = 每小时 %(hourly)s 元 × 标准时长 %(minutes)s 分钟 ÷ 60"
                 "（政策参数“%(param)s”，%(region)s，自 %(since)s 起）") % {**p, "param": _hourly(p)}
    if code == "amount":
        return _("金额 %(amount)s 元 = 单价 %(price)s 元 × 数量 %(quantity)s") % p
    if code == "fund.share":
        return _("长护险基金支付 %(fund)s 元 = 金额 × %(share)s（政策参数“%(param)s”，%(region)s，自 %(since)s 起）") % {
            **p, "param": policy_label(p.get("key", ""))}
    if code == "fund.none.order":
        return _("按需下单（照护计划以外）：长护险基金不支付")
    if code == "fund.none.not_programme":
        return _("该项目不属于长护险服务项目：长护险基金不支付")
    if code == "fund.none.no_level":
        return _("老人在 %(on)s 没有可享受长护险待遇的照护等级：长护险基金不支付") % p
    if code == "subsidy.share":
        return _("政府购买服务补贴：%(category)s老人个人应付部分的 %(share)s（政策参数“%(param)s”，"
                 "%(region)s，自 %(since)s 起）") % {**p, "param": policy_label("gov_purchase.subsidy_share")}
    if code == "subsidy.budget":
        return _("本月补贴额度 %(budget)s 元（政策参数“%(param)s”），此前已用 %(used)s 元") % {
            **p, "param": policy_label(p.get("key", ""))}
    if code == "subsidy.budget_in_force":
        return _("每月补贴额度 %(budget)s 元（政策参数“%(param)s”），按服务先后使用") % {
            **p, "param": policy_label(p.get("key", ""))}
    if code == "subsidy.budget_exhausted":
        return _("本月补贴额度 %(budget)s 元此前已用 %(used)s 元，额度不足：本项补贴 %(granted)s 元（按比例应补 %(wanted)s 元）") % p
    if code == "subsidy.none.category":
        return _("%(category)s老人不享受政府购买服务补贴（政策参数“%(param)s”）") % {
            **p, "param": policy_label("gov_purchase.subsidy_share")}
    if code == "subsidy.none.no_budget":
        return _("%(category)s老人没有每月补贴额度（政策参数“%(param)s”）：无补贴") % {
            **p, "param": policy_label("gov_purchase.monthly_budget")}
    if code == "subsidy.none.not_programme":
        return _("该项目不在政府购买服务范围内：无补贴")
    if code == "self_pay.remainder":
        return _("个人自付 %(self_pay)s 元 = 金额 %(amount)s − 基金 %(fund)s − 补贴 %(subsidy)s") % p
    if code == "entitlement.visits":
        return _("照护等级 %(level)s 级：每周上门 %(visits)s 次（政策参数“%(param)s”）") % {
            **p, "param": policy_label("ltci.home.visits_per_week")}
    if code == "entitlement.hours_per_visit":
        return _("每次上门 %(hours)s 小时（政策参数“%(param)s”）") % {
            **p, "param": policy_label("ltci.home.hours_per_visit")}
    if code == "entitlement.weekly_cap":
        return _("照护等级 %(level)s 级：每周服务不超过 %(hours)s 小时（政策参数“%(param)s”）") % {
            **p, "param": policy_label("ltci.home.weekly_hours_cap")}
    if code == "entitlement.bonus":
        if p["tier"] == "first":
            return _("自 %(since)s 起连续居家照护 %(months)s 个月（不超过 %(first_tier_months)s 个月）：每月增加 %(hours)s 小时"
                     "服务或 %(cash)s 元现金（连续居家照护奖励政策）") % p
        return _("自 %(since)s 起连续居家照护超过 %(first_tier_months)s 个月：每月增加 %(hours)s 小时服务或 %(cash)s 元现金"
                 "（连续居家照护奖励政策）") % p
    if code == "entitlement.bonus_not_yet":
        return _("连续居家照护未满 1 个月：暂无连续照护奖励")
    return _("（未说明的计价规则）")
