"""Assessment: the district and streets order and follow up; agencies' assessors schedule and assess; the
district and inspectors watch the quality of assessments; any staff member may dry-run a score."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    ORDER_CREATE = "assessment.order_create"
    ORDER_SCHEDULE = "assessment.order_schedule"
    ORDER_REASSIGN = "assessment.order_reassign"
    ORDER_CANCEL = "assessment.order_cancel"
    START = "assessment.start"
    SAVE = "assessment.save"
    PHOTO_ADD = "assessment.photo_add"
    SUBMIT = "assessment.submit"
    CONFIRM = "assessment.confirm"
    REOPEN = "assessment.reopen"
    FINALISE = "assessment.finalise"
    CARE_LEVEL_RECORD = "assessment.care_level_record"
    CARE_LEVEL_END = "assessment.care_level_end"


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


def trends(user, months):
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import visible_to
    from carecircle.core.plugins import TrendSeries, monthly_counts

    from .models import AssessmentOrder

    final = visible_to(user, AssessmentOrder).filter(finalised_at__isnull=False)
    return [TrendSeries("assessments", gettext_lazy("完成的评估"), monthly_counts(final, "finalised_at", months))]


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


def _instrument(code: str):
    """An assessment instrument's name, by its code."""
    from carecircle.engines.scoring import load_instrument

    from .explain import instrument_name

    try:
        load_instrument(code)
    except (KeyError, FileNotFoundError, ValueError):
        return None
    return instrument_name(code)


def _choices():
    from .models import OrderReason, Programme

    return [Programme, OrderReason]

plugin = AppPlugin(
    labels=[_instrument, *_choices()],
    capabilities={
        Role.DISTRICT_ADMIN: {"assessment.import", "assessment.order", "assessment.quality", "assessment.schedule",
                              "assessment.score", "assessment.view"},
        Role.STREET_STAFF: {"assessment.import", "assessment.order", "assessment.score", "assessment.view"},
        Role.COMMUNITY_WORKER: {"assessment.score", "assessment.view"},
        Role.OPERATOR: {"assessment.score"},
        Role.INSPECTOR: {"assessment.quality", "assessment.score", "assessment.view"},
        Role.PROVIDER_ADMIN: {"assessment.score"},
        Role.ASSESSOR: {"assessment.assess", "assessment.schedule", "assessment.score", "assessment.view"},
    },
    navigation=[NavItem(140, pgettext_lazy("menu", "能力评估"), "assessment:list", "assessment.view")],
    audit_actions=AuditAction,
    timeline=timeline,
    trends=trends,
    workbench=workbench,
    url_prefix="assessment/",
    api=True,
)
