"""Pages: the operator console (alarm queue polled twice a second, the case card, calls), devices, today's
care calls, the community worker's welfare visits (phone), silent elders, visit rates and statistics."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.policy import MissingPolicyParameter
from carecircle.core.roles import has_capability
from carecircle.core.views import CapabilityRequiredMixin, ScopedDetailView, ScopedListView
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder

from . import selectors, services
from .forms import (ActForm, AttemptForm, CallbackForm, CallForm, CloseForm, DeviceForm, MonthForm, PeriodForm,
                    UnbindForm, VisitForm)
from .labels import SILENCE_LABELS, tier_label
from .models import Alarm, AlarmStatus, Call, CareCall, Device
from .workflow import ALARM_FLOW


def _errors_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "；".join(str(m) for messages_ in error.message_dict.values() for m in messages_)
    return "；".join(str(m) for m in error.messages)


def _visible_or_404(user, model, pk):
    try:
        return visible_to(user, model).get(pk=pk)
    except model.DoesNotExist:
        raise Http404


class PolicyMissingMixin:
    """A page whose rules need a policy value nobody has set says which one, instead of failing."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except MissingPolicyParameter as missing:
            if request.method == "GET":
                return render(request, "hotline/policy_missing.html", {"message": str(missing)})
            messages.error(request, str(missing))
            return redirect("hotline:console" if has_capability(request.user, "hotline.operate")
                            else "hotline:stats")


def _show_numbers(user, card, *, live: bool):
    """Clear numbers while a case is live (recorded as a reveal), masked otherwise."""
    from carecircle.core.sensitive import mask_phone

    if live:
        shown = services.numbers_reveal(actor=user, elder=card.elder, contacts=card.contacts,
                                        reason=_("紧急呼叫处置"))
    else:
        shown = {"elder": mask_phone(card.elder.phone or ""),
                 "contacts": {c.pk: mask_phone(c.phone) for c in card.contacts}, "revealed": False}
    card.elder_phone = shown["elder"]
    for contact in card.contacts:
        contact.shown_phone = shown["contacts"][contact.pk]
    card.dial = shown["revealed"]


class ConsoleView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    capability = "hotline.operate"
    template_name = "hotline/console.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(**_queue_context(user), call_form=CallForm(),
                                        closed=selectors.alarms_recent(user, 10), **kwargs)


def _ringing(user):
    """Incoming calls of the last ten minutes nobody has classified yet: the telephony system reported them."""
    since = timezone.now() - dt.timedelta(minutes=10)
    return (selectors.calls_for(user).filter(direction="in", category="", started_at__gte=since)
            .select_related("elder")[:10])


class ConsoleQueueView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    """The queue alone, for the console's poll (twice a second). The poll sends the version of the queue it
    shows; while nothing in it changed the answer is an empty 204 (htmx keeps what it has), so a quiet console
    costs three small reads, and a new alarm or call is rendered, card and all, on the next poll."""

    capability = "hotline.operate"

    def get(self, request):
        user = request.user
        queue, ringing, alarm, total = _queue_state(user)
        version = _queue_version(queue, ringing, alarm, total)
        if request.GET.get("v") == version:
            return HttpResponse(status=204)
        return render(request, "hotline/_queue.html", _queue_context(user, queue, ringing, alarm, total, version))


def _queue_state(user):
    """The 50 most urgent open cases, how many are open, the calls ringing, and the alarm whose card pops: the
    latest unanswered alarm of the highest priority."""
    queue = list(selectors.alarm_queue(user)[:50])
    ringing = list(_ringing(user))
    alarm = (selectors.alarm_queue(user).filter(status=AlarmStatus.OPEN).order_by("priority", "-raised_at", "-id")
             .first()) if any(a.status == AlarmStatus.OPEN for a in queue) or len(queue) == 50 else None
    total = len(queue) if len(queue) < 50 else selectors.alarm_queue(user).count()
    return queue, ringing, alarm, total


