"""Visits: the caregiver's check-in and check-out of a work order, the supervision rules that judge them,
the exceptions queue and the verified visits the settlement pays."""
from django.db import models

from carecircle.core.plugins import AppPlugin
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    CHECK_IN = "visits.visit_check_in"


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"visits.view"},
        Role.PROVIDER_ADMIN: {"visits.view"},
    },
    navigation=[],
    audit_actions=AuditAction,
    url_prefix="visits/",
    api=True,
)
