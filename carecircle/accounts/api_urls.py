from django.urls import path

from .api import ObtainTokenView, RefreshTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/token/refresh/", RefreshTokenView.as_view(), name="api-token-refresh"),
]
