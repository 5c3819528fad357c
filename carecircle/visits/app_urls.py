"""The caregiver's phone app and the live board (included by the app's urls.py under /visits/)."""
from django.urls import path

from . import views_app, views_board

urlpatterns = [
    path("app/", views_app.AppView.as_view(), name="app"),
    path("app/sw.js", views_app.ServiceWorkerView.as_view(), name="app-sw"),
    path("app/manifest.webmanifest", views_app.ManifestView.as_view(), name="app-manifest"),
    path("board/", views_board.BoardView.as_view(), name="board"),
    path("board/live.json", views_board.BoardLiveView.as_view(), name="board-live"),
    path("board/visits/<int:pk>/", views_board.BoardVisitView.as_view(), name="board-visit"),
]
