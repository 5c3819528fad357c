"""The workbench: the landing page that asks every app for its cards and queues; the district's trends."""
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role

plugin = AppPlugin(
    capabilities={Role.DISTRICT_ADMIN: {"workbench.trends"}},
    navigation=[NavItem(0, pgettext_lazy("menu", "工作台"), "workbench:home")],
    url_prefix="",
)
