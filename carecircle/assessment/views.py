"""Pages: the order workbench, the order page, the assessor's step-by-step form, history, expiring
results, quality. Every queryset goes through visible_to (the core base views); every write through services."""
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import acts_for, visible_to
from carecircle.core.roles import has_capability
from carecircle.core.views import CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder

from . import selectors, services
from .explain import adjustment_lines, decision_words, explain, instrument_name, level_label, rule_name
from .forms import ContextForm, ExternalLevelForm, OrderCreateForm, OrderSearchForm, PhotoForm, ReasonForm, ScheduleForm
from .models import Assessment, AssessmentOrder, AssessmentPhoto, AssessmentStatus, OrderStatus
from .workflow import ASSESSMENT_FLOW, ORDER_FLOW


def application_of_order(user, order):
    """The application an order was made for, when the user may see it: pages show its number, never an id."""
    from carecircle.intake.selectors import application_visible

    return application_visible(user, order.application_id)


def _chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "zh-hans").startswith("zh")


def _errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class OrderListView(ScopedListView):
    model = AssessmentOrder
    capability = "assessment.view"
    template_name = "assessment/order_list.html"

    def get_queryset(self):
        form = self.search_form = OrderSearchForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.order_list(user=self.request.user, search=data.get("q", ""), status=data.get("status", ""),
                                    reason=data.get("reason", ""), programme=data.get("programme", ""),
                                    mine=bool(data.get("mine")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(search_form=self.search_form, can_order=has_capability(user, "assessment.order"),
                       can_import=has_capability(user, "assessment.import"),
                       can_quality=has_capability(user, "assessment.quality"))
        return context


class OrderExportView(ScopedCsvExportView):
    model = AssessmentOrder
    capability = "assessment.view"
    filename = "assessment-orders.csv"

    @property
    def header(self):
        return [_("任务编号"), _("老人"), _("社区"), _("项目"), _("评估原因"), _("评估机构"), _("状态"), _("下单时间"),
                _("上门评估时间"), _("最终等级"), _("照护等级")]

    def get_queryset(self):
        form = OrderSearchForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.order_list(user=self.request.user, search=data.get("q", ""), status=data.get("status", ""),
                                    reason=data.get("reason", ""), programme=data.get("programme", ""))

    def rows(self, queryset):
        for o in queryset.select_related("assessment"):
            result = getattr(o, "assessment", None)
            yield [o.pk, o.elder.name, o.elder.community.name, o.get_programme_display(), o.get_reason_display(),
                   o.agency.name, o.get_status_display(), timezone.localtime(o.created_at).strftime("%Y-%m-%d %H:%M"),
                   timezone.localtime(o.appointment_at).strftime("%Y-%m-%d %H:%M") if o.appointment_at else "",
                   result.final_level if result and result.is_final else "",
                   result.care_level if result and result.is_final and result.care_level is not None else ""]


class ElderPickMixin:
    """A form that picks its elder by search: the search text and its results stay on the page; "find" without
    JavaScript shows the results instead of submitting; a link from an elder's page preselects that elder."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def post(self, request, *args, **kwargs):
        if request.POST.get("find"):
            form = self.get_form_class()(initial=self.get_initial(), user=request.user)
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from carecircle.elders.selectors import elder_pick

        context = super().get_context_data(**kwargs)
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        q = params.get("elder_q", "")
        results, message = elder_pick(self.request.user, q)
        chosen = str(params.get("elder", "") or self.get_initial().get("elder", ""))
        preselected = (visible_to(self.request.user, Elder).filter(pk=chosen, status="active").first()
                       if chosen.isdigit() else None)
        if preselected is not None and preselected not in results:
            results = [preselected, *results]
        context["pick"] = {"q": q, "results": results, "message": message,
                           "selected": preselected.pk if preselected is not None else None}
        return context


class OrderCreateView(ElderPickMixin, CapabilityRequiredMixin, generic.FormView):
    capability = "assessment.order"
    template_name = "assessment/order_form.html"
    form_class = OrderCreateForm

    def get_initial(self):
        return {"elder": self.request.GET.get("elder", ""), "reason": self.request.GET.get("reason", "application")}

    def form_valid(self, form):
        data = form.cleaned_data
        elder = data["elder"]
        try:
            if data["reason"] == "application":
                order = services.assessment_order_create(elder=elder, actor=self.request.user,
                                                         programme=data["programme"], reason=data["reason"],
                                                         reason_note=data["reason_note"])
            else:
                order = services.reassessment_order(elder=elder, actor=self.request.user, programme=data["programme"],
                                                    reason=data["reason"], note=data["reason_note"])
        except ValidationError as error:
            _errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("评估任务已派给 %(agency)s") % {"agency": order.agency.name})
        return redirect("assessment:order", pk=order.pk)


class OrderDetailView(ScopedDetailView):
    model = AssessmentOrder
    capability = "assessment.view"
    template_name = "assessment/order_detail.html"

    def get_base_queryset(self):
        return AssessmentOrder.objects.select_related("elder", "elder__community", "agency", "assessor_1",
                                                      "assessor_2", "previous")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order, user = self.object, self.request.user
        assessment = Assessment.objects.filter(order=order).first()
        is_assessor = user.pk in {order.assessor_1_id, order.assessor_2_id}
        order_actions = ORDER_FLOW.allowed_actions(order, user)
        form_actions = ASSESSMENT_FLOW.allowed_actions(assessment, user) if assessment is not None else []
        context.update({
            "assessment": assessment,
            "explanation": explain(assessment.result) if assessment and assessment.result else "",
            "adjustments": adjustment_lines(assessment.result) if assessment and assessment.result else [],
            "level_name": (level_label(assessment.result, assessment.result.get("final_level"))
                           if assessment and assessment.result else ""),
            "decisions": [decision_words(d)
                          for d in (assessment.result.get("decisions", []) if assessment and assessment.result else [])
                          if d["affected"]],
            "instrument_name": instrument_name(order.instrument_code),
            "application": application_of_order(user, order),
            "confirmed_by": list(assessment.confirmations.select_related("assessor")) if assessment else [],
            "is_assessor": is_assessor,
            # What the step tables allow this user now; the page does not offer re-scheduling once the
            # assessors are at work, and "start" on a running form continues it. Only the order's own agency
            # or the region that ordered it may schedule.
            "can_schedule": "schedule" in order_actions and order.status != OrderStatus.IN_PROGRESS
            and (acts_for(user, order) or user.scope_region_id is not None),
            "can_start": is_assessor and order.status in {OrderStatus.SCHEDULED, OrderStatus.IN_PROGRESS},
            "can_confirm": is_assessor and "confirm" in form_actions,
            "can_cancel": "cancel" in order_actions,
            "schedule_form": ScheduleForm(agency=order.agency, initial={
                "assessor_1": order.assessor_1_id, "assessor_2": order.assessor_2_id,
                "appointment_at": timezone.localtime(order.appointment_at) if order.appointment_at else None}),
            "reason_form": ReasonForm(),
        })
        return context


class _OrderAction(CapabilityRequiredMixin, generic.View):
    capability = "assessment.view"

    def order(self):
        return get_object_or_404(visible_to(self.request.user, AssessmentOrder), pk=self.kwargs["pk"])

    def fail(self, order, error):
        for message in (error.messages if hasattr(error, "messages") else [str(error)]):
            messages.error(self.request, message)
        return redirect("assessment:order", pk=order.pk)


class OrderScheduleView(_OrderAction):
    capability = "assessment.schedule"

    def post(self, request, pk):
        order = self.order()
        form = ScheduleForm(request.POST, agency=order.agency)
        if not form.is_valid():
            return self.fail(order, ValidationError([e for errs in form.errors.values() for e in errs]))
        try:
            services.assessment_order_schedule(order=order, actor=request.user,
                                               assessors=[form.cleaned_data["assessor_1"], form.cleaned_data["assessor_2"]],
                                               appointment_at=form.cleaned_data["appointment_at"])
        except (ValidationError, IllegalStep) as error:
            return self.fail(order, error)
        messages.success(request, _("已安排评估员和上门时间"))
        return redirect("assessment:order", pk=order.pk)


class OrderCancelView(_OrderAction):
    capability = "assessment.order"

    def post(self, request, pk):
        order = self.order()
        try:
            services.assessment_order_cancel(order=order, actor=request.user, reason=request.POST.get("reason", ""))
        except (ValidationError, IllegalStep) as error:
            return self.fail(order, error)
        messages.success(request, _("评估任务已取消"))
        return redirect("assessment:order", pk=order.pk)


class AssessmentStartView(_OrderAction):
    capability = "assessment.assess"

    def post(self, request, pk):
        order = self.order()
        try:
            assessment = services.assessment_start(order=order, actor=request.user)
        except (ValidationError, IllegalStep) as error:
            return self.fail(order, error)
        return redirect("assessment:step", pk=assessment.pk, step=0)


class AssessmentConfirmView(_OrderAction):
    capability = "assessment.assess"

    def post(self, request, pk):
        order = self.order()
        assessment = get_object_or_404(Assessment, order=order)
        try:
            assessment = services.assessment_confirm(assessment=assessment, actor=request.user)
        except (ValidationError, IllegalStep) as error:
            return self.fail(order, error)
        if assessment.is_final:
            messages.success(request, _("双人确认完成，评估结果已定稿"))
        return redirect("assessment:order", pk=order.pk)


class AssessmentStepView(CapabilityRequiredMixin, generic.TemplateView):
    """Step 0: diagnoses, risk events, coma and photos; steps 1..n: one item each; the last: review and submit."""

    capability = "assessment.assess"
    template_name = "assessment/step.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.assessment = get_object_or_404(
            visible_to(request.user, Assessment).select_related("order", "elder"), pk=kwargs["pk"])
        order = self.assessment.order
        if not request.user.is_superuser and request.user.pk not in {order.assessor_1_id, order.assessor_2_id}:
            raise PermissionDenied
        self.items = list(self.assessment.instrument.items)
        self.step = kwargs["step"]
        if not 0 <= self.step <= len(self.items) + 1:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def _url(self, step):
        return reverse("assessment:step", args=[self.assessment.pk, step])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        a, n = self.assessment, len(self.items)
        context.update({"assessment": a, "order": a.order, "step": self.step, "n_items": n, "last_step": n + 1,
                        "editable": a.status == AssessmentStatus.DRAFT,
                        "steps": [{"n": i + 1, "code": it.code, "done": it.code in a.answers,
                                   "url": self._url(i + 1)} for i, it in enumerate(self.items)],
                        "prev_url": self._url(self.step - 1) if self.step > 0 else None,
                        "next_url": self._url(self.step + 1) if self.step <= n else None,
                        "instrument": a.instrument, "instrument_name": instrument_name(a.instrument_code),
                        "answered": len([i for i in self.items if i.code in a.answers])})
        if self.step == 0:
            context["context_form"] = kwargs.get("context_form") or ContextForm(initial={
                "diagnoses": ", ".join(a.diagnoses), "coma": a.coma,
                **{f"event_{k}": v for k, v in a.risk_events.items()}})
            context["photo_form"] = kwargs.get("photo_form") or PhotoForm()
            context["photos"] = list(a.photos.all())
        elif self.step <= n:
            item = self.items[self.step - 1]
            context.update(item=item, current=a.answers.get(item.code), error=kwargs.get("error"))
        else:
            context["missing"] = services.missing_items(a)
            try:
                result = services.preview(a) if not context["missing"] else None
                context["preview_errors"] = []
            except ValidationError as error:
                result = None
                context["preview_errors"] = error.messages
            context["result"] = result
            if result:
                context.update(explanation=explain(result), adjustments=adjustment_lines(result),
                               level_name=level_label(result, result["final_level"]),
                               decisions=[decision_words(d) for d in result.get("decisions", []) if d["affected"]],
                               rule_names=[rule_name(x["rule"]) for x in result.get("adjustments", [])])
        return context

    def post(self, request, pk, step):
        a, n = self.assessment, len(self.items)
        try:
            if step == 0:
                if "upload" in request.POST:
                    form = PhotoForm(request.POST, request.FILES)
                    if not form.is_valid():
                        return self.render_to_response(self.get_context_data(photo_form=form), status=400)
                    try:
                        services.assessment_photo_add(assessment=a, actor=request.user,
                                                      upload=form.cleaned_data["image"],
                                                      caption=form.cleaned_data["caption"])
                    except ValidationError as error:
                        # A refused file is named on the form itself, with the page answering 400.
                        _errors(form, error)
                        return self.render_to_response(self.get_context_data(photo_form=form), status=400)
                    messages.success(request, _("照片已上传"))
                    return redirect(self._url(0))
                form = ContextForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(context_form=form))
                try:
                    services.assessment_save(assessment=a, actor=request.user, diagnoses=form.diagnosis_list(),
                                             risk_events=form.risk_events(), coma=form.cleaned_data["coma"])
                except ValidationError as error:
                    _errors(form, error)
                    return self.render_to_response(self.get_context_data(context_form=form))
                return redirect(self._url(1))
            if step <= n:
                item = self.items[step - 1]
                option = request.POST.get("option", "")
                if not option:
                    return self.render_to_response(self.get_context_data(error=_("请选择一个选项")))
                try:
                    services.assessment_save(assessment=a, actor=request.user, answers={item.code: option})
                except ValidationError as error:
                    return self.render_to_response(self.get_context_data(error=" ".join(error.messages)))
                if request.POST.get("then") == "review":
                    return redirect(self._url(n + 1))
                return redirect(self._url(step + 1))
            services.assessment_submit(assessment=a, actor=request.user)
            messages.success(request, _("已提交，等待另一名评估员确认"))
            return redirect("assessment:order", pk=a.order_id)
        except (ValidationError, IllegalStep) as error:
            for message in getattr(error, "messages", None) or [str(error)]:
                messages.error(request, message)
            return redirect(self._url(step))


class ElderHistoryView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "assessment.view"
    template_name = "assessment/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        elder = visible_to(self.request.user, Elder).filter(pk=kwargs["elder_pk"]).first()
        history = selectors.assessment_history(user=self.request.user, elder=elder) if elder else []
        if elder is None and not history:
            raise Http404
        for row in history:
            row["level_name"] = level_label(row["assessment"].result, row["assessment"].final_level)
            row["explanation"] = explain(row["assessment"].result)
        context.update(elder=elder, history=history,
                       levels=visible_to(self.request.user, selectors.CareLevel).filter(elder=elder)
                       .order_by("programme", "-valid_from"))
        return context


class ExpiringView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "assessment.view"
    template_name = "assessment/expiring.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rows=selectors.expiring(user=self.request.user),
                       can_order=has_capability(self.request.user, "assessment.order"))
        return context


class QualityView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "assessment.quality"
    template_name = "assessment/quality.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            since = dt.date.fromisoformat(self.request.GET.get("since", ""))
        except ValueError:
            since = None
        context.update(data=selectors.quality(user=self.request.user, since=since), since=since)
        return context


class ExternalLevelView(ElderPickMixin, CapabilityRequiredMixin, generic.FormView):
    capability = "assessment.import"
    template_name = "assessment/external_level.html"
    form_class = ExternalLevelForm

    def get_initial(self):
        return {"elder": self.request.GET.get("elder", "")}

    def form_valid(self, form):
        data = form.cleaned_data
        elder = data["elder"]
        try:
            services.care_level_record_external(elder=elder, programme=data["programme"], level=data["level"],
                                                source=data["source"], valid_from=data["valid_from"],
                                                valid_until=data["valid_until"], actor=self.request.user)
        except ValidationError as error:
            _errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("外部评估结果已登记"))
        return redirect("assessment:history", elder_pk=elder.pk)


class PhotoView(ScopedDetailView):
    """A document photo, served only to those who may see its assessment (never from a public folder)."""

    model = AssessmentPhoto
    capability = "assessment.view"

    def render_to_response(self, context, **response_kwargs):
        from carecircle.core.uploads import extension_for, file_response

        photo = self.object
        return file_response(photo.image, content_type=photo.content_type,
                             download_name=f"assessment-{photo.assessment_id}-photo-{photo.pk}"
                                           f"{extension_for(photo.content_type)}")
