"""Account writes: two-factor enrolment and API tokens."""
import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.core import audit
from carecircle.core.policy import MissingPolicyParameter, policy_value

from .models import ApiToken, RevokeReason

TOKEN_LIFETIME_KEY = "accounts.api_token.lifetime_days"


def totp_device_start(*, user) -> TOTPDevice:
    """An unconfirmed device; it protects nothing until a code from it has been confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=user, action="accounts.2fa_enabled", subject=user)
    return True


@transaction.atomic
def totp_device_remove(*, user, reason: str = "") -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=user, action="accounts.2fa_disabled", subject=user, reason=reason)
    # Keys issued while the second factor guarded the account must not outlive it.
    api_tokens_revoke_all(actor=user, user=user, reason=RevokeReason.TWO_FACTOR_RESET)


# --- API tokens -------------------------------------------------------------------------------------------

def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_lifetime(user) -> dt.timedelta:
    """The lifetime in force for the user's region; MissingPolicyParameter when none is set."""
    from .selectors import policy_region_for

    region = policy_region_for(user)
    if region is None:
        raise MissingPolicyParameter(_("没有可用的区域来查找接口令牌有效期"))
    return dt.timedelta(days=policy_value(TOKEN_LIFETIME_KEY, region=region))


@transaction.atomic
def api_token_issue(*, user, label: str = "") -> tuple[ApiToken, str]:
    """A new token and its key, which is shown this once and never stored."""
    if not user.is_active:
        raise PermissionDenied(_("该账号已停用，请联系管理员。"))
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(user=user, key_hash=hash_key(key), prefix=key[:8], label=label[:120],
                                    created_at=now, expires_at=now + token_lifetime(user))
    audit.record(actor=user, action="accounts.token_issued", subject=user,
                 changes={"token": token.prefix, "expires_at": token.expires_at})
    return token, key


@transaction.atomic
def api_token_refresh(*, actor, token: ApiToken) -> tuple[ApiToken, str]:
    """A valid, unexpired token is exchanged for a new one; the old one stops working at once."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != actor.pk:
        raise PermissionDenied(_("只能更换自己的接口令牌。"))
    if not token.is_usable:
        raise ValidationError(_("该令牌已撤销或已过期，不能再换新；请重新登录获取令牌。"))
    _revoke(token, RevokeReason.REFRESHED)
    new, key = api_token_issue(user=actor, label=token.label)
    audit.record(actor=actor, action="accounts.token_refreshed", subject=actor,
                 changes={"old": token.prefix, "new": new.prefix})
    return new, key


def _revoke(token: ApiToken, reason: str) -> None:
    token.revoked_at = timezone.now()
    token.revoked_reason = reason
    token.save(update_fields=["revoked_at", "revoked_reason"])


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> None:
    """The person withdraws one of their own tokens (a lost phone, a retired device)."""
    if token.user_id != actor.pk:
        raise PermissionDenied(_("只能撤销自己的接口令牌。"))
    if token.revoked_at is not None:
        raise ValidationError(_("该令牌已经撤销。"))
    _revoke(token, RevokeReason.BY_USER)
    audit.record(actor=actor, action="accounts.token_revoked", subject=actor,
                 changes={"token": token.prefix, "reason": RevokeReason.BY_USER})


@transaction.atomic
def api_tokens_revoke_all(*, actor, user, reason: str) -> int:
    """Every live token of `user` stops working; recorded when there was any. Returns how many."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    prefixes = list(live.values_list("prefix", flat=True))
    if not prefixes:
        return 0
    live.update(revoked_at=timezone.now(), revoked_reason=reason)
    audit.record(actor=actor, action="accounts.tokens_revoked", subject=user,
                 changes={"tokens": prefixes, "reason": reason})
    return len(prefixes)
