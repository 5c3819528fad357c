"""Staff who have set up TOTP must confirm a code before any page other than the verification page."""
from django.shortcuts import redirect
from django.urls import reverse


class StaffTwoFactorMiddleware:
    exempt_prefixes = ("/static/", "/i18n/", "/jsi18n/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.exempt_prefixes)
            and request.path not in {reverse("accounts:otp-verify"), reverse("accounts:logout")}
            and not user.is_verified()
            and _has_confirmed_device(user)
        ):
            return redirect(f"{reverse('accounts:otp-verify')}?next={request.get_full_path()}")
        return self.get_response(request)


def _has_confirmed_device(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)
