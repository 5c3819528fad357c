"""Reads of work orders. Every function takes the acting user and starts from visible_to."""
from __future__ import annotations

import datetime as dt

from carecircle.core.isolation import visible_to
from carecircle.core.params import parse_id
from carecircle.elders.selectors import elders_matching

from .models import WorkOrder, WorkOrderRun, WorkOrderSource, WorkOrderStatus


def work_order_list(user, *, date: dt.date | None = None, status: str = "", q: str = "", organisation_id: str = "",
                    source: str = ""):
    qs = visible_to(user, WorkOrder).select_related("elder__community", "organisation", "caregiver",
                                                    "preferred_caregiver")
    if date is not None:
        qs = qs.filter(date=date)
    if status in WorkOrderStatus.values:
        qs = qs.filter(status=status)
    if source in WorkOrderSource.values:
        qs = qs.filter(source=source)
    organisation_id = parse_id(organisation_id, name="organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if (q or "").strip():
        qs = qs.filter(elder__in=elders_matching(q))
    return qs.order_by("date", "window_start", "elder__name", "id")


def last_runs(user, limit: int = 5):
    return visible_to(user, WorkOrderRun).select_related("organisation")[:limit]


def caregiver_visits_on(user, day: dt.date):
    """The visits published to `user` as caregiver for `day` (published, under way or done), within what they
    may see: their own organisation's work orders whose caregiver is their own staff record."""
    from .models import MY_DAY

    return visible_to(user, WorkOrder).filter(date=day, caregiver__user=user, caregiver__isnull=False,
                                              status__in=MY_DAY)


def elder_timeline(user, elder, limit: int):
    """The elder's visits (work orders), newest first, linking to that day's work orders."""
    from urllib.parse import urlencode

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from carecircle.core.plugins import TimelineEntry
    from carecircle.core.roles import has_capability

    can_open = has_capability(user, "workorders.view")
    entries = []
    for order in (visible_to(user, WorkOrder).filter(elder=elder).select_related("organisation")
                  .order_by("-date", "-window_start", "-id")[:limit]):
        url = ""
        if can_open:
            url = reverse("workorders:list") + "?" + urlencode({"date": order.date.isoformat(), "q": elder.name})
        entries.append(TimelineEntry(
            at=order.date, kind=_("上门服务"),
            title=_("上门服务 %(start)s–%(end)s，%(status)s") % {"start": order.window_start.strftime("%H:%M"),
                                                               "end": order.window_end.strftime("%H:%M"),
                                                               "status": order.get_status_display()},
            detail=order.organisation.name, url=url))
    return entries


def workbench_queues(user, *, today: dt.date | None = None) -> list:
    """A provider's visits nobody is scheduled for yet, from today on; those of today (and any left from
    earlier days) count as overdue: they need a caregiver now."""
    from urllib.parse import urlencode

    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import CHANGE
    from carecircle.core.plugins import QueueItem, queue_card
    from carecircle.core.roles import has_capability

    if not has_capability(user, "dispatch.view"):
        return []
    today = today or timezone.localdate()
    pending = (visible_to(user, WorkOrder, CHANGE).filter(status=WorkOrderStatus.PENDING)
               .select_related("elder"))

    def item(order, overdue):
        return QueueItem(title=_("%(date)s %(start)s · %(name)s") % {
                             "date": order.date.isoformat(), "start": order.window_start.strftime("%H:%M"),
                             "name": order.elder.name},
                         url=reverse("dispatch:board") + "?" + urlencode({"date": order.date.isoformat()}),
                         due=order.date, overdue=overdue)

    return [queue_card(order=6, key="visits_unscheduled", label=gettext_lazy("尚未排班的上门"),
                       url_name="dispatch:board", queryset=pending, due_field="date",
                       cutoff=today + dt.timedelta(days=1), item=item)]
