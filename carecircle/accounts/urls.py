from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/", views.otp_setup, name="otp-setup"),
    path("account/2fa/verify/", views.otp_verify, name="otp-verify"),
    path("account/tokens/", views.api_tokens, name="api-tokens"),
    path("account/tokens/revoke/", views.api_token_revoke, name="api-token-revoke"),
]
