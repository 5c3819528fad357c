from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from carecircle.core.policy import MissingPolicyParameter, policy_label

from . import services
from .authentication import ApiTokenAuthentication
from .models import User


class TokenRequestSerializer(serializers.Serializer):
    # Bounded like the sign-in page's form: an overlong username never reaches authenticate(), whose failed-login
    # record (django-axes) keeps at most 255 characters.
    username = serializers.CharField(label=_("账号"), max_length=User._meta.get_field("username").max_length)
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False,
                                     max_length=4096)
    otp = serializers.CharField(label=_("两步验证码"), required=False, allow_blank=True, max_length=32)

    def validate(self, attrs):
        request = self.context["request"]
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError({"non_field_errors": [_("账号或密码不正确，或尝试次数过多已被暂时锁定。")]})
        if user_has_device(user, confirmed=True):
            if not attrs.get("otp"):
                raise serializers.ValidationError({"otp": [_("该账号已开启两步验证，请提供验证码。")]})
            if match_token(user, attrs["otp"]) is None:
                raise serializers.ValidationError({"otp": [_("验证码不正确或已过期。")]})
        attrs["user"] = user
        return attrs


class ObtainTokenView(APIView):
    """POST username and password (and a TOTP code for staff who enabled it); returns the API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenRequestSerializer,
                   responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        _token, key = _issue_or_refuse(lambda: services.api_token_issue(user=user, label=_client_label(request)))
        return Response({"token": key}, status=status.HTTP_200_OK)


class RefreshTokenView(APIView):
    """POST with a valid, unexpired token in `Authorization: Token <key>`: returns a new token; the old one
    stops working at once. Apps and devices call it before the token expires; an expired one cannot be
    refreshed (sign in again)."""

    permission_classes = [IsAuthenticated]
    authentication_classes = [ApiTokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=None, responses={200: inline_serializer("TokenRefreshResponse",
                                                                   {"token": serializers.CharField()})})
    def post(self, request):
        _token, key = _issue_or_refuse(lambda: services.api_token_refresh(actor=request.user, token=request.auth))
        return Response({"token": key}, status=status.HTTP_200_OK)


def _client_label(request) -> str:
    return (request.META.get("HTTP_USER_AGENT") or "")[:120]


def _issue_or_refuse(issue):
    try:
        return issue()
    except MissingPolicyParameter:
        # No lifetime configured means no token: one that never expires is what the parameter prevents. Answered
        # like every other unset policy value in the API (400 naming the parameter), never as a server error.
        raise serializers.ValidationError({"non_field_errors": [
            _("接口令牌的有效期（政策参数“%(param)s”）尚未设置，暂时无法发放令牌，请联系区民政管理员。")
            % {"param": policy_label(services.TOKEN_LIFETIME_KEY)}]})
