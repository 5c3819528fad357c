"""Pages of the dispatch board and the caregiver's day. Views parse input, call a selector or a service,
and render; the rules live in the services."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import generic

from carecircle.core import basemap
from carecircle.core.isolation import CHANGE, visible_to
from carecircle.core.params import query_int
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import mask_phone
from carecircle.core.views import CapabilityRequiredMixin, ScopedCsvExportView, ScopedQuerysetMixin
from carecircle.core.workflow import IllegalStep
from carecircle.elders import services as elder_services
from carecircle.providers.models import Qualification
from carecircle.workorders.models import WorkOrder

from . import selectors, services
from .forms import AssignForm, DayForm, MoveForm, PlaceForm, ReplanForm, ShiftForm, WorkOrderFilterForm
from .models import PLAN_FLOW, DispatchPlan, PlanStatus, Shift

# The timeline spans the working day; bars outside it are clipped by the page.
TIMELINE_START, TIMELINE_END = 6 * 60, 21 * 60


def _errors_text(error: ValidationError) -> str:
    return pgettext("message separator", "；").join(error.messages)


def _board_url(day: dt.date) -> str:
    return f"{reverse('dispatch:board')}?{urlencode({'date': day.isoformat()})}"


def _minutes(moment) -> int:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute


class BoardView(CapabilityRequiredMixin, generic.TemplateView):
    capability = "dispatch.view"
    template_name = "dispatch/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        day = DayForm(self.request.GET or None).day()
        filters = WorkOrderFilterForm(self.request.GET or None)
        cleaned = filters.cleaned_data if filters.is_valid() else {}
        orders = selectors.work_orders_for(user, day, q=cleaned.get("q", ""), status=cleaned.get("status", ""),
                                           qualification=cleaned.get("qualification", ""))
        page = Paginator(orders, 25).get_page(query_int(self.request.GET, "page", default=1))
        page.object_list = list(page.object_list)
        labels = dict(Qualification.choices)
        for order in page.object_list:
            order.qualification_label = labels.get(order.required_qualification, order.required_qualification)
        params = self.request.GET.copy()
        params.pop("page", None)
        shifts = list(selectors.shifts_for(user, day))
        plan = selectors.plan_for(user, day)
        rows, unscheduled, map_data = [], [], {"caregivers": [], "unscheduled": []}
        if plan is not None and plan.status != PlanStatus.OPTIMISING:
            rows, unscheduled, map_data = self._plan_layout(plan, shifts)
        plan_actions = (PLAN_FLOW.allowed_actions(plan, user) if plan is not None
                        else ["optimise"] if has_capability(user, "dispatch.change") else [])
        context.update({
            "day": day, "previous_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
            "day_form": DayForm(initial={"date": day}), "filter_form": filters, "page_obj": page,
            "orders": page.object_list, "querystring": params.urlencode(), "shifts": shifts, "plan": plan,
            "figures": {k: v for k, v in (plan.figures if plan else {}).items() if not isinstance(v, dict)},
            "rows": rows, "unscheduled": unscheduled, "map_data": map_data,
            "can_change": has_capability(user, "dispatch.change"),
            # What the plan's buttons offer: the steps its state allows this user (a day without a plan
            # may be optimised by whoever may plan).
            "plan_actions": plan_actions,
            "plan_version": services.plan_version(plan) if plan is not None else "",
            "can_place": "place" in plan_actions and any(s.shift_id is None for s in unscheduled),
            "basemap": basemap.client_config(),
            "timeline_start": TIMELINE_START, "timeline_end": TIMELINE_END,
            "hours": list(range(TIMELINE_START // 60, TIMELINE_END // 60 + 1)),
            "move_form": MoveForm(), "replan_form": ReplanForm(),
        })
        return context

    def _plan_layout(self, plan, shifts):
        stops = list(selectors.plan_stops(self.request.user, plan))
        by_shift: dict[int, list] = {}
        unscheduled = []
        for stop in stops:
            if stop.shift_id is None:
                unscheduled.append(stop)
            else:
                by_shift.setdefault(stop.shift_id, []).append(stop)
        # Work orders that arrived after the plan was made are listed with the unscheduled ones.
        for order in selectors.orders_not_in_plan(self.request.user, plan):
            unscheduled.append(NewOrder(order))
        breaks = {k: v.get("break") for k, v in plan.figures.get("routes", {}).items()}
        travel = TravelExplainer(plan)
        rows, caregivers = [], []
        for index, shift in enumerate(shifts):
            visits = sorted(by_shift.get(shift.pk, []), key=lambda s: s.position)
            brk = breaks.get(f"sh{shift.pk}")
            travel.explain(shift, visits)
            rows.append({
                "shift": shift, "stops": visits, "colour": index, "travel": travel.of_shift(shift),
                "start": shift.start_time.hour * 60 + shift.start_time.minute,
                "end": shift.end_time.hour * 60 + shift.end_time.minute,
                "break_start": round(brk / 60) if brk is not None else None,
                "break_end": round(brk / 60) + shift.lunch_minutes if brk is not None else None,
                "bars": [{"stop": s, "start": _minutes(s.planned_start), "end": _minutes(s.planned_end)} for s in visits],
            })
            caregivers.append({
                "name": shift.caregiver.name, "colour": index,
                "home": [float(shift.start_lat), float(shift.start_lng)],
                "end": [float(shift.end_lat), float(shift.end_lng)],
                "stops": [{"lat": float(s.work_order.elder.lat), "lng": float(s.work_order.elder.lng),
                           "label": f"{s.position + 1}. {s.work_order.elder.name} "
                                    f"{_minutes(s.planned_start) // 60:02d}:{_minutes(s.planned_start) % 60:02d}"}
                          for s in visits if s.work_order.elder.lat is not None],
            })
        map_data = {"caregivers": caregivers, "unscheduled": [
            {"lat": float(s.work_order.elder.lat), "lng": float(s.work_order.elder.lng),
             "label": _("%(name)s：%(reason)s") % {"name": s.work_order.elder.name,
                                                 "reason": s.reason_display}}
            for s in unscheduled if s.work_order.elder.lat is not None]}
        if basemap.client_config()["source"] == "boundaries":
            map_data["regions"] = selectors.map_regions(
                self.request.user, plan, {s.work_order.elder.community_id for s in stops}
                | {s.work_order.elder.community_id for s in unscheduled})
        return rows, unscheduled, map_data


class NewOrder:
    """A work order of the day that has no stop in the plan yet, shown like an unscheduled stop."""

    shift_id = None
    is_new = True

    def __init__(self, order):
        self.work_order = order
        self.work_order_id = order.pk

    @property
    def reason_display(self) -> str:
        return _("计划生成后新增的工单，尚未安排")


class TravelExplainer:
    """Why a leg takes the minutes it does, in words: where the caregiver's day starts, the travel mode and the
    speed and detour factor in force for the provider's region that day (the same values the engine used)."""

    def __init__(self, plan):
        from .problem import Settings

        self.settings = Settings.load(region=plan.organisation.region, on=plan.date)

    def speed_m_per_min(self, shift) -> float:
        return self.settings.speeds.get(shift.travel_mode, 0) * 60

    def of_shift(self, shift) -> str:
        if shift.start_kind == "facility" and shift.start_facility_id:
            place = _("从设施“%(name)s”出发") % {"name": shift.start_facility.name}
        else:
            place = _("从住所出发")
        return _("%(place)s，%(mode)s，每分钟 %(speed).0f 米，路程按直线距离 × 绕行系数 %(detour)s 计") % {
            "place": place, "mode": shift.get_travel_mode_display(), "speed": self.speed_m_per_min(shift),
            "detour": f"{self.settings.detour_factor:g}"}

    def explain(self, shift, stops) -> None:
        from carecircle.engines.routing.model import Location
        from carecircle.engines.routing.travel import haversine_m

        here = Location("start", float(shift.start_lat), float(shift.start_lng))
        origin = (_("%(name)s 的出发地点（设施“%(place)s”）") % {"name": shift.caregiver.name,
                                                         "place": shift.start_facility.name}
                  if shift.start_kind == "facility" and shift.start_facility_id
                  else _("%(name)s 的出发地点（住所）") % {"name": shift.caregiver.name})
        speed = self.speed_m_per_min(shift)
        for stop in stops:
            elder = stop.work_order.elder
            if elder.lat is None or elder.lng is None:
                stop.travel_text = ""
                continue
            there = Location("elder", float(elder.lat), float(elder.lng))
            straight = haversine_m(here, there)
            road = straight * self.settings.detour_factor
            stop.travel_text = _("从%(origin)s到 %(elder)s 家：直线 %(straight).1f 公里 × 绕行系数 %(detour)s ≈ "
                                 "%(road).1f 公里，%(mode)s每分钟 %(speed).0f 米，约 %(minutes).0f 分钟") % {
                "origin": origin, "elder": elder.name, "straight": straight / 1000,
                "detour": f"{self.settings.detour_factor:g}", "road": road / 1000,
                "mode": shift.get_travel_mode_display(), "speed": speed,
                "minutes": road / speed if speed else 0}
            stop.travel_minutes = round(stop.travel_seconds / 60)
            here, origin = there, _("上一位老人 %(name)s 家") % {"name": elder.name}