def _queue_version(queue, ringing, alarm, total) -> str:
    parts = [f"{a.pk}:{a.status}:{a.escalation_level}" for a in queue] + [f"c{c.pk}" for c in ringing]
    parts += [f"p{alarm.pk if alarm is not None else ''}", f"n{total}"]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _queue_context(user, queue=None, ringing=None, alarm=None, total=None, version=None) -> dict:
    """The queue, the calls ringing, and the card that pops: the elder of the alarm `_queue_state` chose, else
    of the latest call ringing. The popped card shows numbers masked (the poll must not reveal them again and
    again); the case's page shows them clear."""
    if queue is None:
        queue, ringing, alarm, total = _queue_state(user)
    popped = None
    call = next((c for c in ringing if c.elder_id), None)
    if alarm is not None or call is not None:
        elder = selectors.elder_for_card(user, alarm.elder_id if alarm is not None else call.elder_id)
        if elder is not None:
            card = selectors.elder_card(user, elder)
            _show_numbers(user, card, live=False)
            popped = {"card": card, "alarm": alarm, "call": call if alarm is None else None}
    return {"queue": queue, "queue_total": total, "ringing": ringing, "popped": popped,
            "queue_version": version or _queue_version(queue, ringing, alarm, total)}


class AlarmDetailView(PolicyMissingMixin, ScopedDetailView):
    capability = "hotline.operate"
    model = Alarm
    template_name = "hotline/alarm_detail.html"

    def get_base_queryset(self):
        return visible_to(self.request.user, Alarm).select_related("elder__community__parent", "device")

    def get_context_data(self, **kwargs):
        alarm, user = self.object, self.request.user
        card = selectors.elder_card(user, alarm.elder)
        _show_numbers(user, card, live=alarm.status != "closed")
        return super().get_context_data(
            card=card, timers=selectors.alarm_timers(alarm),
            actions=alarm.actions.select_related("actor"), allowed=ALARM_FLOW.allowed_actions(alarm, user),
            act_form=ActForm(), close_form=CloseForm(initial={"category": alarm.category}),
            callback_form=CallbackForm(), calls=alarm.calls.all(), **kwargs)


class AlarmStepView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    capability = "hotline.operate"

    def post(self, request, pk):
        alarm = _visible_or_404(request.user, Alarm, pk)
        step = request.POST.get("step", "")
        forms = {"act": ActForm, "close": CloseForm, "callback": CallbackForm}
        try:
            if step == "acknowledge":
                services.alarm_acknowledge(actor=request.user, alarm=alarm)
            elif step in forms:
                form = forms[step](request.POST)
                if not form.is_valid():
                    raise ValidationError({k: [e["message"] for e in v]
                                           for k, v in form.errors.get_json_data().items()})
                data = form.cleaned_data
                if step == "act":
                    services.alarm_act(actor=request.user, alarm=alarm, kind=data["kind"], note=data["note"])
                elif step == "close":
                    services.alarm_close(actor=request.user, alarm=alarm, outcome=data["outcome"],
                                         category=data["category"], note=data["note"])
                else:
                    services.alarm_callback(actor=request.user, alarm=alarm, note=data["note"])
            else:
                messages.error(request, _("请选择要执行的操作。"))
                return redirect("hotline:alarm", pk=alarm.pk)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        except IllegalStep as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已记录。"))
        return redirect("hotline:alarm", pk=alarm.pk)


class CallDetailView(PolicyMissingMixin, ScopedDetailView):
    """A call as the telephony system reported it: the caller's card pops (by the number), the operator
    classifies it, and an emergency opens a case."""

    capability = "hotline.operate"
    model = Call
    template_name = "hotline/call_detail.html"

    def get_base_queryset(self):
        return visible_to(self.request.user, Call).select_related("elder__community", "alarm")

    def get_context_data(self, **kwargs):
        call = self.object
        card = selectors.elder_card(self.request.user, call.elder) if call.elder_id else None
        if card is not None:
            _show_numbers(self.request.user, card,
                          live=call.alarm_id is None and call.started_at > timezone.now() - dt.timedelta(hours=1))
        return super().get_context_data(card=card, form=CallForm(initial={
            "direction": call.direction, "category": call.category, "summary": call.summary}), **kwargs)


class CallRecordView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    """Record a call typed in by the operator (the number finds the elder)."""

    capability = "hotline.operate"

    def post(self, request):
        form = CallForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请检查通话信息。"))
            return redirect("hotline:console")
        data = form.cleaned_data
        try:
            call = services.call_record(actor=request.user, direction=data["direction"], number=data["number"],
                                        category=data["category"], is_emergency=data["is_emergency"],
                                        summary=data["summary"])
        except ValidationError as error:
            messages.error(request, _errors_text(error))
            return redirect("hotline:console")
        if call.alarm_id:
            return redirect("hotline:alarm", pk=call.alarm_id)
        if call.elder_id is None:
            messages.warning(request, _("未能按号码找到老人，通话已记录。"))
        return redirect("hotline:call", pk=call.pk)


