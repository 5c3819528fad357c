"""Intake pages: street and district queues, the application page, notices, waiting lists, the public notice
board and the elder/family portal. Views parse input, call a selector or a service, and render."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import generic

from carecircle.core import exports
from carecircle.core.isolation import visible_to
from carecircle.core.roles import has_capability, is_person
from carecircle.core.sensitive import mask_phone
from carecircle.core.throttle import RateLimited
from carecircle.core.views import (
    CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView, apply_errors,
)
from carecircle.core.workflow import IllegalStep
from carecircle.regions.models import Region

from . import documents, selectors, services, texts, waitlist, workflow
from .forms import ActionForm, BulkForm, ObjectionForm, PortalApplyForm, QueueFilterForm, RegisterForm
from .models import Application, Channel, ObjectionOutcome, PublicNotice, State, WaitlistEntry


def _errors_text(error: ValidationError) -> str:
    return pgettext("message separator", "；").join(error.messages)


def _user_region(user):
    if user.scope_region_id:
        return user.scope_region
    return Region.objects.filter(kind="district").order_by("path").first()


def _types_for(user):
    region = _user_region(user)
    return services.types_for_region(region) if region is not None else []


def _queue_states(user, view: str):
    if view == "district" or (not view and has_capability(user, "intake.district")):
        return "district", selectors.DISTRICT_QUEUE_STATES
    if view == "all" or (not view and not has_capability(user, "intake.street")):
        return "all", selectors.open_states()
    return "street", selectors.STREET_QUEUE_STATES


class QueueView(ScopedListView):
    """The street queue (by state, overdue first, counts in tabs) or the district review queue."""

    model = Application
    capability = "intake.queue"
    template_name = "intake/queue.html"

    @cached_property
    def filters(self):
        form = QueueFilterForm(self.request.GET or None, types=_types_for(self.request.user))
        return form, (form.cleaned_data if form.is_valid() else {})

    @cached_property
    def view_and_states(self):
        return _queue_states(self.request.user, self.request.GET.get("view", ""))

    def get_queryset(self):
        _form, data = self.filters
        _view, states = self.view_and_states
        state = self.request.GET.get("state", "")
        return selectors.application_queue(
            self.request.user, states=states, state=state if state in State.values else "", search=data.get("q", ""),
            type_code=data.get("type", ""), channel=data.get("channel", ""), overdue=bool(data.get("overdue")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        view, states = self.view_and_states
        user = self.request.user
        context.update(
            filter_form=self.filters[0], view=view, tabs=selectors.state_counts(user, states=states),
            current_state=self.request.GET.get("state", ""), today=timezone.localdate(),
            overdue_total=selectors.overdue_count(user), can_register=has_capability(user, "intake.submit"),
            can_bulk=has_capability(user, "intake.street") or has_capability(user, "intake.district"),
            bulk_actions=[a for a in ("accept", "pass_first_review", "pass_district_review")
                          if any(has_capability(user, c) for c in workflow.BY_ACTION[a].capabilities)],
            labels={a: workflow.BY_ACTION[a].label for a in workflow.BY_ACTION},
        )
        return context


class ExportView(ScopedCsvExportView):
    model = Application
    capability = "intake.queue"
    filename = "applications.csv"

    @property
    def header(self):
        return [_("申请编号"), _("老人"), _("社区"), _("申请类型"), _("渠道"), _("状态"), _("办理期限"), _("超期"),
                _("申请时间")]

    def filter_queryset(self, queryset):
        view, states = _queue_states(self.request.user, self.request.GET.get("view", ""))
        state = self.request.GET.get("state", "")
        return selectors.application_queue(self.request.user, states=states,
                                           state=state if state in State.values else "",
                                           search=self.request.GET.get("q", ""),
                                           type_code=self.request.GET.get("type", ""),
                                           channel=self.request.GET.get("channel", ""),
                                           overdue=self.request.GET.get("overdue") == "on")

    def rows(self, queryset):
        for a in queryset.iterator(chunk_size=500):
            # overdue_rank comes from the queue selector: 0 is overdue, as on the page
            yield [a.number, a.elder.name, a.community.name, _(a.type.name), a.get_channel_display(),
                   a.get_state_display(), a.due_on or "", _("是") if a.overdue_rank == 0 else "",
                   timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M")]


class RegisterView(CapabilityRequiredMixin, generic.FormView):
    """The window, a community worker or a hotline operator registers an application."""

    capability = "intake.queue"
    template_name = "intake/register.html"

    def get_form(self, form_class=None):
        return RegisterForm(self.request.POST or None, user=self.request.user, types=_types_for(self.request.user),
                            initial={"channel": {"community_worker": "community", "operator": "hotline"}
                                     .get(self.request.user.role, "window")})

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            submission = services.application_submit(
                elder=data["elder"], type_code=data["type"], channel=data["channel"], actor=self.request.user,
                applicant_name=data["applicant_name"], applicant_relation=data["applicant_relation"],
                applicant_phone=data["applicant_phone"], documents=data["documents"], note=data["note"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        application = submission.application
        if submission.merged:
            messages.warning(self.request, _("该老人已有办理中的同类申请 %(number)s，本次申请已并入其中")
                             % {"number": application.number})
        else:
            messages.success(self.request, _("已登记申请 %(number)s") % {"number": application.number})
        return HttpResponseRedirect(reverse("intake:detail", args=[application.pk]))


def _agency_choices(application):
    """The agencies that may assess this elder now, in round-robin order (those that assessed it before and
    those tied to a provider serving the elder are left out)."""
    from carecircle.assessment.services import candidate_agencies

    return candidate_agencies(application.elder, exclude_agency_ids=application.previous_agency_ids)


def _levels(application) -> dict:
    """What the application's level is: the programme's care level (照护等级), or, when the instrument maps to
    none, the ability level (能力等级) the assessment gave; the assessment's ability level is shown beside it."""
    from django.core.exceptions import ObjectDoesNotExist

    from carecircle.assessment.selectors import ability_level_words, instrument_words, result_explanation

    assessment = None
    if application.assessment_order_id:
        try:
            assessment = application.assessment_order.assessment
        except ObjectDoesNotExist:
            assessment = None
    if assessment is None or not assessment.is_final:
        # Entered by the district without an assessment here: its summary is what they typed.
        return {"is_care_level": True, "ability": None, "explanation": application.assessment_summary}
    ability = {"level": assessment.final_level, "name": ability_level_words(assessment.result, assessment.final_level),
               "instrument": instrument_words(assessment.instrument_code)}
    return {"is_care_level": assessment.care_level is not None, "ability": ability,
            "explanation": result_explanation(assessment)}


