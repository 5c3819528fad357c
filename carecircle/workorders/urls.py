from django.urls import path

from . import views

app_name = "workorders"

# Mounted at /careplans/work-orders/, where these pages have always been.
urlpatterns = [
    path("", views.WorkOrderListView.as_view(), name="list"),
    path("export.csv", views.WorkOrderExportView.as_view(), name="export"),
    path("generate/", views.WorkOrderGenerateView.as_view(), name="generate"),
]
