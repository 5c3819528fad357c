"""Region pages: the tree of the user's scope, a region with its boundary map, and the CSV import."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.roles import has_capability
from carecircle.core.views import CapabilityRequiredMixin, ScopedDetailView

from . import selectors, services
from .forms import RegionImportForm
from .models import Region


class RegionTreeView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "regions.view"
    template_name = "regions/tree.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tree"] = selectors.region_tree(user=self.request.user)
        context["can_import"] = has_capability(self.request.user, "regions.change")
        return context


class RegionDetailView(ScopedDetailView):
    capability = "regions.view"
    model = Region
    template_name = "regions/detail.html"
    context_object_name = "region"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region = self.object
        children = list(selectors.region_children(user=self.request.user, region=region))
        features = [{"type": "Feature", "geometry": child.boundary,
                     "properties": {"name": child.name, "code": child.code, "role": "child"}}
                    for child in children if child.boundary]
        if region.boundary:
            features.insert(0, {"type": "Feature", "geometry": region.boundary,
                                "properties": {"name": region.name, "code": region.code, "role": "self"}})
        context.update(children=children, ancestors=list(region.ancestors()),
                       map_data={"type": "FeatureCollection", "features": features},
                       has_map=bool(features))
        return context


class RegionImportView(CapabilityRequiredMixin, generic.FormView):
    """Upload → preview (every error listed, nothing stored) → confirm → all rows stored in one go."""

    capability = "regions.change"
    template_name = "regions/import.html"
    form_class = RegionImportForm

    def form_valid(self, form):
        text = form.cleaned_data["text"]
        confirmed = bool(form.cleaned_data.get("confirm")) and not form.cleaned_data.get("file")
        report = services.regions_import_csv(actor=self.request.user, text=text, dry_run=not confirmed)
        if confirmed and not report.errors:
            messages.success(self.request, _("导入完成：新增 %(c)d 个，更新 %(u)d 个区域。") % {
                "c": report.created, "u": report.updated})
            return redirect("regions:list")
        preview_form = RegionImportForm(initial={"text": text, "confirm": True})
        return self.render_to_response(self.get_context_data(form=preview_form, report=report,
                                                             line_count=max(text.count("\n") - 1, 0)))
