"""Pages: the complaint list (search, filters, overdue first, CSV), a complaint with its timeline and the steps
the reader may take, filing a complaint (staff for any elder in scope; elders and family on big-type pages),
the return-visit queue and the call form, and the provider scorecard (with its CSV)."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core import exports
from carecircle.core.isolation import visible_to
from carecircle.core.roles import has_capability, is_person
from carecircle.core.validators import month_message
from carecircle.core.views import (
    CapabilityRequiredMixin, ScopedCsvExportView, ScopedDetailView, ScopedListView, apply_errors, flash_error,
)
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder

from . import selectors, services
from .forms import (
    AcceptForm,
    AnswerForm,
    CloseForm,
    ComplaintForm,
    ComplaintSearchForm,
    ReasonForm,
    ReturnVisitCallForm,
    ReturnVisitSearchForm,
    ScorecardForm,
)
from .models import COMPLAINT_FLOW, Complaint, ReturnVisit, ReturnVisitStatus, reopen_until


# --- complaints ----------------------------------------------------------------------------------------------

class ComplaintListView(ScopedListView):
    model = Complaint
    capability = "quality.list"
    template_name = "quality/complaint_list.html"

    @cached_property
    def search_form(self):
        return ComplaintSearchForm(self.request.GET or None)

    def filters(self) -> dict:
        form = self.search_form
        cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
        return {"q": cleaned.get("q", ""), "status": cleaned.get("status", ""), "channel": cleaned.get("channel", ""),
                "category": cleaned.get("category", ""), "overdue": bool(cleaned.get("overdue"))}

    def get_queryset(self):
        return selectors.complaint_list(self.request.user, **self.filters())

    def get_context_data(self, **kwargs):
        return super().get_context_data(search_form=self.search_form, today=timezone.localdate(),
                                        can_file=has_capability(self.request.user, "quality.handle"), **kwargs)


class ComplaintExportView(ScopedCsvExportView):
    model = Complaint
    capability = "quality.list"
    filename = "complaints.csv"

    @property
    def header(self):
        return [_("投诉编号"), _("登记日期"), _("老人"), _("社区"), _("被投诉机构"), _("护理员"), _("来源渠道"),
                _("投诉类别"), _("状态"), _("受理期限"), _("答复期限"), _("是否逾期"), _("投诉内容"), _("答复内容"),
                _("投诉人是否满意"), _("重新处理次数")]

    def get_queryset(self):
        view = ComplaintListView()
        view.request = self.request
        return view.get_queryset()

    def rows(self, queryset):
        today = timezone.localdate()
        for c in queryset:
            satisfied = {True: _("满意"), False: _("不满意")}.get(c.complainant_satisfied, "")
            yield [c.pk, c.received_on.isoformat(), c.elder.name, c.elder.community.name,
                   c.organisation.name if c.organisation else "", c.caregiver.name if c.caregiver else "",
                   c.get_channel_display(), c.get_category_display(), c.get_status_display(),
                   c.accept_due.isoformat(), c.answer_due.isoformat(), _("是") if c.is_overdue(today) else _("否"),
                   c.summary, c.answer, satisfied, c.reopen_count]


class ComplaintDetailView(ScopedDetailView):
    model = Complaint
    capability = "quality.view"
    template_name = "quality/complaint_detail.html"
    context_object_name = "complaint"

    def get_base_queryset(self):
        return Complaint.objects.select_related("elder__community", "organisation", "caregiver", "work_order")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, complaint = self.request.user, self.object
        actions = COMPLAINT_FLOW.allowed_actions(complaint, user)
        context.update({
            "person": is_person(user),
            "steps": selectors.complaint_steps(user, complaint),
            "actions": actions,
            "overdue": complaint.is_overdue(timezone.localdate()),
            "reopen_until": reopen_until(complaint) if "reopen" in actions else None,
            "accept_form": AcceptForm(complaint=complaint), "answer_form": AnswerForm(), "reason_form": ReasonForm(),
            "close_form": CloseForm(),
            "return_visits": visible_to(user, ReturnVisit).filter(complaint=complaint),
        })
        return context


class ComplaintStepView(CapabilityRequiredMixin, generic.View):
    """accept / answer / escalate / close / reopen, each a POST from the complaint page."""

    model = Complaint
    capability = "quality.view"
    step = ""

    @cached_property
    def object(self):
        return get_object_or_404(visible_to(self.request.user, Complaint).select_related("elder__community"),
                                 pk=self.kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and has_capability(request.user, self.capability):
            self.object  # noqa: B018  (404 outside the scope, before anything else)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        complaint, user, data = self.object, request.user, request.POST
        try:
            if self.step == "accept":
                form = AcceptForm(data, complaint=complaint)
                organisation = form.cleaned_data.get("organisation") if form.is_valid() else None
                if not form.is_valid():
                    raise ValidationError(form.errors.get("organisation") or _("请选择转交的服务机构"))
                services.complaint_accept(actor=user, complaint=complaint, organisation=organisation,
                                          note=form.cleaned_data.get("note", ""))
                messages.success(request, _("已受理并转交服务机构。"))
            elif self.step == "answer":
                services.complaint_answer(actor=user, complaint=complaint, answer=data.get("answer", ""))
                messages.success(request, _("已答复。"))
            elif self.step == "escalate":
                services.complaint_escalate(actor=user, complaint=complaint, reason=data.get("reason", ""))
                messages.success(request, _("已升级至区民政。"))
            elif self.step == "close":
                satisfied = {"yes": True, "no": False}.get(data.get("satisfied", ""))
                services.complaint_close(actor=user, complaint=complaint, satisfied=satisfied,
                                         note=data.get("note", ""))
                messages.success(request, _("已办结，稍后将电话回访。"))
            elif self.step == "reopen":
                services.complaint_reopen(actor=user, complaint=complaint, reason=data.get("reason", ""))
                messages.success(request, _("已重新处理。"))
        except (ValidationError, IllegalStep, PermissionDenied) as error:
            flash_error(request, error)
        return redirect("quality:complaint-detail", complaint.pk)


class ComplaintCreateView(CapabilityRequiredMixin, generic.TemplateView):
    """Filing a complaint about one elder's care: staff pick the elder by searching; elders and family file for
    the elders linked to them, on big type."""

    model = Elder
    capability = "quality.file"
    template_name = "quality/complaint_new.html"

    @cached_property
    def elder(self):
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        return get_object_or_404(visible_to(self.request.user, Elder).select_related("community"), pk=pk)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and has_capability(request.user, self.capability):
            self.elder  # noqa: B018
        return super().dispatch(request, *args, **kwargs)

    def _return_visit(self):
        from carecircle.core.params import parse_id

        pk = parse_id(self.request.GET.get("return_visit") or self.request.POST.get("return_visit"),
                      name="return_visit")
        if pk is None or not has_capability(self.request.user, "quality.call"):
            return None
        return get_object_or_404(visible_to(self.request.user, ReturnVisit), pk=pk, elder=self.elder)

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(person=is_person(user), elder=self.elder, **kwargs)
        if self.elder is None:
            from carecircle.elders.selectors import elders_matching

            q = (self.request.GET.get("q") or "").strip()
            elders = visible_to(user, Elder).select_related("community")
            if q:
                elders = elders.filter(pk__in=elders_matching(q).values("pk"))
            elif not is_person(user):
                elders = elders.none()
            context.update(q=q, elders=elders.order_by("name", "id")[:20])
        return context

    def get(self, request, *args, **kwargs):
        form = None
        if self.elder is not None:
            return_visit = self._return_visit()
            initial = {}
            if return_visit is not None:
                initial = {"organisation": return_visit.organisation_id, "work_order": return_visit.work_order_id}
            form = ComplaintForm(elder=self.elder, person=is_person(request.user), initial=initial)
            return self.render_to_response(self.get_context_data(form=form, return_visit=return_visit))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if self.elder is None:
            return redirect("quality:complaint-new")
        return_visit = self._return_visit()
        form = ComplaintForm(request.POST, elder=self.elder, person=is_person(request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_file(
                    actor=request.user, elder=self.elder, category=data["category"], summary=data["summary"],
                    channel=data.get("channel") or None, organisation=data.get("organisation"),
                    work_order=data.get("work_order"), caregiver=data.get("caregiver"),
                    complainant=data.get("complainant", ""), return_visit=return_visit)
            except ValidationError as error:
                apply_errors(form, error)
            except PermissionDenied as error:
                flash_error(request, error)
                return redirect("quality:portal" if is_person(request.user) else "quality:complaint-list")
            else:
                messages.success(request, _("投诉已登记，答复期限为 %(d)s。") % {"d": complaint.answer_due.isoformat()})
                return redirect("quality:complaint-detail", complaint.pk)
        context = self.get_context_data(form=form, return_visit=return_visit)
        return self.render_to_response(context, status=400)


class PortalView(CapabilityRequiredMixin, generic.TemplateView):
    """An elder's or family member's own complaints, on big type, and a button to file one per elder."""

    capability = "quality.portal"
    template_name = "quality/portal.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            elders=visible_to(user, Elder).order_by("name", "id"),
            complaints=selectors.complaints_of_person(user), today=timezone.localdate(), **kwargs)


# --- return visits -------------------------------------------------------------------------------------------

class ReturnVisitListView(ScopedListView):
    model = ReturnVisit
    capability = "quality.call"
    template_name = "quality/return_visit_list.html"

    @cached_property
    def search_form(self):
        return ReturnVisitSearchForm(self.request.GET or None)

    def get_queryset(self):
        form = self.search_form
        cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
        status = cleaned.get("status", "") if form.is_bound else ReturnVisitStatus.PENDING
        return selectors.return_visit_list(self.request.user, status=status, reason=cleaned.get("reason", ""),
                                           q=cleaned.get("q", ""))

    def get_context_data(self, **kwargs):
        return super().get_context_data(search_form=self.search_form, today=timezone.localdate(), **kwargs)


class ReturnVisitDetailView(ScopedDetailView):
    model = ReturnVisit
    capability = "quality.call"
    template_name = "quality/return_visit_detail.html"
    context_object_name = "visit"

    def get_base_queryset(self):
        return ReturnVisit.objects.select_related("elder__community", "organisation", "work_order", "complaint")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visit = self.object
        context.update(calls=selectors.return_visit_calls(self.request.user, visit),
                       form=kwargs.get("form") or ReturnVisitCallForm(),
                       complaints=visible_to(self.request.user, Complaint).filter(return_visit=visit),
                       elder_phone=_masked_phone(visit.elder))
        return context

    def post(self, request, *args, **kwargs):
        self.object = visit = self.get_object()
        form = ReturnVisitCallForm(request.POST)
        if form.is_valid():
            try:
                services.return_visit_record(actor=request.user, return_visit=visit,
                                             outcome=form.cleaned_data["outcome"],
                                             satisfaction=form.cleaned_data.get("satisfaction"),
                                             notes=form.cleaned_data.get("notes", ""))
            except ValidationError as error:
                apply_errors(form, error)
            except (IllegalStep, PermissionDenied) as error:
                flash_error(request, error)
                return redirect("quality:return-visit-detail", visit.pk)
            else:
                messages.success(request, _("通话已记录。"))
                return redirect("quality:return-visit-detail", visit.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _masked_phone(elder) -> str:
    from carecircle.core.sensitive import mask_phone

    return mask_phone(elder.phone) if getattr(elder, "phone", "") else ""


# --- the provider scorecard ----------------------------------------------------------------------------------

def _scorecard_month(request) -> dt.date:
    form = ScorecardForm(request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data.get("month"):
        return form.cleaned_data["month"]
    if form.is_bound and form.errors:
        from carecircle.core.params import InvalidParameter

        raise InvalidParameter("month", month_message())
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1)


class ScorecardView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "quality.scorecard"
    template_name = "quality/scorecard.html"

    def get_context_data(self, **kwargs):
        month = _scorecard_month(self.request)
        sort = self.request.GET.get("sort", "organisation")
        rows = selectors.sorted_scorecards(selectors.provider_scorecards(self.request.user, month=month), sort)
        return super().get_context_data(rows=rows, month=month, sort=sort,
                                        form=ScorecardForm(initial={"month": month}),
                                        columns=SCORECARD_COLUMNS, **kwargs)


def _columns():
    return [("organisation", _("服务机构")), ("visits", _("上门次数")), ("on_time_rate", _("准时率 %")),
            ("verified_share", _("核验通过率 %")), ("exception_rate", _("异常率 %")),
            ("satisfaction", _("平均满意度")), ("complaints_per_1000", _("每千次上门投诉数")),
            ("complaints_overdue", _("逾期投诉"))]


class _LazyColumns:
    def __iter__(self):
        return iter(_columns())


SCORECARD_COLUMNS = _LazyColumns()


class ScorecardExportView(CapabilityRequiredMixin, generic.View):
    capability = "quality.scorecard"

    def get(self, request, *args, **kwargs):
        month = _scorecard_month(request)
        rows = selectors.provider_scorecards(request.user, month=month)
        header = [_("月份"), _("服务机构"), _("上门次数"), _("准时率 %"), _("核验通过率 %"), _("异常率 %"),
                  _("平均满意度"), _("满意度样本数"), _("投诉数"), _("每千次上门投诉数"), _("逾期投诉")]
        exports.record_export(actor=request.user, what="quality.scorecard", rows=len(rows), fmt="csv",
                              request=request, columns=header)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="scorecard-{month:%Y-%m}.csv"'
        response.write("\ufeff")
        writer = exports.SafeCsvWriter(response)
        writer.writerow(header)
        for row in rows:
            writer.writerow([f"{month:%Y-%m}", row["organisation"], row["visits"],
                             *["" if row[k] is None else row[k] for k in
                               ("on_time_rate", "verified_share", "exception_rate", "satisfaction")],
                             row["satisfaction_count"], row["complaints"],
                             "" if row["complaints_per_1000"] is None else row["complaints_per_1000"],
                             row["complaints_overdue"]])
        return response
