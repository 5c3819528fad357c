from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import services


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("账号"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(label=_("两步验证码"), required=False, allow_blank=True)

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
        token = services.api_token_for(user=serializer.validated_data["user"])
        return Response({"token": token.key}, status=status.HTTP_200_OK)
