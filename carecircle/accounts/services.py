"""Account writes: two-factor enrolment and API tokens."""
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from carecircle.core import audit


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


def api_token_for(*, user) -> Token:
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit.record(actor=user, action="accounts.token_issued", subject=user)
    return token
