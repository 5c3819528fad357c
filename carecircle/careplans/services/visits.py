"""Weekly visits: reading them from forms and the API, pricing a week, fitting it to the entitlement.

How a plan visit is paid: LTCI home care is paid by the hour of service, so each visit is billed as the
hourly LTCI item (`ltci-home-hour`, or `ltci-nursing-hour` when a task on it needs a registered nurse)
for its duration; the task items of the visit (the 42 LTCI items) are what the caregiver does in that hour.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from carecircle.core.money import to_money
from carecircle.engines.orders import VisitSlot, fit_visits

from ..models import PlanVisit, VisitFunding, Weekday
from .common import HOURLY_ITEM, LTCI, NURSE, NURSING_HOURLY_ITEM, _hhmm, _list, elder_entitlement

@dataclass
class VisitSpec:
    """A weekly visit as submitted by a form, the API or the generator."""

    weekday: int
    window_start: dt.time
    window_end: dt.time
    duration_minutes: int
    fixed_time: bool = False
    items: list[tuple[str, Decimal]] = field(default_factory=list)  # task items: (code, quantity)

    @classmethod
    def of(cls, visit: PlanVisit) -> "VisitSpec":
        return cls(visit.weekday, visit.window_start, visit.window_end, visit.duration_minutes, visit.fixed_time,
                   [(line.item.code, line.quantity) for line in visit.lines.select_related("item")])


def _parse_time(value, label: str, errors: list) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        errors.append(_("%(label)s“%(value)s”不是有效时刻，请写成 09:00") % {"label": label, "value": value})
        return None


def clean_visits(raw_visits) -> list[VisitSpec]:
    """Visits from dictionaries (forms, API) or VisitSpecs, checked; one ValidationError lists every problem."""
    from carecircle.catalog.models import ServiceItem

    errors: list[str] = []
    specs: list[VisitSpec] = []
    codes = set()
    for number, raw in enumerate(raw_visits or [], start=1):
        prefix = _("第 %(n)d 次上门：") % {"n": number}
        if isinstance(raw, VisitSpec):
            raw = {"weekday": raw.weekday, "window_start": raw.window_start, "window_end": raw.window_end,
                   "duration_minutes": raw.duration_minutes, "fixed_time": raw.fixed_time, "items": raw.items}
        problems: list[str] = []
        try:
            weekday = int(raw.get("weekday"))
            if weekday not in Weekday.values:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(_("星期必须是 0（周一）到 6（周日）"))
            weekday = 0
        start = _parse_time(raw.get("window_start"), _("开始时刻"), problems)
        end = _parse_time(raw.get("window_end"), _("结束时刻"), problems)
        try:
            duration = int(raw.get("duration_minutes"))
            if duration <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(_("服务时长必须是大于 0 的整数分钟"))
            duration = 0
        if start and end:
            if end <= start:
                problems.append(_("结束时刻 %(end)s 必须晚于开始时刻 %(start)s") % {"end": _hhmm(end), "start": _hhmm(start)})
            elif duration and (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)) < \
                    dt.timedelta(minutes=duration):
                problems.append(_("时段 %(start)s–%(end)s 放不下 %(minutes)d 分钟的服务")
                                % {"start": _hhmm(start), "end": _hhmm(end), "minutes": duration})
        items = []
        for entry in raw.get("items") or []:
            if isinstance(entry, dict):
                code, quantity = entry.get("item") or entry.get("code"), entry.get("quantity", 1)
            else:
                code, quantity = entry
            try:
                quantity = Decimal(str(quantity))
                if quantity <= 0:
                    raise ValueError
            except (ArithmeticError, ValueError):
                problems.append(_("项目 %(code)s 的数量必须大于 0") % {"code": code})
                continue
            items.append((str(code).strip(), quantity))
            codes.add(str(code).strip())
        errors.extend(prefix + problem for problem in problems)
        if not problems:
            specs.append(VisitSpec(weekday, start, end, duration, bool(raw.get("fixed_time")), items))
    if codes:
        known = set(ServiceItem.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True))
        unknown = sorted(codes - known)
        if unknown:
            errors.append(_("服务目录中没有这些启用的项目：%(codes)s") % {"codes": _list(unknown)})
    if errors:
        raise ValidationError(errors)
    return specs


def billing_lines(spec: VisitSpec) -> list[tuple[str, Decimal]]:
    """The line a visit is billed with: the LTCI hourly item for its duration (see the module docstring)."""
    from carecircle.catalog.models import ServiceItem

    codes = [code for code, _q in spec.items]
    needs_nurse = ServiceItem.objects.filter(code__in=codes, required_qualification=NURSE).exists()
    hours = (Decimal(spec.duration_minutes) / Decimal(60)).quantize(Decimal("0.01"))
    return [(NURSING_HOURLY_ITEM if needs_nurse else HOURLY_ITEM, hours)]


@dataclass
class PreviewVisit:
    spec: VisitSpec
    funding: str  # VisitFunding
    reason: str  # why it is beyond the entitlement ("" when covered)
    fund: Decimal = Decimal("0.00")
    subsidy: Decimal = Decimal("0.00")
    self_pay: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")

    @property
    def weekday_label(self) -> str:
        return str(Weekday(self.spec.weekday).label)


@dataclass
class PlanPreview:
    entitlement: object
    visits: list[PreviewVisit]
    weekly_total: Decimal
    weekly_fund: Decimal
    weekly_subsidy: Decimal
    weekly_self_pay: Decimal
    excess_self_pay: Decimal  # the weekly self-pay of the visits beyond the entitlement
    excess_count: int
    messages: list[str]

    @property
    def has_excess(self) -> bool:
        return self.excess_count > 0


def _beyond_reason(reason: str, entitlement) -> str:
    if reason == "visit_minutes":
        return _("超过每次 %(m)d 分钟") % {"m": entitlement.minutes_per_visit}
    if reason == "count":
        return _("超过每周 %(n)d 次") % {"n": entitlement.visits_per_week}
    return _("超过每周 %(m)d 分钟上限") % {"m": entitlement.weekly_minutes_cap}


def plan_preview(*, elder, visits: list[VisitSpec], on: dt.date, programme: str = LTCI, provider=None,
                 entitlement=None) -> PlanPreview:
    """What a week of these visits costs and who pays, marking the visits beyond the entitlement (self-pay).

    Shown before a plan is saved; the numbers come from the catalogue's `quote`."""
    from carecircle.catalog.services import quote

    entitlement = entitlement or elder_entitlement(elder, programme=programme, on=on)
    if entitlement is None:
        raise ValidationError(_("%(name)s 在 %(on)s 没有可享受长护险居家照护的照护等级，不能制定照护计划")
                              % {"name": elder.name, "on": on.isoformat()})
    slots = [VisitSlot(index, spec.weekday, spec.window_start.hour * 60 + spec.window_start.minute,
                       spec.duration_minutes) for index, spec in enumerate(visits)]
    fit = fit_visits(slots, visits_per_week=entitlement.visits_per_week,
                     minutes_per_visit=entitlement.minutes_per_visit,
                     weekly_minutes_cap=entitlement.weekly_minutes_cap)
    beyond = dict(fit.beyond)
    rows = []
    for index, spec in enumerate(visits):
        covered = index not in beyond
        priced = quote(elder=elder, on=on, lines=billing_lines(spec), basis="plan" if covered else "order",
                       provider=provider)
        rows.append(PreviewVisit(spec=spec, funding=VisitFunding.PLAN if covered else VisitFunding.SELF_PAY,
                                 reason="" if covered else _beyond_reason(beyond[index], entitlement),
                                 fund=priced.fund, subsidy=priced.subsidy, self_pay=priced.self_pay,
                                 total=priced.total))
    zero = Decimal("0.00")
    excess = [row for row in rows if row.funding == VisitFunding.SELF_PAY]
    messages = []
    if excess:
        messages.append(_("有 %(n)d 次上门超出长护险待遇，按自费计价：每周自付 %(amount)s 元")
                        % {"n": len(excess), "amount": to_money(sum((r.self_pay for r in excess), zero))})
    if len(rows) - len(excess) < entitlement.visits_per_week:
        messages.append(_("待遇为每周 %(n)d 次，计划只安排了 %(m)d 次待遇内上门")
                        % {"n": entitlement.visits_per_week, "m": len(rows) - len(excess)})
    return PlanPreview(
        entitlement=entitlement, visits=rows,
        weekly_total=sum((r.total for r in rows), zero), weekly_fund=sum((r.fund for r in rows), zero),
        weekly_subsidy=sum((r.subsidy for r in rows), zero), weekly_self_pay=sum((r.self_pay for r in rows), zero),
        excess_self_pay=sum((r.self_pay for r in excess), zero), excess_count=len(excess), messages=messages)


def default_visits(*, entitlement, weekdays=(), window_start: dt.time | None = None,
                   window_end: dt.time | None = None, items=()) -> list[VisitSpec]:
    """The entitled number of visits on the preferred weekdays (spread over the week when too few are
    given), each of the entitled length inside the preferred window."""
    window_start = window_start or dt.time(9, 0)
    minutes = entitlement.minutes_per_visit
    latest_end = (dt.datetime.combine(dt.date.min, window_start) + dt.timedelta(minutes=minutes)).time()
    window_end = window_end if window_end and window_end >= latest_end else latest_end
    chosen = []
    for day in weekdays:
        day = int(day)
        if day in Weekday.values and day not in chosen:
            chosen.append(day)
    count = entitlement.visits_per_week
    # Spread the remaining visits over the week: weekdays first, evenly apart.
    spread = [0, 2, 4, 1, 3, 5, 6]
    for day in spread:
        if len(chosen) >= count:
            break
        if day not in chosen:
            chosen.append(day)
    chosen = sorted(chosen[:count])
    return [VisitSpec(day, window_start, window_end, minutes, False, list(items)) for day in chosen]
