from rest_framework.routers import SimpleRouter

from .api import SettlementViewSet

router = SimpleRouter()
router.register("settlements", SettlementViewSet, basename="api-settlement")

urlpatterns = router.urls
