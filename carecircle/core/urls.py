from django.urls import path

from . import basemap, views_audit, views_calendar, views_jobs, views_outbox, views_policy

app_name = "core"

urlpatterns = [
    path("policy/", views_policy.PolicyListView.as_view(), name="policy-list"),
    path("policy/new/", views_policy.PolicyCreateView.as_view(), name="policy-create"),
    path("policy/<str:key>/", views_policy.PolicyDetailView.as_view(), name="policy-detail"),
    path("audit/", views_audit.AuditListView.as_view(), name="audit-list"),
    path("audit/export.csv", views_audit.AuditExportView.as_view(), name="audit-export"),
    path("events/", views_outbox.OutboxListView.as_view(), name="outbox-list"),
    path("events/<int:pk>/retry/", views_outbox.OutboxRetryView.as_view(), name="outbox-retry"),
    path("jobs/<int:pk>/", views_jobs.JobDetailView.as_view(), name="job-detail"),
    path("calendar/", views_calendar.CalendarView.as_view(), name="calendar"),
    path("calendar/add/", views_calendar.CalendarDayAddView.as_view(), name="calendar-add"),
    path("tiles/<int:z>/<int:x>/<int:y>.<str:ext>", basemap.tile_view, name="tile"),
]