class PlanStatusView(ScopedQuerysetMixin, generic.DetailView):
    """The optimising plan's progress fragment; htmx polls it and reloads the board when the plan is ready."""

    model = DispatchPlan
    capability = "dispatch.view"
    template_name = "dispatch/_plan_status.html"
    context_object_name = "plan"

    def get_base_queryset(self):
        return DispatchPlan.objects.select_related("job")

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if self.request.headers.get("HX-Request") and self.object.status != PlanStatus.OPTIMISING:
            response["HX-Refresh"] = "true"
        return response


class ShiftListView(CapabilityRequiredMixin, generic.FormView):
    """A day's shifts with the form to add one and the "copy last week" action."""

    capability = "dispatch.view"
    template_name = "dispatch/shifts.html"
    form_class = ShiftForm

    def get_day(self) -> dt.date:
        return DayForm(self.request.GET or None).day()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        return {"date": self.get_day(), "start_time": dt.time(8, 0), "end_time": dt.time(17, 0)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = self.get_day()
        context.update({
            "day": day, "previous_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
            "day_form": DayForm(initial={"date": day}), "shifts": selectors.shifts_for(self.request.user, day),
            "can_change": has_capability(self.request.user, "dispatch.change"),
        })
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            shift = services.shift_create(actor=self.request.user, **data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已为 %(name)s 录入 %(date)s 的班次") % {
            "name": shift.caregiver.name, "date": shift.date.isoformat()})
        return redirect(f"{reverse('dispatch:shifts')}?{urlencode({'date': shift.date.isoformat()})}")


