"""The elder's confirmation PIN: set by the elder or their family on the portal, or by street and community staff
at the window (never by a caregiver or provider, whose visits the PIN confirms)."""
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.views import CapabilityRequiredMixin

from . import selectors, services
from .forms import PinForm


class PinSearchView(CapabilityRequiredMixin, generic.TemplateView):
    """Staff at the window find the elder by name."""

    capability = "visits.pin_window"
    template_name = "visits/pin/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "")[:50]
        context.update(query=query, rows=selectors.elders_for_pin(self.request.user, query))
        return context


class PinSetView(CapabilityRequiredMixin, generic.FormView):
    capability = "visits.pin"
    template_name = "visits/pin/set.html"
    form_class = PinForm

    def dispatch(self, request, *args, **kwargs):
        from carecircle.elders.models import Elder

        from carecircle.core.roles import has_capability

        if request.user.is_authenticated and has_capability(request.user, self.capability):
            self.elder = visible_to(request.user, Elder).filter(pk=kwargs["elder_id"]).first()
            if self.elder is None:
                raise Http404
            if not services.may_set_pin(request.user, self.elder):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from .models import ElderConfirmationPin

        context = super().get_context_data(**kwargs)
        context.update(elder=self.elder,
                       has_pin=ElderConfirmationPin.objects.filter(elder=self.elder).exists(),
                       portal=self.request.user.role in ("elder", "family"))
        return context

    def form_valid(self, form):
        try:
            services.elder_pin_set(actor=self.request.user, elder=self.elder, pin=form.cleaned_data["pin"],
                                   pin_again=form.cleaned_data["pin_again"])
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return self.form_invalid(form)
        messages.success(self.request, _("确认码已设置。护理员上门结束时，请老人在护理员手机上输入它。"))
        if self.request.user.role in ("elder", "family"):
            return redirect("workbench:home")
        return redirect(f"{reverse('visits:pin-search')}?{urlencode({'q': self.elder.name})}")
