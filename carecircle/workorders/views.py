"""Pages: the work-order day list (with its CSV export) and generating a day's work orders."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.roles import has_capability
from carecircle.core.views import CapabilityRequiredMixin, ScopedCsvExportView, ScopedListView

from . import selectors, services
from .forms import GenerateForm, WorkOrderSearchForm
from .models import WorkOrder


class WorkOrderListView(ScopedListView):
    model = WorkOrder
    capability = "workorders.view"
    template_name = "workorders/workorder_list.html"
    paginate_by = 50

    @cached_property
    def search_form(self):
        data = self.request.GET.copy()
        data.setdefault("date", (timezone.localdate() + dt.timedelta(days=1)).isoformat())
        return WorkOrderSearchForm(data)

    def get_queryset(self):
        form = self.search_form
        cleaned = form.cleaned_data if form.is_valid() else {}
        return selectors.work_order_list(self.request.user, date=cleaned.get("date"), status=cleaned.get("status", ""),
                                         source=cleaned.get("source", ""), q=cleaned.get("q", ""))

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = self.search_form
        day = form.cleaned_data.get("date") if form.is_valid() else None
        return super().get_context_data(
            search_form=form, day=day, can_generate=has_capability(user, "workorders.generate"),
            generate_form=GenerateForm(initial={"date": day}), runs=selectors.last_runs(user), **kwargs)


class WorkOrderExportView(ScopedCsvExportView):
    model = WorkOrder
    capability = "workorders.view"
    filename = "work-orders.csv"

    @property
    def header(self):
        return [_("工单编号"), _("服务日期"), _("时段"), _("老人"), _("社区"), _("服务机构"), _("时长（分钟）"),
                _("须持资质"), _("来源"), _("状态"), _("暂停/取消原因"), _("护理员")]

    def get_queryset(self):
        try:
            day = dt.date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            day = None
        return selectors.work_order_list(self.request.user, date=day, status=self.request.GET.get("status", ""),
                                         source=self.request.GET.get("source", ""), q=self.request.GET.get("q", ""))

    def rows(self, queryset):
        for work in queryset:
            yield [work.pk, work.date.isoformat(), f"{work.window_start:%H:%M}-{work.window_end:%H:%M}",
                   work.elder.name, work.elder.community.name, work.organisation.name, work.duration_minutes,
                   work.required_qualification, work.get_source_display(), work.get_status_display(),
                   work.suppressed_reason, work.caregiver.name if work.caregiver else ""]


class WorkOrderGenerateView(CapabilityRequiredMixin, generic.View):
    capability = "workorders.generate"

    def post(self, request, *args, **kwargs):
        form = GenerateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择要生成工单的日期。"))
            return redirect("workorders:list")
        day = form.cleaned_data["date"]
        try:
            summary = services.work_orders_generate(date=day, actor=request.user)
        except PermissionDenied as error:
            messages.error(request, str(error) or _("您没有执行此操作的权限。"))
            return redirect("workorders:list")
        messages.success(request, _("%(date)s 的工单已生成：新增 %(c)d，更新 %(u)d，暂停 %(s)d，取消 %(x)d。")
                         % {"date": day.isoformat(), "c": summary["created"], "u": summary["updated"],
                            "s": summary["suppressed"], "x": summary["cancelled"]})
        return redirect(f"{reverse('workorders:list')}?date={day.isoformat()}")

