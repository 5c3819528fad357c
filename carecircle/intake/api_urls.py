from rest_framework.routers import SimpleRouter

from .api import ApplicationTypeViewSet, ApplicationViewSet

router = SimpleRouter()
router.register("application-types", ApplicationTypeViewSet, basename="application-type")
router.register("applications", ApplicationViewSet, basename="application")

urlpatterns = router.urls
