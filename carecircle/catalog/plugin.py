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


def _catalogue_code(code: str):
    """A service item's or package's name in the reader's language, by its code."""
    from django.utils.translation import get_language

    from .models import ServiceItem, ServicePackage

    english = not (get_language() or "zh-hans").startswith("zh")
    if not code.startswith(("gb-", "pkg-")) and "-" not in code:
        # Policy values that list items by their Chinese name (the LTCI catalogue as the regulation prints it)
        # read as the item's English name on English pages; in Chinese the name is already the words.
        if english and any("\u4e00" <= char <= "\u9fff" for char in code):
            row = ServiceItem.objects.filter(name=code).exclude(name_en="").values("name_en").first()
            return row["name_en"] if row else None
        return None
    row = (ServiceItem.objects.filter(code=code).values("name", "name_en").first()
           or ServicePackage.objects.filter(code=code).values("name", "name_en").first())
    if row is None:
        return None
    return row["name_en"] if english and row["name_en"] else row["name"]


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
