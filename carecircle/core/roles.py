"""The roles of the platform and what each may do.

One table decides capabilities, assembled from what each app declares in its plugin.py; views and API
classes ask `has_capability`, never a role name.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("区民政")
    STREET_STAFF = "street_staff", _("街镇工作人员")
    COMMUNITY_WORKER = "community_worker", _("居委工作人员")
    ASSESSOR = "assessor", _("评估员")
    PROVIDER_ADMIN = "provider_admin", _("服务机构管理员")
    CAREGIVER = "caregiver", _("护理员")
    OPERATOR = "operator", _("坐席")
    INSPECTOR = "inspector", _("监管人员")
    ELDER = "elder", _("老人")
    FAMILY = "family", _("家属")


REGION_SCOPED = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_WORKER, Role.OPERATOR, Role.INSPECTOR}
ORGANISATION_SCOPED = {Role.ASSESSOR, Role.PROVIDER_ADMIN, Role.CAREGIVER}
PERSON_SCOPED = {Role.ELDER, Role.FAMILY}
STAFF_ROLES = REGION_SCOPED | ORGANISATION_SCOPED


def is_person(user) -> bool:
    """An elder or a family member (not staff): their pages use the age-friendly layout."""
    return getattr(user, "role", None) in PERSON_SCOPED


ALL = "*"
# role -> capability names. Filled at start-up from every app's plugin.py (core.plugins.Registry.collect):
# each app declares the capabilities it grants each role; this module only answers the question.
CAPABILITIES: dict[str, set[str]] = {role: set() for role in Role}


def has_capability(user, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return capability in CAPABILITIES.get(user.role, set())
