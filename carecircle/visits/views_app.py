"""The caregiver's installable phone app: today's visits in route order with what to know about each elder,
and the check-in, items, confirmation, check-out and "not at home" steps, which work offline.

The page is rendered here (so it is the same words and rules as every other page) and kept by the app's
service worker, which answers from its copy when the network is gone; the steps taken meanwhile wait in the
phone's IndexedDB, each with its own idempotency key, and are sent to the visits API once the network is back
(`static/visits/app.js`, `static/visits/queue.js`). No inline script anywhere (the content security policy):
the words the script shows come from the template as a `json_script` block.
"""
from __future__ import annotations

import json

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import generic

from carecircle.core.isolation import visible_to
from carecircle.core.sensitive import mask_phone
from carecircle.core.views import CapabilityRequiredMixin
from carecircle.dispatch import selectors as dispatch_selectors
from carecircle.elders import services as elder_services

from .models import ReasonCode, Visit, VisitStatus

APP_CAPABILITY = "visits.app"

# Items whose record calls for measured vital signs, by catalogue code, and which measures each asks.
VITALS_BY_ITEM = {
    "ltci-c05": ("systolic", "diastolic", "pulse", "temperature", "spo2"),
    "gb-health-monitor": ("systolic", "diastolic", "pulse", "temperature"),
    "ltci-c09": ("glucose",),
}


def vital_fields():
    """The measures a visit may record: label, unit, and the range the server accepts (checked on the phone
    too, before anything waits to be sent)."""
    from .services import VITALS

    shown = {
        "systolic": (_("收缩压"), "mmHg", "1"), "diastolic": (_("舒张压"), "mmHg", "1"),
        "pulse": (_("脉搏"), _("次/分"), "1"), "temperature": (_("体温"), "℃", "0.1"),
        "glucose": (_("血糖"), "mmol/L", "0.1"), "spo2": (_("血氧饱和度"), "%", "1"),
        "weight": (_("体重"), "kg", "0.1"),
    }
    return {name: {"label": label, "unit": unit, "step": step, "min": VITALS[name][0], "max": VITALS[name][1]}
            for name, (label, unit, step) in shown.items() if name in VITALS}


# The order of a visit's steps as the phone shows them (the server's workflow decides what is allowed).
STAGE_OF_STATUS = {"published": "planned", "started": "checked_in", "done": "done", "not_home": "not_home"}


def stage_of(order, visit) -> str:
    """Where the phone starts a visit: what the server already holds (the phone adds what waits to be sent)."""
    if visit is None:
        return STAGE_OF_STATUS.get(order.status, "planned")
    if visit.status == VisitStatus.NOT_HOME:
        return "not_home"
    if visit.status == VisitStatus.CHECKED_IN:
        if visit.confirmed_at:
            return "confirmed"
        return "items_done" if visit.items.all() else "checked_in"
    if visit.status == VisitStatus.PLANNED:
        return "planned"
    return "done"