class ShiftExportView(ScopedCsvExportView):
    """The day's roster as CSV (to print or share): caregiver, hours, lunch, start and end place, travel mode."""

    model = Shift
    capability = "dispatch.view"

    @property
    def filename(self):
        return f"shifts-{self.day.isoformat()}.csv"

    @property
    def header(self):
        return [_("护理员"), _("日期"), _("上班时间"), _("下班时间"), _("午休"), _("出发地点"), _("收工地点"), _("出行方式"),
                _("最长工作小时"), _("临时离岗时间"), _("备注")]

    def filter_queryset(self, queryset):
        self.day = DayForm(self.request.GET or None).day()
        # The roster of what the user plans (their own organisation's shifts), not all they may read.
        queryset = visible_to(self.request.user, queryset, CHANGE)
        queryset = queryset.filter(date=self.day).select_related("caregiver", "start_facility", "end_facility")
        return queryset.order_by("start_time", "caregiver__name", "id")

    def rows(self, queryset):
        def place(kind_display, facility):
            return facility.name if facility else kind_display

        for shift in queryset:
            lunch = (f"{shift.lunch_earliest:%H:%M}–{shift.lunch_latest:%H:%M} / {shift.lunch_minutes}"
                     if shift.lunch_minutes else "")
            yield [shift.caregiver.name, shift.date.isoformat(), f"{shift.start_time:%H:%M}", f"{shift.end_time:%H:%M}",
                   lunch, place(shift.get_start_kind_display(), shift.start_facility),
                   place(shift.get_end_kind_display(), shift.end_facility), shift.get_travel_mode_display(),
                   f"{shift.max_hours.normalize()}", f"{shift.off_from:%H:%M}" if shift.off_from else "", shift.note]


