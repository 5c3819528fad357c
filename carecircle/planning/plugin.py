"""Facility planning: coverage of elders by facilities, the gap map, site suggestions, the public service map."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, Card, NavItem
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    SITES_IMPORT = "planning.sites_import"
    SITE_DELETE = "planning.site_delete"
    STUDY_START = "planning.study_start"
    STUDY_FINISH = "planning.study_finish"
    NETWORK_IMPORT = "planning.network_import"
    NETWORK_FINISH = "planning.network_finish"
    GUIDE_SAVE = "planning.guide_save"
    ADVISOR_SAVE = "planning.advisor_save"
    CONSULTATION = "planning.consultation"
    POPULATION_SAVE = "planning.population_save"


def workbench(user):
    if not has_capability(user, "planning.view"):
        return []
    from .selectors import site_studies

    return [Card(470, "planning_studies", _("选址研究"), site_studies(user=user).count(), "planning:studies")]


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"planning.view", "planning.change", "planning.advise"},
        Role.STREET_STAFF: {"planning.view", "planning.change", "planning.advise"},
        Role.COMMUNITY_WORKER: {"planning.advise"},
        Role.INSPECTOR: {"planning.view"},
    },
    navigation=[NavItem(148, pgettext_lazy("menu", "设施覆盖"), "planning:coverage", "planning.view"),
                NavItem(149, pgettext_lazy("menu", "养老顾问"), "planning:advisors", "planning.advise")],
    audit_actions=AuditAction,
    workbench=workbench,
    url_prefix="planning/",
    api=True,
)
