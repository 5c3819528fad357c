from rest_framework.routers import SimpleRouter

from .api import InspectionViewSet, RatingSchemeViewSet, RatingViewSet, RectificationViewSet

router = SimpleRouter()
router.register("rating-schemes", RatingSchemeViewSet, basename="rating-scheme")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("rectifications", RectificationViewSet, basename="rectification")
router.register("star-ratings", RatingViewSet, basename="star-rating")

urlpatterns = router.urls
