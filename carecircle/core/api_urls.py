from rest_framework.routers import SimpleRouter

from .api_views import PolicyParameterViewSet

router = SimpleRouter()
router.register("policy-parameters", PolicyParameterViewSet, basename="api-policy-parameter")

urlpatterns = router.urls
