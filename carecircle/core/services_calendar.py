"""Writes to the working-day calendar: a district administrator enters a new year's notice day by day."""
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .models import CalendarDay, CalendarDayKind
from .roles import has_capability


@transaction.atomic
def calendar_day_set(*, actor, date: dt.date, kind: str, name: str, source: str, reason: str = "") -> CalendarDay:
    """Enter (or correct) one day: a statutory holiday day or an adjusted working weekend day."""
    if actor is not None and not has_capability(actor, "calendar.change"):
        raise PermissionDenied(_("您没有维护工作日历的权限"))
    errors = {}
    if kind not in CalendarDayKind.values:
        errors["kind"] = _("未知的日期类型：%(value)s") % {"value": kind}
    elif kind == CalendarDayKind.WORKDAY and date.weekday() < 5:
        errors["kind"] = _("%(date)s 是周一至周五，本来就是工作日，不能登记为调休上班日") % {"date": date}
    if not (name or "").strip():
        errors["name"] = _("请填写节日名称（如“春节”）")
    if not (source or "").strip():
        errors["source"] = _("请注明来源（如国务院办公厅关于某年部分节假日安排的通知）")
    if errors:
        raise ValidationError(errors)
    previous = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = audit.snapshot(previous, ["kind", "name", "source"]) if previous else {}
    if previous is not None:
        previous.kind, previous.name, previous.source = kind, name.strip(), source.strip()
        previous.created_by = actor if actor is not None and actor.is_authenticated else None
        previous.save()
        row = previous
    else:
        row = CalendarDay.objects.create(date=date, kind=kind, name=name.strip(), source=source.strip(),
                                         created_by=actor if actor is not None and actor.is_authenticated else None)
    audit.record(actor=actor, action="calendar.day_set", subject=row,
                 changes=audit.diff(before, audit.snapshot(row, ["kind", "name", "source"])), reason=reason)
    return row


@transaction.atomic
def calendar_day_delete(*, actor, day: CalendarDay, reason: str) -> None:
    if actor is not None and not has_capability(actor, "calendar.change"):
        raise PermissionDenied(_("您没有维护工作日历的权限"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("删除日历条目须填写原因")})
    audit.record(actor=actor, action="calendar.day_delete", subject=day,
                 changes={"date": day.date, "kind": [day.kind, None]}, reason=reason)
    day.delete()
