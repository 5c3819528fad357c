"""Pages. Every object is loaded through the app's selectors (visible_to plus the agency's assignment):
another scope's, or another agency's, answers 404."""
from __future__ import annotations


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core import exports
from carecircle.core.isolation import acts_for, visible_to
from carecircle.core.params import InvalidParameter, parse_id, query_int
from carecircle.core.policy import MissingPolicyParameter, policy_value
from carecircle.core.roles import has_capability
from carecircle.core.views import CapabilityRequiredMixin, ScopedDetailView, ScopedListView, flash_error
from carecircle.core.workflow import IllegalStep
from carecircle.providers.models import Facility, Organisation

from . import documents, selectors, services
from .choices import INSTITUTION_KINDS, Escalation, InspectionStatus, ProblemStatus
from .models import Consortium, ConsortiumMember, Inspection, InspectionPhoto, Problem, RectificationNotice, StarRating
from .workflow import INSPECTION_FLOW, PROBLEM_FLOW


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


def checklist(inspection) -> list[dict]:
    """The scheme's parts and items in the reader's language, with the points and notes recorded so far."""
    english = _english()
    points, notes = inspection.points or {}, inspection.item_notes or {}
    parts = []
    for part in inspection.scheme.data["parts"]:
        parts.append({
            "code": part["code"], "name": part["name_en"] if english else part["name_zh"],
            "max_points": part["max_points"],
            "items": [{"code": item["code"], "text": item["text_en"] if english else item["text_zh"],
                       "evidence": item["evidence_en"] if english else item["evidence_zh"],
                       "max_points": item["max_points"], "points": points.get(item["code"], ""),
                       "note": notes.get(item["code"], "")} for item in part["items"]],
        })
    return parts


def hazards(inspection) -> list[dict]:
    english = _english()
    chosen = set(inspection.hard_stops or [])
    return [{"code": item["code"], "category": item["category_en"] if english else item["category_zh"],
             "text": item["text_en"] if english else item["text_zh"], "checked": item["code"] in chosen,
             "note": (inspection.item_notes or {}).get(item["code"], "")}
            for item in selectors.hazard_items(inspection.scheme)]


def trace_lines(inspection) -> list[str]:
    """Every rule that applied, as sentences."""
    english = _english()
    names = {p["code"]: (p["name_en"] if english else p["name_zh"]) for p in inspection.scheme.data["parts"]}
    hazard_text = {h["code"]: h for h in hazards(inspection)}
    lines = []
    for rule in inspection.trace.get("rules", []):
        if rule["kind"] == "band":
            lines.append(_("总分 %(points)s 分，达到 %(stars)d 星分数段（%(threshold)s 分起）")
                         % {"points": rule["points"], "stars": rule["stars"], "threshold": rule["threshold"]})
        elif rule["kind"] == "no_band":
            lines.append(_("总分 %(points)s 分，未达到任何星级分数段") % {"points": rule["points"]})
        elif rule["kind"] == "part_below_minimum":
            lines.append(_("“%(part)s”部分得分 %(points)s 分，低于该部分最低要求 %(threshold)s 分，不评星级")
                         % {"part": names.get(rule["part"], rule["part"]), "points": rule["points"],
                            "threshold": rule["threshold"]})
        elif rule["kind"] == "hard_stop":
            hazard = hazard_text.get(rule["item"], {})
            lines.append(_("重大事故隐患：%(text)s——检查不合格") % {"text": hazard.get("text", rule["item"])})
    return lines


def _points_from_post(inspection, post) -> tuple[dict, list, dict]:
    points, notes = {}, {}
    for part in inspection.scheme.data["parts"]:
        for item in part["items"]:
            value = post.get(f"points-{item['code']}", "").strip()
            if value != "":
                points[item["code"]] = value
            note = post.get(f"note-{item['code']}", "").strip()
            if note:
                notes[item["code"]] = note
    chosen = post.getlist("hazard")
    for code in chosen:
        note = post.get(f"note-{code}", "").strip()
        if note:
            notes[code] = note
    return points, chosen, notes


