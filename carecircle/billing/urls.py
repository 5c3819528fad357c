from django.urls import path

from . import urls_statements, views

app_name = "billing"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    *urls_statements.urlpatterns,
]
