from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("optimise/", views.OptimiseView.as_view(), name="optimise"),
    path("shifts/", views.ShiftListView.as_view(), name="shifts"),
    path("shifts/copy/", views.ShiftCopyView.as_view(), name="shift-copy"),
    path("shifts/export.csv", views.ShiftExportView.as_view(), name="shift-export"),
    path("shifts/<int:pk>/delete/", views.ShiftDeleteView.as_view(), name="shift-delete"),
    path("plans/<int:pk>/status/", views.PlanStatusView.as_view(), name="plan-status"),
    path("plans/<int:pk>/move/", views.MoveView.as_view(), name="move"),
    path("plans/<int:pk>/publish/", views.PublishView.as_view(), name="publish"),
    path("plans/<int:pk>/replan/", views.ReplanView.as_view(), name="replan"),
    path("plans/<int:pk>/place/", views.PlaceView.as_view(), name="place"),
    path("plans/<int:pk>/assign/", views.AssignView.as_view(), name="assign"),
    path("plans/<int:pk>/export.csv", views.PlanExportView.as_view(), name="export"),
    path("my-day/", views.MyDayView.as_view(), name="my-day"),
]
