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
    NOT_HOME = "workorders.work_order_not_home"


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


def trends(user, months):
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import visible_to
    from carecircle.core.plugins import TrendSeries, monthly_counts

    from .models import WorkOrder, WorkOrderStatus

    done = visible_to(user, WorkOrder).filter(status=WorkOrderStatus.DONE)
    return [TrendSeries("visits_done", gettext_lazy("完成的上门服务"), monthly_counts(done, "date", months))]


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


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
    timeline=timeline,
    trends=trends,
    workbench=workbench,
    # The pages have always lived under the care plans section.
    url_prefix="careplans/work-orders/",
    api=True,
)