class InspectionListView(ScopedListView):
    capability = "inspections.view"
    model = Inspection
    template_name = "inspections/inspection_list.html"

    def get_base_queryset(self):
        queryset = selectors.inspections_for(self.request.user)
        status = self.request.GET.get("status", "")
        if status in InspectionStatus.values:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = InspectionStatus.choices
        context["status"] = self.request.GET.get("status", "")
        context["can_plan"] = has_capability(self.request.user, "inspections.plan")
        context["can_compare"] = has_capability(self.request.user, "inspections.overdue")
        return context


class InspectionDetailView(ScopedDetailView):
    capability = "inspections.view"
    model = Inspection
    template_name = "inspections/inspection_detail.html"
    context_object_name = "inspection"

    def get_base_queryset(self):
        return selectors.inspections_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection, user = self.object, self.request.user
        allowed = INSPECTION_FLOW.allowed_actions(inspection, user)
        assigned = services.is_assigned(user, inspection)
        notice = RectificationNotice.objects.filter(inspection=inspection).first()
        context.update({
            "parts": checklist(inspection), "hazards": [h for h in hazards(inspection) if h["checked"]],
            "rules": trace_lines(inspection), "photos": inspection.photos.all(), "notice": notice,
            "can_do": assigned and "submit" in allowed,
            "can_acknowledge": "acknowledge" in allowed and acts_for(user, inspection),
            "can_issue": assigned and "issue_notice" in allowed and notice is None,
            "can_rate": "rate" in allowed and inspection.scheme.kind == "star_rating",
            "grades": inspection.scheme.data.get("grades") or [b["stars"] for b in inspection.scheme.data["bands"]],
            "default_days": _default_days(inspection.facility),
            "problem_rows": range(3),
        })
        return context


def _default_days(facility):
    try:
        return policy_value("inspections.rectification.default_working_days", region=facility.community)
    except MissingPolicyParameter:
        return ""


class InspectionObjectMixin(CapabilityRequiredMixin):
    """The inspection named in the URL, through the app's selector (404 outside the reader's assignment)."""

    model = Inspection

    @cached_property
    def object(self):
        return get_object_or_404(selectors.inspections_for(self.request.user), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.capability and has_capability(request.user, self.capability):
            self.object  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


class InspectionDoView(InspectionObjectMixin, generic.TemplateView):
    """The checklist on a phone: item by item, hard stops, notes, the manager on site; saved as a draft or
    submitted. The page keeps what is typed in the browser while the connection is down (offline.js)."""

    capability = "inspections.inspect"
    template_name = "inspections/inspection_do.html"

    def get(self, request, *args, **kwargs):
        if not services.is_assigned(request.user, self.object):
            raise PermissionDenied(_("“%(facility)s”的这次检查没有分派给您") % {"facility": self.object.facility})
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.object
        context.update({"inspection": inspection, "parts": checklist(inspection), "hazards": hazards(inspection),
                        "photos": inspection.photos.all(),
                        "editable": inspection.status in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS),
                        "all_codes": [i["code"] for p in checklist(inspection) for i in p["items"]]
                        + [h["code"] for h in hazards(inspection)]})
        return context

    def post(self, request, *args, **kwargs):
        inspection = self.object
        points, chosen, notes = _points_from_post(inspection, request.POST)
        fields = {"points": points, "hard_stops": chosen, "item_notes": notes, "notes": request.POST.get("notes", "")}
        try:
            if request.POST.get("action") == "submit":
                services.inspection_submit(actor=request.user, inspection=inspection,
                                           manager_name=request.POST.get("manager_name", ""), **fields)
                messages.success(request, _("检查结果已提交。"))
                return redirect("inspections:detail", inspection.pk)
            services.inspection_save(actor=request.user, inspection=inspection, **fields)
            messages.success(request, _("草稿已保存。"))
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
            # Keep what was typed on the page: show the submitted values again.
            inspection.points, inspection.hard_stops, inspection.item_notes = points, chosen, notes
            inspection.notes = fields["notes"]
            return self.render_to_response(self.get_context_data(), status=400)
        return redirect("inspections:do", inspection.pk)


