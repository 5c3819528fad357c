from rest_framework.routers import SimpleRouter

from .api import ElderViewSet

router = SimpleRouter()
router.register("elders", ElderViewSet, basename="elder")

urlpatterns = router.urls
