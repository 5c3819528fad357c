"""Pages: plan lists and the plan editor for providers, the order inbox, and the
elders' and families' big-type pages (my services, 一键下单 in three steps). Views parse input, call a
selector or a service and render; the rules live in the services."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.roles import has_capability, is_person
from carecircle.core.views import (
    CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView, apply_errors, flash_error,
)
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder

from . import selectors, services
from .forms import (
    WINDOWS,
    AbsenceForm,
    OrderChoiceForm,
    OrderSearchForm,
    PlanEditForm,
    PlanGenerateForm,
    PlanSearchForm,
    RateForm,
    ReasonForm,
    StopForm,
    VisitFormSet,
    ltci_task_choices,
)
from .models import (
    ORDER_FLOW,
    PLAN_FLOW,
    CarePlan,
    ElderAbsence,
    OfferOutcome,
    OrderOffer,
    OrderStatus,
    PlanStatus,
    ServiceOrder,
)


class ElderFromUrlMixin(CapabilityRequiredMixin):
    """Loads the elder named in the URL through visible_to: another scope's elder answers 404."""

    model = Elder

    @cached_property
    def elder(self) -> Elder:
        return get_object_or_404(visible_to(self.request.user, Elder).select_related("community"),
                                 pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.capability and has_capability(request.user, self.capability):
            self.elder  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


class ObjectFromUrlMixin(CapabilityRequiredMixin):
    """Loads the object of `model` named in the URL through visible_to (404 outside the scope)."""

    model = None

    @cached_property
    def object(self):
        return get_object_or_404(visible_to(self.request.user, self.model), pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.capability and has_capability(request.user, self.capability):
            self.object  # noqa: B018
        return super().dispatch(request, *args, **kwargs)


# --- care plans -------------------------------------------------------------------------------------------------

class PlanListView(ScopedListView):
    model = CarePlan
    capability = "careplans.list"
    template_name = "careplans/plan_list.html"

    @cached_property
    def search_form(self):
        return PlanSearchForm(self.request.GET or None)

    def get_queryset(self):
        params = self.request.GET
        return selectors.plan_list(self.request.user, q=params.get("q", ""), status=params.get("status", ""),
                                   level=params.get("level", ""))

    def get_context_data(self, **kwargs):
        user = self.request.user
        awaiting = selectors.elders_awaiting_plan(user) if has_capability(user, "careplans.change") else []
        return super().get_context_data(search_form=self.search_form, awaiting=awaiting, **kwargs)


class PlanExportView(ScopedCsvExportView):
    model = CarePlan
    capability = "careplans.list"
    filename = "care-plans.csv"

    @property
    def header(self):
        return [_("计划编号"), _("老人"), _("社区"), _("服务机构"), _("照护等级"), _("每周上门"), _("状态"),
                _("生效日期"), _("截止日期")]

    def get_queryset(self):
        params = self.request.GET
        return selectors.plan_list(self.request.user, q=params.get("q", ""), status=params.get("status", ""),
                                   level=params.get("level", "")).prefetch_related("visits")

    def rows(self, queryset):
        for plan in queryset:
            yield [plan.pk, plan.elder.name, plan.elder.community.name, plan.organisation.name, plan.care_level,
                   len(plan.visits.all()), plan.get_status_display(), plan.valid_from.isoformat(),
                   plan.valid_until.isoformat() if plan.valid_until else ""]


def plan_week(plan) -> dict:
    """The plan's week as shown to every reader: visits and the weekly cost split (from the quote)."""
    visits = list(selectors.plan_visits(plan))
    on = max(plan.valid_from, timezone.localdate())
    if plan.valid_until is not None and on > plan.valid_until:
        on = plan.valid_until
    try:
        preview = services.plan_preview(elder=plan.elder, visits=[services.VisitSpec.of(v) for v in visits], on=on,
                                        programme=plan.programme, provider=plan.organisation)
    except ValidationError as error:
        return {"visits": visits, "preview": None, "preview_error": " ".join(error.messages)}
    except MissingPolicyParameter as error:
        return {"visits": visits, "preview": None, "preview_error": str(error)}
    return {"visits": visits, "preview": preview, "preview_error": ""}


class PlanDetailView(ScopedDetailView):
    model = CarePlan
    capability = "careplans.view"
    template_name = "careplans/plan_detail.html"
    context_object_name = "plan"

    def get_base_queryset(self):
        return CarePlan.objects.select_related("elder__community", "organisation", "preferred_caregiver")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, plan = self.request.user, self.object
        context.update(plan_week(plan))
        context.update({
            "changes": selectors.plan_changes(user, plan=plan),
            "person": is_person(user),
            "can_change": "care_plan_update" in PLAN_FLOW.allowed_actions(plan, user),
            "stop_form": StopForm(initial={"on": timezone.localdate()}),
        })
        return context


class PlanCreateView(ElderFromUrlMixin, generic.FormView):
    capability = "careplans.change"
    form_class = PlanGenerateForm
    template_name = "careplans/plan_create.html"

    @cached_property
    def organisation(self):
        user = self.request.user
        if user.organisation_id:
            return user.organisation
        return services.serving_providers(self.elder).first()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def get_context_data(self, **kwargs):
        try:
            entitlement = services.elder_entitlement(self.elder, programme=services.LTCI, on=timezone.localdate())
        except MissingPolicyParameter:
            entitlement = None
        existing = CarePlan.objects.filter(elder=self.elder, status=PlanStatus.ACTIVE).first()
        return super().get_context_data(elder=self.elder, entitlement=entitlement, existing=existing,
                                        organisation=self.organisation, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            plan = services.care_plan_create(
                actor=self.request.user, elder=self.elder, organisation=self.organisation,
                weekdays=data["weekdays"], window_start=data["window_start"], window_end=data["window_end"],
                items=[(code, 1) for code in data["items"]], preferred_caregiver=data["preferred_caregiver"],
                preferred_gender=data["preferred_gender"], dialect=data["dialect"],
                serve_on_holidays=data["serve_on_holidays"], note=data["note"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        except (IllegalStep, PermissionDenied) as error:
            form.add_error(None, getattr(error, "message", None) or str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("已为 %(name)s 制定照护计划。") % {"name": self.elder.name})
        return redirect("careplans:plan-detail", plan.pk)


class PlanEditView(ObjectFromUrlMixin, generic.TemplateView):
    """The plan editor: visits row by row; "预览" shows what is beyond the entitlement and its self-pay,
    "保存" keeps it only once that self-pay is confirmed."""

    model = CarePlan
    capability = "careplans.change"
    template_name = "careplans/plan_edit.html"

    @cached_property
    def task_choices(self):
        return ltci_task_choices()

    def initial_rows(self):
        return [{"weekday": v.weekday, "window_start": v.window_start, "window_end": v.window_end,
                 "duration_minutes": v.duration_minutes, "fixed_time": v.fixed_time,
                 "items": [line.item.code for line in v.lines.all()]}
                for v in selectors.plan_visits(self.object)]

    def forms(self, data=None):
        plan = self.object
        rows = self.initial_rows()
        # A posted formset is read as typed; comparing it with the stored rows would drop unchanged rows.
        formset = VisitFormSet(data, initial=None if data is not None else rows + [{}] * 3, prefix="visit",
                               form_kwargs={"task_choices": self.task_choices})
        form = PlanEditForm(data, organisation=plan.organisation, initial={
            "preferred_caregiver": plan.preferred_caregiver, "preferred_gender": plan.preferred_gender,
            "dialect": plan.dialect, "serve_on_holidays": plan.serve_on_holidays, "note": plan.note})
        return form, formset

    def get(self, request, *args, **kwargs):
        form, formset = self.forms()
        return self.render_to_response(self.get_context_data(form=form, formset=formset, plan=self.object,
                                                             **plan_week(self.object)))

    def post(self, request, *args, **kwargs):
        plan = self.object
        form, formset = self.forms(request.POST)
        context = {"form": form, "formset": formset, "plan": plan}
        if not (form.is_valid() and formset.is_valid()):
            if "visit-TOTAL_FORMS" not in request.POST:
                form.add_error(None, _("表单数据不完整，请重新打开页面填写。"))
            return self.render_to_response(self.get_context_data(**context))
        visits = [{"weekday": row.cleaned_data.get("weekday"), "window_start": row.cleaned_data.get("window_start"),
                   "window_end": row.cleaned_data.get("window_end"),
                   "duration_minutes": row.cleaned_data.get("duration_minutes"),
                   "fixed_time": row.cleaned_data.get("fixed_time"),
                   "items": [(code, 1) for code in row.cleaned_data.get("items") or []]}
                  for row in formset.forms if row.cleaned_data and not row.is_blank()]
        try:
            specs = services.clean_visits(visits)
            context["preview"] = services.plan_preview(elder=plan.elder, visits=specs, on=timezone.localdate(),
                                                       programme=plan.programme, provider=plan.organisation)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(**context))
        if request.POST.get("step") != "save":
            return self.render_to_response(self.get_context_data(previewed=True, **context))
        data = form.cleaned_data
        try:
            services.care_plan_update(
                actor=request.user, plan=plan, visits=visits, accept_self_pay=data["accept_self_pay"],
                reason=data["reason"], preferred_caregiver=data["preferred_caregiver"],
                preferred_gender=data["preferred_gender"], dialect=data["dialect"],
                serve_on_holidays=data["serve_on_holidays"], note=data["note"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_to_response(self.get_context_data(previewed=True, **context))
        except IllegalStep as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(**context))
        messages.success(request, _("照护计划已保存，变化已告知老人和家属。"))
        return redirect("careplans:plan-detail", plan.pk)


class PlanStopView(ObjectFromUrlMixin, generic.FormView):
    model = CarePlan
    capability = "careplans.change"
    form_class = StopForm
    template_name = "careplans/plan_stop.html"

    def get_initial(self):
        return {"on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(plan=self.object, **kwargs)

    def form_valid(self, form):
        try:
            services.care_plan_stop(actor=self.request.user, plan=self.object, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        except IllegalStep as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("照护计划已停止，说明已告知老人和家属。"))
        return redirect("careplans:plan-detail", self.object.pk)


# --- absences ---------------------------------------------------------------------------------------------------

class AbsenceCreateView(ElderFromUrlMixin, generic.FormView):
    capability = "careplans.absence"
    form_class = AbsenceForm
    template_name = "careplans/absence_form.html"

    def get_initial(self):
        today = timezone.localdate()
        return {"starts_on": today, "ends_on": today}

    def get_context_data(self, **kwargs):
        return super().get_context_data(elder=self.elder, person=is_person(self.request.user),
                                        absences=selectors.absence_list(self.request.user, elder=self.elder)[:20],
                                        **kwargs)

    def form_valid(self, form):
        try:
            services.elder_absence_record(actor=self.request.user, elder=self.elder, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已登记，这段时间的上门服务会暂停。"))
        return redirect("careplans:absence-new", self.elder.pk)


class AbsenceCancelView(ObjectFromUrlMixin, generic.View):
    model = ElderAbsence
    capability = "careplans.absence"

    def post(self, request, *args, **kwargs):
        try:
            services.elder_absence_cancel(actor=request.user, absence=self.object)
            messages.success(request, _("登记已撤销，上门服务按计划恢复。"))
        except (IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
        return redirect("careplans:absence-new", self.object.elder_id)


# --- orders -----------------------------------------------------------------------------------------------------

class OrderListView(ScopedListView):
    model = ServiceOrder
    capability = "orders.list"
    template_name = "careplans/order_list.html"

    @cached_property
    def search_form(self):
        return OrderSearchForm(self.request.GET or None)

    def get_queryset(self):
        form = self.search_form
        day = form.cleaned_data.get("service_date") if form.is_valid() else None
        return selectors.order_list(self.request.user, q=self.request.GET.get("q", ""),
                                    status=self.request.GET.get("status", ""), service_date=day)

    def get_context_data(self, **kwargs):
        return super().get_context_data(search_form=self.search_form,
                                        can_place=has_capability(self.request.user, "orders.place"), **kwargs)


class OrderExportView(ScopedCsvExportView):
    model = ServiceOrder
    capability = "orders.list"
    filename = "service-orders.csv"

    @property
    def header(self):
        return [_("订单编号"), _("老人"), _("社区"), _("服务日期"), _("时段"), _("服务项目"), _("状态"),
                _("服务机构"), _("金额"), _("基金支付"), _("政府补贴"), _("个人自付"), _("评价")]

    def get_queryset(self):
        return selectors.order_list(self.request.user, q=self.request.GET.get("q", ""),
                                    status=self.request.GET.get("status", ""))

    def rows(self, queryset):
        for order in queryset:
            yield [order.pk, order.elder.name, order.elder.community.name, order.service_date.isoformat(),
                   f"{order.window_start:%H:%M}-{order.window_end:%H:%M}",
                   "、".join(line["name"] for line in order.quote_lines), order.get_status_display(),
                   order.organisation.name if order.organisation else "", order.total, order.fund, order.subsidy,
                   order.self_pay, order.rating or ""]


class OrderDetailView(ScopedDetailView):
    model = ServiceOrder
    capability = "orders.view"
    template_name = "careplans/order_detail.html"
    context_object_name = "order"

    def get_base_queryset(self):
        return ServiceOrder.objects.select_related("elder__community", "organisation")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, order = self.request.user, self.object
        pending = order.offers.filter(outcome=OfferOutcome.PENDING).first()
        # The buttons are the steps the order's state allows this user (the same table the services check).
        actions = ORDER_FLOW.allowed_actions(order, user)
        context.update({
            "person": is_person(user),
            "offers": selectors.order_offers(user, order),
            "pending": pending,
            "actions": actions,
            "can_answer": pending is not None and "accept" in actions,
            "can_complete": "complete" in actions,
            "can_cancel": "cancel" in actions,
            "can_rate": "rate" in actions,
            "rate_form": RateForm(), "reason_form": ReasonForm(),
        })
        return context


class OrderStepView(ObjectFromUrlMixin, generic.View):
    """accept / decline / cancel / complete / rate, each a POST from the order page (or the inbox)."""

    model = ServiceOrder
    step = ""
    capability = "orders.view"

    def post(self, request, *args, **kwargs):
        order = self.object
        user = request.user
        try:
            if self.step == "accept":
                services.service_order_accept(actor=user, order=order)
                messages.success(request, _("已接单。"))
            elif self.step == "decline":
                services.service_order_decline(actor=user, order=order, reason=request.POST.get("reason", ""))
                messages.success(request, _("已拒单，订单已转给下一家服务机构。"))
            elif self.step == "cancel":
                services.service_order_cancel(actor=user, order=order, reason=request.POST.get("reason", ""))
                messages.success(request, _("订单已取消。"))
            elif self.step == "complete":
                services.service_order_complete(actor=user, order=order)
                messages.success(request, _("已标记完成。"))
            elif self.step == "rate":
                services.service_order_rate(actor=user, order=order, stars=request.POST.get("stars"),
                                            comment=request.POST.get("comment", ""))
                messages.success(request, _("谢谢您的评价。"))
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
        if request.POST.get("next") == "inbox" and has_capability(user, "orders.answer"):
            return redirect("careplans:inbox")
        if visible_to(user, ServiceOrder).filter(pk=order.pk).exists():
            return redirect("careplans:order-detail", order.pk)
        return redirect("careplans:inbox" if has_capability(user, "orders.answer") else "careplans:order-list")


class InboxView(ScopedListView):
    """The provider's order inbox: offers waiting for an answer, the nearest deadline first, overdue marked."""

    model = OrderOffer
    capability = "orders.answer"
    template_name = "careplans/inbox.html"

    def get_queryset(self):
        return selectors.provider_inbox(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update({
            "now": timezone.now(),
            "accepted": selectors.order_list(user, status=OrderStatus.ACCEPTED)[:20],
            "recent_changes": selectors.plan_changes(user)[:10],
            "reason_form": ReasonForm(),
        })
        return context


class OrderCreateView(ElderFromUrlMixin, generic.TemplateView):
    """一键下单 in three steps: (1) what and when, (2) price and who pays — confirm, (3) the order page.
    Big type for elders and family; the same steps for the hotline and the community worker."""

    capability = "orders.place"
    template_name = "careplans/order_new.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(elder=self.elder, person=is_person(self.request.user), **kwargs)

    def get(self, request, *args, **kwargs):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        if "item" not in request.GET:
            form = OrderChoiceForm(initial={"service_date": tomorrow, "window": "morning"})
            return self.render_to_response(self.get_context_data(form=form, step=1))
        # One tap from the home page: the service is chosen, tomorrow morning is proposed, the price is shown
        # at once; the person confirms or goes back to change the day or the time.
        form = OrderChoiceForm({"item": request.GET.get("item", ""), "service_date": tomorrow.isoformat(),
                                "window": "morning", "note": ""})
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, step=1), status=400)
        data = form.cleaned_data
        start, end = (dt.time.fromisoformat(t) for t in WINDOWS[data["window"]])
        try:
            priced = services.order_quote(elder=self.elder, lines=[{"item": data["item"], "quantity": 1}],
                                          service_date=data["service_date"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form, step=1), status=400)
        return self.render_to_response(self.get_context_data(form=form, step=2, quote=services.quote_dict(priced),
                                                             window=(start, end)))

    def post(self, request, *args, **kwargs):
        form = OrderChoiceForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, step=1))
        data = form.cleaned_data
        start, end = (dt.time.fromisoformat(t) for t in WINDOWS[data["window"]])
        lines = [{"item": data["item"], "quantity": 1}]
        try:
            priced = services.order_quote(elder=self.elder, lines=lines, service_date=data["service_date"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form, step=1))
        if request.POST.get("step") == "back":
            return self.render_to_response(self.get_context_data(form=form, step=1))
        if request.POST.get("step") != "confirm":
            return self.render_to_response(self.get_context_data(form=form, step=2, quote=services.quote_dict(priced),
                                                                 window=(start, end)))
        try:
            order = services.service_order_place(
                actor=request.user, elder=self.elder, lines=lines, service_date=data["service_date"],
                window_start=start, window_end=end, expected_self_pay=request.POST.get("expected_self_pay", ""),
                note=data["note"])
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form, step=2, quote=services.quote_dict(priced),
                                                                 window=(start, end)))
        messages.success(request, _("下单成功，正在等待服务机构接单。"))
        return redirect("careplans:order-detail", order.pk)


class OrderStartView(CapabilityRequiredMixin, generic.TemplateView):
    """The hotline or a community worker finds the elder to order for (the registry's search, in scope)."""

    capability = "orders.place"
    template_name = "careplans/order_start.html"

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "")
        return super().get_context_data(q=q, elders=selectors.elders_to_order_for(self.request.user, q), **kwargs)


# --- the elders' and families' page -----------------------------------------------------------------------------

class PortalView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "careplans.portal"
    template_name = "careplans/portal.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        rows = []
        for elder in visible_to(user, Elder).select_related("community").order_by("name", "id"):
            plan = selectors.active_plan(user, elder)
            rows.append({
                "elder": elder, "plan": plan,
                "visits": list(selectors.plan_visits(plan)) if plan else [],
                "changes": list(selectors.plan_changes(user, elder=elder)[:3]),
                "orders": list(selectors.order_list(user).filter(elder=elder)[:5]),
            })
        return super().get_context_data(rows=rows, **kwargs)
