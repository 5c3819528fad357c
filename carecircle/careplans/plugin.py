"""Care plans and on-demand orders: providers make and edit plans and answer orders; elders, family, the
hotline and community workers order and register absences; the district and streets watch (caregivers see their own visits on the dispatch pages). "*.list" opens the staff
lists; elders and family use their own big-type pages ("careplans.portal")."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem, PortalBlock
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    PLAN_CREATE = "careplans.plan_create"
    PLAN_UPDATE = "careplans.plan_update"
    PLAN_STOP = "careplans.plan_stop"
    PLAN_LEVEL_CHANGE = "careplans.plan_level_change"
    ELDER_CHANGE = "careplans.elder_change"
    ABSENCE_RECORD = "careplans.absence_record"
    ABSENCE_CANCEL = "careplans.absence_cancel"
    ORDER_PLACE = "careplans.order_place"
    ORDER_OFFER = "careplans.order_offer"
    ORDER_OFFER_EXPIRED = "careplans.order_offer_expired"
    ORDER_ACCEPT = "careplans.order_accept"
    ORDER_DECLINE = "careplans.order_decline"
    ORDER_UNASSIGNED = "careplans.order_unassigned"
    ORDER_CANCEL = "careplans.order_cancel"
    ORDER_COMPLETE = "careplans.order_complete"
    ORDER_RATE = "careplans.order_rate"
    # Recorded before work orders had their own app; declared so older rows of the trail keep their meaning.
    WORK_ORDERS_GENERATE = "careplans.work_orders_generate"
    WORK_ORDER_FROM_ORDER = "careplans.work_order_from_order"


def portal(user):
    """One-tap ordering on an elder's or family member's home page: the common services as big buttons."""
    from carecircle.core.isolation import visible_to
    from carecircle.elders.models import Elder, ElderStatus

    from .selectors import common_services

    if not has_capability(user, "orders.place") or not has_capability(user, "careplans.portal"):
        return []
    elders = visible_to(user, Elder).filter(status=ElderStatus.ACTIVE).order_by("name", "id")
    rows = [{"elder": elder, "services": common_services(user, elder)} for elder in elders]
    rows = [row for row in rows if row["services"]]
    return [PortalBlock(15, "careplans/_quick_order.html", {"rows": rows})] if rows else []


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


def trends(user, months):
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import visible_to
    from carecircle.core.plugins import TrendSeries, monthly_counts

    from .models import ServiceOrder

    orders = visible_to(user, ServiceOrder)
    return [TrendSeries("orders", gettext_lazy("按需订单"), monthly_counts(orders, "created_at", months))]


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"careplans.change", "careplans.list", "careplans.view", "orders.list", "orders.view"},
        Role.STREET_STAFF: {"careplans.absence", "careplans.list", "careplans.view", "orders.list", "orders.place",
                            "orders.view"},
        Role.COMMUNITY_WORKER: {"careplans.absence", "careplans.list", "careplans.view", "orders.list",
                                "orders.place", "orders.view"},
        Role.OPERATOR: {"careplans.absence", "careplans.list", "careplans.view", "orders.list", "orders.place",
                        "orders.view"},
        Role.INSPECTOR: {"careplans.list", "careplans.view", "orders.list", "orders.view"},
        Role.PROVIDER_ADMIN: {"careplans.absence", "careplans.change", "careplans.list", "careplans.view",
                              "orders.answer", "orders.list", "orders.view"},
        Role.ELDER: {"careplans.absence", "careplans.portal", "careplans.view", "orders.place", "orders.view"},
        Role.FAMILY: {"careplans.absence", "careplans.portal", "careplans.view", "orders.place", "orders.view"},
    },
    navigation=[
        NavItem(70, pgettext_lazy("menu", "照护计划"), "careplans:plan-list", "careplans.list"),
        NavItem(80, pgettext_lazy("menu", "订单收件箱"), "careplans:inbox", "orders.answer"),
        NavItem(90, pgettext_lazy("menu", "按需订单"), "careplans:order-list", "orders.list"),
        NavItem(110, pgettext_lazy("menu", "我的服务"), "careplans:portal", "careplans.portal"),
    ],
    audit_actions=AuditAction,
    timeline=timeline,
    trends=trends,
    workbench=workbench,
    portal=portal,
    url_prefix="careplans/",
    api=True,
)
