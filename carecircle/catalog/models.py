"""The service catalogue: items, packages and provider contract prices.

Amounts that are policy (hourly rates, item prices, fund shares, subsidies) are dated policy parameters
(see `carecircle.core.policy`); the only prices kept here are those agreed in a provider's contract,
which are dated rows as well.
"""
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.isolation import Scoping
from carecircle.providers.models import Qualification


class Category(models.TextChoices):
    LTCI_BASIC = "ltci_basic", _("长护险·基本生活照料")
    LTCI_CLINICAL = "ltci_clinical", _("长护险·常用临床护理")
    LIFE_CARE = "life_care", _("生活照料")
    BASIC_CARE = "basic_care", _("基础照护")
    HEALTH = "health", _("健康管理")
    VISITING = "visiting", _("探访关爱")
    COMFORT = "comfort", _("精神慰藉")
    ERRANDS = "errands", _("委托代办")
    ADAPTATION = "adaptation", _("适老化改造")
    DAY_CARE = "day_care", _("日间照料")
    OTHER = "other", _("其他个性化服务")


class Unit(models.TextChoices):
    VISIT = "visit", pgettext_lazy("pricing unit", "次（上门）")
    HOUR = "hour", pgettext_lazy("pricing unit", "小时")
    MEAL = "meal", pgettext_lazy("pricing unit", "餐")
    TIME = "time", pgettext_lazy("pricing unit", "次")
    DAY = "day", pgettext_lazy("pricing unit", "天")
    MONTH = "month", pgettext_lazy("pricing unit", "月")


class HelpKind(models.TextChoices):
    """The six kinds of help of the usual community menu (六助)."""

    MEALS = "meals", _("助餐")
    CLEANING = "cleaning", _("助洁")
    BATHING = "bathing", _("助浴")
    MEDICAL = "medical", _("助医")
    MOBILITY = "mobility", _("助行")
    EMERGENCY = "emergency", _("助急")


class Programme(models.TextChoices):
    LTCI = "ltci", _("长期护理保险")
    GOV_PURCHASE = "gov_purchase", _("政府购买服务")
    MARKET = "market", _("市场化自费")


class ServiceItem(models.Model):
    """One orderable service. `programme` holds comma-separated programme tags, e.g. "ltci,gov_purchase"."""

    code = models.SlugField(_("项目编码"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices, db_index=True)
    help_kind = models.CharField(_("六助类别"), max_length=20, choices=HelpKind.choices, blank=True)
    programme = models.CharField(_("适用资金渠道"), max_length=100, blank=True,
                                 help_text=_("逗号分隔的资金渠道标记，如 ltci,gov_purchase"))
    unit = models.CharField(_("计价单位"), max_length=10, choices=Unit.choices)
    standard_minutes = models.PositiveIntegerField(_("标准时长（分钟）"), default=0)
    required_qualification = models.CharField(_("服务人员须持资质"), max_length=32, blank=True,
                                              choices=Qualification.choices)
    description = models.TextField(pgettext_lazy("catalogue", "说明"), blank=True)
    source = models.CharField(_("来源"), max_length=255, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scoping = Scoping(readable_by_all=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["category", "sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def display_name(self) -> str:
        """The English name on English pages (when there is one), else the Chinese name."""
        language = get_language() or "zh-hans"
        return self.name_en if self.name_en and not language.startswith("zh") else self.name

    @property
    def programme_tags(self) -> list[str]:
        return [tag.strip() for tag in self.programme.split(",") if tag.strip()]

    def in_programme(self, programme: str) -> bool:
        return programme in self.programme_tags


class ServicePackage(models.Model):
    """A bundle of items (服务包) sold at a package price for a period (e.g. a month)."""

    code = models.SlugField(_("服务包编码"), max_length=40, unique=True)
    name = models.CharField(_("服务包名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    group = models.CharField(_("分组"), max_length=60, blank=True)
    description = models.TextField(pgettext_lazy("catalogue", "说明"), blank=True)
    programme = models.CharField(_("适用资金渠道"), max_length=100, blank=True)
    # The package price is a policy parameter (catalog.package.price, keyed by package code).
    unit = models.CharField(_("计价单位"), max_length=10, choices=Unit.choices, default=Unit.MONTH)
    source = models.CharField(_("来源"), max_length=255, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    items = models.ManyToManyField(ServiceItem, through="PackageItem", related_name="packages",
                                   verbose_name=_("服务项目"))

    scoping = Scoping(readable_by_all=True)

    class Meta:
        verbose_name = _("服务包")
        verbose_name_plural = _("服务包")
        ordering = ["group", "sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def display_name(self) -> str:
        """The English name on English pages (when there is one), else the Chinese name."""
        language = get_language() or "zh-hans"
        return self.name_en if self.name_en and not language.startswith("zh") else self.name

    @property
    def group_label(self) -> str:
        return str(PACKAGE_GROUPS.get(self.group, self.group))


# The groups of the shipped packages: Wuhan's "4+1+X" model and the six kinds of help.
PACKAGE_GROUPS = {
    "4": _("“4”：四类基本服务"),
    "1": _("“1”：日间照料"),
    "X": _("“X”：特色服务"),
    "six": _("六助"),
}


class PackageItem(models.Model):
    package = models.ForeignKey(ServicePackage, verbose_name=_("服务包"), on_delete=models.CASCADE,
                                related_name="lines")
    item = models.ForeignKey(ServiceItem, verbose_name=_("服务项目"), on_delete=models.PROTECT,
                             related_name="package_lines")
    quantity = models.DecimalField(_("数量"), max_digits=8, decimal_places=2,
                                   validators=[MinValueValidator(0)])

    scoping = Scoping(readable_by_all=True)

    class Meta:
        verbose_name = _("服务包项目")
        verbose_name_plural = _("服务包项目")
        ordering = ["package", "id"]
        constraints = [models.UniqueConstraint(fields=["package", "item"], name="catalog_package_item_once")]

    def __str__(self):
        return f"{self.package.code}: {self.item.code} × {self.quantity}"


class ContractPrice(models.Model):
    """A unit price agreed in a provider's service agreement, in force from a date (rows are never edited)."""

    organisation = models.ForeignKey("providers.Organisation", verbose_name=_("服务机构"),
                                     on_delete=models.PROTECT, related_name="contract_prices")
    contract = models.ForeignKey("providers.Contract", verbose_name=_("服务合同"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="prices")
    item = models.ForeignKey(ServiceItem, verbose_name=_("服务项目"), on_delete=models.PROTECT,
                             related_name="contract_prices")
    unit_price = models.DecimalField(_("单价（元）"), max_digits=10, decimal_places=2,
                                     validators=[MinValueValidator(0)])
    effective_from = models.DateField(_("生效日期"))
    effective_until = models.DateField(_("截止日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    scoping = Scoping(region="organisation__region", organisation="organisation")

    class Meta:
        verbose_name = _("协议价格")
        verbose_name_plural = _("协议价格")
        ordering = ["organisation", "item", "-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(effective_until__isnull=True)
                                   | Q(effective_until__gte=models.F("effective_from")),
                                   name="catalog_contract_price_dates"),
        ]

    def __str__(self):
        return f"{self.organisation} {self.item.code} {self.unit_price}"

