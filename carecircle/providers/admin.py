from django.contrib import admin

from .models import Certificate, Contract, Facility, Organisation, ServiceArea


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "credit_code")
    raw_id_fields = ("region", "parent")


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organisation", "community", "beds")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("organisation", "community")


admin.site.register(ServiceArea, raw_id_fields=("organisation", "community"))
admin.site.register(Contract, raw_id_fields=("organisation", "region"))
admin.site.register(Certificate, raw_id_fields=("staff",))
