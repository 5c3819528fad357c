"""The audit trail: filter by subject, actor, action and time; paginated; CSV export."""
from django.utils.translation import gettext_lazy as _

from . import selectors
from .audit_display import action_label, change_rows, reason_words, subject_label
from .forms import AuditFilterForm
from .models import AuditEvent
from .views import ScopedCsvExportView, ScopedListView


class AuditListView(ScopedListView):
    capability = "audit.view"
    model = AuditEvent
    template_name = "core/audit_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = AuditFilterForm(self.request.GET or None,
                                           subject_types=selectors.audit_subject_types(user=self.request.user))
        return selectors.audit_events(user=self.request.user, **self.filter_form.filters()).select_related("region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["subject_types"] = [(t, subject_label(t)) for t in selectors.audit_subject_types(user=self.request.user)
                                    if t]
        for event in context["object_list"]:
            # What a person reads: the action, the kind of record and the changes in words (audit_display.py).
            event.action_words = action_label(event.action)
            event.subject_words = subject_label(event.subject_type)
            event.change_rows = change_rows(event, self.request.user)
            event.reason_words = reason_words(event.reason)
        return context


class AuditExportView(ScopedCsvExportView):
    capability = "audit.view"
    model = AuditEvent
    filename = "audit.csv"
    header = [_("时间"), _("操作人账号"), _("操作"), _("对象类型"), _("对象编号"), _("对象"), _("变更"), _("原因"),
              _("区域"), _("请求编号"), _("IP 地址")]

    def get_queryset(self):
        return selectors.audit_events(user=self.request.user, **AuditFilterForm(self.request.GET or None).filters())

    def filter_queryset(self, queryset):
        # The trail as it stood when the export was asked for: the export's own record (written before the
        # rows stream) and anything after it belong to the next export, and the counted rows stay exact.
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        return queryset.filter(pk__lte=last) if last is not None else queryset

    def rows(self, queryset):
        import json

        from django.utils import timezone

        for event in queryset.select_related("region").iterator(chunk_size=1000):
            yield [timezone.localtime(event.at).isoformat(timespec="seconds"), event.actor_repr, event.action,
                   event.subject_type, event.subject_id, event.subject_repr,
                   json.dumps(event.changes_shown, ensure_ascii=False), event.reason,
                   event.region.name if event.region_id else "", event.request_id, event.ip_address or ""]