class ShiftCopyView(CapabilityRequiredMixin, generic.View):
    capability = "dispatch.change"
    http_method_names = ["post"]

    def post(self, request):
        day = DayForm(request.POST).day()
        try:
            result = services.shifts_copy_last_week(actor=request.user, date=day)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        else:
            messages.success(request, _("已从 %(source)s 复制 %(created)d 个班次，跳过 %(skipped)d 个（当天已有班次或已离职）") % {
                "source": result["source"].isoformat(), "created": result["created"], "skipped": result["skipped"]})
        return redirect(f"{reverse('dispatch:shifts')}?{urlencode({'date': day.isoformat()})}")


class ShiftDeleteView(ScopedQuerysetMixin, generic.View):
    model = Shift
    capability = "dispatch.change"
    http_method_names = ["post"]

    def post(self, request, pk):
        shift = get_object_or_404(self.get_queryset(), pk=pk)
        day = shift.date
        try:
            services.shift_delete(actor=request.user, shift=shift)
        except IllegalStep as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("班次已删除"))
        return redirect(f"{reverse('dispatch:shifts')}?{urlencode({'date': day.isoformat()})}")


class OptimiseView(CapabilityRequiredMixin, generic.View):
    capability = "dispatch.change"
    http_method_names = ["post"]

    def post(self, request):
        day = DayForm(request.POST).day()
        try:
            services.plan_optimise(actor=request.user, date=day)
        except IllegalStep as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        else:
            messages.info(request, _("已开始优化 %(date)s 的排程") % {"date": day.isoformat()})
        return redirect(_board_url(day))


class PlanActionView(ScopedQuerysetMixin, generic.View):
    """A POST on one plan: load it through visible_to, call the service, report, back to the board."""

    model = DispatchPlan
    capability = "dispatch.change"
    http_method_names = ["post"]

    def post(self, request, pk):
        plan = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            self.act(request, plan)
        except IllegalStep as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        return redirect(_board_url(plan.date))

    def act(self, request, plan):
        raise NotImplementedError


def _shift_of(user, plan, shift_pk):
    if shift_pk is None:
        return None
    shift = selectors.plan_shift(user, plan, shift_pk)
    if shift is None:
        raise ValidationError(_("只能选择本机构当天的班次"))
    return shift


class MoveView(PlanActionView):
    def act(self, request, plan):
        form = MoveForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("调整内容不完整：请选择工单和目标护理员"))
        data = form.cleaned_data
        position = data["position"] - 1 if data.get("position") else None
        result = services.stop_move(actor=request.user, plan=plan, work_order_id=data["work_order"],
                                    shift=_shift_of(request.user, plan, data.get("shift")), position=position)
        messages.success(request, _("已调整，所有硬性约束检查通过"))
        for warning in result["warnings"]:
            messages.warning(request, _("提示：%(text)s") % {"text": warning})


class PublishView(PlanActionView):
    def act(self, request, plan):
        result = services.plan_publish(actor=request.user, plan=plan)
        messages.success(request, _("已发布：%(published)d 个上门已通知护理员，%(unplaced)d 个未排工单退回待排班") % result)


class ReplanView(PlanActionView):
    def act(self, request, plan):
        form = ReplanForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("请选择离岗的护理员并填写离岗时间"))
        shift = _shift_of(request.user, plan, form.cleaned_data["shift"])
        result = services.plan_replan(actor=request.user, plan=plan, shift=shift,
                                      off_from=form.cleaned_data["off_from"])
        messages.success(request, _("已重排：%(moved)d 个上门改派，%(unscheduled)d 个无法安排；核对后请重新发布") % {
            "moved": result["moved"], "unscheduled": result["unscheduled"]})


class PlaceView(PlanActionView):
    """Place the visits not on anyone's day; published visits keep their times unless moving is allowed."""

    def act(self, request, plan):
        form = PlaceForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("请刷新看板后再安排新增上门"))
        result = services.plan_place_new(actor=request.user, plan=plan, version=form.cleaned_data["version"],
                                         allow_moving=form.cleaned_data["allow_moving"])
        _report_placement(request, plan, result)


