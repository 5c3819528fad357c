from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ContractPriceViewSet, EntitlementView, QuoteView, ServiceItemViewSet, ServicePackageViewSet

router = SimpleRouter()
router.register("service-items", ServiceItemViewSet, basename="service-item")
router.register("service-packages", ServicePackageViewSet, basename="service-package")
router.register("contract-prices", ContractPriceViewSet, basename="contract-price")

urlpatterns = [
    path("quotes/", QuoteView.as_view(), name="api-quote"),
    path("entitlements/", EntitlementView.as_view(), name="api-entitlement"),
    *router.urls,
]
