from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ContractPriceViewSet, EntitlementViewSet, QuoteView, ServiceItemViewSet, ServicePackageViewSet

router = SimpleRouter()
router.register("service-items", ServiceItemViewSet, basename="service-item")
router.register("service-packages", ServicePackageViewSet, basename="service-package")
router.register("entitlements", EntitlementViewSet, basename="entitlement")
router.register("contract-prices", ContractPriceViewSet, basename="contract-price")

urlpatterns = [
    path("quotes/", QuoteView.as_view(), name="api-quote"),
    *router.urls,
]
