"""The roles of the platform and what each may do.

One table decides capabilities; views and API classes ask `has_capability`, never a role name.
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

ALL = "*"
CAPABILITIES: dict[str, set[str]] = {
    Role.DISTRICT_ADMIN: {
        "elders.view", "elders.change", "elders.reveal", "elders.import", "elders.merge",
        "regions.view", "regions.change",
        "providers.view", "providers.change",
        "policy.view", "policy.change",
        "audit.view",
        "calendar.view", "calendar.change",
        "intake.view", "intake.queue", "intake.submit", "intake.district",
    },
    Role.STREET_STAFF: {
        "elders.view", "elders.change", "elders.reveal", "elders.import", "elders.merge",
        "regions.view", "providers.view", "policy.view",
        "calendar.view",
        "intake.view", "intake.queue", "intake.submit", "intake.street",
    },
    Role.COMMUNITY_WORKER: {"elders.view", "elders.change", "elders.reveal", "regions.view", "providers.view",
                            "intake.view", "intake.queue", "intake.submit", "calendar.view"},
    Role.OPERATOR: {"elders.view", "elders.reveal", "regions.view", "providers.view", "intake.view", "intake.queue",
                   "intake.submit", "calendar.view"},
    Role.INSPECTOR: {"elders.view", "regions.view", "providers.view", "policy.view", "audit.view", "intake.view",
                    "intake.queue", "calendar.view"},
    Role.PROVIDER_ADMIN: {"elders.view", "providers.view", "providers.change_own", "regions.view"},
    Role.ASSESSOR: {"elders.view", "providers.view", "regions.view"},
    Role.CAREGIVER: {"elders.view"},
    Role.ELDER: {"elders.view", "intake.view", "intake.submit", "intake.apply"},
    Role.FAMILY: {"elders.view", "intake.view", "intake.submit", "intake.apply"},
}

# Service catalogue and pricing: everyone reads the catalogue; the district changes it and its contract
# prices; those who order on an elder's behalf may ask for a quote.
for _role, _caps in {
    Role.DISTRICT_ADMIN: {"catalog.view", "catalog.change", "catalog.quote"},
    Role.STREET_STAFF: {"catalog.view", "catalog.quote"},
    Role.COMMUNITY_WORKER: {"catalog.view", "catalog.quote"},
    Role.OPERATOR: {"catalog.view", "catalog.quote"},
    Role.INSPECTOR: {"catalog.view"},
    Role.PROVIDER_ADMIN: {"catalog.view", "catalog.quote"},
    Role.ASSESSOR: {"catalog.view"},
    Role.CAREGIVER: {"catalog.view"},
    Role.ELDER: {"catalog.quote"},
    Role.FAMILY: {"catalog.quote"},
}.items():
    CAPABILITIES[_role] |= _caps

# Dispatch board: a provider plans and publishes its caregivers' days; caregivers see their own day.
CAPABILITIES[Role.PROVIDER_ADMIN] |= {"dispatch.view", "dispatch.change"}
CAPABILITIES[Role.CAREGIVER] |= {"dispatch.my_day"}

# Assessment: the district and streets order and follow up; agencies' assessors schedule and assess;
# the district and inspectors watch the quality of assessments; any staff member may dry-run a score.
for _role, _caps in {
    Role.DISTRICT_ADMIN: {"assessment.view", "assessment.order", "assessment.schedule", "assessment.import",
                          "assessment.quality", "assessment.score"},
    Role.STREET_STAFF: {"assessment.view", "assessment.order", "assessment.import", "assessment.score"},
    Role.COMMUNITY_WORKER: {"assessment.view", "assessment.score"},
    Role.INSPECTOR: {"assessment.view", "assessment.quality", "assessment.score"},
    Role.OPERATOR: {"assessment.score"},
    Role.PROVIDER_ADMIN: {"assessment.score"},
    Role.ASSESSOR: {"assessment.view", "assessment.schedule", "assessment.assess", "assessment.score"},
}.items():
    CAPABILITIES[_role] |= _caps

# Care plans, on-demand orders and work orders: providers make and edit plans, answer orders and generate
# their work orders; elders, family, the hotline and community workers order and register absences; the
# district and streets watch (caregivers see their own visits on the dispatch pages). "*.list" opens the staff
# lists; elders and family use their own big-type pages ("careplans.portal").
for _role, _caps in {
    Role.DISTRICT_ADMIN: {"careplans.view", "careplans.list", "careplans.change", "orders.view", "orders.list",
                          "workorders.view", "workorders.generate"},
    Role.STREET_STAFF: {"careplans.view", "careplans.list", "orders.view", "orders.list", "orders.place",
                        "workorders.view", "careplans.absence"},
    Role.COMMUNITY_WORKER: {"careplans.view", "careplans.list", "orders.view", "orders.list", "orders.place",
                            "workorders.view", "careplans.absence"},
    Role.OPERATOR: {"careplans.view", "careplans.list", "orders.view", "orders.list", "orders.place",
                    "careplans.absence"},
    Role.INSPECTOR: {"careplans.view", "careplans.list", "orders.view", "orders.list", "workorders.view"},
    Role.PROVIDER_ADMIN: {"careplans.view", "careplans.list", "careplans.change", "orders.view", "orders.list",
                          "orders.answer", "workorders.view", "workorders.generate", "careplans.absence"},
    Role.ELDER: {"careplans.view", "careplans.portal", "orders.view", "orders.place", "careplans.absence"},
    Role.FAMILY: {"careplans.view", "careplans.portal", "orders.view", "orders.place", "careplans.absence"},
}.items():
    CAPABILITIES[_role] |= _caps


def has_capability(user, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return capability in CAPABILITIES.get(user.role, set())
