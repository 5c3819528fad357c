"""The region tree: the kernel reaches it through `region_tree`, never by importing this app."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem, RegionTree
from carecircle.core.roles import Role

from .selectors import regions_in_scope, scope_root


class AuditAction(models.TextChoices):
    IMPORT = "regions.import"
    UPDATE = "regions.update"


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"regions.change", "regions.view"},
        Role.STREET_STAFF: {"regions.view"},
        Role.COMMUNITY_WORKER: {"regions.view"},
        Role.OPERATOR: {"regions.view"},
        Role.INSPECTOR: {"regions.view"},
        Role.PROVIDER_ADMIN: {"regions.view"},
        Role.ASSESSOR: {"regions.view"},
    },
    # Chinese does not mark the plural: the "section" context lets English name the section "Regions".
    navigation=[NavItem(150, pgettext_lazy("menu", "区域"), "regions:list", "regions.view")],
    audit_actions=AuditAction,
    url_prefix="regions/",
    api=True,
    region_tree=RegionTree(in_scope=regions_in_scope, scope_root=scope_root),
)
