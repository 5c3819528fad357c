"""The rules behind a subsidy split, in words (the reader's language): people never see a rule's code."""
from django.utils.translation import gettext as _

from carecircle.elders.models import EconomicCategory, ElderStatus, Registration

CLASS_LABELS = {"A": "A", "B": "B", "C": "C"}


def class_label(subsidy_class: str) -> str:
    if not subsidy_class:
        return _("无补贴")
    return _("%(cls)s 类") % {"cls": subsidy_class}


def rule_text(code: str, params: dict) -> str:
    p = params or {}
    if code == "meals.not_registered":
        return _("未登记实名助餐的就餐人不享受补贴，按原价支付。")
    if code == "meals.status":
        status = dict(ElderStatus.choices).get(p.get("status"), _("非在册"))
        return _("老人档案状态为“%(status)s”，不再享受助餐补贴。") % {"status": status}
    if code == "meals.registration":
        label = dict(Registration.choices).get(p.get("registration"), _("其他"))
        return _("户籍类别“%(label)s”不在助餐补贴范围内。") % {"label": label}
    if code == "meals.too_young":
        return _("就餐当天 %(age)s 周岁，未满 %(min_age)s 周岁，不享受助餐补贴。") % p
    if code == "meals.class_a":
        category = dict(EconomicCategory.choices).get(p.get("category"), "")
        return _("%(age)s 周岁、经济类别为“%(category)s”：A 类（经济困难老人）。") % {"age": p.get("age"),
                                                                             "category": category}
    if code == "meals.class_b":
        return _("%(age)s 周岁（满 %(min_age)s 周岁、未满 %(senior_age)s 周岁）：B 类。") % p
    if code == "meals.class_c":
        return _("%(age)s 周岁（满 %(senior_age)s 周岁）：C 类。") % p
    if code == "meals.meal_time_taken":
        return _("本餐次今天已享受过一次补贴，本次按原价支付。")
    if code == "meals.below_min_spend":
        return _("堂食消费 %(total)s 元，未满 %(min_spend)s 元起补金额，本次不补贴。") % p
    if code == "meals.daily_amount":
        return _("%(cls)s 类每人每天补贴 %(amount)s 元，今天已用 %(used)s 元。") % {
            "cls": p.get("class"), "amount": p.get("amount"), "used": p.get("used")}
    if code == "meals.weekly_cap":
        return _("%(cls)s 类每人每周补贴上限 %(amount)s 元，本周已用 %(used)s 元。") % {
            "cls": p.get("class"), "amount": p.get("amount"), "used": p.get("used")}
    if code == "meals.cap_reached":
        return _("补贴额度已用完，本次按原价支付。")
    if code == "meals.delivery":
        return _("照护等级 %(level)s 级（%(min_level)s 级及以上）：送餐补贴每人每天 %(amount)s 元。") % p
    if code == "meals.delivery_not_eligible":
        if p.get("level") is None:
            return _("没有有效的照护等级，不享受送餐补贴（需 %(min_level)s 级及以上）。") % p
        return _("照护等级 %(level)s 级，未达 %(min_level)s 级，不享受送餐补贴。") % p
    if code == "meals.refund":
        return _("退款：冲回原结算的金额与补贴。")
    return _("其他规则")


def rules_in_words(rules) -> list[str]:
    return [rule_text(rule.get("code", ""), rule.get("params", {})) for rule in rules or []]