class InspectionStepView(InspectionObjectMixin, generic.View):
    """acknowledge / photo / notice / rate, each a POST from the inspection's pages."""

    capability = "inspections.view"
    step = ""

    def post(self, request, *args, **kwargs):
        inspection, user = self.object, request.user
        target = redirect("inspections:detail", inspection.pk)
        try:
            if self.step == "acknowledge":
                services.inspection_acknowledge(actor=user, inspection=inspection,
                                                comment=request.POST.get("comment", ""))
                messages.success(request, _("已确认检查结果。"))
            elif self.step == "photo":
                services.inspection_photo_add(actor=user, inspection=inspection, upload=request.FILES.get("image"),
                                              item_code=request.POST.get("item_code", ""),
                                              caption=request.POST.get("caption", ""))
                messages.success(request, _("照片已上传。"))
                target = redirect("inspections:do", inspection.pk)
            elif self.step == "notice":
                problems = []
                codes = request.POST.getlist("item_code")
                descriptions = request.POST.getlist("description")
                days = request.POST.getlist("working_days")
                for code, description, n in zip(codes, descriptions, days):
                    if code.strip() or description.strip():
                        problems.append({"item_code": code, "description": description, "working_days": n})
                notice = services.notice_issue(actor=user, inspection=inspection, problems=problems)
                messages.success(request, _("整改意见书已下达。"))
                target = redirect("inspections:notice-detail", notice.pk)
            elif self.step == "rate":
                rating = services.rating_decide(actor=user, inspection=inspection, stars=request.POST.get("stars"),
                                                reason=request.POST.get("reason", ""))
                messages.success(request, _("已评定为 %(stars)d 星。") % {"stars": rating.stars})
            else:
                raise Http404
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
            if self.step == "photo" and services.is_assigned(user, inspection):
                target = redirect("inspections:do", inspection.pk)
        return target


class PhotoView(ScopedDetailView):
    """A photo, served only to those who may see its inspection (never from a public folder)."""

    model = InspectionPhoto
    capability = "inspections.view"

    def get_base_queryset(self):
        return selectors.photos_for(self.request.user)

    def render_to_response(self, context, **response_kwargs):
        from carecircle.core.uploads import extension_for, file_response

        photo = self.object
        return file_response(photo.image, content_type=photo.content_type,
                             download_name=f"inspection-{photo.inspection_id}-photo-{photo.pk}"
                                           f"{extension_for(photo.content_type)}")


class PlanView(CapabilityRequiredMixin, generic.TemplateView):
    """The district generates a quarter's plan: quarterly centres, annual rated institutions, re-checks."""

    capability = "inspections.plan"
    template_name = "inspections/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update({"year": today.year, "quarter": (today.month - 1) // 3 + 1, "quarters": [1, 2, 3, 4]})
        return context

    def post(self, request, *args, **kwargs):
        try:
            year = int(request.POST.get("year", ""))
            quarter = int(request.POST.get("quarter", ""))
        except ValueError:
            messages.error(request, _("请填写有效的年度和季度（1–4）"))
            return redirect("inspections:plan")
        try:
            created = services.plan_generate(actor=request.user, year=year, quarter=quarter)
        except (ValidationError, PermissionDenied) as error:
            flash_error(request, error)
            return redirect("inspections:plan")
        messages.success(request, _("已生成 %(n)d 次检查。") % {"n": len(created)})
        return redirect("inspections:list")


class NoticeListView(ScopedListView):
    capability = "inspections.view"
    model = RectificationNotice
    template_name = "inspections/notice_list.html"

    def get_base_queryset(self):
        return selectors.notices_for(self.request.user).prefetch_related("problems")


