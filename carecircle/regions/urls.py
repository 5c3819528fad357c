from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.RegionTreeView.as_view(), name="list"),
    path("import/", views.RegionImportView.as_view(), name="import"),
    path("<int:pk>/", views.RegionDetailView.as_view(), name="detail"),
]
