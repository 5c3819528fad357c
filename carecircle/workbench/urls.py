from django.urls import path

from . import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/trends.json", views.trends, name="trends"),
]
