"""Reads of the dispatch board. Every function takes the acting user and starts from visible_to.

The board lists what the user plans — the rows they may change (a provider's own organisation) — not
everything they may read."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from carecircle.core.isolation import CHANGE, visible_to
from carecircle.providers.models import Facility, StaffMember
from carecircle.workorders.models import MY_DAY, PLANNABLE, WorkOrder

from .models import DispatchPlan, DispatchStop, Shift

# What a caregiver sees of their day: published visits and the ones under way or done.
MY_DAY_STATUSES = MY_DAY


def shifts_for(user, day: dt.date) -> QuerySet:
    return (visible_to(user, Shift, CHANGE).filter(date=day)
            .select_related("caregiver", "start_facility", "end_facility")
            .order_by("start_time", "caregiver__name", "id"))


def plan_shift(user, plan: DispatchPlan, pk: int) -> Shift | None:
    """A shift named in a request about `plan`: one of the plan's provider and day the user may see."""
    return visible_to(user, Shift).filter(pk=pk, organisation_id=plan.organisation_id, date=plan.date).first()


def plan_for(user, day: dt.date, organisation=None) -> DispatchPlan | None:
    plans = visible_to(user, DispatchPlan, CHANGE).filter(date=day).select_related("organisation", "job")
    if organisation is not None:
        plans = plans.filter(organisation=organisation)
    return plans.first()


def work_orders_for(user, day: dt.date, *, q: str = "", status: str = "", qualification: str = "") -> QuerySet:
    orders = (visible_to(user, WorkOrder, CHANGE).filter(date=day)
              .select_related("elder", "caregiver", "preferred_caregiver")
              .order_by("window_start", "id"))
    if q:
        orders = orders.filter(Q(elder__name__contains=q) | Q(elder__address__contains=q))
    if status:
        orders = orders.filter(status=status)
    if qualification:
        orders = orders.filter(required_qualification=qualification)
    return orders


def plan_stops(user, plan: DispatchPlan) -> QuerySet:
    return (visible_to(user, DispatchStop).filter(plan=plan)
            .select_related("work_order__elder", "work_order__preferred_caregiver", "shift__caregiver")
            .order_by("shift__start_time", "shift_id", "position", "id"))


def caregivers_for(user) -> QuerySet:
    return visible_to(user, StaffMember, CHANGE).filter(is_active=True).order_by("name")


def facilities_for(user) -> QuerySet:
    return visible_to(user, Facility, CHANGE).filter(is_active=True).order_by("name")


def my_day(user, day: dt.date) -> QuerySet:
    """The caregiver's own published visits of `day`, in visiting order."""
    profile = StaffMember.objects.filter(user=user).first()
    if profile is None:
        return WorkOrder.objects.none()
    return (visible_to(user, WorkOrder).filter(date=day, caregiver=profile, status__in=MY_DAY_STATUSES)
            .select_related("elder").prefetch_related("lines__item").order_by("planned_start", "id"))


def workbench_queues(user, *, now=None) -> list:
    """A caregiver's visits of today still to do, in order; a visit whose start time has passed without being
    started counts as overdue and leads."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability
    from carecircle.workorders.models import WorkOrderStatus

    if not has_capability(user, "dispatch.my_day"):
        return []
    now = now or timezone.now()
    to_do = my_day(user, timezone.localdate(now)).filter(status__in=[WorkOrderStatus.PUBLISHED,
                                                                     WorkOrderStatus.STARTED])

    def item(order, overdue):
        start = timezone.localtime(order.planned_start).strftime("%H:%M") if order.planned_start else ""
        return QueueItem(title=_("%(time)s · %(name)s") % {"time": start, "name": order.elder.name},
                         url=reverse("dispatch:my-day"), due=order.planned_start, detail=order.elder.address,
                         overdue=overdue and order.status == WorkOrderStatus.PUBLISHED)

    return [queue_card(order=5, key="visits_today", label=gettext_lazy("今天的上门"), url_name="dispatch:my-day",
                       queryset=to_do, due_field="planned_start", cutoff=now, item=item,
                       late=Q(status=WorkOrderStatus.PUBLISHED))]


def orders_not_in_plan(user, plan: DispatchPlan) -> QuerySet:
    """Work orders of the plan's day that arrived after it was made: pending, with no stop in the plan yet."""
    return (visible_to(user, WorkOrder, CHANGE)
            .filter(organisation_id=plan.organisation_id, date=plan.date, status__in=PLANNABLE)
            .exclude(dispatch_stops__plan=plan)
            .select_related("elder", "preferred_caregiver").order_by("window_start", "id"))


def map_regions(user, plan: DispatchPlan, community_ids) -> dict:
    """The fallback base map of the board when no tile source is configured: the communities the provider serves
    or visits that day and their streets, as GeoJSON with names from the region tree. A region without a
    boundary is drawn as a labelled point at its centroid; one with neither is left out (nothing is invented)."""
    from carecircle.providers.models import ServiceArea
    from carecircle.regions.models import Region, RegionKind

    ids = set(community_ids) | set(ServiceArea.objects.filter(organisation_id=plan.organisation_id)
                                   .values_list("community_id", flat=True))
    communities = list(visible_to(user, Region).filter(pk__in=ids, kind=RegionKind.COMMUNITY)
                       .order_by("path"))
    streets = list(visible_to(user, Region).filter(pk__in={c.parent_id for c in communities},
                                                   kind=RegionKind.STREET).order_by("path"))
    features = []
    for region in streets + communities:
        if region.boundary:
            geometry = region.boundary
        elif region.centroid_lat is not None and region.centroid_lng is not None:
            geometry = {"type": "Point", "coordinates": [float(region.centroid_lng), float(region.centroid_lat)]}
        else:
            continue
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"name": region.name, "kind": region.kind}})
    return {"type": "FeatureCollection", "features": features}
