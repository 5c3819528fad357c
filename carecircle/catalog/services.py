"""Writes to the catalogue and the quote: the price of any visit or order and who pays which part.

`quote` writes nothing; every other function here is a write: keyword-only arguments, one transaction,
an explicit audit event.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.core import audit
from carecircle.core.isolation import CHANGE, is_visible
from carecircle.core.labels import words_for
from carecircle.core.money import to_money
from carecircle.core.policy import policy_label
from carecircle.core.roles import has_capability
from carecircle.engines.funding import LineInput, Rule, SubsidyBudget, line_amount, money, split_lines

from . import pricing, selectors
from .models import Category, ContractPrice, HelpKind, PackageItem, ServiceItem, ServicePackage, Unit
from .rules import describe, rule_record

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "catalogue.json"
BASES = ("plan", "order")
SETTINGS = ("home", "institution")
ZERO = Decimal("0.00")


# ---------------------------------------------------------------------------------------------- quote

@dataclass
class QuoteLine:
    item_code: str
    item_name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    fund: Decimal
    subsidy: Decimal
    self_pay: Decimal
    rules: list[str] = field(default_factory=list)
    is_package: bool = False
    # The rules as code and values, so that a stored quote is explained again in a later reader's language.
    rule_records: list[dict] = field(default_factory=list)


@dataclass
class Quote:
    elder_id: int
    on: dt.date
    basis: str
    provider_id: int | None
    lines: list[QuoteLine]
    total: Decimal
    fund: Decimal
    subsidy: Decimal
    self_pay: Decimal
    entitlement: object = None  # selectors.Entitlement | None


def _quantity(raw, *, code: str, unit: str) -> Decimal:
    if isinstance(raw, float) or isinstance(raw, bool):
        raw = str(raw) if isinstance(raw, float) else None
    try:
        quantity = Decimal(str(raw))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("项目 %(code)s 的数量“%(value)s”不是数字") % {"code": code, "value": raw})
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError(_("项目 %(code)s 的数量必须大于 0") % {"code": code})
    if quantity != quantity.quantize(Decimal("0.01")):
        raise ValidationError(_("项目 %(code)s 的数量最多两位小数") % {"code": code})
    if unit != Unit.HOUR and quantity != quantity.to_integral_value():
        raise ValidationError(_("项目 %(code)s 按“%(unit)s”计价，数量必须是整数")
                              % {"code": code, "unit": Unit(unit).label})
    return quantity


def _hourly(item_qualification: str, *, region, on) -> tuple[Decimal, str, pricing.PolicyRead]:
    table = pricing.read("catalog.price.hourly_by_qualification", region=region, on=on)
    key = item_qualification if item_qualification in table.value else "default"
    if key not in table.value:
        raise ValidationError(_("政策参数“%(param)s”中没有资质“%(q)s”的小时单价，也没有默认单价")
                              % {"param": policy_label("catalog.price.hourly_by_qualification"),
                                 "q": words_for(item_qualification) if item_qualification else _("不限资质")})
    return to_money(table.value[key]), key, table


def item_unit_price(item: ServiceItem, *, region, on, provider) -> tuple[Decimal, Rule]:
    """An item's unit price on `on` and the rule it came from: the provider's contract price, else the
    region's item price table, else the hourly rate (by qualification) for the item's unit and minutes."""
    if provider is not None:
        agreed = selectors.contract_price_in_force(organisation=provider, item=item, on=on)
        if agreed is not None:
            return agreed.unit_price, Rule("price.contract", {"price": agreed.unit_price, "provider": provider.name,
                                                             "since": agreed.effective_from.isoformat()})
    table = pricing.read("catalog.price.item", region=region, on=on, required=False)
    if table is not None and item.code in table.value:
        price = to_money(table.value[item.code])
        return price, Rule("price.item", {"price": price, "code": item.code, **table.cite()})
    if item.unit not in {Unit.HOUR, Unit.VISIT, Unit.TIME}:
        raise ValidationError(_("项目“%(name)s”按“%(unit)s”计价，政策参数“%(param)s”中没有它的单价")
                              % {"name": item.name, "unit": Unit(item.unit).label,
                                 "param": policy_label("catalog.price.item")})
    hourly, key, source = _hourly(item.required_qualification, region=region, on=on)
    if item.unit == Unit.HOUR:
        return hourly, Rule("price.hourly", {"price": hourly, "qualification": key, **source.cite()})
    if item.standard_minutes <= 0:
        raise ValidationError(_("项目 %(code)s 既没有单价（catalog.price.item），也没有标准时长，无法计价")
                              % {"code": item.code})
    price = money(hourly * item.standard_minutes / Decimal(60))
    return price, Rule("price.minutes", {"price": price, "hourly": hourly, "minutes": item.standard_minutes,
                                         "qualification": key, **source.cite()})


def subsidy_terms(category: str, *, region, on, care_level) -> tuple[Decimal | None, Decimal | None, list[Rule]]:
    """The government-purchase subsidy of an elder's own part for an economic category on `on`: (share, monthly
    budget, rules), or (None, None, [the rule saying why there is none]). The quote and the month's settlement
    read it alike."""
    from carecircle.elders.models import EconomicCategory

    label = str(EconomicCategory(category).label) if category in EconomicCategory.values else category
    shares = pricing.read("gov_purchase.subsidy_share", region=region, on=on)
    share = shares.value.get(category, Decimal(0))
    if share <= 0:
        return None, None, [Rule("subsidy.none.category", {"category": label})]
    share_rule = Rule("subsidy.share", {"category": label, "share": share, **shares.cite()})
    budget_read = None
    if care_level is not None and category in {"min_living", "low_income"}:
        budget_read = pricing.read(f"benefits.care_subsidy.monthly.{category}", region=region, on=on, required=False)
        if budget_read is not None and str(care_level) not in budget_read.value:
            budget_read = None
    if budget_read is not None:
        budget = to_money(budget_read.value[str(care_level)])
        key = f"{budget_read.key}[{care_level}]"
    else:
        budget_read = pricing.read("gov_purchase.monthly_budget", region=region, on=on, required=False)
        if budget_read is None or category not in budget_read.value:
            return None, None, [Rule("subsidy.none.no_budget", {"category": label})]
        budget = to_money(budget_read.value[category])
        key = f"{budget_read.key}[{category}]"
    return share, budget, [share_rule, Rule("subsidy.budget_in_force", {"budget": budget, "key": key})]


def _subsidy_budget(elder, *, region, on, subsidy_used: Decimal, care_level) -> tuple[SubsidyBudget | None, Rule]:
    share, budget, rules = subsidy_terms(elder.economic_category, region=region, on=on, care_level=care_level)
    if share is None:
        return None, rules[0]
    share_rule, budget_rule = rules
    used = to_money(subsidy_used)
    return SubsidyBudget(share=share, monthly_budget=budget, used=used, share_rule=share_rule,
                         budget_rule=Rule("subsidy.budget", {"budget": budget, "key": budget_rule.params["key"],
                                                             "used": used})), share_rule


def quote(*, elder, on: dt.date, lines: list[tuple[str, Decimal | int]], basis: str = "order", provider=None,
          setting: str = "home", subsidy_used: Decimal | int | str = 0) -> Quote:
    """The price of each line and its split between the LTCI fund, the government-purchase subsidy and
    the elder's own payment, each amount with the rules (policy key, value, region, date) behind it.

    basis "plan": a visit inside a care plan's entitlement — LTCI items are paid by the fund at the share
    in force (home or institutional `setting`) if the elder holds an eligible level on `on`;
    basis "order": on-demand beyond the entitlement — no fund. On either basis the elder's own part of
    items in the government-purchase programme is subsidised for the elder's economic category, within the
    monthly budget less `subsidy_used` (what this month's earlier orders already used).
    Lines may name a service item or a service package by code. Raises ValidationError naming the problem.
    """
    if basis not in BASES:
        raise ValidationError(_("计价依据“%(basis)s”无效，应为 plan（照护计划内）或 order（按需下单）") % {"basis": basis})
    if setting not in SETTINGS:
        raise ValidationError(_("服务场景“%(setting)s”无效，应为 home 或 institution") % {"setting": setting})
    if not isinstance(on, dt.date):
        raise ValidationError(_("计价日期无效"))
    if elder.status != "active":
        raise ValidationError(_("老人档案状态为“%(status)s”，不能计价下单") % {"status": elder.get_status_display()})
    if not lines:
        raise ValidationError(_("至少需要一个服务项目"))
    try:
        subsidy_used = Decimal(str(subsidy_used))
    except InvalidOperation:
        raise ValidationError(_("本月已用补贴金额无效"))
    if subsidy_used < 0:
        raise ValidationError(_("本月已用补贴金额不能为负数"))
    region = elder.community
    codes = [str(code).strip() for code, _quantity_ in lines]
    items = {item.code: item for item in ServiceItem.objects.filter(code__in=codes)}
    packages = {package.code: package for package in ServicePackage.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in items and code not in packages]
    if unknown:
        raise ValidationError(_("服务目录中没有这些项目编码：%(codes)s") % {"codes": pgettext("list separator", "、").join(unknown)})
    inactive = [code for code in codes if (items.get(code) or packages.get(code)).is_active is False]
    if inactive:
        raise ValidationError(_("这些项目已停用，不能计价：%(codes)s") % {"codes": pgettext("list separator", "、").join(inactive)})

    entitlement = None
    fund_read = None
    if basis == "plan":
        from .selectors import entitlement_for

        entitlement = entitlement_for(elder, programme=selectors.LTCI, on=on)
        if entitlement is not None:
            if setting == "institution":
                eligible = pricing.read("ltci.institution.eligible_levels", region=region, on=on).value
                if entitlement.care_level not in eligible:
                    entitlement = None
            if entitlement is not None:
                fund_read = pricing.read(f"ltci.{setting}.fund_share", region=region, on=on)
    care_level = entitlement.care_level if entitlement is not None else _level_for_subsidy(elder, on=on)
    budget, no_subsidy_rule = _subsidy_budget(elder, region=region, on=on, subsidy_used=subsidy_used,
                                              care_level=care_level)

    inputs, priced = [], []
    for index, (code, raw_quantity) in enumerate(zip(codes, (q for _c, q in lines))):
        item, package = items.get(code), packages.get(code)
        if package is not None:
            quantity = _quantity(raw_quantity, code=code, unit=package.unit)
            table = pricing.read("catalog.package.price", region=region, on=on)
            if code not in table.value:
                raise ValidationError(_("服务包“%(name)s”在政策参数“%(param)s”中没有价格") % {
                    "name": package.name, "param": policy_label("catalog.package.price")})
            unit_price = to_money(table.value[code])
            price_rule = Rule("price.package", {"price": unit_price, "code": code, **table.cite()})
            tags, name, unit = [t.strip() for t in package.programme.split(",") if t.strip()], package.display_name, package.unit
        else:
            quantity = _quantity(raw_quantity, code=code, unit=item.unit)
            unit_price, price_rule = item_unit_price(item, region=region, on=on, provider=provider)
            tags, name, unit = item.programme_tags, item.display_name, item.unit
        amount = line_amount(unit_price, quantity)
        lead = [price_rule, Rule("amount", {"amount": amount, "price": unit_price, "quantity": quantity})]
        fund_share, fund_rule = None, None
        if basis == "order":
            fund_rule = Rule("fund.none.order") if selectors.LTCI in tags else None
        elif selectors.LTCI not in tags:
            fund_rule = Rule("fund.none.not_programme")
        elif fund_read is None:
            fund_rule = Rule("fund.none.no_level", {"on": on.isoformat()})
        else:
            fund_share = fund_read.value
            fund_rule = Rule("fund.share", {"share": fund_share, "fund": money(amount * fund_share),
                                            **fund_read.cite()})
        subsidised = budget is not None and "gov_purchase" in tags
        subsidy_rule = None
        if not subsidised:
            subsidy_rule = no_subsidy_rule if budget is None else Rule("subsidy.none.not_programme")
        inputs.append(LineInput(str(index), amount, fund_share=fund_share, fund_rule=fund_rule,
                                subsidised=subsidised, subsidy_rule=subsidy_rule))
        priced.append((code, name, unit, quantity, unit_price, lead, package is not None))
    splits = split_lines(inputs, subsidy=budget)
    result_lines = []
    for (code, name, unit, quantity, unit_price, lead, is_package), split in zip(priced, splits):
        result_lines.append(QuoteLine(
            item_code=code, item_name=name, unit=unit, quantity=quantity, unit_price=unit_price,
            amount=split.amount, fund=split.fund, subsidy=split.subsidy, self_pay=split.self_pay,
            rules=[describe(rule) for rule in [*lead, *split.rules]], is_package=is_package,
            rule_records=[rule_record(rule) for rule in [*lead, *split.rules]]))
    return Quote(
        elder_id=elder.pk, on=on, basis=basis, provider_id=getattr(provider, "pk", None), lines=result_lines,
        total=sum((line.amount for line in result_lines), ZERO), fund=sum((line.fund for line in result_lines), ZERO),
        subsidy=sum((line.subsidy for line in result_lines), ZERO),
        self_pay=sum((line.self_pay for line in result_lines), ZERO), entitlement=entitlement)


def _level_for_subsidy(elder, *, on):
    """The LTCI care level in force (any level, 1 included) for the care-subsidy budget, or None."""
    record = selectors._care_level(elder, programme=selectors.LTCI, on=on)
    return record.level if record is not None else None


# ---------------------------------------------------------------------------------------------- catalogue writes

ITEM_FIELDS = ["name", "name_en", "category", "help_kind", "programme", "unit", "standard_minutes",
               "required_qualification", "description", "source", "sort_order", "is_active"]


def _validate_item(item: ServiceItem):
    try:
        item.full_clean(validate_unique=False)
    except ValidationError as error:
        raise error
    tags = [t.strip() for t in item.programme.split(",") if t.strip()]
    if any(not tag.replace("_", "").isalnum() for tag in tags):
        raise ValidationError({"programme": [_("资金渠道标记只能由字母、数字和下划线组成，用逗号分隔")]})
    item.programme = ",".join(tags)


def _require_change(actor, organisation=None) -> None:
    """A user changes the catalogue only with catalog.change, and a provider's prices only within scope."""
    if actor is None:
        return
    if not has_capability(actor, "catalog.change"):
        raise PermissionDenied(_("您没有修改服务目录的权限。"))
    if organisation is not None and not is_visible(actor, organisation, CHANGE):
        raise PermissionDenied(_("该服务机构不在您的管辖范围内。"))


def service_item_create(*, actor, code: str, reason: str = "", **values) -> ServiceItem:
    _require_change(actor)
    with transaction.atomic():
        if ServiceItem.objects.filter(code=code).exists():
            raise ValidationError({"code": [_("项目编码 %(code)s 已存在") % {"code": code}]})
        item = ServiceItem(code=code, **{k: v for k, v in values.items() if k in ITEM_FIELDS})
        _validate_item(item)
        item.save()
        audit.record(actor=actor, action="catalog.item_create", subject=item, changes=audit.snapshot(item),
                     reason=reason)
    return item


def service_item_update(*, item: ServiceItem, actor, reason: str, **values) -> ServiceItem:
    _require_change(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写修改原因")]})
    with transaction.atomic():
        item = ServiceItem.objects.select_for_update().get(pk=item.pk)
        before = audit.snapshot(item, ITEM_FIELDS)
        for name, value in values.items():
            if name not in ITEM_FIELDS:
                raise ValidationError(_("字段 %(name)s 不能修改") % {"name": name})
            setattr(item, name, value)
        _validate_item(item)
        changes = audit.diff(before, audit.snapshot(item, ITEM_FIELDS))
        if changes:
            item.save()
            audit.record(actor=actor, action="catalog.item_update", subject=item, changes=changes, reason=reason)
    return item


def contract_price_set(*, actor, organisation, item: ServiceItem, unit_price, effective_from: dt.date,
                       effective_until: dt.date | None = None, contract=None, note: str = "") -> ContractPrice:
    """A new dated contract price (rows are never edited; a correction is a new row)."""
    _require_change(actor, organisation)
    try:
        price = to_money(str(unit_price))
    except (InvalidOperation, TypeError):
        raise ValidationError({"unit_price": [_("单价“%(value)s”不是金额") % {"value": unit_price}]})
    if price < 0:
        raise ValidationError({"unit_price": [_("单价不能为负数")]})
    if effective_until is not None and effective_until < effective_from:
        raise ValidationError({"effective_until": [_("截止日期不能早于生效日期")]})
    if contract is not None:
        if contract.organisation_id != organisation.pk:
            raise ValidationError({"contract": [_("所选合同不属于该服务机构")]})
        if effective_from < contract.starts_on or (effective_until or contract.ends_on) > contract.ends_on:
            raise ValidationError({"effective_from": [_("协议价格的有效期须在合同期限 %(start)s 至 %(end)s 之内")
                                                      % {"start": contract.starts_on, "end": contract.ends_on}]})
    with transaction.atomic():
        row = ContractPrice.objects.create(organisation=organisation, item=item, unit_price=price,
                                           effective_from=effective_from, effective_until=effective_until,
                                           contract=contract, note=note, created_by=actor)
        audit.record(actor=actor, action="catalog.contract_price_create", subject=row,
                     changes=audit.snapshot(row), reason=note)
    return row


@dataclass
class CatalogueSeedReport:
    items_added: int = 0
    items_updated: int = 0
    packages_added: int = 0
    packages_updated: int = 0


def _check_seed(data: dict) -> None:
    errors = []
    codes = set()
    for position, raw in enumerate(data.get("items", []), start=1):
        code = raw.get("code", "")
        if not code or code in codes:
            errors.append(_("第 %(n)d 个项目：编码“%(code)s”为空或重复") % {"n": position, "code": code})
        codes.add(code)
        if raw.get("category") not in Category.values:
            errors.append(_("项目 %(code)s：类别“%(value)s”无效") % {"code": code, "value": raw.get("category")})
        if raw.get("unit") not in Unit.values:
            errors.append(_("项目 %(code)s：计价单位“%(value)s”无效") % {"code": code, "value": raw.get("unit")})
        if raw.get("help_kind", "") not in ["", *HelpKind.values]:
            errors.append(_("项目 %(code)s：六助类别“%(value)s”无效") % {"code": code, "value": raw.get("help_kind")})
    for raw in data.get("packages", []):
        for line in raw.get("lines", []):
            if line.get("item") not in codes:
                errors.append(_("服务包 %(code)s：项目“%(item)s”不在目录中") % {"code": raw.get("code"),
                                                                               "item": line.get("item")})
    if errors:
        raise ValidationError(errors)


def catalogue_seed(*, actor=None, data: dict | None = None) -> CatalogueSeedReport:
    """Load the catalogue data file (or `data`): new items and packages are added, changed ones updated;
    items a district has switched off stay off. All or nothing, each change audited."""
    data = data if data is not None else json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    _check_seed(data)
    report = CatalogueSeedReport()
    with transaction.atomic():
        for raw in data["items"]:
            values = {k: raw.get(k, ServiceItem._meta.get_field(k).get_default()) for k in ITEM_FIELDS
                      if k != "is_active"}
            item = ServiceItem.objects.filter(code=raw["code"]).first()
            if item is None:
                item = ServiceItem(code=raw["code"], **values)
                _validate_item(item)
                item.save()
                audit.record(actor=actor, action="catalog.item_create", subject=item, changes=audit.snapshot(item),
                             reason=_("载入服务目录种子数据"))
                report.items_added += 1
                continue
            before = audit.snapshot(item, ITEM_FIELDS)
            for name, value in values.items():
                setattr(item, name, value)
            _validate_item(item)
            changes = audit.diff(before, audit.snapshot(item, ITEM_FIELDS))
            if changes:
                item.save()
                audit.record(actor=actor, action="catalog.item_update", subject=item, changes=changes,
                             reason=_("载入服务目录种子数据"))
                report.items_updated += 1
        items = {item.code: item for item in ServiceItem.objects.all()}
        for raw in data.get("packages", []):
            fields = {k: raw.get(k, "") for k in ["name", "name_en", "group", "description", "programme", "source"]}
            fields["unit"] = raw.get("unit", Unit.MONTH)
            fields["sort_order"] = raw.get("sort_order", 0)
            lines = {line["item"]: to_money(str(line["quantity"])) for line in raw.get("lines", [])}
            package = ServicePackage.objects.filter(code=raw["code"]).first()
            created = package is None
            if created:
                package = ServicePackage.objects.create(code=raw["code"], **fields)
                before = {}
            else:
                before = {**audit.snapshot(package, list(fields)),
                          "lines": {line.item.code: str(line.quantity) for line in package.lines.select_related("item")}}
                for name, value in fields.items():
                    setattr(package, name, value)
                package.save()
            current = {line.item.code: line for line in package.lines.select_related("item")}
            for code, quantity in lines.items():
                if code in current:
                    if current[code].quantity != quantity:
                        current[code].quantity = quantity
                        current[code].save(update_fields=["quantity"])
                else:
                    PackageItem.objects.create(package=package, item=items[code], quantity=quantity)
            PackageItem.objects.filter(package=package).exclude(item__code__in=list(lines)).delete()
            after = {**audit.snapshot(package, list(fields)),
                     "lines": {code: str(quantity) for code, quantity in lines.items()}}
            changes = audit.diff(before, after)
            if changes:
                audit.record(actor=actor, action="catalog.package_create" if created else "catalog.package_update",
                             subject=package, changes=changes, reason=_("载入服务目录种子数据"))
                if created:
                    report.packages_added += 1
                else:
                    report.packages_updated += 1
    return report
