from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from carecircle.core.admin import AuditedAdminMixin

from .models import User


DEACTIVATE_NOT_DELETE = _("账号不能删除：人员离职或不再使用时，取消勾选“有效”即可停用。停用的账号无法登录，"
                          "其操作记录保留在审计日志中。")


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "scope_region", "organisation", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    autocomplete_fields = ("scope_region", "organisation")
    fieldsets = (
        *((name, {**options, "description": DEACTIVATE_NOT_DELETE}) if "is_active" in options["fields"] else (name, options)
          for name, options in BaseUserAdmin.fieldsets),
        (_("角色与范围"), {"fields": ("display_name", "role", "scope_region", "organisation")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, not deleted: the audit trail must keep naming who acted.
        return False
