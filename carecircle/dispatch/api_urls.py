from rest_framework.routers import SimpleRouter

from .api import MyDayViewSet, PlanViewSet, ShiftViewSet

router = SimpleRouter()
router.register("dispatch/shifts", ShiftViewSet, basename="dispatch-shift")
router.register("dispatch/plans", PlanViewSet, basename="dispatch-plan")
router.register("dispatch/my-day", MyDayViewSet, basename="dispatch-my-day")

urlpatterns = router.urls
