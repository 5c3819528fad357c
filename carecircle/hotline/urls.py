from django.urls import path

from . import views

app_name = "hotline"

urlpatterns = [
    path("", views.ConsoleView.as_view(), name="console"),
    path("queue/", views.ConsoleQueueView.as_view(), name="console-queue"),
    path("alarms/<int:pk>/", views.AlarmDetailView.as_view(), name="alarm"),
    path("alarms/<int:pk>/step/", views.AlarmStepView.as_view(), name="alarm-step"),
    path("calls/", views.CallListView.as_view(), name="calls"),
    path("calls/new/", views.CallRecordView.as_view(), name="call-record"),
    path("calls/<int:pk>/", views.CallDetailView.as_view(), name="call"),
    path("calls/<int:pk>/classify/", views.CallClassifyView.as_view(), name="call-classify"),
    path("devices/", views.DeviceListView.as_view(), name="devices"),
    path("devices/refused/", views.RejectionListView.as_view(), name="rejections"),
    path("devices/<int:pk>/", views.DeviceDetailView.as_view(), name="device"),
    path("devices/<int:pk>/unbind/", views.DeviceUnbindView.as_view(), name="device-unbind"),
    path("elders/<int:elder_pk>/devices/new/", views.DeviceCreateView.as_view(), name="device-new"),
    path("care-calls/", views.CareCallListView.as_view(), name="care-calls"),
    path("care-calls/<int:pk>/attempt/", views.CareCallAttemptView.as_view(), name="care-call-attempt"),
    path("welfare/", views.WelfareListView.as_view(), name="welfare"),
    path("elders/<int:elder_pk>/visit/", views.VisitView.as_view(), name="visit"),
    path("silent/", views.SilentView.as_view(), name="silent"),
    path("rates/", views.RatesView.as_view(), name="rates"),
    path("stats/", views.StatsView.as_view(), name="stats"),
]