class CallClassifyView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    capability = "hotline.operate"

    def post(self, request, pk):
        call = _visible_or_404(request.user, Call, pk)
        form = CallForm(request.POST)
        if not form.is_valid() or not form.cleaned_data["category"]:
            messages.error(request, _("请选择类别。"))
            return redirect("hotline:call", pk=call.pk)
        data = form.cleaned_data
        try:
            call = services.call_classify(actor=request.user, call=call, category=data["category"],
                                          is_emergency=data["is_emergency"], summary=data["summary"])
        except ValidationError as error:
            messages.error(request, _errors_text(error))
            return redirect("hotline:call", pk=call.pk)
        if call.alarm_id:
            return redirect("hotline:alarm", pk=call.alarm_id)
        messages.success(request, _("已记录。"))
        return redirect("hotline:console")


class CallListView(PolicyMissingMixin, ScopedListView):
    capability = "hotline.view"
    model = Call
    template_name = "hotline/call_list.html"
    paginate_by = 50

    def get_base_queryset(self):
        return selectors.calls_for(self.request.user)


class RejectionListView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    """Device messages refused at the door in the last 30 days, per vendor and reason, for the vendors to
    put right (bad signature, unknown code, unreadable body, replay, clock in the future, unbound device)."""

    capability = "hotline.view"
    template_name = "hotline/rejections.html"

    def get_context_data(self, **kwargs):
        vendor = self.request.GET.get("vendor", "").strip()[:100]
        since = timezone.now() - dt.timedelta(days=30)
        rows, summary = selectors.rejections_by_vendor(self.request.user, vendor=vendor, since=since)
        vendors = sorted({e["vendor"] for e in selectors.rejections_by_vendor(self.request.user, since=since)[1]}
                         - {""})
        return super().get_context_data(rows=rows[:100], summary=summary, vendor=vendor, vendors=vendors,
                                         **kwargs)


class DeviceListView(PolicyMissingMixin, ScopedListView):
    capability = "hotline.view"
    model = Device
    template_name = "hotline/device_list.html"
    paginate_by = 50

    def get_base_queryset(self):
        return selectors.devices_for(self.request.user, q=self.request.GET.get("q", ""))

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()
        elders = []
        if q and has_capability(self.request.user, "hotline.devices"):
            elders = selectors.elders_for_devices(self.request.user, q)
        return super().get_context_data(q=q, elders=elders, **kwargs)


class DeviceDetailView(PolicyMissingMixin, ScopedDetailView):
    capability = "hotline.view"
    model = Device
    template_name = "hotline/device_detail.html"

    def get_base_queryset(self):
        return selectors.devices_for(self.request.user)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            rejections=selectors.device_rejections(user, self.object), unbind_form=UnbindForm(),
            events=self.object.events.order_by("-received_at")[:20],
            can_change=has_capability(user, "hotline.devices"), **kwargs)


class DeviceCreateView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    """Register a device for an elder; the page that answers shows the secret once."""

    capability = "hotline.devices"
    template_name = "hotline/device_form.html"

    def get(self, request, elder_pk):
        elder = _visible_or_404(request.user, Elder, elder_pk)
        return render(request, self.template_name, {"elder": elder, "form": DeviceForm()})

    def post(self, request, elder_pk):
        elder = _visible_or_404(request.user, Elder, elder_pk)
        form = DeviceForm(request.POST)
        if form.is_valid():
            try:
                device, secret = services.device_register(actor=request.user, elder=elder, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return render(request, "hotline/device_secret.html", {"device": device, "secret": secret})
        return render(request, self.template_name, {"elder": elder, "form": form}, status=400)


class DeviceUnbindView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    capability = "hotline.devices"

    def post(self, request, pk):
        device = _visible_or_404(request.user, Device, pk)
        form = UnbindForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写解绑原因。"))
        else:
            services.device_unbind(actor=request.user, device=device, reason=form.cleaned_data["reason"])
            messages.success(request, _("设备已解绑，此后上报的消息将被拒收。"))
        return redirect("hotline:device", pk=device.pk)


class CareCallListView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    capability = "hotline.operate"
    template_name = "hotline/care_calls.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        rows = list(selectors.care_calls_for(self.request.user, today)[:300])
        for row in rows:
            row.tier_label = tier_label(row.tier)
        return super().get_context_data(today=today, rows=rows, form=AttemptForm(), **kwargs)

    def post(self, request):
        count = services.care_calls_generate(actor=request.user, date=timezone.localdate())
        messages.success(request, _("已生成今天的关爱电话 %(n)d 通。") % {"n": count})
        return redirect("hotline:care-calls")


class CareCallAttemptView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    capability = "hotline.operate"

    def post(self, request, pk):
        care_call = _visible_or_404(request.user, CareCall, pk)
        form = AttemptForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择接通或未接通。"))
            return redirect("hotline:care-calls")
        try:
            call = services.care_call_attempt(actor=request.user, care_call=care_call,
                                              answered=form.cleaned_data["answered"], note=form.cleaned_data["note"])
        except IllegalStep as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(name)s：%(status)s") % {"name": call.elder.name,
                                                                     "status": call.get_status_display()})
        return redirect("hotline:care-calls")


