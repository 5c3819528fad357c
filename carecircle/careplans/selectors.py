"""Reads for plans, orders and absences. Every function takes the acting user and starts
from visible_to."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext

from carecircle.core.isolation import visible_to
from carecircle.core.params import MAX_ID, parse_id, parse_int

from .models import (
    CarePlan,
    ElderAbsence,
    OfferOutcome,
    OrderOffer,
    OrderStatus,
    PlanChange,
    PlanStatus,
    ServiceOrder,
)


def _search_elder(queryset, q: str):
    """The rows whose elder the registry's own search finds for `q` (name, pinyin, initials, ID, phone)."""
    from carecircle.elders.selectors import elders_matching

    return queryset.filter(elder__in=elders_matching(q)) if (q or "").strip() else queryset


def plan_list(user, *, q: str = "", status: str = "", organisation_id: str = "", level: str = ""):
    qs = visible_to(user, CarePlan).select_related("elder__community", "organisation")
    qs = _search_elder(qs, q)
    if status in PlanStatus.values:
        qs = qs.filter(status=status)
    organisation_id = parse_id(organisation_id, name="organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    level = parse_int(level, name="level", minimum=0, maximum=MAX_ID)
    if level is not None:
        qs = qs.filter(care_level=level)
    return qs.order_by("elder__name", "-valid_from", "id")


def plan_detail_queryset(user):
    return visible_to(user, CarePlan).select_related("elder__community", "organisation", "preferred_caregiver",
                                                     "replaces")


def plan_visits(plan):
    return plan.visits.prefetch_related("lines__item").order_by("weekday", "window_start", "id")


def plan_changes(user, *, plan=None, elder=None):
    qs = visible_to(user, PlanChange).select_related("plan__organisation", "plan__elder")
    if plan is not None:
        qs = qs.filter(plan=plan)
    if elder is not None:
        qs = qs.filter(plan__elder=elder)
    return qs.order_by("-created_at", "-id")


def active_plan(user, elder, programme: str = "ltci"):
    return (visible_to(user, CarePlan).filter(elder=elder, programme=programme, status=PlanStatus.ACTIVE)
            .select_related("organisation").first())


def order_list(user, *, q: str = "", status: str = "", service_date: dt.date | None = None):
    qs = visible_to(user, ServiceOrder).select_related("elder__community", "organisation")
    qs = _search_elder(qs, q)
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    if service_date is not None:
        qs = qs.filter(service_date=service_date)
    return qs.order_by("-created_at", "-id")


def provider_inbox(user):
    """Offers waiting for the user's organisation to answer, the most urgent first."""
    return (visible_to(user, OrderOffer).filter(outcome=OfferOutcome.PENDING, order__status=OrderStatus.OFFERED)
            .select_related("order__elder__community").order_by("deadline", "id"))


def order_offers(user, order):
    return visible_to(user, OrderOffer).filter(order=order).select_related("organisation").order_by("offered_at", "id")


def absence_list(user, *, elder=None, current_only: bool = False):
    qs = visible_to(user, ElderAbsence).select_related("elder")
    if elder is not None:
        qs = qs.filter(elder=elder)
    if current_only:
        qs = qs.filter(cancelled=False, ends_on__gte=timezone.localdate())
    return qs.order_by("-starts_on", "-id")


def elders_awaiting_plan(user, *, on: dt.date | None = None, limit: int = 20):
    """Elders the user may see who hold an LTCI level of 2 or more in force and have no active plan yet."""
    from carecircle.assessment.models import CareLevel
    from carecircle.elders.models import Elder

    on = on or timezone.localdate()
    levelled = (CareLevel.objects.filter(programme="ltci", level__gte=2, valid_from__lte=on)
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)).values("elder_id"))
    planned = CarePlan.objects.filter(status=PlanStatus.ACTIVE).values("elder_id")
    return (visible_to(user, Elder).filter(pk__in=levelled, status="active").exclude(pk__in=planned)
            .select_related("community").order_by("name", "id")[:limit])


def elders_to_order_for(user, q: str, limit: int = 20):
    """The elders an operator or community worker may order for, found by the registry's own search."""
    from carecircle.elders.selectors import elder_search

    q = (q or "").strip()
    if not q:
        return []
    return list(elder_search(user, q)[:limit])


