"""Dispatch board: a provider plans and publishes its caregivers' days; caregivers see their own day."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    SHIFT_CREATE = "dispatch.shift_create"
    SHIFT_COPY = "dispatch.shift_copy"
    SHIFT_OFF = "dispatch.shift_off"
    SHIFT_DELETE = "dispatch.shift_delete"
    PLAN_OPTIMISE = "dispatch.plan_optimise"
    PLAN_OPTIMISED = "dispatch.plan_optimised"
    PLAN_FAILED = "dispatch.plan_failed"
    PLAN_MOVE = "dispatch.plan_move"
    PLAN_PUBLISH = "dispatch.plan_publish"
    PLAN_REPLAN = "dispatch.plan_replan"
    PLAN_PLACE = "dispatch.plan_place"
    PLAN_ASSIGN = "dispatch.plan_assign"
    # Recorded before work orders had their own app; declared so older rows of the trail keep their meaning.
    WORK_ORDER_SCHEDULE = "dispatch.work_order_schedule"
    WORK_ORDER_PUBLISH = "dispatch.work_order_publish"


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


plugin = AppPlugin(
    capabilities={
        Role.PROVIDER_ADMIN: {"dispatch.change", "dispatch.view"},
        Role.CAREGIVER: {"dispatch.my_day"},
    },
    navigation=[
        NavItem(120, pgettext_lazy("menu", "派单看板"), "dispatch:board", "dispatch.view"),
        NavItem(130, pgettext_lazy("menu", "我的一天"), "dispatch:my-day", "dispatch.my_day"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    url_prefix="dispatch/",
    api=True,
)