class AssignView(PlanActionView):
    """Put one visit on a chosen caregiver's day at a chosen position (checked by the routing engine)."""

    def act(self, request, plan):
        form = AssignForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("指派内容不完整：请选择护理员"))
        data = form.cleaned_data
        result = services.plan_assign(
            actor=request.user, plan=plan, version=data["version"], work_order_id=data["work_order"],
            shift=_shift_of(request.user, plan, data["shift"]),
            position=data["position"] - 1 if data.get("position") else None, allow_moving=data["allow_moving"])
        _report_placement(request, plan, result)
        for warning in result["warnings"]:
            messages.warning(request, _("提示：%(text)s") % {"text": warning})


def _report_placement(request, plan, result) -> None:
    names = pgettext("list separator", "、").join(result["caregivers"])
    if result["placed"]:
        if plan.status == PlanStatus.PUBLISHED:
            text = _("已安排 %(n)d 个上门，并已发布给护理员：%(names)s") % {"n": len(result["placed"]), "names": names}
        else:
            text = _("已安排 %(n)d 个上门（计划发布后护理员可见）") % {"n": len(result["placed"])}
        messages.success(request, text)
    elif not result["unplaced"]:
        messages.info(request, _("没有需要安排的上门"))
    if result["moved"]:
        messages.info(request, _("%(n)d 个已安排的上门改了时间或护理员，相关护理员的安排已更新") % {"n": len(result["moved"])})
    if result["unplaced"]:
        orders = {o.pk: o for o in WorkOrder.objects.filter(pk__in=list(result["unplaced"])).select_related("elder")}
        for pk, reason in result["unplaced"].items():
            order = orders.get(pk)
            messages.warning(request, _("未能安排 %(elder)s %(window)s：%(reason)s") % {
                "elder": order.elder.name if order else "", "reason": _(reason),
                "window": f"{order.window_start:%H:%M}–{order.window_end:%H:%M}" if order else ""})


class PlanExportView(ScopedCsvExportView):
    model = DispatchPlan
    capability = "dispatch.view"

    @property
    def filename(self):
        return f"dispatch-{self.plan.date.isoformat()}.csv"

    @property
    def header(self):
        return [_("护理员"), _("顺序"), _("计划开始"), _("计划结束"), _("老人"), _("地址"), _("联系电话（脱敏）"),
                _("服务时长（分钟）"), _("未排原因"), pgettext("dispatch warning", "提示")]

    def filter_queryset(self, queryset):
        self.plan = get_object_or_404(queryset, pk=self.kwargs["pk"])
        return queryset.filter(pk=self.plan.pk)

    def export_subject(self):
        return self.plan

    def row_count(self, queryset) -> int:
        return selectors.plan_stops(self.request.user, self.plan).count()

    def rows(self, queryset):
        for stop in selectors.plan_stops(self.request.user, self.plan):
            order = stop.work_order
            yield [stop.shift.caregiver.name if stop.shift_id else "", stop.position + 1 if stop.shift_id else "",
                   _clock(stop.planned_start), _clock(stop.planned_end), order.elder.name, order.elder.address,
                   mask_phone(order.elder.phone), order.duration_minutes, stop.reason_display, stop.warning_display]


def _clock(moment) -> str:
    if moment is None:
        return ""
    minutes = _minutes(moment)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class MyDayView(CapabilityRequiredMixin, generic.TemplateView):
    """The caregiver's own published visits of a day, in order: time, address, masked phone, items, map link."""

    capability = "dispatch.my_day"
    template_name = "dispatch/my_day.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = DayForm(self.request.GET or None)
        day = form.cleaned_data["date"] if form.is_valid() and form.cleaned_data.get("date") else timezone.localdate()
        visits = []
        orders = list(selectors.my_day(self.request.user, day))
        # Today's own visits show the numbers to call (the elders' disclosure rule decides, and records it).
        numbers = elder_services.visit_numbers_reveal(actor=self.request.user, work_orders=orders)
        for order in orders:
            elder = order.elder
            visits.append({
                "order": order, "time": _clock(order.planned_start), "phone": mask_phone(elder.phone),
                "numbers": numbers.get(order.pk),
                "items": pgettext("list separator", "、").join(line.item.name for line in order.lines.all()),
                "map_url": (f"geo:{elder.lat},{elder.lng}" if elder.lat is not None else ""),
            })
        context.update({"day": day, "visits": visits, "previous_day": day - dt.timedelta(days=1),
                        "next_day": day + dt.timedelta(days=1)})
        return context