def orderable_services() -> list[tuple[str, str]]:
    """What can be ordered on demand, as (code, name): the six kinds of help, then the packages."""
    from carecircle.catalog.models import ServiceItem, ServicePackage

    items = [(item.code, item.display_name) for item in
             ServiceItem.objects.filter(is_active=True).exclude(help_kind="").order_by("sort_order", "code")]
    packages = [(package.code, package.display_name) for package in
                ServicePackage.objects.filter(is_active=True).order_by("group", "sort_order", "code")]
    return items + packages


def common_services(user, elder, *, limit: int = 6) -> list[tuple[str, str]]:
    """The services offered as one-tap buttons on an elder's home page, as (code, name): what this elder has
    ordered most often first, then the six kinds of help in the catalogue's order; only what can be ordered."""
    from django.db.models import Count

    from .models import ServiceOrderLine

    names = dict(orderable_services())
    codes = []
    used = (visible_to(user, ServiceOrderLine).filter(order__elder=elder).values("item__code")
            .annotate(n=Count("id")).order_by("-n", "item__code"))
    for row in used:
        if row["item__code"] in names and row["item__code"] not in codes:
            codes.append(row["item__code"])
    from carecircle.catalog.models import ServiceItem

    for code in (ServiceItem.objects.filter(is_active=True).exclude(help_kind="")
                 .order_by("sort_order", "code").values_list("code", flat=True)):
        if code in names and code not in codes:
            codes.append(code)
    return [(code, names[code]) for code in codes[:limit]]


def elder_timeline(user, elder, limit: int):
    """The elder's care plans, on-demand orders and absences, newest first."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    entries = []
    can_plan, can_order = has_capability(user, "careplans.view"), has_capability(user, "orders.view")
    for plan in (visible_to(user, CarePlan).filter(elder=elder).select_related("organisation")
                 .order_by("-valid_from", "-id")[:limit]):
        entries.append(TimelineEntry(
            at=plan.valid_from, kind=_("照护计划"),
            title=_("照护计划：%(org)s，%(status)s") % {"org": plan.organisation.name, "status": plan.get_status_display()},
            url=reverse("careplans:plan-detail", args=[plan.pk]) if can_plan else ""))
    for order in visible_to(user, ServiceOrder).filter(elder=elder).order_by("-created_at", "-id")[:limit]:
        names = pgettext("list separator", "、").join(str(line.get("name", "")) for line in order.quote_lines if line.get("name"))
        entries.append(TimelineEntry(
            at=order.created_at, kind=_("订单"),
            title=_("订单：%(what)s，%(status)s") % {"what": names or _("按需服务"), "status": order.get_status_display()},
            detail=_("服务日期 %(date)s") % {"date": order.service_date.isoformat()},
            url=reverse("careplans:order-detail", args=[order.pk]) if can_order else ""))
    for absence in visible_to(user, ElderAbsence).filter(elder=elder).order_by("-starts_on", "-id")[:limit]:
        entries.append(TimelineEntry(
            at=absence.starts_on, kind=_("住院或外出"),
            title=_("%(kind)s：%(start)s 至 %(end)s") % {"kind": absence.get_kind_display(),
                                                       "start": absence.starts_on.isoformat(),
                                                       "end": absence.ends_on.isoformat()}))
    return entries


def workbench_queues(user, *, now=None) -> list:
    """A provider's orders to answer, the ones whose answer deadline has passed first."""
    from django.urls import reverse
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    if not has_capability(user, "orders.answer"):
        return []
    now = now or timezone.now()

    def item(offer, overdue):
        order = offer.order
        names = pgettext("list separator", "、").join(str(line.get("name", "")) for line in order.quote_lines
                                                     if line.get("name"))
        return QueueItem(title=_("%(name)s · %(what)s") % {"name": order.elder.name, "what": names or _("按需服务")},
                         url=reverse("careplans:order-detail", args=[order.pk]), due=offer.deadline,
                         detail=_("服务日期 %(date)s") % {"date": order.service_date.isoformat()}, overdue=overdue)

    return [queue_card(order=5, key="orders_to_answer", label=gettext_lazy("待答复的订单"), url_name="careplans:inbox",
                       queryset=provider_inbox(user), due_field="deadline", cutoff=now, item=item)]
