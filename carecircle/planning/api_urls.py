from rest_framework.routers import SimpleRouter

from .api import CoverageViewSet, SiteStudyViewSet

router = SimpleRouter()
# The studies first: "coverage/sites/" must not be read as a coverage detail.
router.register("coverage/sites", SiteStudyViewSet, basename="planning-site-study")
router.register("coverage", CoverageViewSet, basename="planning-coverage")

urlpatterns = router.urls
