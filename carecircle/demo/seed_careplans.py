"""The demo district's care plans, on-demand orders, absences and the work orders of today and tomorrow.

* care plans for most elders holding an eligible LTCI level (2–6) in a community a home-care provider or
  nursing station serves, made through the same service providers use: the entitled visits on two or three
  preferred days in a morning or afternoon window, with two or three LTCI tasks each; a few with a preferred
  caregiver gender or dialect, a few continuing on holidays;
* hospital stays and trips for some planned elders, so that suppressed visits show their reason;
* on-demand orders (bathing, cleaning, meals, escorts, packages) from the portal, the hotline and community
  workers, in every state: waiting for an answer, accepted, passed on after a refusal, done and rated;
* the work orders of today and tomorrow, generated as the nightly job does.

Plans are capped per run so that even the district scale seeds in reasonable time.
"""
from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.utils import timezone

from carecircle.assessment.models import CareLevel
from carecircle.careplans import services
from carecircle.careplans.models import OrderChannel
from carecircle.catalog.models import ServiceItem
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder, ElderAccountLink, ElderStatus
from carecircle.providers.models import OrganisationKind, ServiceArea, StaffMember
from carecircle.workorders import services as work_orders

MAX_PLANS = 240
PLAN_SHARE = 0.85
ABSENCE_SHARE = 0.06
MAX_ORDERS = 120
ORDERS_PER_ELDERS = 10  # one order for every ten elders, up to MAX_ORDERS
ORDER_ITEMS = ("gb-bathing", "gb-cleaning", "gb-meal", "gb-medical-escort", "gb-mobility", "pkg-six-help")
# The windows families ask for in real plans ("a morning visit", "after the nap"), a few hours wide: a window
# as long as the visit would make nearly every visit a fixed-time one and leave the dispatcher no room.
WINDOWS = ((dt.time(8, 0), dt.time(11, 0)), (dt.time(8, 30), dt.time(11, 30)), (dt.time(9, 0), dt.time(12, 0)),
           (dt.time(13, 30), dt.time(16, 30)), (dt.time(14, 0), dt.time(17, 0)), (dt.time(8, 0), dt.time(10, 0)))
DIALECTS = ("上海话", "苏北话", "宁波话")
DECLINE_REASONS = ("当天护理员已排满", "该时段无持证助浴人员", "距离较远，无法按时到达")
RATING_COMMENTS = ("很细心，谢谢", "准时，服务周到", "态度好，就是来得稍晚", "")
PROVIDER_KINDS = (OrganisationKind.HOME_CARE, OrganisationKind.NURSING_STATION)
# The demo caregiver's provider has at least this many plans visiting on the demo day, whatever its weekday,
# so that the caregiver's day always shows visits done, one under way and more to come.
DEMO_DAY_PLANS = 8


def _eligible_elders(as_of: dt.date) -> list[int]:
    served = set(ServiceArea.objects.filter(organisation__kind__in=PROVIDER_KINDS, organisation__is_active=True)
                 .values_list("community_id", flat=True))
    in_force = (CareLevel.objects.filter(programme="ltci", level__gte=2, valid_from__lte=as_of)
                .exclude(valid_until__lt=as_of).values_list("elder_id", flat=True))
    return list(Elder.objects.filter(pk__in=list(in_force), status=ElderStatus.ACTIVE, community_id__in=served)
                .order_by("pk").values_list("pk", flat=True))


def _providers_for(elder) -> list:
    return [org for org in services.serving_providers(elder) if org.kind in PROVIDER_KINDS]


