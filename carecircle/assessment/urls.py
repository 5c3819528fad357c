from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("export.csv", views.OrderExportView.as_view(), name="export"),
    path("new/", views.OrderCreateView.as_view(), name="create"),
    path("expiring/", views.ExpiringView.as_view(), name="expiring"),
    path("quality/", views.QualityView.as_view(), name="quality"),
    path("care-levels/external/", views.ExternalLevelView.as_view(), name="external-level"),
    path("elders/<int:elder_pk>/", views.ElderHistoryView.as_view(), name="history"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order"),
    path("orders/<int:pk>/schedule/", views.OrderScheduleView.as_view(), name="schedule"),
    path("orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="cancel"),
    path("orders/<int:pk>/start/", views.AssessmentStartView.as_view(), name="start"),
    path("orders/<int:pk>/confirm/", views.AssessmentConfirmView.as_view(), name="confirm"),
    path("a/<int:pk>/step/<int:step>/", views.AssessmentStepView.as_view(), name="step"),
    path("photos/<int:pk>/", views.PhotoView.as_view(), name="photo"),
]
