from django.contrib import admin

from carecircle.core.admin import AuditedModelAdmin

from .models import CandidateSite, CommunityPopulation


@admin.register(CommunityPopulation)
class CommunityPopulationAdmin(AuditedModelAdmin):
    list_display = ("community", "as_of", "residents", "households", "estate_type")
    list_filter = ("estate_type",)
    search_fields = ("community__name", "community__code")
    raw_id_fields = ("community",)


@admin.register(CandidateSite)
class CandidateSiteAdmin(AuditedModelAdmin):
    list_display = ("name", "region", "address", "floor_area_m2")
    name_fields = ("name",)
    search_fields = ("name", "address")
    raw_id_fields = ("region", "created_by")