class NoticeDetailView(ScopedDetailView):
    capability = "inspections.view"
    model = RectificationNotice
    template_name = "inspections/notice_detail.html"
    context_object_name = "notice"

    def get_base_queryset(self):
        return selectors.notices_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notice, user = self.object, self.request.user
        rows = []
        today = timezone.localdate()
        for problem in notice.problems.all():
            allowed = PROBLEM_FLOW.allowed_actions(problem, user)
            checker = services.is_assigned(user, notice.inspection) or has_capability(user, "inspections.rate")
            rows.append({
                "problem": problem, "label": documents.item_label(notice.inspection, problem.item_code),
                "overdue": problem.status in (ProblemStatus.OPEN, ProblemStatus.RESPONDED) and problem.due_on < today,
                "can_respond": "respond" in allowed and acts_for(user, problem),
                "can_check": services.is_assigned(user, notice.inspection) and "close" in allowed,
                "can_escalate": checker and "escalate" in allowed,
            })
        context.update({"rows": rows, "escalations": Escalation.choices})
        return context


class NoticePdfView(ScopedDetailView):
    capability = "inspections.view"
    model = RectificationNotice

    def get_base_queryset(self):
        return selectors.notices_for(self.request.user)

    def render_to_response(self, context, **response_kwargs):
        notice = self.object
        exports.record_export(actor=self.request.user, what="inspections.notice", rows=1, fmt="pdf",
                              request=self.request, subject=notice)
        response = HttpResponse(documents.render_pdf(notice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
        return response


class ProblemObjectMixin(CapabilityRequiredMixin):
    model = Problem

    @cached_property
    def object(self):
        return get_object_or_404(selectors.problems_for(self.request.user), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.capability and has_capability(request.user, self.capability):
            self.object  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


class ProblemStepView(ProblemObjectMixin, generic.View):
    capability = "inspections.view"
    step = ""

    def post(self, request, *args, **kwargs):
        problem, user = self.object, request.user
        try:
            if self.step == "respond":
                services.problem_respond(actor=user, problem=problem, response=request.POST.get("response", ""),
                                         upload=request.FILES.get("evidence"))
                messages.success(request, _("整改材料已提交，等待复查。"))
            elif self.step == "close":
                services.problem_close(actor=user, problem=problem, note=request.POST.get("note", ""))
                messages.success(request, _("复查通过，问题已销号。"))
            elif self.step == "return":
                services.problem_return(actor=user, problem=problem, reason=request.POST.get("reason", ""))
                messages.success(request, _("已退回整改。"))
            elif self.step == "escalate":
                services.problem_escalate(actor=user, problem=problem, escalation=request.POST.get("escalation", ""),
                                          reason=request.POST.get("reason", ""))
                messages.success(request, _("已升级处理。"))
            else:
                raise Http404
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
        return redirect("inspections:notice-detail", problem.notice_id)


class EvidenceView(ScopedDetailView):
    model = Problem
    capability = "inspections.view"

    def get_base_queryset(self):
        return selectors.problems_for(self.request.user).exclude(evidence="")

    def render_to_response(self, context, **response_kwargs):
        from carecircle.core.uploads import extension_for, file_response

        problem = self.object
        return file_response(problem.evidence, content_type=problem.evidence_type,
                             download_name=f"rectification-{problem.notice_id}-{problem.pk}"
                                           f"{extension_for(problem.evidence_type)}")


class OverdueView(ScopedListView):
    """The district's queue of rectification problems past their deadline."""

    capability = "inspections.overdue"
    model = Problem
    template_name = "inspections/overdue.html"

    def get_base_queryset(self):
        return selectors.overdue_problems(self.request.user).select_related("notice__facility")


class PublicRatingsView(CapabilityRequiredMixin, generic.TemplateView):
    """The published star ratings a family can read: every facility with a rating in force."""

    capability = "inspections.scorecard"
    template_name = "inspections/ratings_public.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["ratings"] = selectors.published_ratings()
        return context


class RatingListView(ScopedListView):
    capability = "inspections.view"
    model = StarRating
    template_name = "inspections/rating_list.html"

    def get_base_queryset(self):
        return selectors.ratings_for(self.request.user)


class SubsidyView(CapabilityRequiredMixin, generic.TemplateView):
    """The operating subsidy by star rating, per facility, for a year (the settlement run pays it)."""

    capability = "inspections.rate"
    template_name = "inspections/subsidies.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = query_int(self.request.GET, "year", minimum=2000, maximum=2100, default=timezone.localdate().year)
        try:
            rows = selectors.subsidy_table(self.request.user, year=year)
            missing = ""
        except MissingPolicyParameter as error:
            rows, missing = [], str(error)
        context.update({"year": year, "rows": rows, "missing": missing})
        return context


class ScorecardView(CapabilityRequiredMixin, generic.TemplateView):
    """One facility: rating in force, latest inspections, open and overdue problems."""

    capability = "inspections.view"
    model = Facility
    template_name = "inspections/scorecard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        facility = get_object_or_404(selectors.facilities_for(self.request.user).select_related("organisation"),
                                     pk=self.kwargs["pk"])
        context["card"] = selectors.facility_scorecard(self.request.user, facility)
        context["today"] = timezone.localdate()
        return context




def _service_by_facility(user, rows, month):
    service = selectors.service_figures(user, month=month)
    for row in rows:
        row.service = service.get(row.organisation_id)


class ComparisonDrillMixin:
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        month = selectors.last_month()
        _service_by_facility(self.request.user, context["object_list"], month)
        context.update({"month": month, "can_publish": has_capability(self.request.user, "inspections.rate")})
        return context


def _pick(queryset, raw, name, message):
    """The row a form names, within the user's reach; a clear refusal otherwise."""
    pk = parse_id(raw, name=name)
    row = queryset.filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise ValidationError({name: message})
    return row


class PublishedScorecardsView(CapabilityRequiredMixin, generic.TemplateView):
    """The published scorecards a family can read: per provider, facility and consortium, for a month the
    district published. The district publishes a finished month here."""

    capability = "inspections.scorecard"
    template_name = "inspections/scorecards_public.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        available = list(selectors.publications())
        chosen = None
        wanted = query_int(self.request.GET, "publication", minimum=1, maximum=2**31 - 1, default=None)
        if wanted is not None:
            chosen = next((p for p in available if p.pk == wanted), None)
            if chosen is None:
                raise Http404
        chosen = chosen or (available[0] if available else None)
        context.update({
            "publications": available, "publication": chosen,
            "providers": selectors.published_rows(chosen, kind="provider") if chosen else [],
            "facilities": selectors.published_rows(chosen, kind="facility") if chosen else [],
            "consortia": selectors.published_rows(chosen, kind="consortium") if chosen else [],
            "can_publish": has_capability(self.request.user, "inspections.rate"),
            "last_month": selectors.last_month(),
        })
        return context

    def post(self, request, *args, **kwargs):
        if not has_capability(request.user, "inspections.rate"):
            raise PermissionDenied
        try:
            publication = services.scorecards_publish(actor=request.user, month=request.POST.get("month", ""))
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
            return redirect("inspections:scorecards-public")
        messages.success(request, _("%(month)s 的服务评价已发布。") % {"month": f"{publication.month:%Y-%m}"})
        return redirect(f"{reverse('inspections:scorecards-public')}?publication={publication.pk}")


class ProviderListsView(CapabilityRequiredMixin, generic.TemplateView):
    """The four lists: who is on each today, the history of entries and exits with their reasons; the district
    enters and exits providers here."""

    capability = "inspections.view"
    template_name = "inspections/provider_lists.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        lists = selectors.provider_lists()
        entries = list(selectors.list_entries(user))
        for code, item in lists.items():
            item["current"] = [e for e in entries if e.list_code == code and e.exited_on is None]
        context.update({
            "lists": lists.values(), "history": entries, "names": {c: i["name"] for c, i in lists.items()},
            "can_manage": has_capability(user, "inspections.lists"),
            "organisations": (visible_to(user, Organisation).filter(is_active=True).order_by("name")
                              if has_capability(user, "inspections.lists") else []),
        })
        return context

    def post(self, request, *args, **kwargs):
        user = request.user
        if not has_capability(user, "inspections.lists"):
            raise PermissionDenied
        try:
            if request.POST.get("action") == "exit":
                entry = _pick(selectors.list_entries(user), request.POST.get("entry"), "entry",
                              _("请选择要移出的记录"))
                services.provider_list_exit(actor=user, entry=entry, reason=request.POST.get("reason", ""))
                messages.success(request, _("已移出清单。"))
            else:
                organisation = _pick(visible_to(user, Organisation), request.POST.get("organisation"), "organisation",
                                     _("请选择服务机构"))
                services.provider_list_enter(actor=user, organisation=organisation,
                                             list_code=request.POST.get("list_code", ""),
                                             reason=request.POST.get("reason", ""))
                messages.success(request, _("已列入清单。"))
        except (ValidationError, IllegalStep, PermissionDenied, InvalidParameter) as error:
            flash_error(request, error)
        return redirect("inspections:lists")


class ConsortiumListView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "inspections.view"
    template_name = "inspections/consortium_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_manage = has_capability(user, "inspections.lists")
        context.update({
            "consortia": selectors.consortia_for(user), "can_manage": can_manage,
            "institutions": (visible_to(user, Facility).filter(is_active=True, kind__in=INSTITUTION_KINDS)
                             .order_by("name") if can_manage else []),
            "unification_fields": [(key, selectors.unification_label(key)) for key in services.UNIFICATIONS],
        })
        return context

    def post(self, request, *args, **kwargs):
        user = request.user
        if not has_capability(user, "inspections.lists"):
            raise PermissionDenied
        try:
            institution = _pick(visible_to(user, Facility), request.POST.get("institution"), "institution",
                                _("请选择牵头的养老机构"))
            consortium = services.consortium_create(
                actor=user, name=request.POST.get("name", ""), institution=institution,
                unifications={key: request.POST.get(f"u-{key}", "") for key in services.UNIFICATIONS})
        except (ValidationError, PermissionDenied, InvalidParameter) as error:
            flash_error(request, error)
            return redirect("inspections:consortia")
        messages.success(request, _("联合体已登记。"))
        return redirect("inspections:consortium", consortium.pk)


class ConsortiumView(CapabilityRequiredMixin, generic.TemplateView):
    """One scorecard for the chain and its members, with the five unifications."""

    capability = "inspections.view"
    model = Consortium
    template_name = "inspections/consortium.html"

    @cached_property
    def consortium(self):
        return get_object_or_404(selectors.consortia_for(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        card = selectors.consortium_scorecard(user, self.consortium)
        can_manage = has_capability(user, "inspections.lists")
        taken = ConsortiumMember.objects.values("facility_id")
        context.update({
            "card": card, "can_manage": can_manage,
            "candidates": (visible_to(user, Facility).filter(is_active=True, organisation=self.consortium.lead)
                           .exclude(kind__in=INSTITUTION_KINDS).exclude(pk__in=taken).order_by("name")
                           if can_manage else []),
        })
        return context

    def post(self, request, *args, **kwargs):
        user, consortium = request.user, self.consortium
        if not has_capability(user, "inspections.lists"):
            raise PermissionDenied
        try:
            facility = _pick(visible_to(user, Facility), request.POST.get("facility"), "facility",
                             _("请选择要加入的设施"))
            services.consortium_member_add(actor=user, consortium=consortium, facility=facility)
            messages.success(request, _("成员已加入联合体。"))
        except (ValidationError, PermissionDenied, InvalidParameter) as error:
            flash_error(request, error)
        return redirect("inspections:consortium", consortium.pk)


class ComparisonView(ComparisonDrillMixin, ScopedListView):
    """The district's comparison of its facilities: rating, latest score, open and overdue problems; each row
    opens the facility's record."""

    capability = "inspections.overdue"
    model = Facility
    template_name = "inspections/comparison.html"

    def get_base_queryset(self):
        return selectors.facility_comparison(self.request.user)
