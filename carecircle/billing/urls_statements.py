"""Statements and exports: the provider's statement, the elder's bill, the district summary, the fund's file."""

urlpatterns = []
