from rest_framework.routers import SimpleRouter

from .api import ComplaintViewSet, ReturnVisitViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("return-visits", ReturnVisitViewSet, basename="return-visit")

urlpatterns = router.urls
