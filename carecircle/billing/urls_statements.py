"""Statements and exports: the provider's statement, the elder's bill, the district summary, the fund's file."""
from django.urls import path

from . import views_statements as views

urlpatterns = [
    path("claims/<int:pk>/statement.xlsx", views.ClaimStatementView.as_view(fmt="xlsx"), name="claim-statement-xlsx"),
    path("claims/<int:pk>/statement.pdf", views.ClaimStatementView.as_view(fmt="pdf"), name="claim-statement-pdf"),
    path("runs/<int:pk>/summary.xlsx", views.RunSummaryView.as_view(), name="run-summary-xlsx"),
    path("runs/<int:pk>/fund-file.xlsx", views.FundFileView.as_view(), name="run-fund-file"),
    path("bill/<int:elder_id>/<str:month>/", views.BillView.as_view(), name="bill"),
    path("bill/<int:elder_id>/<str:month>/pdf/", views.BillPdfView.as_view(), name="bill-pdf"),
]
