"""The Django admin is for configuration by superusers; its writes are audited like any other."""
from django.contrib import admin

from . import audit
from .models import AuditEvent
from .plugin import AuditAction
from .validators import validate_name


class AuditedAdminMixin:
    """Records an audit event, with old and new values, for every save and delete made in the admin.

    `name_fields` lists the fields holding a person's or an organisation's name: they follow the shared name
    rule (core.validators.validate_name) here as on the pages and in the API."""

    name_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.name_fields:
            field.validators.append(validate_name)
        return field

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        action = AuditAction.ADMIN_OBJECT_CHANGE if change else AuditAction.ADMIN_OBJECT_CREATE
        audit.record(actor=request.user, action=action, subject=obj, changes=audit.diff(before, audit.snapshot(obj)))

    def delete_model(self, request, obj):
        before = audit.snapshot(obj)
        subject = {"subject_type": obj._meta.label_lower, "subject_id": str(obj.pk), "subject_repr": str(obj)[:200]}
        super().delete_model(request, obj)
        audit.record(actor=request.user, action=AuditAction.ADMIN_OBJECT_DELETE,
                     changes=audit.diff(before, {}), **subject)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, also for superusers."""

    list_display = ("at", "actor_repr", "action", "subject_type", "subject_id", "subject_repr")
    list_filter = ("action",)
    search_fields = ("actor_repr", "subject_repr", "subject_id", "request_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