def _detail_context(user, application):
    events = list(selectors.application_timeline(user, application))
    allowed = services.allowed_actions(application, user)
    steps = [workflow.BY_ACTION[a] for a in allowed]
    entry = WaitlistEntry.objects.filter(application=application).first()
    return {
        "application": application, "events": events, "steps": steps,
        "notices": list(selectors.application_notices(user, application)),
        "documents_missing": [d for d in application.type.documents if d not in application.documents_received],
        "notice_kinds": documents.available_kinds(application, events), "waitlist_entry": entry,
        "applicant_phone": mask_phone(application.applicant_phone), "today": timezone.localdate(),
        "state_labels": dict(State.choices), "channel_labels": dict(Channel.choices),
        "step_labels": {action: step.label for action, step in workflow.BY_ACTION.items()},
        "objection_outcomes": ObjectionOutcome.choices,
        "agencies": _agency_choices(application) if "order_assessment" in allowed else [],
        "levels": _levels(application) if application.assessed_level is not None else None,
        "waitlist_explanation": texts.waitlist_explanation(entry) if entry is not None else "",
        "waitlist_rule": waitlist.queue_rule(entry.type, on=timezone.localdate()) if entry is not None else "",
    }


class DetailView(ScopedDetailView):
    model = Application
    capability = "intake.view"
    template_name = "intake/detail.html"

    def get_base_queryset(self):
        return Application.objects.select_related("elder", "type", "community", "street", "assessment_agency")

    def get_template_names(self):
        return ["intake/portal_detail.html" if is_person(self.request.user) else self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_detail_context(self.request.user, self.object))
        return context


class ActView(CapabilityRequiredMixin, generic.View):
    """POST one workflow step from the application page (or the portal)."""

    capability = "intake.view"
    http_method_names = ["post"]

    def post(self, request, pk):
        application = get_object_or_404(visible_to(request.user, Application), pk=pk)
        form = ActionForm(request.POST)
        target = reverse("intake:detail", args=[application.pk])
        if not form.is_valid():
            messages.error(request, _("请求不完整"))
            return HttpResponseRedirect(target)
        data = form.cleaned_data
        agency = None
        if data.get("agency") and data["action"] == "order_assessment":
            agency = next((a for a in _agency_choices(application) if a.pk == data["agency"]), None)
            if agency is None:
                messages.error(request, _("所选评估机构不能承接该老人的评估（须回避或不在服务范围内），请重新选择"))
                return HttpResponseRedirect(target)
        try:
            services.application_act(application=application, action=data["action"], actor=request.user,
                                     reason=data["reason"], outcome=data["outcome"], agency=agency)
        except IllegalStep as refused:
            messages.error(request, refused.message)
            return HttpResponseRedirect(target)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
            return HttpResponseRedirect(target)
        except PermissionDenied as error:
            raise PermissionDenied(str(error))
        step = workflow.BY_ACTION[data["action"]]
        messages.success(request, _("已完成：%(step)s") % {"step": step.label})
        return HttpResponseRedirect(target)


