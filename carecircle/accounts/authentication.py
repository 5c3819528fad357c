"""How the API knows who is calling.

Sessions: the same two-factor rule as the pages. A person who has confirmed an authenticator and has only
typed the password is not signed in for the API either (the page middleware leaves /api/ to this class).

Tokens: `Authorization: Token <key>`. Only a hash of each key is stored; a key that is revoked, expired or
belongs to a deactivated account is refused with 401 and a sentence saying which.
"""
import datetime as dt

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication


def needs_second_factor(user) -> bool:
    """True while a user with a confirmed authenticator has not yet entered a code in this session."""
    from django_otp import user_has_device

    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    return user_has_device(user, confirmed=True)


class TwoFactorSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and needs_second_factor(result[0]):
            # 403, not 401: the caller is known, and a new password would not help; a code would.
            raise exceptions.PermissionDenied(
                _("该账号已开启两步验证：请先在页面上输入身份验证器中的验证码，再使用接口。"), code="otp_required")
        return result


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    # Writing "last used" on every request would turn each read into a write; a minute is precise enough.
    last_used_precision = dt.timedelta(minutes=1)

    def authenticate_credentials(self, key):
        from .models import ApiToken
        from .services import hash_key

        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("接口令牌无效。请重新登录获取令牌。"))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("接口令牌已撤销（%(reason)s）。请重新登录获取令牌。") % {"reason": token.get_revoked_reason_display()})
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("该账号已停用，请联系管理员。"))
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("接口令牌已于 %(when)s 过期。请在过期前用 /api/v1/auth/token/refresh/ 换新令牌，或重新登录获取令牌。")
                % {"when": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")})
        if token.last_used_at is None or now - token.last_used_at > self.last_used_precision:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class TwoFactorSessionScheme(OpenApiAuthenticationExtension):
    """The schema documents the session cookie as before; the second-factor rule is stated in its description."""

    target_class = TwoFactorSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
                "description": "Session of a signed-in page user; accounts with two-factor authentication must "
                               "have entered their code in this session, otherwise 403."}
