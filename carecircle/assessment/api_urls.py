from rest_framework.routers import SimpleRouter

from .api import AssessmentViewSet, CareLevelViewSet, InstrumentViewSet, OrderViewSet

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="instrument")
router.register("assessment-orders", OrderViewSet, basename="assessment-order")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("care-levels", CareLevelViewSet, basename="care-level")

urlpatterns = router.urls
