"""Pages: payment runs (with bank files and the return file), applications (window and portal), cards,
registry cross-checks and their findings, notices (letters)."""
from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from carecircle.core import exports
from carecircle.core.isolation import visible_to
from carecircle.core.roles import has_capability, is_person
from carecircle.core.validators import MonthField
from carecircle.core.views import (
    REFUSALS, CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView, refused,
)
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder, ElderStatus

from . import selectors, services
from .models import (
    BenefitApplication,
    CardStatus,
    Channel,
    CheckKind,
    CheckOutcome,
    Notice,
    PaymentLine,
    PaymentRun,
    PreferentialCard,
    Programme,
    RegistryFinding,
)
from .workflow import APPLICATION_FLOW, RUN_FLOW



class RunMakeForm(forms.Form):
    month = MonthField(label=gettext_lazy("月份"), help_text=gettext_lazy("如 2026-12"))


class AdjustForm(forms.Form):
    elder = forms.IntegerField(label=gettext_lazy("老人档案号"), min_value=1)
    for_month = MonthField(label=gettext_lazy("所属月份"))
    amount = forms.DecimalField(label=gettext_lazy("金额（元，负数为追回）"), max_digits=10, decimal_places=2)
    reason = forms.CharField(label=gettext_lazy("调整原因"), max_length=200)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（CSV 或 XLSX）"))


class CheckUploadForm(UploadForm):
    kind = forms.ChoiceField(label=gettext_lazy("比对数据类型"), choices=CheckKind.choices)


class HomeView(ScopedListView):
    model = PaymentRun
    capability = "benefits.view"
    template_name = "benefits/home.html"

    def get_base_queryset(self):
        return selectors.runs_for(self.request.user)

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = timezone.localdate()
        return super().get_context_data(
            can_run=has_capability(user, "benefits.run"),
            form=RunMakeForm(initial={"month": f"{today:%Y-%m}"}),
            enrolled=selectors.enrolments_for(user).filter(status="active").count(),
            **kwargs)


class RunMakeView(CapabilityRequiredMixin, generic.View):
    capability = "benefits.run"

    def post(self, request):
        form = RunMakeForm(request.POST)
        if not form.is_valid():
            return refused(request, ValidationError(form.errors["month"]), back=reverse("benefits:home"))
        region = request.user.scope_region
        if region is None:
            raise PermissionDenied
        try:
            services.enrolments_sweep(actor=request.user, region=region, month=form.cleaned_data["month"])
            run = services.run_make(actor=request.user, region=region, month=form.cleaned_data["month"])
        except REFUSALS as error:
            return refused(request, error, back=reverse("benefits:home"))
        messages.success(request, _("%(month)s 的发放批次已生成：%(n)d 人，%(total)s 元。")
                         % {"month": f"{run.month:%Y-%m}", "n": run.beneficiaries, "total": f"{run.total:.2f}"})
        return redirect("benefits:run", run.pk)


class RunDetailView(ScopedDetailView):
    model = PaymentRun
    capability = "benefits.view"
    template_name = "benefits/run_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        run = self.object
        lines = selectors.lines_for(user, run).order_by("elder__community__path", "elder_id", "for_month", "kind")
        kind = self.request.GET.get("kind", "")
        if kind:
            lines = lines.filter(kind=kind)
        from django.core.paginator import Paginator

        page = Paginator(lines, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            stats=selectors.run_statistics(user, run), page_obj=page, lines=page.object_list,
            actions=[(a, RUN_FLOW.label(a)) for a in RUN_FLOW.allowed_actions(run, user)
                     if a in ("check", "approve", "return_to_draft")],
            can_adjust="adjust" in RUN_FLOW.allowed_actions(run, user), adjust_form=AdjustForm(),
            can_return="record_return" in RUN_FLOW.allowed_actions(run, user), upload_form=UploadForm(),
            can_bank=run.is_frozen and has_capability(user, "benefits.run"), **kwargs)


class RunObjectMixin(CapabilityRequiredMixin):
    capability = "benefits.view"

    def run(self):
        return get_object_or_404(selectors.runs_for(self.request.user), pk=self.kwargs["pk"])


class RunStepView(RunObjectMixin, generic.View):
    def post(self, request, pk):
        run = self.run()
        back = reverse("benefits:run", args=[run.pk])
        try:
            services.run_step(actor=request.user, run=run, action=request.POST.get("action", ""),
                              reason=request.POST.get("reason", ""))
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已完成。"))
        return redirect(back)


