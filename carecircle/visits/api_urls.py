from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("visits", api.VisitViewSet, basename="api-visit")

urlpatterns = [
    path("work-orders/<int:pk>/check-in/", api.CheckInView.as_view(), name="api-visit-check-in"),
    path("work-orders/<int:pk>/items/", api.ItemsView.as_view(), name="api-visit-items"),
    path("work-orders/<int:pk>/confirm/", api.ConfirmView.as_view(), name="api-visit-confirm"),
    path("work-orders/<int:pk>/check-out/", api.CheckOutView.as_view(), name="api-visit-check-out"),
    path("work-orders/<int:pk>/not-home/", api.NotHomeView.as_view(), name="api-visit-not-home"),
    *router.urls,
]
