"""Elder records: what the elders app grants, shows in the menu, records in the trail and counts on workbenches."""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.isolation import visible_to
from carecircle.core.plugins import AppPlugin, Card, NavItem, PortalBlock
from carecircle.core.roles import PERSON_SCOPED, Role, has_capability


class AuditAction(models.TextChoices):
    CREATE = "elders.create"
    UPDATE = "elders.update"
    STATUS = "elders.status"
    REVEAL = "elders.reveal"
    CONTACT_ADD = "elders.contact_add"
    CONTACT_UPDATE = "elders.contact_update"
    CONTACT_REMOVE = "elders.contact_remove"
    IMPORT_START = "elders.import_start"
    IMPORT_PREVIEW = "elders.import_preview"
    IMPORT_APPLY = "elders.import_apply"
    IMPORT_DISCARD = "elders.import_discard"
    MERGE = "elders.merge"
    MERGED_INTO = "elders.merged_into"
    MERGE_UNDO = "elders.merge_undo"
    # A whole ID or phone number searched by someone who may not reveal numbers (limited and recorded).
    EXACT_SEARCH = "elders.exact_search"


def workbench(user):
    from .models import Elder, ElderStatus, HouseholdType

    if not has_capability(user, "elders.view"):
        return []
    elders = visible_to(user, Elder).filter(status=ElderStatus.ACTIVE)
    today = timezone.localdate()
    eighty = today.replace(year=today.year - 80)
    return [
        Card(10, "elders", _("在册老人"), elders.count(), "elders:list"),
        Card(20, "alone", _("独居老人"), elders.filter(household_type=HouseholdType.ALONE).count(), "elders:list",
             "household_type=alone"),
        Card(30, "over80", _("80 岁及以上"), elders.filter(birth_date__lte=eighty).count(), "elders:list",
             "age_min=80"),
    ]


def portal(user):
    """Elders and family see the elders they are linked to."""
    from .models import Elder

    if user.role not in PERSON_SCOPED:
        return []
    linked = list(visible_to(user, Elder).select_related("community"))
    return [PortalBlock(10, "elders/_elder_cards.html", {"elders": linked})]


def _labels():
    from .models import EconomicCategory, HouseholdType, Registration

    return [EconomicCategory, HouseholdType, Registration]

plugin = AppPlugin(
    labels=_labels(),
    capabilities={
        Role.DISTRICT_ADMIN: {"elders.change", "elders.import", "elders.merge", "elders.reveal", "elders.view"},
        Role.STREET_STAFF: {"elders.change", "elders.import", "elders.merge", "elders.reveal", "elders.view"},
        Role.COMMUNITY_WORKER: {"elders.change", "elders.reveal", "elders.view"},
        Role.OPERATOR: {"elders.reveal", "elders.view"},
        Role.INSPECTOR: {"elders.view"},
        Role.PROVIDER_ADMIN: {"elders.view"},
        Role.ASSESSOR: {"elders.view"},
        Role.CAREGIVER: {"elders.view", "elders.visit_numbers"},
        Role.ELDER: {"elders.view"},
        Role.FAMILY: {"elders.view"},
    },
    navigation=[NavItem(10, pgettext_lazy("menu", "老人档案"), "elders:list", "elders.view")],
    audit_actions=AuditAction,
    workbench=workbench,
    portal=portal,
    url_prefix="elders/",
    api=True,
)
