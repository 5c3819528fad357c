"""Pages of planning: coverage (table, map and gap map), candidate sites and site studies, and the public
service map anyone may open."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core import basemap, exports
from carecircle.core.params import InvalidParameter, query_int
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.views import CapabilityRequiredMixin, ScopedDetailView, ScopedListView, apply_errors
from carecircle.providers.models import FacilityKind

from . import selectors, services
from .forms import AdvisorForm, CandidateImportForm, ConsultationForm, GuideEntryForm, RoadNetworkForm, SiteStudyForm
from .models import SiteStudy


def read_filters(request, root):
    """kind, radius and group from the query string; bad values are a 400 naming the parameter."""
    kind = request.GET.get("kind", selectors.ALL_KINDS) or selectors.ALL_KINDS
    if kind not in dict(selectors.kind_choices()):
        raise InvalidParameter("kind", _("没有这种设施类型"))
    group = request.GET.get("group", "")
    if group not in dict(selectors.ElderGroup.choices):
        raise InvalidParameter("group", _("没有这个老人分组"))
    radius = query_int(request.GET, "radius_m", minimum=selectors.MIN_RADIUS_M, maximum=selectors.MAX_RADIUS_M)
    return kind, radius, group


def _share(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class CoverageView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "planning.view"
    template_name = "planning/coverage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        root = selectors.planning_root(user=user, code=self.request.GET.get("region", "").strip())
        kind, radius, group = read_filters(self.request, root)
        context.update(root=root, regions=selectors.regions_for_filter(user=user))
        try:
            report = selectors.coverage_report(user=user, root=root, kind=kind, radius_m=radius, group=group)
            gaps = selectors.gap_map(user=user, root=root, kind=kind, radius_m=report.radius_m, group=group)
        except MissingPolicyParameter as missing:
            context["policy_missing"] = str(missing)
            return context
        context.update(
            report=report, gaps=gaps,
            kind_choices=selectors.kind_choices(), group_choices=selectors.ElderGroup.choices,
            kind_label=selectors.kind_label(kind),
            share_columns=[(k, label) for k, label in report.kinds],
            map_data={"regions": selectors.region_features(report), "facilities": selectors.facility_points(kind),
                      "gaps": selectors.gap_features(gaps), "radius_m": report.radius_m},
            basemap=basemap.client_config(), querystring=self.request.GET.urlencode(),
        )
        return context


class CoverageExportView(CapabilityRequiredMixin, generic.View):
    """The coverage table as CSV: one row per street and community (counts only, never a person)."""

    capability = "planning.view"

    def get(self, request):
        from django.http import HttpResponse

        root = selectors.planning_root(user=request.user, code=request.GET.get("region", "").strip())
        kind, radius, group = read_filters(request, root)
        try:
            report = selectors.coverage_report(user=request.user, root=root, kind=kind, radius_m=radius, group=group)
        except MissingPolicyParameter as missing:
            from django.http import HttpResponse

            return HttpResponse(str(missing), status=409, content_type="text/plain; charset=utf-8")
        header = [_("区域"), _("层级"), _("有坐标老人"), _("覆盖老人"), _("覆盖率"), _("无坐标老人"), _("常住人口"),
                  _("户数"), _("设施面积（平方米）"), _("床位"), _("每千名老人床位")]
        norm_titles = [n.label for n in report.total.norms]
        header += [_("%(norm)s：缺口") % {"norm": t} for t in norm_titles]
        lines = []
        for street in report.rows:
            for row in [street, *street.children]:
                lines.append([row.region.name, row.region.get_kind_display(), row.elders, row.covered,
                              _share(row.share), row.unlocated, "" if row.residents is None else row.residents,
                              "" if row.households is None else row.households, row.area_m2, row.beds,
                              "" if row.beds_per_1000 is None else row.beds_per_1000,
                              *["" if n.shortfall is None else n.shortfall for n in row.norms]])
        exports.record_export(actor=request.user, what="planning.coverage", rows=len(lines), fmt="csv",
                              request=request, subject=root, columns=[str(h) for h in header])
        buffer = _csv([str(h) for h in header], lines)
        response = HttpResponse(buffer, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="coverage-{root.code}.csv"'
        return response


def _csv(header, lines) -> str:
    import io

    out = io.StringIO()
    writer = exports.SafeCsvWriter(out)
    writer.writerow(header)
    for line in lines:
        writer.writerow(line)
    return "\ufeff" + out.getvalue()


class SitesView(CapabilityRequiredMixin, generic.TemplateView):
    """Candidate sites of a region, the file import and the study form."""

    capability = "planning.view"
    template_name = "planning/sites.html"

    def get_root(self):
        return selectors.planning_root(user=self.request.user, code=self.request.GET.get("region", "").strip())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        root = kwargs.get("root") or self.get_root()
        sites = selectors.candidate_sites(user=self.request.user, root=root)
        context.update(root=root, sites=sites[:500], site_count=sites.count(),
                       regions=selectors.regions_for_filter(user=self.request.user),
                       import_form=kwargs.get("import_form") or CandidateImportForm(),
                       study_form=kwargs.get("study_form") or SiteStudyForm(initial={
                           "radius_m": selectors.default_radius(root), "site_count": 5,
                           "facility_kind": FacilityKind.MEAL_POINT}),
                       import_problems=kwargs.get("import_problems", []))
        return context


class CandidateImportView(CapabilityRequiredMixin, generic.View):
    capability = "planning.change"

    def post(self, request):
        root = selectors.planning_root(user=request.user, code=request.POST.get("region", "").strip())
        form = CandidateImportForm(request.POST, request.FILES)
        problems = []
        if form.is_valid():
            try:
                sites = services.candidate_sites_import(actor=request.user, region=root,
                                                        upload=form.cleaned_data["file"],
                                                        replace=form.cleaned_data["replace"])
            except ValidationError as exc:
                problems = exc.messages
            else:
                messages.success(request, _("已导入 %(n)d 个候选选址") % {"n": len(sites)})
                return redirect(reverse("planning:sites") + f"?region={root.code}")
        view = SitesView(request=request, kwargs={})
        context = view.get_context_data(root=root, import_form=form, import_problems=problems)
        return view.render_to_response(context, status=400)


class StudyStartView(CapabilityRequiredMixin, generic.View):
    capability = "planning.change"

    def post(self, request):
        root = selectors.planning_root(user=request.user, code=request.POST.get("region", "").strip())
        form = SiteStudyForm(request.POST)
        if form.is_valid():
            try:
                study = services.site_study_start(actor=request.user, region=root, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return redirect("planning:study", pk=study.pk)
        view = SitesView(request=request, kwargs={})
        return view.render_to_response(view.get_context_data(root=root, study_form=form), status=400)


class StudyListView(ScopedListView):
    capability = "planning.view"
    model = SiteStudy
    template_name = "planning/study_list.html"

    def get_base_queryset(self):
        return selectors.site_studies(user=self.request.user)


class StudyDetailView(ScopedDetailView):
    capability = "planning.view"
    model = SiteStudy
    template_name = "planning/study_detail.html"

    def get_base_queryset(self):
        return selectors.site_studies(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        study = self.object
        result = study.result or {}
        context.update(kind_label=selectors.kind_label(study.facility_kind), result=result,
                       gain=(result.get("optimal_total", 0) - result.get("naive_total", 0)) if result else 0,
                       map_data={"optimal": result.get("optimal", []), "naive": result.get("naive", []),
                                 "radius_m": study.radius_m, "regions": {"type": "FeatureCollection", "features": []}},
                       basemap=basemap.client_config())
        return context


class PublicMapView(generic.TemplateView):
    """The public service map: anyone, no login; facilities and what lies near a typed place. No personal
    data: the facility's public fields only, never who uses it."""

    template_name = "planning/public_map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        kind = params.get("kind", "")
        if kind and kind not in FacilityKind.values:
            kind = ""
        q = params.get("q", "").strip()[:60]
        origin = None
        origin_label = ""
        lat, lng = params.get("lat", ""), params.get("lng", "")
        if lat and lng:
            try:
                la, ln = float(lat), float(lng)
            except ValueError:
                la = ln = None
            if la is not None and -90 <= la <= 90 and -180 <= ln <= 180:
                origin, origin_label = (la, ln), _("您的位置")
        if origin is None and q:
            found = selectors.public_origin(q)
            if found is not None:
                origin, origin_label = (found[0], found[1]), found[2]
        facilities = selectors.public_facilities(kind=kind, origin=origin)
        # The map shows public facts only; tiles served by the platform need a login, so boundaries are used
        # unless the district's own tile server is configured.
        config = basemap.client_config()
        if config.get("source") == "mbtiles":
            config = {"source": "boundaries"}
        method = (selectors.WALKING_NETWORK if any(f.by_walk for f in facilities) else selectors.STRAIGHT_LINE)
        context.update(kind=kind, q=q, origin=origin, method=method, origin_label=origin_label, facilities=facilities,
                       not_found=bool(q) and origin is None, kinds=FacilityKind.choices, basemap=config,
                       map_data={"facilities": [{"lat": f.lat, "lng": f.lng, "name": f.name, "kind": f.kind}
                                                for f in facilities],
                                 "origin": list(origin) if origin else None,
                                 "regions": {"type": "FeatureCollection", "features": []}})
        return context


