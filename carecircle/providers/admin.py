from django.contrib import admin

from carecircle.core.admin import AuditedModelAdmin

from .models import Certificate, Contract, Facility, Organisation, ServiceArea


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "region", "is_active")
    name_fields = ("name", "contact_name")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "credit_code")
    raw_id_fields = ("region", "parent")


@admin.register(Facility)
class FacilityAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "organisation", "community", "beds")
    name_fields = ("name",)
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("organisation", "community")


admin.site.register(ServiceArea, AuditedModelAdmin, raw_id_fields=("organisation", "community"))
admin.site.register(Contract, AuditedModelAdmin, raw_id_fields=("organisation", "region"))
admin.site.register(Certificate, AuditedModelAdmin, raw_id_fields=("staff",))
