from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import AlarmViewSet, CallViewSet, DeviceEventView, DeviceViewSet

router = SimpleRouter()
router.register("hotline-alarms", AlarmViewSet, basename="hotline-alarm")
router.register("hotline-devices", DeviceViewSet, basename="hotline-device")
router.register("hotline-calls", CallViewSet, basename="hotline-call")

urlpatterns = [path("device-events/", DeviceEventView.as_view(), name="device-events"), *router.urls]
