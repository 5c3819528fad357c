"""Community canteens: the operator's staff run the till, dishes and menus of their own canteens and claim the
month's subsidies; streets and communities enrol diners from the register; the street and the district review
the claims; elders and family read the menus in big type."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, Card, NavItem
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    CANTEEN_CREATE = "meals.canteen_create"
    CANTEEN_UPDATE = "meals.canteen_update"
    DISH_CREATE = "meals.dish_create"
    MENU_PUBLISH = "meals.menu_publish"
    DINER_REGISTER = "meals.diner_register"
    DINER_TOP_UP = "meals.diner_top_up"
    SALE_CHECKOUT = "meals.sale_checkout"
    SALE_REFUND = "meals.sale_refund"
    CLAIM_SUBMIT = "meals.claim_submit"
    CLAIM_REVIEW = "meals.claim_review"
    BOOKING_CREATE = "meals.booking_create"
    BOOKING_CANCEL = "meals.booking_cancel"
    ROUND_PLAN = "meals.round_plan"
    STOP_RECORD = "meals.stop_record"


def workbench(user):
    from django.utils.translation import gettext_lazy as _

    from . import selectors

    cards = []
    if has_capability(user, "meals.till"):
        cards.append(Card(127, "meals_today", _("今日助餐结算"), selectors.sales_today(user=user).count(),
                          "meals:canteen-list"))
    if has_capability(user, "meals.claims_review"):
        cards.append(Card(128, "meals_claims", _("待审核的助餐补贴申报"),
                          selectors.claims_to_review(user=user).count(), "meals:claim-list"))
    return cards


_STAFF_READ = {"meals.view", "meals.menu"}

plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: _STAFF_READ | {"meals.diners", "meals.claims_review", "meals.manage"},
        Role.STREET_STAFF: _STAFF_READ | {"meals.diners", "meals.claims_review", "meals.book"},
        Role.COMMUNITY_WORKER: _STAFF_READ | {"meals.diners", "meals.book"},
        Role.OPERATOR: _STAFF_READ | {"meals.book"},
        Role.INSPECTOR: _STAFF_READ,
        Role.PROVIDER_ADMIN: _STAFF_READ | {"meals.till", "meals.manage", "meals.claim"},
        Role.ELDER: {"meals.menu", "meals.book"},
        Role.FAMILY: {"meals.menu", "meals.book"},
    },
    navigation=[
        NavItem(127, pgettext_lazy("menu", "长者食堂"), "meals:canteen-list", "meals.view"),
        NavItem(128, pgettext_lazy("menu", "助餐菜单"), "meals:menu-board", "meals.menu"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    url_prefix="meals/",
    api=True,
)
