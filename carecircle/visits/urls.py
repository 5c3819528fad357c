from django.urls import include, path

app_name = "visits"

urlpatterns = [
    path("", include("carecircle.visits.app_urls")),
]
