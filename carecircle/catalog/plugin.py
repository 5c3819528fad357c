"""Service catalogue and pricing: everyone reads the catalogue; the district changes it and its contract
prices; those who order on an elder's behalf may ask for a quote."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    ITEM_CREATE = "catalog.item_create"
    ITEM_UPDATE = "catalog.item_update"
    PACKAGE_CREATE = "catalog.package_create"
    PACKAGE_UPDATE = "catalog.package_update"
    CONTRACT_PRICE_CREATE = "catalog.contract_price_create"


def _catalogue_names() -> dict:
    from .models import ServiceItem, ServicePackage

    by_code = {row["code"]: (row["name"], row["name_en"])
               for model in (ServicePackage, ServiceItem) for row in model.objects.values("code", "name", "name_en")}
    english_by_name = {name: english for name, english in ServiceItem.objects.exclude(name_en="")
                       .values_list("name", "name_en")}
    return {"by_code": by_code, "english_by_name": english_by_name}


def _catalogue_code(code: str):
    """A service item's or package's name in the reader's language, by its code (the catalogue is read once
    per request, however many codes a page shows)."""
    from django.utils.translation import get_language

    from carecircle.core.request_cache import cached

    english = not (get_language() or "zh-hans").startswith("zh")
    if not code.startswith(("gb-", "pkg-")) and "-" not in code:
        # Policy values that list items by their Chinese name (the LTCI catalogue as the regulation prints it)
        # read as the item's English name on English pages; in Chinese the name is already the words.
        if english and any("\u4e00" <= char <= "\u9fff" for char in code):
            return cached("catalog.names", _catalogue_names)["english_by_name"].get(code)
        return None
    names = cached("catalog.names", _catalogue_names)["by_code"].get(code)
    if names is None:
        return None
    name, name_en = names
    return name_en if english and name_en else name


def _choices():
    from .models import Category, HelpKind, Programme, Unit

    return [Programme, Category, HelpKind, Unit]

plugin = AppPlugin(
    labels=[_catalogue_code, *_choices()],
    capabilities={
        Role.DISTRICT_ADMIN: {"catalog.change", "catalog.quote", "catalog.view"},
        Role.STREET_STAFF: {"catalog.quote", "catalog.view"},
        Role.COMMUNITY_WORKER: {"catalog.quote", "catalog.view"},
        Role.OPERATOR: {"catalog.quote", "catalog.view"},
        Role.INSPECTOR: {"catalog.view"},
        Role.PROVIDER_ADMIN: {"catalog.quote", "catalog.view"},
        Role.ASSESSOR: {"catalog.view"},
        Role.CAREGIVER: {"catalog.view"},
        Role.ELDER: {"catalog.quote"},
        Role.FAMILY: {"catalog.quote"},
    },
    navigation=[NavItem(60, pgettext_lazy("menu", "服务目录"), "catalog:list", "catalog.view")],
    audit_actions=AuditAction,
    url_prefix="catalog/",
    api=True,
)
