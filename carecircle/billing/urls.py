from django.urls import path

from . import urls_statements, views

app_name = "billing"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("settle/", views.SettleView.as_view(), name="settle"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/reopen/", views.RunReopenView.as_view(), name="run-reopen"),
    path("claims/", views.ClaimListView.as_view(), name="claims"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim"),
    path("claims/<int:pk>/step/", views.ClaimStepView.as_view(), name="claim-step"),
    path("claims/<int:pk>/adjust/", views.ClaimAdjustView.as_view(), name="claim-adjust"),
    path("claims/<int:pk>/payments/", views.PaymentView.as_view(), name="claim-payment"),
    path("claims/<int:pk>/lines/<int:line>/reject/", views.LineRejectView.as_view(), name="line-reject"),
    path("claims/<int:pk>/lines/<int:line>/correct/", views.LineCorrectView.as_view(), name="line-correct"),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("simulation/", views.SimulationView.as_view(), name="simulation"),
    path("completions/", views.CompletionListView.as_view(), name="completions"),
    *urls_statements.urlpatterns,
]