def _clock(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def _preferences(order) -> list[str]:
    """What the elder asked for, in words: caregiver gender, dialect, the plan's note."""
    plan = order.plan_visit.plan if order.plan_visit_id else None
    shown = []
    gender = order.preferred_gender or (plan.preferred_gender if plan else "")
    if gender:
        shown.append(_("希望%(gender)s性护理员") % {"gender": order.get_preferred_gender_display()
                                                 if order.preferred_gender else plan.get_preferred_gender_display()})
    dialect = order.dialect or (plan.dialect if plan else "")
    if dialect:
        shown.append(_("方言：%(dialect)s") % {"dialect": dialect})
    if plan and plan.note:
        shown.append(plan.note)
    return shown


def visit_cards(user, day):
    """Today's published visits of this caregiver, in route order, each with the elder's need-to-know card.
    The elder's phone and emergency contacts come only through the elders' disclosure rule (own visits,
    today), which records each showing."""
    orders = list(dispatch_selectors.my_day(user, day).select_related("plan_visit__plan"))
    visits = {v.work_order_id: v for v in visible_to(user, Visit).filter(work_order__in=[o.pk for o in orders])
              .prefetch_related("items")}
    numbers = elder_services.visit_numbers_reveal(actor=user, work_orders=orders)
    fields = vital_fields()
    cards = []
    for position, order in enumerate(orders, start=1):
        elder = order.elder
        shown = numbers.get(order.pk)
        contacts = [{"name": name, "relation": relation, "phone": phone, "holds_key": holds_key}
                    for name, relation, phone, holds_key in (shown.contacts if shown else ())]
        items = []
        for line in order.lines.all():
            vitals = [{"name": name, **fields[name]} for name in VITALS_BY_ITEM.get(line.item.code, ()) if name in fields]
            items.append({"id": line.item_id, "code": line.item.code, "name": line.item.name, "vitals": vitals})
        cards.append({
            "order": order, "position": position, "time": _clock(order.planned_start),
            "window": f"{order.window_start:%H:%M}–{order.window_end:%H:%M}",
            "stage": stage_of(order, visits.get(order.pk)),
            "elder": elder,
            "conditions": pgettext("list separator", "、").join(elder.chronic_conditions or []),
            "preferences": _preferences(order),
            "phone": shown.phone if shown else mask_phone(elder.phone),
            "can_call": shown is not None and bool(shown.phone),
            "contacts": contacts,
            "key_holders": [c for c in contacts if c["holds_key"]],
            "items": items,
            "lat": elder.lat, "lng": elder.lng,
            "map_url": f"geo:{elder.lat},{elder.lng}?q={elder.lat},{elder.lng}" if elder.lat is not None else "",
        })
    return cards


def app_words() -> dict:
    """Every sentence the phone's script shows, in the reader's language (the script has no words of its own)."""
    return {
        "pending_none": _("所有记录都已同步。"),
        "pending_some": _("有 {n} 条记录等待同步。"),
        "offline": _("现在离线：记录会保存在手机上，联网后自动同步。"),
        "online": _("已联网。"),
        "syncing": _("正在同步……"),
        "synced": _("已同步。"),
        "locating": _("正在定位……"),
        "no_location": _("无法取得定位：{error}。请在手机设置中允许定位，或到门口扫门牌二维码。"),
        "location_needed": _("签到、签退和“老人不在家”都需要定位。"),
        "saved_offline": _("已保存在手机上，等待同步。"),
        "reason_needed": _("需要说明原因：{detail}"),
        "reason_empty": _("请填写原因后再提交。"),
        "refused": _("服务器未接受：{detail}"),
        "signed_out": _("登录已过期：请重新登录后再同步，记录仍保存在手机上。"),
        "server_busy": _("服务器暂时繁忙，稍后自动重试。"),
        "photo_not_image": _("照片必须是相机拍摄的图片。"),
        "photo_too_big": _("照片太大，请重新拍摄。"),
        "qr_read": _("已读出门牌二维码。"),
        "qr_unreadable": _("没有读出二维码：请对准二维码重新拍摄，或输入二维码下方的编号。"),
        "pin_needed": _("请老人或家属输入确认码。"),
        "items_none": _("请至少勾选一个已完成的服务项目。"),
        "vital_range": _("{label}应在 {min} 到 {max} {unit} 之间。"),
        "kind_check_in": _("签到"),
        "kind_items": _("服务项目"),
        "kind_confirm": _("老人确认"),
        "kind_check_out": _("签退"),
        "kind_not_home": _("老人不在家"),
        "stage_planned": _("待签到"),
        "stage_checked_in": _("服务中"),
        "stage_items_done": _("项目已记录"),
        "stage_confirmed": _("老人已确认"),
        "stage_done": _("已完成"),
        "stage_not_home": _("老人不在家"),
        "waiting": _("待同步"),
        "discard": _("放弃这条记录"),
        "discard_confirm": _("放弃后这条记录不会再发送。确定放弃？"),
        "reason_label": _("原因说明"),
        "reason_code_label": _("原因类别"),
        "flags_recorded": _("已同步，系统记录了监管提示：{detail}"),
        "reason_send": _("说明原因后重新提交"),
    }


# The visits API the app sends its steps to, by step ("{id}" stands for the work order).
ENDPOINT_NAMES = {
    "check_in": "api-visit-check-in", "items": "api-visit-items", "confirm": "api-visit-confirm",
    "check_out": "api-visit-check-out", "not_home": "api-visit-not-home",
}


def endpoints() -> dict[str, str]:
    return {step: reverse(name, args=[0]).replace("/0/", "/{id}/") for step, name in ENDPOINT_NAMES.items()}


class AppView(CapabilityRequiredMixin, generic.TemplateView):
    """The caregiver's day in the phone app (today only: the copy the phone keeps offline is today's)."""

    capability = APP_CAPABILITY
    template_name = "visits/app/day.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = timezone.localdate()
        context.update({
            "day": day,
            "visits": visit_cards(self.request.user, day),
            "app_config": {
                "words": app_words(),
                "endpoints": endpoints(),
                "reason_codes": [[code, str(label)] for code, label in ReasonCode.choices],
                "csrf": get_token(self.request),
                "owner": self.request.user.pk,
                "day": day.isoformat(),
                "sw": reverse("visits:app-sw"),
                "scope": reverse("visits:app"),
            },
        })
        return context


class ManifestView(CapabilityRequiredMixin, generic.View):
    """The web app manifest: the app opens standalone at today's visits."""

    capability = APP_CAPABILITY

    def get(self, request, *args, **kwargs):
        start = reverse("visits:app")
        manifest = {
            "name": _("养老服务圈 · 上门服务"),
            "short_name": _("上门服务"),
            "description": _("护理员今天的上门安排，离线也能签到签退。"),
            "lang": getattr(request, "LANGUAGE_CODE", "zh-hans"),
            "id": start, "start_url": start, "scope": start,
            "display": "standalone", "orientation": "portrait",
            "background_color": "#ffffff", "theme_color": "#1d5e8c",
            "icons": [
                {"src": static("visits/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("visits/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {"src": static("visits/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            ],
        }
        response = HttpResponse(json.dumps(manifest, ensure_ascii=False), content_type="application/manifest+json")
        return response


def app_assets() -> list[str]:
    """What the phone keeps to open the app without a network (the page itself is kept as it is fetched)."""
    return [static(path) for path in (
        "carecircle/app.css", "carecircle/app.js", "vendor/htmx/htmx.min.js", "carecircle/favicon.svg",
        "visits/app.css", "visits/app.js", "visits/queue.js", "visits/icon.svg", "visits/icon-192.png",
    )]


class ServiceWorkerView(CapabilityRequiredMixin, generic.View):
    """The service worker, served from inside the app's path so that its scope is the app; a script, not a
    page, so never a cached copy (the browser checks for a new version on each visit)."""

    capability = APP_CAPABILITY

    def get(self, request, *args, **kwargs):
        config = {"assets": app_assets(), "page": reverse("visits:app"), "queue": static("visits/queue.js"),
                  "version": _version()}
        body = render_to_string("visits/app/sw.js", {"config": json.dumps(config)})
        response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
        response["Service-Worker-Allowed"] = reverse("visits:app")
        response["Cache-Control"] = "no-cache"
        return response


def _version() -> str:
    """Changes whenever the assets change (their hashed names under the manifest storage), so phones refresh."""
    import hashlib

    return hashlib.sha256("|".join(app_assets()).encode()).hexdigest()[:12]
