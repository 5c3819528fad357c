"""Policy parameter pages: values in force for a region and date, history per key, adding a dated value."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import generic

from . import selectors
from .forms import PolicyFilterForm, PolicyValueForm
from .policy import specs
from .region_tree import regions_in_scope, scope_root
from .roles import has_capability
from .services import policy_parameter_set
from .views import CapabilityRequiredMixin


def _regions(user):
    return regions_in_scope(user=user).exclude(kind="city") if not user.is_superuser else regions_in_scope(user=user)


def _chosen_region(user, code: str):
    """The region named by ?region= if it is in the user's scope (else 404), or their own top region."""
    regions = _regions(user)
    if code:
        region = regions.filter(code=code).first()
        if region is None:
            raise Http404
        return region
    return scope_root(user) or regions.filter(kind="district").first() or regions.first()


class PolicyListView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "policy.view"
    template_name = "core/policy_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = PolicyFilterForm(self.request.GET or None, regions=_regions(user))
        data = form.cleaned_data if form.is_valid() else {}
        region = data.get("region") or _chosen_region(user, "")
        on = data.get("on") or timezone.localdate()
        rows = [] if region is None else selectors.policy_overview(
            user=user, region=region, on=on, search=data.get("q", ""), needs_confirmation=data.get("unconfirmed"))
        if not form.is_bound:
            form = PolicyFilterForm(initial={"region": region.code if region else None, "on": on},
                                    regions=_regions(user))
        context.update(form=form, region=region, on=on, rows=rows,
                       can_change=has_capability(user, "policy.change"))
        return context


class PolicyDetailView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "policy.view"
    template_name = "core/policy_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, key = self.request.user, self.kwargs["key"]
        spec = specs().get(key)
        if spec is None:
            raise Http404
        region = _chosen_region(user, self.request.GET.get("region", ""))
        if region is None:
            raise Http404
        on = timezone.localdate()
        rows, in_force = selectors.policy_history(user=user, key=key, region=region, on=on)
        context.update(spec=spec, region=region, rows=rows, in_force=in_force, on=on,
                       can_change=has_capability(user, "policy.change"),
                       regions=_regions(user).filter(kind__in=["district", "street"]))
        return context


class PolicyCreateView(CapabilityRequiredMixin, generic.FormView):
    capability = "policy.change"
    template_name = "core/policy_form.html"
    form_class = PolicyValueForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["regions"] = _regions(self.request.user)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("key") in specs():
            initial["key"] = self.request.GET["key"]
        region = _chosen_region(self.request.user, self.request.GET.get("region", ""))
        if region is not None:
            initial["region"] = region.code
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            row = policy_parameter_set(actor=self.request.user, key=data["key"], region=data["region"],
                                       value=data["value"], effective_from=data["effective_from"],
                                       source=data["source"], confidence=data["confidence"], note=data["note"],
                                       reason=data["reason"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    for message in (m for e in errors for m in e.messages):
                        form.add_error(name if name in form.fields else None, message)
            else:
                form.add_error("value", error)
            return self.form_invalid(form)
        messages.success(self.request, "%s %s" % (row.key, row.effective_from))
        return HttpResponseRedirect(reverse("core:policy-detail", args=[row.key]) + "?" +
                                    urlencode({"region": row.region.code}))
