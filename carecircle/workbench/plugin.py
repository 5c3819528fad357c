"""The workbench: the landing page that asks every app for its cards."""
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem

plugin = AppPlugin(navigation=[NavItem(0, pgettext_lazy("menu", "工作台"), "workbench:home")], url_prefix="")
