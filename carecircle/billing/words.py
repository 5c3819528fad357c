"""A settlement line's figures explained in sentences, in the reader's language: the price and where it came
from, the amount, the fund's part and the entitlement behind it, the subsidy and its budget, the self-pay."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from carecircle.catalog.selectors import describe, percent
from carecircle.core.policy import policy_label
from carecircle.engines.funding import Rule

from .models import LineKind


def _records(basis) -> list[dict]:
    return list(basis.rules) if basis is not None else []


def _rule(record) -> Rule:
    return Rule(code=str(record.get("code", "")), params=dict(record.get("params") or {}))


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def describe_billing(rule: Rule) -> str:
    p = dict(rule.params)
    code = rule.code
    if code == "facility.operating":
        return _("%(kind)s运营补贴：每年 %(annual)s 元 ÷ 12 = 每月 %(monthly)s 元（政策参数“%(param)s”，%(region)s，"
                 "自 %(since)s 起）") % {**p, "annual": _money(p["annual"]), "monthly": _money(p["monthly"]),
                                        "param": policy_label(p.get("key", ""))}
    if code == "facility.stars":
        return _("按月初有效的星级 %(stars)s 星，系数 %(coefficient)s：本月 %(amount)s 元（政策参数“%(param)s”）") % {
            **p, "amount": _money(p["amount"]), "param": policy_label("inspections.subsidy.coefficient")}
    if code == "facility.beds":
        return _("床位补贴：%(beds)s 张 × 每床每月 %(price)s 元 = %(amount)s 元（政策参数“%(param)s”，%(region)s，"
                 "自 %(since)s 起）") % {**p, "price": _money(p["price"]), "amount": _money(p["amount"]),
                                        "param": policy_label(p.get("key", ""))}
    if code == "facility.construction":
        return _("%(kind)s于 %(completed)s 竣工验收：一次性建设补贴 %(amount)s 元（政策参数“%(param)s”，%(region)s，"
                 "自 %(since)s 起）") % {**p, "amount": _money(p["amount"]), "param": policy_label(p.get("key", ""))}
    return describe(rule)


def describe_line(line) -> list[str]:
    if line.kind == LineKind.ADJUSTMENT:
        return [_("调整：%(reason)s") % {"reason": line.note}]
    if line.kind == LineKind.MEALS:
        return [_("食堂当月助餐补贴申报经区民政审核通过，由财政补贴支付 %(amount)s 元") % {"amount": _money(line.amount)}]
    if line.kind == LineKind.FACILITY:
        return [describe_billing(_rule(record)) for record in _records(line.split_basis)]
    if line.kind == LineKind.ORDER:
        return [_("按需订单：按下单时的报价结算（金额 %(amount)s 元，基金 %(fund)s 元，补贴 %(subsidy)s 元，"
                  "自付 %(self_pay)s 元）") % {k: _money(getattr(line, k)) for k in ("amount", "fund", "subsidy",
                                                                                   "self_pay")}]
    sentences = [describe(_rule(record)) for record in _records(line.price_basis)]
    sentences.append(describe(Rule("amount", {"amount": line.amount, "price": line.unit_price,
                                              "quantity": line.quantity})))
    split = {record.get("code"): record for record in _records(line.split_basis)}
    if line.fund_share is not None and "fund.share" in split:
        params = dict(split["fund.share"]["params"])
        params.update({"share": line.fund_share, "fund": line.fund})
        sentences.append(describe(Rule("fund.share", params)))
        if "entitlement.weekly_cap" in split:
            sentences.append(describe(_rule(split["entitlement.weekly_cap"])))
    elif line.self_pay_confirmed:
        sentences.append(_("老人在照护计划中确认这次上门超出待遇、自费：长护险基金不支付"))
    elif line.claim.programme == "gov_purchase":
        sentences.append(_("政府购买服务计划内的上门：长护险基金不支付"))
    else:
        sentences.append(describe(Rule("fund.none.not_programme")))
    if line.subsidy_share is not None and "subsidy.share" in split:
        sentences.append(describe(_rule(split["subsidy.share"])))
        budget = split.get("subsidy.budget_in_force")
        if line.subsidy < line.subsidy_wanted:
            sentences.append(_("本月补贴额度 %(budget)s 元已基本用完：本项补贴 %(granted)s 元（按比例应补 %(wanted)s 元）") % {
                "budget": _money(budget["params"]["budget"]) if budget else "", "granted": _money(line.subsidy),
                "wanted": _money(line.subsidy_wanted)})
        elif budget:
            sentences.append(describe(_rule(budget)))
    else:
        for code in ("subsidy.none.category", "subsidy.none.no_budget"):
            if code in split:
                sentences.append(describe(_rule(split[code])))
                break
        else:
            sentences.append(describe(Rule("subsidy.none.not_programme")))
    sentences.append(describe(Rule("self_pay.remainder", {"amount": line.amount, "fund": line.fund,
                                                          "subsidy": line.subsidy, "self_pay": line.self_pay})))
    if line.kind == LineKind.CORRECTION:
        sentences.append(_("更正：%(note)s") % {"note": line.note})
    return sentences


def share_text(value) -> str:
    return percent(value) if value is not None else ""
