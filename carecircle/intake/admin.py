"""Application types are configuration: a superuser sets them per region in the admin (audited)."""
from django.contrib import admin

from carecircle.core.admin import AuditedModelAdmin

from .models import ApplicationType


@admin.register(ApplicationType)
class ApplicationTypeAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "region", "programme", "requires_assessment", "public_notice", "waitlist",
                    "capacity", "is_active")
    list_filter = ("programme", "is_active")
    search_fields = ("code", "name")
