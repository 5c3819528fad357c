import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.core.params import InvalidParameter, parse_id

from . import selectors, services
from .forms import LoginForm, OtpForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    form = OtpForm(request.POST or None)
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("token", _("验证码不正确或已过期，请查看身份验证器上的最新验证码。"))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    if not request.user.is_staff_role and not request.user.is_superuser:
        messages.info(request, _("两步验证面向工作人员账号。"))
        return redirect("workbench:home")
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    if request.method == "POST" and request.POST.get("action") == "remove":
        services.totp_device_remove(user=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("已关闭两步验证。"))
        return redirect("accounts:otp-setup")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    form = OtpForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        if services.totp_device_confirm(user=request.user, device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            messages.success(request, _("两步验证已开启，以后登录时需要输入验证码。"))
            return redirect("workbench:home")
        form.add_error("token", _("验证码不正确，请确认手机时间准确后重试。"))
    if not confirmed and device is None:
        device = services.totp_device_start(user=request.user)
    qr_svg = ""
    if device is not None and not confirmed:
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = io.BytesIO()
        image.save(buffer)
        qr_svg = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    secret = base64.b32encode(device.bin_key).decode() if device is not None and not confirmed else ""
    return render(request, "accounts/otp_setup.html",
                  {"form": form, "confirmed": confirmed, "qr_svg": qr_svg, "secret": secret})


@login_required
def api_tokens(request):
    """The person's own API tokens: when each was issued, last used and expires; never the key itself."""
    tokens = selectors.api_tokens_of(user=request.user)
    return render(request, "accounts/api_tokens.html", {"tokens": tokens})


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke(request):
    """GET ?token=<id> asks for confirmation; POST token=<id> revokes. The token is looked up among the person's
    own: another person's token is a 404, as if it did not exist."""
    raw = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    if request.method == "GET" and not raw:
        return redirect("accounts:api-tokens")
    try:
        pk = parse_id(raw, name="token")
    except InvalidParameter:
        raise Http404 from None  # not a token number: no such token, as for another person's
    token = get_object_or_404(selectors.api_tokens_of(user=request.user), pk=pk)
    if request.method == "POST":
        try:
            services.api_token_revoke(actor=request.user, token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("令牌 %(prefix)s… 已撤销，使用它的应用或设备需要重新登录。") % {"prefix": token.prefix})
        return redirect("accounts:api-tokens")
    return render(request, "accounts/api_token_revoke.html", {"token": token})
