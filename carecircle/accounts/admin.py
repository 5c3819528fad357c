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
    name_fields = ("display_name",)
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


# API keys are stored hashed in accounts.ApiToken; the clear-text table of the old token app stays empty and
# must not be offered as a way to create keys that no longer authenticate.
try:
    from rest_framework.authtoken.models import TokenProxy

    admin.site.unregister(TokenProxy)
except admin.sites.NotRegistered:
    pass


# An administrator who removes someone's authenticator resets their second factor: the person's API tokens,
# issued while it guarded the account, are revoked as when the person removes it themself.
try:
    from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
    from django_otp.plugins.otp_totp.models import TOTPDevice

    class RevokingTOTPDeviceAdmin(TOTPDeviceAdmin):
        def delete_model(self, request, obj):
            super().delete_model(request, obj)
            _revoke_after_reset(request, [obj.user])

        def delete_queryset(self, request, queryset):
            owners = [device.user for device in queryset.select_related("user")]
            super().delete_queryset(request, queryset)
            _revoke_after_reset(request, owners)

    def _revoke_after_reset(request, owners):
        from . import services
        from .models import RevokeReason

        for owner in {user.pk: user for user in owners}.values():
            services.api_tokens_revoke_all(actor=request.user, user=owner, reason=RevokeReason.TWO_FACTOR_RESET)

    admin.site.unregister(TOTPDevice)
    admin.site.register(TOTPDevice, RevokingTOTPDeviceAdmin)
except admin.sites.NotRegistered:
    pass
