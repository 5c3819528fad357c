from django.contrib import admin

from carecircle.core.admin import AuditedModelAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
