from django.views import generic

from carecircle.core.views import CapabilityRequiredMixin


class HomeView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "billing.view"
    template_name = "billing/home.html"