class WelfareListView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    capability = "hotline.visit"
    template_name = "hotline/welfare.html"

    def get_context_data(self, **kwargs):
        rows = selectors.welfare_due(self.request.user)
        for row in rows:
            row.tier_label = tier_label(row.tier)
        return super().get_context_data(rows=rows, today=timezone.localdate(), **kwargs)


class VisitView(PolicyMissingMixin, CapabilityRequiredMixin, generic.View):
    """The welfare visit form, on the community worker's phone."""

    capability = "hotline.visit"
    template_name = "hotline/visit_form.html"

    def context(self, request, elder, form):
        return {"elder": elder, "form": form,
                "task": visible_to(request.user, services.WelfareTask).filter(elder=elder, done_at__isnull=True).first(),
                "contacts": [c for c in selectors.elder_card(request.user, elder).contacts]}

    def get(self, request, elder_pk):
        elder = _visible_or_404(request.user, Elder, elder_pk)
        return render(request, self.template_name, self.context(request, elder, VisitForm()))

    def post(self, request, elder_pk):
        elder = _visible_or_404(request.user, Elder, elder_pk)
        form = VisitForm(request.POST)
        if form.is_valid():
            try:
                services.welfare_visit_record(actor=request.user, elder=elder, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("已记录对 %(name)s 的探访。") % {"name": elder.name})
                return redirect("hotline:welfare")
        return render(request, self.template_name, self.context(request, elder, form), status=400)


class SilentView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    capability = "hotline.view"
    template_name = "hotline/silent.html"

    def get_context_data(self, **kwargs):
        rows = [(elder, [SILENCE_LABELS[r] for r in reasons])
                for elder, reasons in selectors.silent_elders(self.request.user)]
        return super().get_context_data(rows=rows[:500], total=len(rows), **kwargs)


class RatesView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    capability = "hotline.view"
    template_name = "hotline/rates.html"

    def get_context_data(self, **kwargs):
        form = MonthForm(self.request.GET or None)
        month = (form.cleaned_data.get("month") if form.is_valid() else None) or timezone.localdate().replace(day=1)
        communities, streets = selectors.visit_rates(self.request.user, month)
        return super().get_context_data(form=form, month=month, communities=communities, streets=streets,
                                        target=selectors.rate_target(self.request.user), **kwargs)


class StatsView(PolicyMissingMixin, CapabilityRequiredMixin, generic.TemplateView):
    capability = "hotline.view"
    template_name = "hotline/stats.html"

    def get_context_data(self, **kwargs):
        form = PeriodForm(self.request.GET or None)
        today = timezone.localdate()
        cleaned = form.cleaned_data if form.is_valid() else {}
        start = cleaned.get("start") or today.replace(day=1)
        end = cleaned.get("end") or today
        if end < start:
            start, end = end, start
        if (end - start).days > 400:
            start = end - dt.timedelta(days=400)
        stats = selectors.statistics(self.request.user, start, end)
        return super().get_context_data(form=form, start=start, end=end, stats=stats,
                                        links=[(reverse("hotline:silent"), _("无音讯老人")),
                                               (reverse("hotline:rates"), _("月探访率")),
                                               (reverse("hotline:devices"), _("一键通设备")),
                                               (reverse("hotline:calls"), _("通话记录"))], **kwargs)
