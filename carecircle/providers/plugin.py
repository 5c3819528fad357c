"""Organisations, facilities, staff and contracts."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.isolation import visible_to
from carecircle.core.plugins import AppPlugin, Card, NavItem
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    ORGANISATION_CREATE = "providers.organisation_create"
    ORGANISATION_UPDATE = "providers.organisation_update"
    SERVICE_AREA_ADD = "providers.service_area_add"
    SERVICE_AREA_REMOVE = "providers.service_area_remove"
    FACILITY_CREATE = "providers.facility_create"
    FACILITY_UPDATE = "providers.facility_update"
    STAFF_CREATE = "providers.staff_create"
    STAFF_UPDATE = "providers.staff_update"
    STAFF_REVEAL = "providers.staff_reveal"
    CERTIFICATE_ADD = "providers.certificate_add"
    CERTIFICATE_UPDATE = "providers.certificate_update"
    CERTIFICATE_REMOVE = "providers.certificate_remove"
    CONTRACT_CREATE = "providers.contract_create"
    CONTRACT_UPDATE = "providers.contract_update"


def workbench(user):
    from .models import Organisation
    from .selectors import certificates_expiring_count

    if not has_capability(user, "providers.view"):
        return []
    try:
        expiring = certificates_expiring_count(user=user)
    except MissingPolicyParameter:
        expiring = "—"  # the card says the warning period is not configured
    return [
        Card(40, "organisations", pgettext_lazy("section", "服务机构"), visible_to(user, Organisation).count(),
             "providers:list"),
        Card(50, "certificates_expiring", _("即将到期或已过期的证书"), expiring, "providers:staff-list",
             "certificate=expiring"),
    ]


def _labels():
    from .models import FacilityKind, OrganisationKind, Qualification, StaffPosition

    return [Qualification, OrganisationKind, FacilityKind, StaffPosition]

plugin = AppPlugin(
    labels=_labels(),
    capabilities={
        Role.DISTRICT_ADMIN: {"providers.change", "providers.view"},
        Role.STREET_STAFF: {"providers.view"},
        Role.COMMUNITY_WORKER: {"providers.view"},
        Role.OPERATOR: {"providers.view"},
        Role.INSPECTOR: {"providers.view"},
        Role.PROVIDER_ADMIN: {"providers.change_own", "providers.view"},
        Role.ASSESSOR: {"providers.view"},
    },
    navigation=[
        # Chinese does not mark the plural: the "section" context lets English name the whole section.
        NavItem(40, pgettext_lazy("menu", "服务机构"), "providers:list", "providers.view"),
        NavItem(50, pgettext_lazy("menu", "从业人员"), "providers:staff-list", "providers.view"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    url_prefix="providers/",
    api=True,
)
