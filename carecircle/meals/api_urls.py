from rest_framework.routers import SimpleRouter

from .api import CanteenViewSet, DishViewSet, MealBookingViewSet, MealCheckoutViewSet, MenuViewSet

router = SimpleRouter()
router.register("canteens", CanteenViewSet, basename="api-canteen")
router.register("dishes", DishViewSet, basename="api-dish")
router.register("meal-menus", MenuViewSet, basename="api-meal-menu")
router.register("meal-bookings", MealBookingViewSet, basename="api-meal-booking")
router.register("meal-checkouts", MealCheckoutViewSet, basename="api-meal-checkout")

urlpatterns = router.urls
