from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.ItemListView.as_view(), name="list"),
    path("export.csv", views.ItemExportView.as_view(), name="export"),
    path("items/new/", views.ItemCreateView.as_view(), name="item-create"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item-detail"),
    path("items/<int:pk>/edit/", views.ItemEditView.as_view(), name="item-edit"),
    path("packages/", views.PackageListView.as_view(), name="package-list"),
    path("packages/<int:pk>/", views.PackageDetailView.as_view(), name="package-detail"),
    path("prices/", views.ContractPriceListView.as_view(), name="price-list"),
    path("prices/export.csv", views.ContractPriceExportView.as_view(), name="price-export"),
    path("prices/new/", views.ContractPriceCreateView.as_view(), name="price-create"),
    path("funding/", views.FundingRulesView.as_view(), name="funding"),
    path("quote/", views.QuoteCalculatorView.as_view(), name="quote"),
]
