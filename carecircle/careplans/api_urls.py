from rest_framework.routers import SimpleRouter

from .api import AbsenceViewSet, CarePlanViewSet, ServiceOrderViewSet

router = SimpleRouter()
router.register("care-plans", CarePlanViewSet, basename="care-plan")
router.register("service-orders", ServiceOrderViewSet, basename="service-order")
router.register("absences", AbsenceViewSet, basename="absence")

urlpatterns = router.urls