class BulkActView(CapabilityRequiredMixin, generic.View):
    """Accept (or pass) several applications at once; each one goes through the same service."""

    capability = "intake.queue"
    http_method_names = ["post"]

    def post(self, request):
        form = BulkForm(request.POST)
        back = reverse("intake:queue") + ("?" + request.POST.get("back", "") if request.POST.get("back") else "")
        if not form.is_valid():
            messages.error(request, _("请先勾选申请，并选择批量操作"))
            return HttpResponseRedirect(back)
        done, refused = [], []
        for application in visible_to(request.user, Application).filter(pk__in=form.cleaned_data["ids"]):
            try:
                services.application_act(application=application, action=form.cleaned_data["action"],
                                         actor=request.user)
                done.append(application.number)
            except (IllegalStep, ValidationError, PermissionDenied) as error:
                refused.append(_("%(number)s：%(message)s") % {
                    "number": application.number,
                    "message": getattr(error, "message", None) or pgettext("message separator", "；").join(
                        getattr(error, "messages", [str(error)]))})
        if done:
            messages.success(request, _("已办理 %(n)s 件：%(numbers)s") % {"n": len(done), "numbers": pgettext("list separator", "、").join(done)})
        for line in refused:
            messages.error(request, line)
        return HttpResponseRedirect(back)


class NoticeDocumentView(ScopedDetailView):
    """A written notice, printable; `?format=pdf` gives the PDF."""

    model = Application
    capability = "intake.view"
    template_name = "intake/notice_document.html"

    def get(self, request, *args, **kwargs):
        if self.kwargs["notice_kind"] not in documents.KINDS:
            raise Http404
        self.object = self.get_object()
        events = list(selectors.application_timeline(request.user, self.object))
        document = documents.build(self.object, self.kwargs["notice_kind"], events)
        if document is None:
            raise Http404(_("该申请尚未产生此通知书"))
        as_pdf = request.GET.get("format") == "pdf"
        exports.record_export(actor=request.user, what=f"intake.notice.{document.kind}", rows=1,
                              fmt="pdf" if as_pdf else "print", request=request, subject=self.object)
        if as_pdf:
            response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="{self.object.number}-{document.kind}.pdf"'
            return response
        return self.render_to_response(self.get_context_data(object=self.object, document=document))


def _waitlist_types(user):
    return [t for t in _types_for(user) if t.waitlist]


def _can_admit(user) -> bool:
    return has_capability(user, "intake.admit")


class WaitlistView(CapabilityRequiredMixin, generic.TemplateView):
    """A type's waiting list: the ordering rule once above it, each entry's facts, and admission by capacity."""

    capability = "intake.queue"
    template_name = "intake/waitlist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        types = _waitlist_types(self.request.user)
        chosen = next((t for t in types if t.code == self.request.GET.get("type")), types[0] if types else None)
        entries = list(selectors.waitlist(self.request.user, type_id=chosen.pk)) if chosen else []
        for entry in entries:
            entry.category_words = waitlist.category_label(entry.priority_category) \
                if entry.priority_category or not entry.priority_label else entry.priority_label
        rule = waitlist.queue_rule(chosen, on=timezone.localdate()) if chosen else ""
        plan = services.admission_plan(kind=chosen, actor=self.request.user) if chosen else None
        context.update(types=types, chosen=chosen, entries=entries, rule=rule, plan=plan,
                       in_service=plan.in_service if plan else 0,
                       can_admit=_can_admit(self.request.user) and plan is not None and bool(plan.entries)
                       and plan.free != 0,
                       suggested=len(plan.entries) if plan else 0)
        return context


