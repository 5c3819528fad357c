from django.urls import path

app_name = "elders"

urlpatterns: list = []