def demo_careplans_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    tomorrow = as_of + dt.timedelta(days=1)
    tasks = list(ServiceItem.objects.filter(category="ltci_basic", unit="time", is_active=True)
                 .order_by("code").values_list("code", flat=True))
    counts = {"care_plans": 0, "absences": 0, "service_orders": 0}
    candidates = _eligible_elders(as_of)
    chosen = rng.sample(candidates, min(len(candidates), int(len(candidates) * PLAN_SHARE), MAX_PLANS))
    planned = []
    demo_provider = (StaffMember.objects.filter(user__username="caregiver").values_list("organisation_id", flat=True)
                     .first())
    demo_day_plans = 0
    for elder in Elder.objects.filter(pk__in=chosen).select_related("community").order_by("pk"):
        providers = _providers_for(elder)
        if not providers:
            continue
        organisation = rng.choice(providers)
        weekdays = rng.sample(range(7), rng.choice((2, 3)))
        if demo_day_plans < DEMO_DAY_PLANS and any(p.pk == demo_provider for p in providers):
            organisation = next(p for p in providers if p.pk == demo_provider)
            if as_of.weekday() not in weekdays:
                weekdays[0] = as_of.weekday()
        level = CareLevel.objects.filter(elder=elder, programme="ltci", valid_from__lte=as_of).order_by(
            "-valid_from").first()
        start = max(level.valid_from, as_of - dt.timedelta(days=rng.randrange(0, 90)))
        window = rng.choice(WINDOWS)
        try:
            services.care_plan_create(
                actor=None, elder=elder, organisation=organisation, on=start,
                weekdays=weekdays, window_start=window[0], window_end=window[1],
                items=[(code, 1) for code in rng.sample(tasks, rng.choice((2, 3)))] if tasks else (),
                preferred_gender=rng.choice(("", "", "", "F", "M")),
                dialect=rng.choice(DIALECTS) if rng.random() < 0.2 else "",
                serve_on_holidays=rng.random() < 0.15)
        except (ValidationError, IllegalStep):
            continue  # a level the district's policy does not cover on that date, or a plan already made
        counts["care_plans"] += 1
        demo_day_plans += organisation.pk == demo_provider and as_of.weekday() in weekdays
        planned.append(elder)
    for elder in planned:
        if rng.random() < ABSENCE_SHARE:
            kind = rng.choice(("hospital", "hospital", "travel"))
            first = as_of + dt.timedelta(days=rng.randrange(-3, 2))
            services.elder_absence_record(actor=None, elder=elder, kind=kind, starts_on=first,
                                          ends_on=first + dt.timedelta(days=rng.randrange(2, 10)),
                                          note="瑞金医院" if kind == "hospital" else "")
            counts["absences"] += 1
    counts["service_orders"] = _seed_orders(rng=rng, as_of=as_of, planned=planned)
    today_run = work_orders.work_orders_generate(date=as_of)
    tomorrow_run = work_orders.work_orders_generate(date=tomorrow)
    counts["work_orders_today"] = today_run["created"]
    counts["work_orders_tomorrow"] = tomorrow_run["created"]
    return counts


def _seed_orders(*, rng: random.Random, as_of: dt.date, planned: list) -> int:
    morning = timezone.make_aware(dt.datetime.combine(as_of, dt.time(7, 30)))
    served = set(ServiceArea.objects.filter(organisation__kind__in=PROVIDER_KINDS).values_list("community_id",
                                                                                               flat=True))
    others = list(Elder.objects.filter(status=ElderStatus.ACTIVE, community_id__in=served)
                  .order_by("pk").values_list("pk", flat=True)[:5000])
    wanted = min(MAX_ORDERS, max(10, Elder.objects.count() // ORDERS_PER_ELDERS))
    # The demo's elder and family accounts see orders of their own on the portal.
    linked = list(ElderAccountLink.objects.filter(elder__community_id__in=served).values_list("elder_id", flat=True))
    picked = linked + [e.pk for e in planned[: wanted // 2]]
    rest = [pk for pk in others if pk not in set(picked)]
    picked += rng.sample(rest, max(0, min(len(rest), wanted - len(picked))))
    placed = 0
    for elder in Elder.objects.filter(pk__in=picked).select_related("community").order_by("pk"):
        code = rng.choice(ORDER_ITEMS)
        lines = [{"item": code, "quantity": 2 if code in ("gb-cleaning", "gb-mobility") else 1}]
        day = as_of + dt.timedelta(days=rng.choice((0, 1, 1, 1, 2, 3, 5)))
        start = rng.choice((dt.time(9, 0), dt.time(14, 0)))
        end = (dt.datetime.combine(day, start) + dt.timedelta(hours=3)).time()
        try:
            priced = services.order_quote(elder=elder, lines=lines, service_date=day)
            order = services.service_order_place(
                actor=None, elder=elder, lines=lines, service_date=day, window_start=start, window_end=end,
                expected_self_pay=priced.self_pay, channel=rng.choice(OrderChannel.values), now=morning)
        except ValidationError:
            continue
        placed += 1
        fate = rng.random()
        answered = morning + dt.timedelta(minutes=rng.randrange(20, 90))
        if fate < 0.15:
            services.service_order_decline(actor=None, order=order, reason=rng.choice(DECLINE_REASONS),
                                           now=answered)
        elif fate < 0.85:
            services.service_order_accept(actor=None, order=order, now=answered)
            if day == as_of and rng.random() < 0.6:
                services.service_order_complete(actor=None, order=order)
                if rng.random() < 0.7:
                    services.service_order_rate(actor=None, order=order, stars=rng.choice((5, 5, 4, 4, 3)),
                                                comment=rng.choice(RATING_COMMENTS))
    return placed
