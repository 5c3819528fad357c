"""The workbench: the landing page that asks every app for its cards."""
from django.utils.translation import gettext_lazy as _

from carecircle.core.plugins import AppPlugin, NavItem

plugin = AppPlugin(navigation=[NavItem(0, _("工作台"), "workbench:home")], url_prefix="")
