"""Pages of the settlement: the months (close, reopen), a month's summary and held visits, the claims and their
lines (submit, reject, correct, review, approve, adjust, payments), the reconciliation, the policy simulation and
the facility completions that bring a construction subsidy."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from carecircle.core import audit
from carecircle.core.isolation import visible_to
from carecircle.core.params import query_int
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.roles import has_capability
from carecircle.core.validators import MonthField, month_or_none
from carecircle.core.views import REFUSALS, CapabilityRequiredMixin, ScopedListView, refused
from carecircle.providers.models import Facility

from . import selectors, services
from .models import ClaimLine, ClaimProgramme, ClaimStatus, HoldReason, LineKind, LineStatus, Payer, SettlementRun
from .plugin import AuditAction
from .valuation import Overrides
from .workflow import CLAIM_FLOW, RUN_FLOW

class SettleForm(forms.Form):
    month = MonthField(label=gettext_lazy("月份"), help_text=gettext_lazy("如 2026-11"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=500)


class AdjustForm(forms.Form):
    payer = forms.ChoiceField(label=gettext_lazy("付款方"), choices=Payer.choices)
    amount = forms.DecimalField(label=gettext_lazy("金额（元，负数为扣减）"), max_digits=12, decimal_places=2)
    reason = forms.CharField(label=gettext_lazy("调整原因"), max_length=500)


class PaymentForm(forms.Form):
    payer = forms.ChoiceField(label=gettext_lazy("付款方"), choices=[(Payer.FUND, Payer.FUND.label),
                                                                    (Payer.SUBSIDY, Payer.SUBSIDY.label)])
    amount = forms.DecimalField(label=gettext_lazy("到账金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(label=gettext_lazy("到账日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=gettext_lazy("流水号"), max_length=100)


class SimulationForm(forms.Form):
    start = MonthField(label=gettext_lazy("起始月份"), help_text=gettext_lazy("如 2026-09"))
    months = forms.IntegerField(label=gettext_lazy("月数"), min_value=1, max_value=12, initial=3)
    fund_share = forms.DecimalField(label=gettext_lazy("居家照护基金支付比例（%）"), required=False, min_value=0,
                                    max_value=100, decimal_places=2,
                                    help_text=gettext_lazy("留空则按现行政策；如 85 表示 85%"))
    level = forms.IntegerField(label=gettext_lazy("照护等级"), required=False, min_value=1, max_value=6)
    weekly_hours = forms.DecimalField(label=gettext_lazy("该等级每周服务小时数"), required=False, min_value=0,
                                      max_value=40, decimal_places=1)

    def clean(self):
        data = super().clean()
        if (data.get("level") is None) != (data.get("weekly_hours") is None):
            raise ValidationError(_("照护等级与每周服务小时数须同时填写"))
        if data.get("fund_share") is None and data.get("level") is None:
            raise ValidationError(_("请至少改变一项政策：基金支付比例，或某一等级的每周服务小时数"))
        return data


class CompletionForm(forms.Form):
    facility = forms.IntegerField(label=gettext_lazy("设施"), min_value=1, max_value=2 ** 63 - 1)
    completed_on = forms.DateField(label=gettext_lazy("竣工验收日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False)


def _form_error(form) -> ValidationError:
    return ValidationError([str(m) for errors in form.errors.values() for m in errors])


# --------------------------------------------------------------------------------------------- months

class HomeView(ScopedListView):
    model = SettlementRun
    capability = "billing.view"
    template_name = "billing/home.html"
    paginate_by = 12

    def get_base_queryset(self):
        return selectors.runs_for(self.request.user).order_by("-month", "region__path")

    def get_context_data(self, **kwargs):
        user = self.request.user
        last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return super().get_context_data(
            can_settle=has_capability(user, "billing.settle") and user.scope_region is not None
            and user.scope_region.kind == "district",
            form=SettleForm(initial={"month": f"{last:%Y-%m}"}),
            can_simulate=has_capability(user, "billing.simulate"),
            can_complete=has_capability(user, "billing.completion"),
            to_review=selectors.claims_for(user).filter(status=ClaimStatus.SUBMITTED).count(), **kwargs)


class SettleView(CapabilityRequiredMixin, generic.View):
    capability = "billing.settle"

    def post(self, request):
        back = reverse("billing:home")
        form = SettleForm(request.POST)
        if not form.is_valid():
            return refused(request, _form_error(form), back=back)
        region = request.user.scope_region
        if region is None or region.kind != "district":
            raise PermissionDenied
        try:
            run = services.settle_month(actor=request.user, region=region, month=form.cleaned_data["month"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("%(month)s 已关账：结算上门 %(visits)d 次，暂缓 %(held)d 次，合计 %(total)s 元。")
                         % {"month": f"{run.month:%Y-%m}", "visits": run.visits_settled, "held": run.visits_held,
                            "total": f"{run.total:.2f}"})
        return redirect("billing:run", run.pk)


class RunMixin(CapabilityRequiredMixin):
    capability = "billing.view"

    def get_run(self):
        return get_object_or_404(selectors.runs_for(self.request.user), pk=self.kwargs["pk"])


class RunDetailView(RunMixin, generic.TemplateView):
    template_name = "billing/run_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        run = self.get_run()
        reason = self.request.GET.get("reason", "")
        held = selectors.held_for(user, run)
        if reason in HoldReason.values:
            held = held.filter(reason=reason)
        page = Paginator(held.order_by("visit_date", "visit_id"), 25).get_page(
            query_int(self.request.GET, "page", minimum=1, default=1))
        return super().get_context_data(
            run=run, summary=selectors.district_summary(user, run), held_page=page, reasons=HoldReason.choices,
            reason=reason, claims=selectors.claims_for(user).filter(run=run).order_by("organisation__name",
                                                                                       "programme"),
            can_reopen="reopen" in RUN_FLOW.allowed_actions(run, user), reopen_form=ReasonForm(),
            reopenings=run.reopenings.select_related("reopened_by")[:10], **kwargs)


class RunReopenView(RunMixin, generic.View):
    def post(self, request, pk):
        run = self.get_run()
        back = reverse("billing:run", args=[run.pk])
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return refused(request, _form_error(form), back=back)
        try:
            services.reopen_month(actor=request.user, run=run, reason=form.cleaned_data["reason"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已重新开账：再次关账时，未提交的申报按最新的上门记录重新生成。"))
        return redirect(back)


# --------------------------------------------------------------------------------------------- claims

class ClaimListView(ScopedListView):
    capability = "billing.view"
    template_name = "billing/claim_list.html"

    def get_queryset(self):
        params = self.request.GET
        return selectors.claims_for(self.request.user, month=month_or_none(params.get("month", "")),
                                    status=params.get("status", ""), programme=params.get("programme", ""),
                                    q=params.get("q", "")).order_by("-run__month", "organisation__name", "programme")

    def get_context_data(self, **kwargs):
        return super().get_context_data(statuses=ClaimStatus.choices, programmes=ClaimProgramme.choices,
                                        filters=self.request.GET, **kwargs)


class ClaimMixin(CapabilityRequiredMixin):
    capability = "billing.view"

    def get_claim(self):
        return get_object_or_404(selectors.claims_for(self.request.user), pk=self.kwargs["pk"])


class ClaimDetailView(ClaimMixin, generic.TemplateView):
    template_name = "billing/claim_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        claim = self.get_claim()
        params = self.request.GET
        lines = selectors.lines_for(user, claim, status=params.get("status", ""), kind=params.get("kind", ""),
                                    q=params.get("q", ""))
        page = Paginator(lines, 50).get_page(query_int(params, "page", minimum=1, default=1))
        corrected = set(ClaimLine.objects.filter(claim=claim, replaces__in=[line.pk for line in page.object_list])
                        .values_list("replaces_id", flat=True))
        rows = [{"line": line, "rules": selectors.line_rules(line),
                 "corrected": line.status == LineStatus.REJECTED and line.pk in corrected}
                for line in page.object_list]
        allowed = CLAIM_FLOW.allowed_actions(claim, user)
        query = params.copy()
        query.pop("page", None)
        return super().get_context_data(
            claim=claim, rows=rows, page_obj=page, querystring=query.urlencode(),
            steps=[(action, CLAIM_FLOW.label(action)) for action in ("submit", "review", "approve", "pay")
                   if action in allowed],
            can_reject="reject_line" in allowed, can_correct="correct_line" in allowed,
            can_adjust="adjust" in allowed, adjust_form=AdjustForm(),
            can_pay="record_payment" in allowed, payment_form=PaymentForm(),
            payments=claim.payments.all(), statuses=LineStatus.choices, kinds=LineKind.choices, filters=params,
            **kwargs)


class ClaimStepView(ClaimMixin, generic.View):
    def post(self, request, pk):
        claim = self.get_claim()
        back = reverse("billing:claim", args=[claim.pk])
        try:
            claim = services.claim_step(actor=request.user, claim=claim, action=request.POST.get("action", ""),
                                        reason=request.POST.get("reason", ""))
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("申报状态：%(status)s。") % {"status": claim.get_status_display()})
        return redirect(back)


class LineMixin(CapabilityRequiredMixin):
    """A line the user may read (street staff read the lines of their street, not the district's claims); the
    service then decides whether this user may act on its claim."""

    capability = "billing.view"

    def get_line(self):
        return get_object_or_404(visible_to(self.request.user, ClaimLine).select_related("claim__run"),
                                 pk=self.kwargs["line"], claim_id=self.kwargs["pk"])


class LineRejectView(LineMixin, generic.View):
    def post(self, request, pk, line):
        line = self.get_line()
        back = reverse("billing:claim", args=[pk])
        try:
            services.line_reject(actor=request.user, line=line, reason=request.POST.get("reason", ""))
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已驳回这条明细；完成审核后申报退回服务机构更正。"))
        return redirect(back)


class LineCorrectView(LineMixin, generic.View):
    def post(self, request, pk, line):
        line = self.get_line()
        back = reverse("billing:claim", args=[pk])
        try:
            services.line_correct(actor=request.user, line=line,
                                  quantity=request.POST.get("quantity", ""), note=request.POST.get("note", ""))
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已更正；全部更正后请重新提交申报。"))
        return redirect(back)


class ClaimAdjustView(ClaimMixin, generic.View):
    def post(self, request, pk):
        claim = self.get_claim()
        back = reverse("billing:claim", args=[claim.pk])
        form = AdjustForm(request.POST)
        if not form.is_valid():
            return refused(request, _form_error(form), back=back)
        try:
            services.claim_adjust(actor=request.user, claim=claim, amount=form.cleaned_data["amount"],
                                  payer=form.cleaned_data["payer"], reason=form.cleaned_data["reason"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已增加调整明细。"))
        return redirect(back)


class PaymentView(ClaimMixin, generic.View):
    def post(self, request, pk):
        claim = self.get_claim()
        back = reverse("billing:claim", args=[claim.pk])
        form = PaymentForm(request.POST)
        if not form.is_valid():
            return refused(request, _form_error(form), back=back)
        try:
            services.payment_record(actor=request.user, claim=claim, **form.cleaned_data)
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已登记到账。"))
        return redirect(back)


# --------------------------------------------------------------------------------------------- reconciliation etc.

class ReconciliationView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "billing.view"
    template_name = "billing/reconciliation.html"

    def get_context_data(self, **kwargs):
        month = month_or_none(self.request.GET.get("month", ""))
        rows = selectors.reconciliation(self.request.user, month=month)
        only = self.request.GET.get("only") == "differences"
        if only:
            rows = [row for row in rows if row["difference"] != 0]
        return super().get_context_data(rows=rows, month=month, only=only,
                                        differences=sum(1 for row in rows if row["difference"] != 0), **kwargs)


class SimulationView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "billing.simulate"
    template_name = "billing/simulation.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        if "start" not in self.request.GET:
            today = timezone.localdate().replace(day=1)
            start = today
            for _n in range(3):
                start = (start - dt.timedelta(days=1)).replace(day=1)
            context["form"] = SimulationForm(initial={"start": f"{start:%Y-%m}", "months": 3, "fund_share": 85})
            return context
        form = SimulationForm(self.request.GET)
        context["form"] = form
        region = user.scope_region
        if not form.is_valid() or region is None or region.kind != "district":
            return context
        data = form.cleaned_data
        overrides = Overrides(
            fund_share=(data["fund_share"] / 100).quantize(Decimal("0.0001")) if data["fund_share"] is not None
            else None,
            weekly_hours={data["level"]: data["weekly_hours"]} if data.get("level") else {})
        try:
            from .simulation import simulate

            context["result"] = simulate(region=region, start=data["start"], months=data["months"],
                                         overrides=overrides)
        except (ValidationError, MissingPolicyParameter, InvalidOperation, ValueError) as error:
            context["problem"] = "; ".join(getattr(error, "messages", [str(error)]))
        audit.record(actor=user, action=AuditAction.SIMULATE, subject=region,
                     changes={"start": f"{data['start']:%Y-%m}", "months": data["months"],
                              "fund_share": str(overrides.fund_share) if overrides.fund_share is not None else None,
                              "weekly_hours": {str(k): str(v) for k, v in overrides.weekly_hours.items()}})
        return context


class CompletionListView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "billing.completion"
    template_name = "billing/completions.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        done = selectors.completions_for(user)
        facilities = visible_to(user, Facility).filter(is_active=True).exclude(
            pk__in=done.values("facility_id")).order_by("name")
        return super().get_context_data(completions=done[:200], facilities=facilities[:500], form=CompletionForm(),
                                        **kwargs)

    def post(self, request):
        back = reverse("billing:completions")
        form = CompletionForm(request.POST)
        if not form.is_valid():
            return refused(request, _form_error(form), back=back)
        facility = visible_to(request.user, Facility).filter(pk=form.cleaned_data["facility"]).first()
        if facility is None:
            return refused(request, ValidationError(_("找不到该设施")), back=back)
        try:
            services.completion_record(actor=request.user, facility=facility,
                                       completed_on=form.cleaned_data["completed_on"], note=form.cleaned_data["note"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已登记竣工验收：下次月度结算发放一次性建设补贴。"))
        return redirect(back)
