"""Bookings ahead and the delivery rounds of one meal: the routing engine orders each courier's doors within
the window before the meal time and the courier's capacity; each door is checked off on a phone, a meal not
delivered with the reason. A delivered meal is sold (priced, subsidised) at the moment it is handed over."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import is_visible
from carecircle.core.locks import hold
from carecircle.core.roles import PERSON_SCOPED, Role
from carecircle.core.workflow import IllegalStep
from carecircle.engines.routing import Caregiver, Location, Problem, Service, TimeWindow, Visit, solve
from carecircle.engines.routing.travel import StraightLineProvider, build_matrix

from .models import (
    BookingChannel,
    BookingStatus,
    Canteen,
    DeliveryRound,
    DeliveryStop,
    Diner,
    Dish,
    MealBooking,
    MealTime,
    Mode,
    PaymentMethod,
)
from .plugin import AuditAction
from .services import _require, _require_canteen_staff, checkout, hold_capacity, raw_policy


def booking_create(*, actor, diner: Diner, canteen: Canteen, date: dt.date, meal: str, dish: Dish,
                   quantity: int = 1, mode: str = Mode.DELIVERY, payment: str = PaymentMethod.CASH,
                   today: dt.date | None = None) -> MealBooking:
    """An elder, family member or the hotline books a meal ahead (from today on)."""
    _require(actor, "meals.book")
    if not is_visible(actor, diner.elder):
        raise PermissionDenied(_("只能为自己管辖或关联的老人预订。"))
    today = today or timezone.localdate()
    errors = {}
    if meal not in MealTime.values:
        errors["meal"] = _("餐次只能是早餐、午餐或晚餐。")
    if mode not in Mode.values:
        errors["mode"] = _("就餐方式只能是堂食或送餐。")
    if payment not in PaymentMethod.values:
        errors["payment"] = _("支付方式只能是现金、银行卡/移动支付或预存余额。")
    if date < today:
        errors["date"] = _("只能预订今天及以后的餐。")
    if not canteen.is_active:
        errors["canteen"] = _("该食堂已停止供餐。")
    if dish.canteen_id != canteen.pk or not dish.is_active:
        errors["dish"] = _("只能预订本食堂在售的菜品。")
    elif _district(canteen.facility.community) != _district(diner.elder.community):
        errors["canteen"] = _("只能预订老人所在区的长者食堂。")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 5:
        errors["quantity"] = _("每次预订 1 到 5 份。")
    if diner.elder.status != "active" or not diner.is_active:
        errors["diner"] = _("该老人档案已不在册，不能预订。")
    if mode == Mode.DELIVERY and not canteen.delivery_area.filter(pk=diner.elder.community_id).exists():
        errors["mode"] = _("老人居住的社区不在该食堂的送餐范围内。")
    if errors:
        raise ValidationError(errors)
    channel = (BookingChannel.PORTAL if actor.role in PERSON_SCOPED else
               BookingChannel.HOTLINE if actor.role == Role.OPERATOR else BookingChannel.STAFF)
    try:
        with transaction.atomic():
            hold_capacity(canteen, date, meal, quantity)
            booking = MealBooking.objects.create(canteen=canteen, diner=diner, date=date, meal=meal, mode=mode,
                                                 dish=dish, quantity=quantity, payment=payment, channel=channel,
                                                 booked_by=actor)
            audit.record(actor=actor, action=AuditAction.BOOKING_CREATE, subject=booking,
                         changes={"date": [None, date], "meal": [None, meal], "mode": [None, mode]})
    except IntegrityError as exc:
        raise ValidationError({"meal": _("这位老人这一餐已经预订过了。")}) from exc
    return booking


def _district(region) -> str:
    return "/".join([c for c in region.path.strip("/").split("/") if c][:2])


def booking_cancel(*, actor, booking: MealBooking) -> MealBooking:
    _require(actor, "meals.book")
    if not is_visible(actor, booking.diner.elder):
        raise PermissionDenied(_("只能为自己管辖或关联的老人取消预订。"))
    with transaction.atomic():
        locked = MealBooking.objects.select_for_update().get(pk=booking.pk)
        if locked.status != BookingStatus.BOOKED:
            raise IllegalStep(_("预订状态为“%(status)s”，不能再取消。") % {"status": locked.get_status_display()})
        locked.status = BookingStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit.record(actor=actor, action=AuditAction.BOOKING_CANCEL, subject=locked,
                     changes={"status": [BookingStatus.BOOKED, BookingStatus.CANCELLED]})
    return locked


def _seconds(value: str) -> int:
    hours, minutes = (int(part) for part in str(value).split(":"))
    return hours * 3600 + minutes * 60


def round_plan(*, actor, canteen: Canteen, date: dt.date, meal: str, couriers: list[str], capacity: int,
               seed: int = 0) -> tuple[list[DeliveryRound], list[tuple[MealBooking, str]]]:
    """Plan the delivery bookings of one meal onto the couriers' rounds (replacing an earlier plan whose doors
    were not yet visited). Returns the rounds and the bookings left out with the reason."""
    _require_canteen_staff(actor, canteen, "meals.manage")
    couriers = [c.strip()[:50] for c in couriers if c and c.strip()]
    errors = {}
    if meal not in MealTime.values:
        errors["meal"] = _("餐次只能是早餐、午餐或晚餐。")
    if not couriers:
        errors["couriers"] = _("请至少填写一位送餐员。")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 100:
        errors["capacity"] = _("每趟可送份数为 1 到 100。")
    if errors:
        raise ValidationError(errors)
    region = canteen.facility.community
    meal_at = _seconds(raw_policy("meals.delivery.meal_times", region=region, on=date)[meal])
    window = int(raw_policy("meals.delivery.window_minutes", region=region, on=date)) * 60
    stop = int(raw_policy("meals.delivery.stop_minutes", region=region, on=date)) * 60
    with transaction.atomic():
        hold("meals.round_plan", canteen.pk, date.isoformat(), meal)
        old = DeliveryRound.objects.filter(canteen=canteen, date=date, meal=meal)
        if DeliveryStop.objects.filter(round__in=old, done_at__isnull=False).exists():
            raise IllegalStep(_("这一餐已经开始送餐，不能重新排单。"))
        MealBooking.objects.filter(stop__round__in=old).update(status=BookingStatus.BOOKED)
        DeliveryStop.objects.filter(round__in=old).delete()
        old.delete()
        bookings = list(MealBooking.objects.filter(canteen=canteen, date=date, meal=meal, mode=Mode.DELIVERY,
                                                   status=BookingStatus.BOOKED)
                        .select_related("diner__elder").order_by("id"))
        left_out, visits, by_id = [], [], {}
        for booking in bookings:
            elder = booking.diner.elder
            if elder.lat is None or elder.lng is None:
                left_out.append((booking, _("老人档案没有坐标，无法计算路程")))
                continue
            visit = Visit(id=f"b{booking.pk}", location=Location(f"b{booking.pk}", float(elder.lat), float(elder.lng)),
                          services=(Service(duration=stop),),
                          time_windows=(TimeWindow(meal_at - window, meal_at - stop),), demand=booking.quantity)
            visits.append(visit)
            by_id[visit.id] = booking
        home = Location("canteen", float(canteen.facility.lat), float(canteen.facility.lng))
        vehicles = [Caregiver(id=f"c{i}", start=home, end=home, shift=TimeWindow(meal_at - window - 3600, meal_at),
                              capacity=capacity) for i, _name in enumerate(couriers)]
        rounds = []
        if visits:
            problem = Problem(visits=visits, caregivers=vehicles,
                              matrix=build_matrix(visits, vehicles, StraightLineProvider()))
            solution = solve(problem, iterations=200, seed=seed)
            for unscheduled in solution.unscheduled:
                left_out.append((by_id[unscheduled.visit_id], _("送餐员的时间或份数不够，未能排入")))
            for route in solution.routes:
                if not route.stops:
                    continue
                index = int(route.caregiver_id[1:])
                departure = route.departure if route.departure is not None else route.stops[0].start
                delivery_round = DeliveryRound.objects.create(
                    canteen=canteen, date=date, meal=meal, courier=couriers[index], capacity=capacity,
                    departure=_clock(departure), planned_by=actor)
                for number, planned in enumerate(route.stops, start=1):
                    booking = by_id[planned.visit_id]
                    DeliveryStop.objects.create(round=delivery_round, booking=booking, sequence=number,
                                                eta=_clock(planned.start))
                    booking.status = BookingStatus.PLANNED
                    booking.save(update_fields=["status"])
                rounds.append(delivery_round)
        audit.record(actor=actor, action=AuditAction.ROUND_PLAN, subject=canteen, changes={
            "date": [None, date], "meal": [None, meal], "rounds": [None, len(rounds)],
            "left_out": [None, len(left_out)]})
    return rounds, left_out


def _clock(seconds: float) -> dt.time:
    seconds = max(0, min(int(seconds), 24 * 3600 - 1))
    return dt.time(seconds // 3600, seconds % 3600 // 60)


def stop_record(*, actor, stop: DeliveryStop, delivered: bool, reason: str = "") -> DeliveryStop:
    """The courier checks off a door: delivered (the meal is sold with its subsidy) or not, with the reason."""
    canteen = stop.round.canteen
    _require_canteen_staff(actor, canteen, "meals.till")
    reason = (reason or "").strip()
    if not delivered and not reason:
        raise ValidationError({"reason": _("未送达请填写原因。")})
    with transaction.atomic():
        locked = DeliveryStop.objects.select_for_update().select_related("booking__diner", "booking__dish").get(
            pk=stop.pk)
        if locked.done_at is not None:
            raise IllegalStep(_("这一户已经登记过了。"))
        booking = locked.booking
        if delivered:
            sale = checkout(actor=actor, canteen=canteen, diner=booking.diner, lines=[(booking.dish, booking.quantity)],
                            meal=booking.meal, payment=booking.payment, mode=Mode.DELIVERY, on=booking.date,
                            booked=True)
            booking.sale, booking.status = sale, BookingStatus.DELIVERED
        else:
            booking.status = BookingStatus.NOT_DELIVERED
            locked.reason = reason[:200]
        booking.save(update_fields=["sale", "status"])
        locked.done_at = timezone.now()
        locked.save(update_fields=["done_at", "reason"])
        audit.record(actor=actor, action=AuditAction.STOP_RECORD, subject=locked, reason=reason,
                     changes={"status": [BookingStatus.PLANNED, booking.status]})
    return locked
