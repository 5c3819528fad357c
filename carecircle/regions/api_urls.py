from rest_framework.routers import SimpleRouter

from .api import RegionViewSet

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="api-region")

urlpatterns = router.urls
