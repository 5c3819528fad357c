from rest_framework.routers import SimpleRouter

from .api import PaymentLineViewSet

router = SimpleRouter()
router.register("allowance-payments", PaymentLineViewSet, basename="api-allowance-payment")

urlpatterns = router.urls
