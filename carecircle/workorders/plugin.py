"""Work orders: one per visit and day, generated from care plans and accepted on-demand orders; the district,
streets and inspectors watch them, providers generate their own (the dispatch board schedules and publishes
them, the caregiver's visit starts and completes them, all through this app's services)."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    GENERATE = "workorders.generate"
    FROM_ORDER = "workorders.work_order_from_order"
    SCHEDULE = "workorders.work_order_schedule"
    UNSCHEDULE = "workorders.work_order_unschedule"
    PUBLISH = "workorders.work_order_publish"
    START = "workorders.work_order_start"
    COMPLETE = "workorders.work_order_complete"
    CANCEL = "workorders.work_order_cancel"
    SUPPRESS = "workorders.work_order_suppress"


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"workorders.generate", "workorders.view"},
        Role.STREET_STAFF: {"workorders.view"},
        Role.COMMUNITY_WORKER: {"workorders.view"},
        Role.INSPECTOR: {"workorders.view"},
        Role.PROVIDER_ADMIN: {"workorders.generate", "workorders.view"},
    },
    navigation=[
        NavItem(100, pgettext_lazy("menu", "工单"), "workorders:list", "workorders.view"),
    ],
    audit_actions=AuditAction,
    # The pages have always lived under the care plans section.
    url_prefix="careplans/work-orders/",
    api=True,
)