class NetworkListView(CapabilityRequiredMixin, generic.TemplateView):
    """The walking networks of the reader's scope, which one measures distance here, and the upload."""

    capability = "planning.view"
    template_name = "planning/networks.html"

    def get_context_data(self, **kwargs):
        from carecircle.core.roles import has_capability
        from django.utils import timezone

        context = super().get_context_data(**kwargs)
        user = self.request.user
        root = kwargs.get("root") or selectors.planning_root(user=user, code=self.request.GET.get("region", "").strip())
        try:
            reach = selectors.reach_for(root, timezone.localdate())
        except MissingPolicyParameter as missing:
            reach, context["policy_missing"] = None, str(missing)
        context.update(root=root, reach=reach, networks=selectors.road_networks(user=user)[:50],
                       regions=selectors.regions_for_filter(user=user),
                       can_change=has_capability(user, "planning.change"),
                       form=kwargs.get("form") or RoadNetworkForm())
        return context


class NetworkImportView(CapabilityRequiredMixin, generic.View):
    capability = "planning.change"

    def post(self, request):
        root = selectors.planning_root(user=request.user, code=request.POST.get("region", "").strip())
        form = RoadNetworkForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                network = services.road_network_import_start(actor=request.user, region=root,
                                                             upload=form.cleaned_data["file"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("已开始导入路网“%(name)s”") % {"name": network.name})
                return redirect("core:job-detail", pk=network.job_id)
        view = NetworkListView(request=request, kwargs={})
        return view.render_to_response(view.get_context_data(root=root, form=form), status=400)


def _guide_filters(params):
    """street, kind and search words of the guide; an unknown street or type is a 400 in words."""
    code = params.get("street", "").strip()
    street = None
    if code:
        street = selectors.guide_streets().filter(code=code).first()
        if street is None:
            raise InvalidParameter("street", _("没有这个街道"))
    kind = params.get("kind", "")
    if kind and kind not in FacilityKind.values:
        raise InvalidParameter("kind", _("没有这种设施类型"))
    return street, kind, params.get("q", "").strip()[:60]


def _guide_title(street) -> str:
    from django.utils import timezone

    from carecircle.regions.models import Region, RegionKind

    district = street.parent if street is not None else Region.objects.filter(kind=RegionKind.DISTRICT).order_by("path").first()
    place = district.name if district is not None else ""
    if street is not None:
        place = f"{place}{street.name}"
    return _("%(place)s养老服务指南（%(year)d 年）") % {"place": place, "year": timezone.localdate().year}


class GuideView(generic.TemplateView):
    """The yearly service guide: anyone, no login, big type; per street and facility type; prints as the
    booklet (the print stylesheet), or as a PDF."""

    template_name = "planning/guide.html"

    def get_context_data(self, **kwargs):
        from carecircle.core.roles import has_capability

        context = super().get_context_data(**kwargs)
        street, kind, q = _guide_filters(self.request.GET)
        sections = selectors.service_guide(street=street, kind=kind, q=q)
        context.update(street=street, kind=kind, q=q, sections=sections, streets=selectors.guide_streets(),
                       kinds=FacilityKind.choices, title=_guide_title(street), querystring=self.request.GET.urlencode(),
                       can_edit=self.request.user.is_authenticated and has_capability(self.request.user, "planning.change"))
        return context


class GuidePdfView(generic.View):
    def get(self, request):
        from django.http import HttpResponse

        from .documents import guide_pdf

        street, kind, q = _guide_filters(request.GET)
        response = HttpResponse(guide_pdf(title=_guide_title(street),
                                          sections=selectors.service_guide(street=street, kind=kind, q=q)),
                                content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="service-guide.pdf"'
        return response


class GuideEditListView(CapabilityRequiredMixin, generic.TemplateView):
    """The facilities of the reader's regions with what the guide says of each, to keep it up to date."""

    capability = "planning.change"
    template_name = "planning/guide_edit_list.html"

    def get_context_data(self, **kwargs):
        from .models import GuideEntry

        context = super().get_context_data(**kwargs)
        facilities = list(selectors.editable_facilities(user=self.request.user).order_by("community__path", "name")[:500])
        entries = {e.facility_id: e for e in GuideEntry.objects.filter(facility__in=[f.pk for f in facilities])}
        context["rows"] = [(f, entries.get(f.pk)) for f in facilities]
        return context


class GuideEntryEditView(CapabilityRequiredMixin, generic.FormView):
    capability = "planning.change"
    template_name = "planning/guide_edit.html"
    form_class = GuideEntryForm

    def dispatch(self, request, *args, **kwargs):
        from django.shortcuts import get_object_or_404

        if request.user.is_authenticated:
            self.facility = get_object_or_404(selectors.editable_facilities(user=request.user),
                                              pk=kwargs["facility_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        entry = selectors.guide_entry(self.facility.pk)
        if entry is None:
            return {}
        return {"services": entry.services, "phone": entry.phone, "eligibility": entry.eligibility,
                "prices": entry.prices}

    def get_context_data(self, **kwargs):
        return super().get_context_data(facility=self.facility, **kwargs)

    def form_valid(self, form):
        try:
            services.guide_entry_save(actor=self.request.user, facility=self.facility, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, _("已保存“%(name)s”的服务指南") % {"name": self.facility.name})
        return redirect("planning:guide-edit-list")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AdvisorsView(CapabilityRequiredMixin, generic.TemplateView):
    """Advisor points on the map with their advisors, the monthly counts of consultations, the latest ones."""

    capability = "planning.advise"
    template_name = "planning/advisors.html"

    def get_context_data(self, **kwargs):
        from carecircle.core.roles import has_capability

        context = super().get_context_data(**kwargs)
        user = self.request.user
        points = list(selectors.advisor_points(user=user))
        by_point: dict[int, list] = {}
        for advisor in selectors.advisors(user=user).filter(is_active=True):
            by_point.setdefault(advisor.point_id, []).append(advisor)
        topics, months = selectors.consultation_months(user=user)
        config = basemap.client_config()
        context.update(points=[(p, by_point.get(p.pk, [])) for p in points], topics=topics, months=months,
                       latest=selectors.consultations(user=user)[:20], basemap=config,
                       can_change=has_capability(user, "planning.change"),
                       advisor_form=kwargs.get("advisor_form") or AdvisorForm(points=points),
                       map_data={"facilities": [{"lat": float(p.lat), "lng": float(p.lng), "name": p.name,
                                                 "kind": p.get_kind_display()} for p in points],
                                 "regions": {"type": "FeatureCollection", "features": []}})
        return context


class AdvisorAddView(CapabilityRequiredMixin, generic.View):
    capability = "planning.change"

    def post(self, request):
        points = list(selectors.advisor_points(user=request.user))
        form = AdvisorForm(request.POST, points=points)
        if form.is_valid():
            point = next(p for p in points if p.pk == form.cleaned_data["point"])
            try:
                services.advisor_save(actor=request.user, point=point, name=form.cleaned_data["name"],
                                      since=form.cleaned_data["since"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("已添加养老顾问"))
                return redirect("planning:advisors")
        view = AdvisorsView(request=request, kwargs={})
        return view.render_to_response(view.get_context_data(advisor_form=form), status=400)


class ConsultationView(CapabilityRequiredMixin, generic.TemplateView):
    """Recording a consultation, made for the advisor's phone; a referral registers the application."""

    capability = "planning.advise"
    template_name = "planning/consult.html"

    def _form(self, data=None, elders=()):
        from django.utils import timezone

        user = self.request.user
        self.advisor_rows = list(selectors.advisors(user=user).filter(is_active=True, point__is_active=True))
        mine = next((a.pk for a in self.advisor_rows if a.user_id == user.pk), None)
        return ConsultationForm(data, advisors=self.advisor_rows, referral_types=selectors.referral_types(user=user),
                                elders=elders, order_items=selectors.orderable_items(user=user),
                                initial={"consulted_on": timezone.localdate(), "advisor": mine, "order_quantity": 1})

    def get(self, request):
        return self.render_to_response({"form": self._form()})

    def post(self, request):
        from carecircle.elders.selectors import elder_pick

        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_to_response({"form": form}, status=400)
        data = form.cleaned_data
        elder = None
        if data["referral_type"] or data["order_item"]:
            found, message = elder_pick(request.user, data["elder_q"])
            chosen = [e for e in found if e.pk == data.get("elder")]
            if chosen:
                elder = chosen[0]
            elif len(found) == 1:
                elder = found[0]
            else:
                form = self._form(request.POST, elders=found)
                form.is_valid()
                form.add_error("elder_q", message or (_("请从下面选择一位老人") if found else
                                                      _("没有找到这位老人，请换个写法（姓名、身份证后四位或电话）")))
                return self.render_to_response({"form": form}, status=400)
        advisor = next(a for a in self.advisor_rows if a.pk == data["advisor"])
        order = None
        if data["order_item"]:
            order, response = self._order(request, form, data, elder)
            if response is not None:
                return response
        try:
            consultation = services.consultation_record(
                actor=request.user, point=advisor.point, advisor=advisor, topic=data["topic"], advice=data["advice"],
                consulted_on=data["consulted_on"], referral_type=data["referral_type"], elder=elder, order=order)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                exc = ValidationError(_("您没有为老人下单的权限，请转热线或居委下单"))
            apply_errors(form, exc)
            return self.render_to_response({"form": form}, status=400)
        done = [_("已记录咨询")]
        if consultation.referral:
            done.append(_("已登记申请 %(number)s") % {"number": consultation.referral})
        if consultation.order_id:
            done.append(_("已为老人下单（个人自付 %(amount)s 元），等待服务机构接单") % {"amount": consultation.order.self_pay})
        messages.success(request, "；".join(str(part) for part in done))
        return redirect("planning:consult")


    def _order(self, request, form, data, elder):
        """The order the elder agreed to, or the page again with its price to tell them (nothing saved yet)."""
        from carecircle.careplans import services as order_services

        start, end = (dt.time.fromisoformat(part) for part in data["order_window"].split("-"))
        quantity = data.get("order_quantity") or Decimal(1)
        try:
            priced = order_services.order_quote(elder=elder, lines=[(data["order_item"], quantity)],
                                                service_date=data["order_date"])
        except ValidationError as exc:
            form.add_error("order_item", exc.messages)
            return None, self.render_to_response({"form": form}, status=400)
        if data.get("expected_self_pay") is None or data["expected_self_pay"] != priced.self_pay:
            values = request.POST.copy()
            values["expected_self_pay"] = f"{priced.self_pay:.2f}"
            again = self._form(values, elders=[elder])
            again.is_valid()
            return None, self.render_to_response({"form": again, "quote": priced, "quote_elder": elder})
        return {"item": data["order_item"], "quantity": quantity, "date": data["order_date"], "window_start": start,
                "window_end": end, "expected_self_pay": data["expected_self_pay"]}, None


class PopulationView(CapabilityRequiredMixin, generic.TemplateView):
    """Residents, households and estate type of each community of a street, dated: what the area norms use."""

    capability = "planning.view"
    template_name = "planning/population.html"

    def _street(self, code):
        from django.http import Http404

        streets = selectors.streets_in_scope(user=self.request.user)
        street = streets.filter(code=code).first() if code else streets.first()
        if street is None:
            raise Http404(_("没有找到这个街道，或不在您的工作范围内"))
        return street, streets

    def get_context_data(self, **kwargs):
        from django.utils import timezone

        from carecircle.core.roles import has_capability

        from .models import EstateType

        context = super().get_context_data(**kwargs)
        street, streets = self._street(kwargs.get("code") or self.request.GET.get("street", "").strip())
        context.update(street=street, streets=streets, rows=selectors.population_rows(street=street),
                       estate_types=EstateType.choices, today=timezone.localdate(),
                       can_change=has_capability(self.request.user, "planning.change"),
                       errors=kwargs.get("errors", []), posted=kwargs.get("posted"))
        return context

    def post(self, request):
        from django.core.exceptions import PermissionDenied
        from django.utils.dateparse import parse_date

        from carecircle.core.roles import has_capability

        if not has_capability(request.user, "planning.change"):
            raise PermissionDenied
        street, _streets = self._street(request.POST.get("street", "").strip())
        errors, rows = [], []
        try:
            as_of = parse_date(request.POST.get("as_of", ""))
        except ValueError:
            as_of = None
        if as_of is None:
            errors.append(_("请填写有效的统计日期"))
        for community, _current in selectors.population_rows(street=street):
            raw = {f: request.POST.get(f"{f}_{community.pk}", "").strip() for f in ("residents", "households")}
            if not raw["residents"] and not raw["households"]:
                continue
            numbers = {}
            for field, text in raw.items():
                numbers[field] = int(text) if text.isdigit() and len(text) <= 9 else text or None
            rows.append({"community": community, **numbers,
                         "estate_type": request.POST.get(f"estate_type_{community.pk}", "")})
        if not errors:
            try:
                saved = services.populations_save(actor=request.user, street=street, as_of=as_of,
                                                  source=request.POST.get("source", ""), rows=rows)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("已保存 %(n)d 个社区的人口和户数") % {"n": len(saved)})
                return redirect(reverse("planning:population") + f"?street={street.code}")
        context = self.get_context_data(code=street.code, errors=errors, posted=request.POST)
        return self.render_to_response(context, status=400)
