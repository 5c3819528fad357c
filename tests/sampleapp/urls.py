from django.urls import path

from . import views

app_name = "sampleapp"

urlpatterns = [
    path("", views.NoteListView.as_view(), name="list"),
]