class WaitlistAdmitView(CapabilityRequiredMixin, generic.TemplateView):
    """Admission by capacity: GET shows who would be admitted (the next N in order); POST admits them."""

    capability = "intake.admit"
    template_name = "intake/waitlist_admit.html"

    def _kind(self, params):
        types = _waitlist_types(self.request.user)
        code = params.get("type")
        kind = next((t for t in types if t.code == code), None) if code else (types[0] if types else None)
        if kind is None and code:
            raise Http404(_("没有这个轮候队列"))
        return kind

    @staticmethod
    def _count(params):
        try:
            count = int(str(params.get("count", "")).strip())
        except ValueError:
            return None
        return count if 1 <= count <= 10_000 else None

    def get(self, request, *args, **kwargs):
        kind = self._kind(request.GET)
        if kind is None:  # no type in this area admits through a waiting list
            return self.render_to_response(self.get_context_data(kind=None, plan=None,
                                                                 back=reverse("intake:waitlist")))
        back = reverse("intake:waitlist") + f"?type={kind.code}"
        if "count" not in request.GET:
            # As many as there are free places.
            plan = services.admission_plan(kind=kind, actor=request.user)
            return self.render_to_response(self.get_context_data(kind=kind, count=len(plan.entries), plan=plan,
                                                                 back=back))
        count = self._count(request.GET)
        if count is None:
            messages.error(request, _("请填写要安排入住的人数（至少 1 人）"))
            return HttpResponseRedirect(back)
        plan = services.admission_plan(kind=kind, actor=request.user, count=count)
        return self.render_to_response(self.get_context_data(kind=kind, count=count, plan=plan, back=back))

    def post(self, request, *args, **kwargs):
        kind = self._kind(request.POST)
        if kind is None:
            raise Http404(_("没有这个轮候队列"))
        back = reverse("intake:waitlist") + f"?type={kind.code}"
        count = self._count(request.POST)
        expected = [int(v) for v in request.POST.getlist("applications") if v.isdigit()]
        if count is None:
            messages.error(request, _("请填写要安排入住的人数（至少 1 人）"))
            return HttpResponseRedirect(back)
        try:
            admitted = services.waitlist_admit_next(kind=kind, actor=request.user, count=count, expected=expected,
                                                    reason=request.POST.get("reason", ""))
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            text = error.message if isinstance(error, IllegalStep) else (
                _errors_text(error) if isinstance(error, ValidationError) else str(error))
            messages.error(request, text)
            return HttpResponseRedirect(back)
        messages.success(request, _("已安排 %(n)s 人入住/开始服务：%(numbers)s") % {
            "n": len(admitted), "numbers": pgettext("list separator", "、").join(a.number for a in admitted)})
        return HttpResponseRedirect(back)


# --- public notice board (no sign-in) -------------------------------------------------------------------

class PublicStreetsView(generic.TemplateView):
    template_name = "intake/public_streets.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["streets"] = Region.objects.filter(kind="street").order_by("path")
        return context


class PublicBoardView(generic.TemplateView):
    """A street's current public notices (masked names) and the objection form."""

    template_name = "intake/public_board.html"

    def get_street(self):
        street = Region.objects.filter(code=self.kwargs["street_code"], kind="street").first()
        if street is None:
            raise Http404
        return street

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        street = self.get_street()
        context.update(street=street, notices=selectors.public_notices(street=street),
                       form=kwargs.get("form") or ObjectionForm(), done=self.request.GET.get("done") == "1")
        return context

    def post(self, request, street_code):
        street = self.get_street()
        form = ObjectionForm(request.POST)
        if form.is_valid():
            notice = PublicNotice.objects.filter(pk=form.cleaned_data["notice"], street=street).first()
            if notice is None:
                form.add_error(None, _("没有找到这条公示"))
            else:
                try:
                    services.objection_lodge(notice=notice, lodged_by=form.cleaned_data["lodged_by"],
                                             phone=form.cleaned_data["phone"], text=form.cleaned_data["text"],
                                             client_address=request.META.get("REMOTE_ADDR", ""))
                    return HttpResponseRedirect(reverse("intake:public-board", args=[street.code]) + "?done=1")
                except ValidationError as error:
                    apply_errors(form, error)
                except RateLimited as limited:
                    form.add_error(None, limited.message)
                    response = self.render_to_response(self.get_context_data(form=form), status=429)
                    response["Retry-After"] = str(limited.retry_after)
                    return response
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- the elder/family portal ------------------------------------------------------------------------------

class PortalView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "intake.apply"
    template_name = "intake/portal.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["applications"] = list(selectors.my_applications(self.request.user)[:50])
        return context


class PortalApplyView(CapabilityRequiredMixin, generic.FormView):
    capability = "intake.apply"
    template_name = "intake/portal_apply.html"

    def _types(self):
        from carecircle.elders.models import Elder

        elder = visible_to(self.request.user, Elder).select_related("community").first()
        return services.types_for_region(elder.community) if elder is not None else []

    def get_form(self, form_class=None):
        return PortalApplyForm(self.request.POST or None, user=self.request.user, types=self._types())

    def form_valid(self, form):
        data = form.cleaned_data
        user = self.request.user
        try:
            submission = services.application_submit(
                elder=data["elder"], type_code=data["type"], channel=Channel.PORTAL, actor=user,
                applicant_name=user.shown_name,
                applicant_relation=_("本人") if user.role == "elder" else _("家属"), note=data["note"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _errors_text(error) if isinstance(error, ValidationError) else str(error))
            return self.form_invalid(form)
        if submission.merged:
            messages.warning(self.request, _("已有一份同样的申请正在办理，您这次提交的内容已并入其中"))
        else:
            messages.success(self.request, _("申请已提交，街道受理窗口会尽快办理"))
        return HttpResponseRedirect(reverse("intake:detail", args=[submission.application.pk]))