class RunAdjustView(RunObjectMixin, generic.View):
    def post(self, request, pk):
        run = self.run()
        back = reverse("benefits:run", args=[run.pk])
        form = AdjustForm(request.POST)
        if not form.is_valid():
            return refused(request, ValidationError([m for errs in form.errors.values() for m in errs]), back=back)
        elder = visible_to(request.user, Elder).filter(pk=form.cleaned_data["elder"]).first()
        if elder is None:
            return refused(request, ValidationError(_("找不到该老人档案")), back=back)
        try:
            services.run_adjust(actor=request.user, run=run, elder=elder, amount=form.cleaned_data["amount"],
                                for_month=form.cleaned_data["for_month"], reason=form.cleaned_data["reason"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已增加调整明细。"))
        return redirect(back)


class RunReturnView(RunObjectMixin, generic.View):
    def post(self, request, pk):
        run = self.run()
        back = reverse("benefits:run", args=[run.pk])
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return refused(request, ValidationError(_("请选择银行回盘文件")), back=back)
        try:
            counts = services.run_return_import(actor=request.user, run=run, upload=form.cleaned_data["file"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("回盘已导入：到账 %(p)d 笔，失败 %(f)d 笔（下月自动重发）。")
                         % {"p": counts["paid"], "f": counts["failed"]})
        return redirect(back)


class BankFileView(RunObjectMixin, generic.View):
    capability = "benefits.run"

    def get(self, request, pk):
        run = self.run()
        if not run.is_frozen:
            return refused(request, IllegalStep(_("批次审批后才能生成银行文件")), back=reverse("benefits:run", args=[pk]))
        fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
        rows = list(services.bank_rows(run))
        exports.record_export(actor=request.user, what="benefits.bankfile", rows=len(rows), fmt=fmt, request=request,
                              subject=run, columns=list(services.BANK_COLUMNS))
        name = f"allowance-{run.region.code}-{run.month:%Y-%m}.{fmt}"
        if fmt == "xlsx":
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            sheet.title = "payments"
            exports.append_xlsx_row(sheet, list(services.BANK_COLUMNS))
            for row in rows:
                row = list(row)
                exports.append_xlsx_row(sheet, row)
            buffer = io.BytesIO()
            book.save(buffer)
            response = HttpResponse(buffer.getvalue(),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        else:
            out = io.StringIO()
            writer = exports.SafeCsvWriter(out)
            writer.writerow(list(services.BANK_COLUMNS))
            writer.writerows(rows)
            response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class LineExportView(ScopedCsvExportView):
    model = PaymentLine
    capability = "benefits.view"
    filename = "allowance-lines.csv"

    @property
    def header(self):
        return [_("月份"), _("老人"), _("社区"), _("类型"), _("所属月份"), _("年龄档"), _("金额"), _("状态"), _("说明")]

    def get_queryset(self):
        run = get_object_or_404(selectors.runs_for(self.request.user), pk=self.kwargs["pk"])
        return selectors.lines_for(self.request.user, run).order_by("elder__community__path", "elder_id", "for_month")

    def rows(self, queryset):
        for line in queryset:
            yield [f"{line.run.month:%Y-%m}", line.elder.name, line.elder.community.name, line.get_kind_display(),
                   f"{line.for_month:%Y-%m}", line.band or "", f"{line.amount:.2f}", line.get_status_display(),
                   line.note or line.failure_reason]


# --- applications -------------------------------------------------------------------------------------------

class ApplicationListView(ScopedListView):
    model = BenefitApplication
    capability = "benefits.view"
    template_name = "benefits/application_list.html"

    def get_base_queryset(self):
        qs = selectors.applications_for(self.request.user)
        status = self.request.GET.get("status", "")
        return qs.filter(status=status) if status in ("submitted", "approved", "rejected") else qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_change=has_capability(self.request.user, "benefits.change"), **kwargs)


class ApplicationDetailView(ScopedDetailView):
    model = BenefitApplication
    capability = "benefits.view"
    template_name = "benefits/application_detail.html"

    def get_base_queryset(self):
        return selectors.applications_for(self.request.user)

    def get_context_data(self, **kwargs):
        actions = APPLICATION_FLOW.allowed_actions(self.object, self.request.user)
        return super().get_context_data(actions=[(a, APPLICATION_FLOW.label(a)) for a in actions], **kwargs)


class ApplicationDecideView(CapabilityRequiredMixin, generic.View):
    capability = "benefits.change"

    def post(self, request, pk):
        application = get_object_or_404(selectors.applications_for(request.user), pk=pk)
        back = reverse("benefits:application", args=[pk])
        try:
            services.application_decide(actor=request.user, application=application,
                                        action=request.POST.get("action", ""), reason=request.POST.get("reason", ""))
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已办结。"))
        return redirect(back)


class ApplyView(CapabilityRequiredMixin, generic.View):
    """The same form for the street's window (`benefits.change`) and for elders and family online."""

    capability = "benefits.submit"

    def elders(self):
        return visible_to(self.request.user, Elder, action="change").filter(status=ElderStatus.ACTIVE)

    def get(self, request):
        person = is_person(request.user)
        elders = list(self.elders().order_by("pk")[:50]) if person else []
        return render(request, "benefits/apply.html", {"person": person, "elders": elders,
                                                       "programmes": Programme.choices})

    def post(self, request):
        person = is_person(request.user)
        back = reverse("benefits:apply")
        try:
            elder_id = int(request.POST.get("elder", ""))
        except ValueError:
            return refused(request, ValidationError(_("请选择老人")), back=back)
        elder = self.elders().filter(pk=elder_id).first()
        if elder is None:
            return refused(request, ValidationError(_("找不到该老人档案，或不在您的办理范围内")), back=back)
        try:
            application = services.application_submit(
                actor=request.user, elder=elder, programme=request.POST.get("programme", ""),
                channel=Channel.PORTAL if person else Channel.WINDOW)
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("申请已提交，街道会与公安、卫健等部门的数据比对后办理，无需到现场。"))
        if person:
            return redirect("benefits:mine")
        return redirect("benefits:application", application.pk)


class MineView(CapabilityRequiredMixin, generic.TemplateView):
    """The elder's or family's own page: allowance, payments, cards (printable) and applications."""

    capability = "benefits.apply"
    template_name = "benefits/mine.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=selectors.portal_summary(self.request.user), person=True, **kwargs)


# --- cards --------------------------------------------------------------------------------------------------

class CardListView(ScopedListView):
    model = PreferentialCard
    capability = "benefits.view"
    template_name = "benefits/card_list.html"

    def get_base_queryset(self):
        return selectors.cards_for(self.request.user)


class CardAccessMixin(CapabilityRequiredMixin):
    capability = "benefits.card"

    def card(self):
        return get_object_or_404(selectors.cards_for(self.request.user), pk=self.kwargs["pk"])


class CardPrintView(CardAccessMixin, generic.View):
    """The printable card: shown freely; each print (the button) is counted and audited."""

    def get(self, request, pk):
        card = self.card()
        return render(request, "benefits/card_print.html", {"card": card, "person": is_person(request.user),
                                                            "can_loss": card.status == CardStatus.VALID})

    def post(self, request, pk):
        card = self.card()
        try:
            services.card_print(actor=request.user, card=card)
        except REFUSALS as error:
            return refused(request, error, back=reverse("benefits:card", args=[pk]))
        return render(request, "benefits/card_print.html", {"card": card, "person": is_person(request.user),
                                                            "printing": True})


class CardLossView(CardAccessMixin, generic.View):
    capability = "benefits.card_loss"

    def post(self, request, pk):
        card = self.card()
        try:
            new = services.card_report_loss(actor=request.user, card=card, reason=request.POST.get("reason", ""),
                                            reissue=True)
        except REFUSALS as error:
            return refused(request, error, back=reverse("benefits:card", args=[pk]))
        messages.success(request, _("原证已挂失作废，新证号 %(n)s。") % {"n": new.number})
        return redirect("benefits:card", new.pk)


# --- notices ------------------------------------------------------------------------------------------------

class NoticeView(CardAccessMixin, generic.View):
    def get(self, request, pk):
        notice = get_object_or_404(selectors.notices_for(request.user), pk=pk)
        return render(request, "benefits/notice.html", {"notice": notice, "person": is_person(request.user)})


# --- registry cross-checks ----------------------------------------------------------------------------------

class CheckView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "benefits.view"
    template_name = "benefits/checks.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(checks=selectors.checks_for(user)[:20], form=CheckUploadForm(),
                                        can_change=has_capability(user, "benefits.change"), **kwargs)

    def post(self, request):
        if not has_capability(request.user, "benefits.change") or request.user.scope_region is None:
            raise PermissionDenied
        back = reverse("benefits:checks")
        form = CheckUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return refused(request, ValidationError([m for errs in form.errors.values() for m in errs]), back=back)
        try:
            check = services.registry_check_preview(actor=request.user, region=request.user.scope_region,
                                                    kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        return redirect("benefits:check", check.pk)


class CheckDetailView(CapabilityRequiredMixin, generic.TemplateView):
    """A comparison file's preview, row by row: its problems or what applying it would do; the columns can be
    mapped again; then applied (all or nothing, or the valid rows) or discarded."""

    capability = "benefits.view"
    template_name = "benefits/check_detail.html"

    def get_check(self):
        return get_object_or_404(selectors.checks_for(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        check = self.get_check()
        rows = check.preview.get("rows", [])
        show = self.request.GET.get("show", "")
        if show == "problems":
            rows = [row for row in rows if row["errors"]]
        from django.core.paginator import Paginator

        page = Paginator(rows, 100).get_page(self.request.GET.get("page"))
        outcome_words = dict(CheckOutcome.choices)
        for row in page.object_list:
            row["outcome_label"] = outcome_words.get(row.get("outcome"), "")
        return super().get_context_data(
            check=check, page_obj=page, rows=page.object_list, show=show,
            fields=[(field, services.field_label(field), check.columns.get(field, ""))
                    for field in services.CHECK_FIELDS],
            outcome_counts=[(outcome_words[o], n) for o, n in check.preview.get("outcomes", {}).items() if n],
            can_change=has_capability(self.request.user, "benefits.change") and check.status == "previewed",
            **kwargs)

    def post(self, request, pk):
        if not has_capability(request.user, "benefits.change"):
            raise PermissionDenied
        check = self.get_check()
        back = reverse("benefits:check", args=[check.pk])
        action = request.POST.get("action", "")
        try:
            if action == "columns":
                columns = {field: request.POST.get(f"column_{field}", "") for field in services.CHECK_FIELDS}
                services.registry_check_preview(actor=request.user, region=check.region, kind=check.kind, check=check,
                                                columns=columns)
                return redirect(back)
            if action == "discard":
                services.registry_check_discard(actor=request.user, check=check)
                messages.success(request, _("已放弃这份比对数据，没有改动任何档案。"))
                return redirect("benefits:checks")
            if action != "apply":
                raise ValidationError(_("未知的操作"))
            check = services.registry_check_apply(actor=request.user, check=check,
                                                  mode=request.POST.get("mode", "all_or_nothing"))
        except REFUSALS as error:
            return refused(request, error, back=back)
        s = check.summary
        messages.success(request, _("比对完成：共 %(rows)d 行，一致 %(m)d（已更新档案 %(a)d），查无此人 %(nf)d，"
                                    "信息不一致 %(c)d，符合条件未纳入 %(e)d，跳过有问题的行 %(s)d。")
                         % {"rows": s["rows"], "m": s["matched"], "a": s["applied"], "nf": s["not_found"],
                            "c": s["conflict"], "e": s["eligible"], "s": s["skipped"]})
        return redirect("benefits:findings")


class BudgetForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("年度预算（元）"), max_digits=16, decimal_places=2, min_value=0)
    source = forms.CharField(label=gettext_lazy("依据"), max_length=200,
                             help_text=gettext_lazy("如预算批复文号"))


class StatisticsView(CapabilityRequiredMixin, generic.TemplateView):
    """The year by month, band and street, and the budget used against the budget line."""

    capability = "benefits.view"
    template_name = "benefits/statistics.html"

    def year(self):
        from carecircle.core.params import query_int

        return query_int(self.request.GET, "year", minimum=2000, maximum=2100, default=timezone.localdate().year)

    def get_context_data(self, **kwargs):
        user = self.request.user
        year = self.year()
        stats = selectors.year_statistics(user, year=year)
        return super().get_context_data(stats=stats, year=year, form=BudgetForm(),
                                        can_budget=has_capability(user, "benefits.approve"), **kwargs)

    def post(self, request):
        if not has_capability(request.user, "benefits.approve") or request.user.scope_region is None:
            raise PermissionDenied
        year = self.year()
        back = reverse("benefits:statistics") + f"?year={year}"
        form = BudgetForm(request.POST)
        if not form.is_valid():
            return refused(request, ValidationError([m for errs in form.errors.values() for m in errs]), back=back)
        try:
            services.budget_line_set(actor=request.user, region=request.user.scope_region, year=year,
                                     amount=form.cleaned_data["amount"], source=form.cleaned_data["source"])
        except REFUSALS as error:
            return refused(request, error, back=back)
        messages.success(request, _("已录入 %(year)d 年度预算。") % {"year": year})
        return redirect(back)


class FindingListView(ScopedListView):
    model = RegistryFinding
    capability = "benefits.view"
    template_name = "benefits/finding_list.html"

    def get_base_queryset(self):
        qs = selectors.findings_for(self.request.user)
        return qs if self.request.GET.get("all") else qs.filter(resolved=False)

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_change=has_capability(self.request.user, "benefits.change"), **kwargs)


class FindingResolveView(CapabilityRequiredMixin, generic.View):
    capability = "benefits.change"

    def post(self, request, pk):
        finding = get_object_or_404(selectors.findings_for(request.user), pk=pk)
        try:
            services.finding_resolve(actor=request.user, finding=finding, resolution=request.POST.get("resolution", ""))
        except REFUSALS as error:
            return refused(request, error, back=reverse("benefits:findings"))
        messages.success(request, _("已处理。"))
        return redirect("benefits:findings")


class EligibleView(ScopedListView):
    """People past the starting age on the register but on no roll: to be contacted."""

    model = Elder
    capability = "benefits.view"
    template_name = "benefits/eligible.html"

    def get_base_queryset(self):
        return selectors.eligible_not_enrolled(self.request.user).order_by("community__path", "name", "pk")
