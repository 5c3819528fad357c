from rest_framework.routers import SimpleRouter

from .api import FacilityViewSet, OrganisationViewSet, StaffViewSet

router = SimpleRouter()
router.register("providers", OrganisationViewSet, basename="api-provider")
router.register("facilities", FacilityViewSet, basename="api-facility")
router.register("staff", StaffViewSet, basename="api-staff")

urlpatterns = router.urls
