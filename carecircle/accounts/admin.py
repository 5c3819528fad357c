from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from carecircle.core.admin import AuditedAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "scope_region", "organisation", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    autocomplete_fields = ("scope_region", "organisation")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("角色与范围"), {"fields": ("display_name", "role", "scope_region", "organisation")}))


# API keys are stored hashed in accounts.ApiToken; the clear-text table of the old token app stays empty and
# must not be offered as a way to create keys that no longer authenticate.
try:
    from rest_framework.authtoken.models import TokenProxy

    admin.site.unregister(TokenProxy)
except admin.sites.NotRegistered:
    pass
