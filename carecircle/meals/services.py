"""Writes of the canteens app: canteens, dishes, menus, diners, the till's checkout and refund, the monthly
claim and its review. Each is one transaction with its audit event; the till locks the diner before it reads
the subsidies the diner already had, so two counters presenting one card at once grant one subsidy."""
from __future__ import annotations

import calendar
import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.assessment.selectors import current_care_level
from carecircle.core import audit
from carecircle.core.isolation import acts_for, require_change
from carecircle.core.locks import hold
from carecircle.core.money import to_money
from carecircle.core.policy import parameter_in_force, parameters_in_force, policy_value
from carecircle.core.roles import has_capability
from carecircle.core.workflow import IllegalStep
from carecircle.elders.models import Elder
from carecircle.engines.meals import DinerFacts, MealPolicy, MealSplit, UsedSubsidy, split_meal
from carecircle.providers.models import Facility, FacilityKind

from .models import (
    Canteen,
    ClaimStatus,
    DietTag,
    Diner,
    Dish,
    MealClaim,
    MealTime,
    MealBooking,
    Menu,
    Mode,
    PaymentMethod,
    Sale,
    SaleLine,
)
from .plugin import AuditAction

ZERO = Decimal("0.00")
CANTEEN_KINDS = {FacilityKind.MEAL_POINT, FacilityKind.COMMUNITY_CENTRE, FacilityKind.DAY_CENTRE}


def _require(actor, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_canteen_staff(actor, canteen: Canteen, capability: str = "meals.till") -> None:
    """The canteen's own operator; no actor is the system acting on its own behalf (demo data, jobs)."""
    if actor is None:
        return
    _require(actor, capability)
    if not acts_for(actor, canteen) and not (actor.is_superuser):
        raise PermissionDenied(_("只能处理本机构运营的食堂。"))


def _money(value, field: str, label: str, errors: dict, *, allow_zero: bool = True) -> Decimal | None:
    try:
        if isinstance(value, float):
            value = str(value)
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("%(label)s必须是金额，例如 12.50。") % {"label": label}
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or amount < 0 or amount > Decimal("99999"):
        errors[field] = _("%(label)s必须是不小于 0 的金额，最多两位小数。") % {"label": label}
        return None
    if not allow_zero and amount == 0:
        errors[field] = _("%(label)s必须大于 0。") % {"label": label}
        return None
    return to_money(amount)


# ---------------------------------------------------------------------------------------------- canteens


CANTEEN_NUMBERS = ("seats", "breakfast_capacity", "lunch_capacity", "dinner_capacity")


def _district_prefix(region) -> str:
    codes = [c for c in region.path.strip("/").split("/") if c]
    return "/" + "/".join(codes[:2]) + "/"  # city, district


def _clean_canteen(facility: Facility, values: dict, delivery_area) -> tuple[dict, list]:
    """The canteen's own fields checked (opening hours, seats, capacity per meal, delivery area within the
    facility's district); raises ValidationError naming each field."""
    errors = {}
    cleaned = {"opening_hours": (values.get("opening_hours") or "").strip()}
    if not cleaned["opening_hours"]:
        errors["opening_hours"] = _("请填写供餐时间。")
    elif len(cleaned["opening_hours"]) > 100:
        errors["opening_hours"] = _("供餐时间不超过 100 字。")
    for name in CANTEEN_NUMBERS:
        value = values.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100000:
            errors[name] = _("必须是 0 到 100000 之间的整数。")
        cleaned[name] = value
    area = list(delivery_area or [])
    prefix = _district_prefix(facility.community)
    if any(region.kind != "community" or not region.path.startswith(prefix) for region in area):
        errors["delivery_area"] = _("送餐范围只能是食堂所在区的社区。")
    if errors:
        raise ValidationError(errors)
    return cleaned, area


def canteen_create(*, actor, facility: Facility, opening_hours: str, seats: int = 0, breakfast_capacity: int = 0,
                   lunch_capacity: int = 0, dinner_capacity: int = 0, delivery_area=()) -> Canteen:
    """Open a canteen or meal point on a facility of the providers register (the facility's organisation runs
    it). A capacity of 0 for a meal sets no limit."""
    _require(actor, "meals.manage")
    require_change(actor, facility)
    errors = {}
    if facility.kind not in CANTEEN_KINDS:
        errors["facility"] = _("只有助餐点、社区综合为老服务中心或日间照料中心可以开设长者食堂。")
    elif not facility.is_active:
        errors["facility"] = _("该设施已停用，不能开设长者食堂。")
    if Canteen.objects.filter(facility=facility).exists():
        errors["facility"] = _("该设施已登记为长者食堂。")
    try:
        cleaned, area = _clean_canteen(facility, {
            "opening_hours": opening_hours, "seats": seats, "breakfast_capacity": breakfast_capacity,
            "lunch_capacity": lunch_capacity, "dinner_capacity": dinner_capacity}, delivery_area)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            canteen = Canteen.objects.create(facility=facility, **cleaned)
            canteen.delivery_area.set(area)
            audit.record(actor=actor, action=AuditAction.CANTEEN_CREATE, subject=canteen, changes={
                "facility": [None, facility.name], **{k: [None, v] for k, v in cleaned.items()},
                "delivery_area": [None, sorted(r.name for r in area)]})
    except IntegrityError as exc:  # the same facility opened twice at once
        raise ValidationError({"facility": _("该设施已登记为长者食堂。")}) from exc
    return canteen


def canteen_update(*, actor, canteen: Canteen, opening_hours: str, seats: int, breakfast_capacity: int,
                   lunch_capacity: int, dinner_capacity: int, delivery_area=(), is_active: bool = True) -> Canteen:
    """Change a canteen's hours, seats, capacity per meal, delivery area, or stop (resume) its service. Only
    what changed is audited; a capacity lowered below the meals already booked keeps those bookings."""
    _require(actor, "meals.manage")
    require_change(actor, canteen.facility)
    cleaned, area = _clean_canteen(canteen.facility, {
        "opening_hours": opening_hours, "seats": seats, "breakfast_capacity": breakfast_capacity,
        "lunch_capacity": lunch_capacity, "dinner_capacity": dinner_capacity}, delivery_area)
    cleaned["is_active"] = bool(is_active)
    with transaction.atomic():
        locked = Canteen.objects.select_for_update().select_related("facility").get(pk=canteen.pk)
        changes = {k: [getattr(locked, k), v] for k, v in cleaned.items() if getattr(locked, k) != v}
        before_area = sorted(r.name for r in locked.delivery_area.all())
        after_area = sorted(r.name for r in area)
        if before_area != after_area:
            changes["delivery_area"] = [before_area, after_area]
        if not changes:
            return locked
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(cleaned))
        locked.delivery_area.set(area)
        audit.record(actor=actor, action=AuditAction.CANTEEN_UPDATE, subject=locked, changes=changes)
    return locked


def dish_create(*, actor, canteen: Canteen, name: str, price, portion: str = "", allergens: str = "",
                diet_tags=(), is_set_meal: bool = False, components: str = "") -> Dish:
    _require_canteen_staff(actor, canteen, "meals.manage")
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("请填写菜品名称（不超过 100 字）。")
    amount = _money(price, "price", _("价格"), errors)
    tags = list(diet_tags or [])
    if any(tag not in DietTag.values for tag in tags):
        errors["diet_tags"] = _("饮食标签只能是低盐、低糖、软烂或清真。")
    if is_set_meal and not (components or "").strip():
        errors["components"] = _("套餐请写明组成，例如“两荤一素一汤”。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dish = Dish.objects.create(canteen=canteen, name=name, price=amount, portion=portion.strip(),
                                   allergens=allergens.strip(), diet_tags=tags, is_set_meal=is_set_meal,
                                   components=components.strip())
        audit.record(actor=actor, action=AuditAction.DISH_CREATE, subject=dish,
                     changes={"name": [None, name], "price": [None, str(amount)]})
    return dish


def menu_publish(*, actor, canteen: Canteen, date: dt.date, meal: str, dishes, today: dt.date | None = None) -> Menu:
    """Publish (or republish) one meal's menu; a menu of a past day is not changed."""
    _require_canteen_staff(actor, canteen, "meals.manage")
    today = today or timezone.localdate()
    errors = {}
    if meal not in MealTime.values:
        errors["meal"] = _("餐次只能是早餐、午餐或晚餐。")
    if date < today:
        errors["date"] = _("不能发布已过去日期的菜单。")
    dishes = list(dishes)
    if not dishes:
        errors["dishes"] = _("菜单至少要有一道菜。")
    elif any(dish.canteen_id != canteen.pk or not dish.is_active for dish in dishes):
        errors["dishes"] = _("只能选择本食堂在售的菜品。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        menu, created = Menu.objects.select_for_update().get_or_create(canteen=canteen, date=date, meal=meal)
        before = sorted(menu.dishes.values_list("name", flat=True)) if not created else None
        menu.dishes.set(dishes)
        menu.published_at = timezone.now()
        menu.save(update_fields=["published_at"])
        audit.record(actor=actor, action=AuditAction.MENU_PUBLISH, subject=menu,
                     changes={"dishes": [before, sorted(d.name for d in dishes)]})
    return menu


# ---------------------------------------------------------------------------------------------- diners


def diner_register(*, actor, elder: Elder, card_number: str) -> Diner:
    """Enrol an elder of the register (in the actor's scope) with a meal card; a QR credential is issued."""
    _require(actor, "meals.diners")
    require_change(actor, elder)
    card_number = (card_number or "").strip()
    errors = {}
    if elder.status != "active":
        errors["elder"] = _("只有在册老人可以登记实名助餐。")
    elif Diner.objects.filter(elder=elder).exists():
        errors["elder"] = _("该老人已登记实名助餐。")
    if not card_number.isalnum() or not 4 <= len(card_number) <= 32:
        errors["card_number"] = _("助餐卡号为 4 到 32 位字母或数字。")
    elif Diner.objects.filter(card_number=card_number).exists():
        errors["card_number"] = _("该助餐卡号已被使用。")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            diner = Diner.objects.create(elder=elder, card_number=card_number, qr_token=secrets.token_urlsafe(24))
            audit.record(actor=actor, action=AuditAction.DINER_REGISTER, subject=diner,
                         changes={"card_number": [None, card_number]})
    except IntegrityError as exc:
        raise ValidationError({"card_number": _("该助餐卡号或老人已登记。")}) from exc
    return diner


def diner_top_up(*, actor, canteen: Canteen, diner: Diner, amount) -> Diner:
    _require_canteen_staff(actor, canteen)
    errors = {}
    value = _money(amount, "amount", _("充值金额"), errors, allow_zero=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Diner.objects.select_for_update().get(pk=diner.pk)
        before = locked.balance
        locked.balance = to_money(locked.balance + value)
        locked.save(update_fields=["balance"])
        audit.record(actor=actor, action=AuditAction.DINER_TOP_UP, subject=locked,
                     changes={"balance": [str(before), str(locked.balance)]}, region=canteen.facility.community)
    return locked


def find_diner(*, card: str = "", qr: str = "") -> Diner | None:
    """The diner a credential names (card number or QR token); None when nobody holds it."""
    if card:
        return Diner.objects.select_related("elder", "elder__community").filter(card_number=card.strip()).first()
    if qr:
        return Diner.objects.select_related("elder", "elder__community").filter(qr_token=qr.strip()).first()
    return None


# ---------------------------------------------------------------------------------------------- the till


CLASS_KEYS = {"A": "hardship", "B": "age_60_79", "C": "age_80_plus"}  # the classes in the policy's tables


def raw_policy(key: str, *, region, on: dt.date):
    """The stored value in force (the caller converts it); a missing value raises as `policy_value` does. Read
    this way because the till reads a dozen values per sale."""
    row = parameter_in_force(key, region=region, on=on)
    return row.value if row is not None else policy_value(key, region=region, on=on)


POLICY_KEYS = ("meals.min_age", "meals.subsidy.senior_age", "meals.subsidy.hardship_categories",
               "meals.subsidy.registrations", "meals.dine_in.subsidy_per_day", "meals.subsidy.weekly_cap",
               "meals.dine_in.min_spend", "meals.delivery.subsidy_per_day", "meals.delivery.min_care_level")
FOLLOWS = "meals.subsidy_follows_residence"


def _policy_rows(region, on: dt.date) -> dict:
    """The till's parameters in force for a region and day, read in one query."""
    return parameters_in_force((*POLICY_KEYS, FOLLOWS), region=region, on=on)


def meal_policy(region, on: dt.date, rows: dict | None = None) -> MealPolicy:
    rows = rows if rows is not None else _policy_rows(region, on)

    def value(key):
        row = rows.get(key)
        return row.value if row is not None else policy_value(key, region=region, on=on)  # names what is missing

    daily = value("meals.dine_in.subsidy_per_day")
    weekly = value("meals.subsidy.weekly_cap")
    return MealPolicy(
        min_age=int(value("meals.min_age")),
        senior_age=int(value("meals.subsidy.senior_age")),
        hardship_categories=tuple(value("meals.subsidy.hardship_categories")),
        registrations=tuple(value("meals.subsidy.registrations")),
        daily_amount={cls: Decimal(str(daily[key])) for cls, key in CLASS_KEYS.items()},
        weekly_cap={cls: Decimal(str(weekly[key])) for cls, key in CLASS_KEYS.items()},
        min_spend=Decimal(str(value("meals.dine_in.min_spend"))),
        delivery_amount=Decimal(str(value("meals.delivery.subsidy_per_day"))),
        delivery_min_level=int(value("meals.delivery.min_care_level")),
    )


def policy_region(canteen: Canteen, diner: Diner | None, on: dt.date):
    """Where the rules are read: the diner's place of residence when the subsidy follows the person (the same
    rules at every canteen), else the canteen's community."""
    if diner is None:
        return canteen.facility.community
    if raw_policy(FOLLOWS, region=diner.elder.community, on=on):
        return diner.elder.community
    return canteen.facility.community


def _policy_for(canteen: Canteen, diner: Diner | None, on: dt.date) -> MealPolicy:
    """`meal_policy(policy_region(...))` in one query when the subsidy follows the person (the usual case)."""
    if diner is None:
        return meal_policy(canteen.facility.community, on)
    home = diner.elder.community
    rows = _policy_rows(home, on)
    follows = rows[FOLLOWS].value if rows[FOLLOWS] is not None else policy_value(FOLLOWS, region=home, on=on)
    if follows:
        return meal_policy(home, on, rows)
    return meal_policy(canteen.facility.community, on)


def diner_facts(diner: Diner, on: dt.date) -> DinerFacts:
    elder = diner.elder
    level = current_care_level(elder, on=on)
    status = elder.status if diner.is_active else "inactive"
    return DinerFacts(elder.birth_date, elder.economic_category, elder.registration, status,
                      level.level if level is not None else None)


def used_subsidy(diner: Diner, on: dt.date, meal: str) -> UsedSubsidy:
    """The diner's subsidies already granted, net of refunds, at every canteen (the subsidy follows the person);
    one query."""
    week_start = on - dt.timedelta(days=on.weekday())
    today, this_meal = Q(date=on), Q(date=on, meal=meal)
    sums = Sale.objects.filter(diner=diner, date__range=(week_start, week_start + dt.timedelta(days=6))).aggregate(
        week=Sum("subsidy"), today=Sum("subsidy", filter=today), delivery=Sum("delivery_subsidy", filter=today),
        meal=Sum("subsidy", filter=this_meal), spent=Sum("total", filter=today & Q(mode=Mode.DINE_IN)))
    return UsedSubsidy(today=sums["today"] or ZERO, this_week=sums["week"] or ZERO,
                       meal_time_taken=(sums["meal"] or ZERO) > 0, delivery_today=sums["delivery"] or ZERO,
                       spent_today=sums["spent"] or ZERO)


def meal_now(now=None) -> str:
    """The meal time a counter most likely serves now (the cashier may choose another)."""
    hour = timezone.localtime(now).hour
    return MealTime.BREAKFAST if hour < 10 else MealTime.LUNCH if hour < 15 else MealTime.DINNER


# ---------------------------------------------------------------------------------------------- capacity

OPEN_BOOKINGS = ("booked", "planned", "delivered")  # a cancelled or undelivered booking frees its meal


def meals_taken(canteen: Canteen, on: dt.date, meal: str) -> int:
    """The meals of one meal time a canteen has promised or served: the quantities of its bookings still open
    (delivered ones included), plus one meal per sale at the counter that no booking already counts (refunded
    sales and refund lines left out). A diner who booked and then eats at the counter is counted once."""
    bookings = MealBooking.objects.filter(canteen=canteen, date=on, meal=meal, status__in=OPEN_BOOKINGS)
    booked = bookings.aggregate(n=Sum("quantity"))["n"] or 0
    served = (Sale.objects.filter(canteen=canteen, date=on, meal=meal, refund_of__isnull=True, refund__isnull=True,
                                  booking__isnull=True)
              .exclude(diner__in=bookings.values("diner")).count())
    return booked + served


def hold_capacity(canteen: Canteen, on: dt.date, meal: str, wanted: int) -> None:
    """Inside the caller's transaction: wait for the canteen's meal (two counters or bookings at once count one
    after the other), then refuse when `wanted` more meals would pass the capacity. A capacity of 0 sets no
    limit for that meal."""
    capacity = canteen.capacity_for(meal)
    if not capacity:
        return
    hold("meals.capacity", canteen.pk, on.isoformat(), meal)
    taken = meals_taken(canteen, on, meal)
    if taken + wanted > capacity:
        raise ValidationError({"capacity": _(
            "%(canteen)s %(date)s %(meal)s的供餐能力为 %(capacity)s 份，已预订或售出 %(taken)s 份，"
            "不能再增加 %(wanted)s 份。") % {
            "canteen": canteen.name, "date": on.strftime("%Y-%m-%d"), "meal": MealTime(meal).label,
            "capacity": capacity, "taken": taken, "wanted": wanted}})


@dataclass
class CheckoutLine:
    dish: Dish
    quantity: int


def _clean_lines(canteen: Canteen, lines) -> list[CheckoutLine]:
    cleaned = []
    if not lines:
        raise ValidationError({"lines": _("请至少选择一道菜。")})
    for line in lines:
        dish, quantity = line
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 20:
            raise ValidationError({"lines": _("每道菜的数量为 1 到 20 份。")})
        if dish.canteen_id != canteen.pk or not dish.is_active:
            raise ValidationError({"lines": _("“%(dish)s”不是本食堂在售的菜品。") % {"dish": dish.name}})
        cleaned.append(CheckoutLine(dish, quantity))
    return cleaned


def price_meal(canteen: Canteen, diner: Diner | None, lines: list[CheckoutLine], *, on: dt.date, meal: str,
               mode: str) -> MealSplit:
    """The split of a meal for this diner now (no checks of who asks, nothing written): for quotes and demo data."""
    return _quote(canteen, diner, lines, on=on, meal=meal, mode=mode)


def _quote(canteen: Canteen, diner: Diner | None, lines: list[CheckoutLine], *, on: dt.date, meal: str,
           mode: str) -> MealSplit:
    policy = _policy_for(canteen, diner, on)
    facts = diner_facts(diner, on) if diner is not None else None
    used = used_subsidy(diner, on, meal) if diner is not None else UsedSubsidy()
    return split_meal([(line.dish.price, line.quantity) for line in lines], facts, policy, on=on,
                      delivery=mode == Mode.DELIVERY, used=used)


def _check_meal(meal: str, mode: str, payment: str | None = None) -> None:
    errors = {}
    if meal not in MealTime.values:
        errors["meal"] = _("餐次只能是早餐、午餐或晚餐。")
    if mode not in Mode.values:
        errors["mode"] = _("就餐方式只能是堂食或送餐。")
    if payment is not None and payment not in PaymentMethod.values:
        errors["payment"] = _("支付方式只能是现金、银行卡/移动支付或预存余额。")
    if errors:
        raise ValidationError(errors)


def checkout_quote(*, actor, canteen: Canteen, diner: Diner | None, lines, meal: str, mode: str = Mode.DINE_IN,
                   on: dt.date | None = None) -> MealSplit:
    """What the diner would pay now (nothing is written)."""
    _require_canteen_staff(actor, canteen)
    _check_meal(meal, mode)
    return _quote(canteen, diner, _clean_lines(canteen, lines), on=on or timezone.localdate(), meal=meal, mode=mode)


def rules_json(split: MealSplit) -> list[dict]:
    return [{"code": rule.code, "params": {k: str(v) if isinstance(v, (Decimal, dt.date)) else v
                                           for k, v in rule.params.items()}} for rule in split.rules]


def checkout(*, actor, canteen: Canteen, diner: Diner | None, lines, meal: str, payment: str,
             mode: str = Mode.DINE_IN, on: dt.date | None = None, idempotency_key: str = "",
             booked: bool = False) -> Sale:
    """Sell a meal: price, subsidy within the caps, the rest paid. A repeated idempotency key returns the sale it
    made the first time. Beyond the canteen's capacity for the meal the sale is refused, unless the meal was
    booked (`booked`, or the diner holds an open booking of this meal here): its place is already counted."""
    _require_canteen_staff(actor, canteen)
    _check_meal(meal, mode, payment)
    cleaned = _clean_lines(canteen, lines)
    if not canteen.is_active:
        raise ValidationError({"canteen": _("该食堂已停止供餐。")})
    if payment == PaymentMethod.BALANCE and diner is None:
        raise ValidationError({"payment": _("未登记的就餐人不能使用预存余额。")})
    on = on or timezone.localdate()
    idempotency_key = (idempotency_key or "").strip()[:100]
    try:
        return _checkout(actor, canteen, diner, cleaned, meal=meal, payment=payment, mode=mode, on=on,
                         idempotency_key=idempotency_key, booked=booked)
    except IntegrityError:
        # The same key sent twice at once without a diner to lock: the unique key lets one through.
        earlier = (Sale.objects.filter(canteen=canteen, idempotency_key=idempotency_key).first()
                   if idempotency_key else None)
        if earlier is None:
            raise
        return earlier


def _checkout(actor, canteen, diner, cleaned, *, meal, payment, mode, on, idempotency_key, booked) -> Sale:
    with transaction.atomic():
        if diner is not None:
            diner = Diner.objects.select_for_update().select_related("elder", "elder__community").get(pk=diner.pk)
        if idempotency_key:
            earlier = Sale.objects.filter(canteen=canteen, idempotency_key=idempotency_key).first()
            if earlier is not None:
                return earlier
        if not booked and canteen.capacity_for(meal) and not (
                diner is not None and MealBooking.objects.filter(canteen=canteen, diner=diner, date=on, meal=meal,
                                                                 status__in=OPEN_BOOKINGS).exists()):
            hold_capacity(canteen, on, meal, 1)
        split = _quote(canteen, diner, cleaned, on=on, meal=meal, mode=mode)
        if payment == PaymentMethod.BALANCE:
            if diner.balance < split.self_pay:
                raise ValidationError({"payment": _("预存余额 %(balance)s 元，不足支付 %(due)s 元。") % {
                    "balance": diner.balance, "due": split.self_pay}})
            diner.balance = to_money(diner.balance - split.self_pay)
            diner.save(update_fields=["balance"])
        sale = Sale.objects.create(
            canteen=canteen, diner=diner, date=on, meal=meal, mode=mode, subsidy_class=split.subsidy_class,
            total=split.total, subsidy=split.subsidy, delivery_subsidy=split.delivery_subsidy,
            self_pay=split.self_pay, payment=payment, rules=rules_json(split), idempotency_key=idempotency_key,
            cashier=actor if getattr(actor, "is_authenticated", False) else None)
        SaleLine.objects.bulk_create([
            SaleLine(sale=sale, dish=line.dish, quantity=line.quantity, unit_price=line.dish.price,
                     amount=to_money(line.dish.price * line.quantity)) for line in cleaned])
        audit.record(actor=actor, action=AuditAction.SALE_CHECKOUT, subject=sale, changes={
            "total": [None, str(sale.total)], "subsidy": [None, str(sale.subsidy)],
            "delivery_subsidy": [None, str(sale.delivery_subsidy)], "self_pay": [None, str(sale.self_pay)],
            "subsidy_class": [None, sale.subsidy_class]})
    return sale


def sale_refund(*, actor, sale: Sale, reason: str) -> Sale:
    """A refund is its own line with every amount negated; the sale itself is never changed."""
    _require_canteen_staff(actor, sale.canteen)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("退款请填写原因。")})
    if sale.is_refund:
        raise IllegalStep(_("退款记录不能再退款。"))
    with transaction.atomic():
        if sale.diner_id:
            diner = Diner.objects.select_for_update().get(pk=sale.diner_id)
        locked = Sale.objects.select_for_update().get(pk=sale.pk)
        if Sale.objects.filter(refund_of=locked).exists():
            raise IllegalStep(_("该笔结算已经退款。"))
        refund = Sale.objects.create(
            canteen=locked.canteen, diner_id=locked.diner_id, date=locked.date, meal=locked.meal, mode=locked.mode,
            subsidy_class=locked.subsidy_class, total=-locked.total, subsidy=-locked.subsidy,
            delivery_subsidy=-locked.delivery_subsidy, self_pay=-locked.self_pay, payment=locked.payment,
            rules=[{"code": "meals.refund", "params": {}}], refund_of=locked, reason=reason[:200],
            cashier=actor if getattr(actor, "is_authenticated", False) else None)
        SaleLine.objects.bulk_create([
            SaleLine(sale=refund, dish_id=line.dish_id, quantity=-line.quantity, unit_price=line.unit_price,
                     amount=-line.amount) for line in locked.lines.all()])
        if locked.payment == PaymentMethod.BALANCE and locked.diner_id:
            diner.balance = to_money(diner.balance + locked.self_pay)
            diner.save(update_fields=["balance"])
        audit.record(actor=actor, action=AuditAction.SALE_REFUND, subject=refund, reason=reason,
                     changes={"refund_of": [None, locked.pk], "total": [None, str(refund.total)]})
    return refund


# ---------------------------------------------------------------------------------------------- claims


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def claim_figures(canteen: Canteen, month: dt.date) -> dict:
    """The month's subsidies at one canteen, net of refunds, recomputed from the sales (reproducible)."""
    first, last = month_bounds(month)
    sales = Sale.objects.filter(canteen=canteen, date__range=(first, last)).filter(
        Q(subsidy__gt=0) | Q(subsidy__lt=0) | Q(delivery_subsidy__gt=0) | Q(delivery_subsidy__lt=0))
    by_class: dict[str, dict] = {}
    meals = 0
    subsidy = delivery = ZERO
    for sale in sales.only("subsidy", "delivery_subsidy", "subsidy_class", "refund_of_id"):
        step = -1 if sale.refund_of_id else 1
        meals += step
        subsidy += sale.subsidy
        delivery += sale.delivery_subsidy
        row = by_class.setdefault(sale.subsidy_class, {"meals": 0, "subsidy": ZERO, "delivery_subsidy": ZERO})
        row["meals"] += step
        row["subsidy"] += sale.subsidy
        row["delivery_subsidy"] += sale.delivery_subsidy
    return {"meals": meals, "subsidy": to_money(subsidy), "delivery_subsidy": to_money(delivery),
            "by_class": {k: {"meals": v["meals"], "subsidy": str(to_money(v["subsidy"])),
                             "delivery_subsidy": str(to_money(v["delivery_subsidy"]))}
                         for k, v in sorted(by_class.items())}}


def claim_submit(*, actor, canteen: Canteen, month: dt.date, today: dt.date | None = None) -> MealClaim:
    """The operator claims a finished month; a returned claim is recomputed and submitted again."""
    _require_canteen_staff(actor, canteen, "meals.claim")
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    if last >= today:
        raise ValidationError({"month": _("只能申报已结束月份的补贴。")})
    figures = claim_figures(canteen, first)
    with transaction.atomic():
        claim = MealClaim.objects.select_for_update().filter(canteen=canteen, month=first).first()
        if claim is not None and claim.status != ClaimStatus.RETURNED:
            raise IllegalStep(_("该月份已申报，状态为“%(status)s”。") % {"status": claim.get_status_display()})
        if claim is None:
            claim = MealClaim(canteen=canteen, month=first)
        claim.meals, claim.subsidy = figures["meals"], figures["subsidy"]
        claim.delivery_subsidy, claim.by_class = figures["delivery_subsidy"], figures["by_class"]
        claim.status, claim.submitted_by = ClaimStatus.SUBMITTED, actor
        claim.reviewed_by, claim.reviewed_at = None, None
        claim.save()
        audit.record(actor=actor, action=AuditAction.CLAIM_SUBMIT, subject=claim, changes={
            "subsidy": [None, str(claim.subsidy)], "delivery_subsidy": [None, str(claim.delivery_subsidy)],
            "meals": [None, claim.meals]})
    return claim


def claim_review(*, actor, claim: MealClaim, approve: bool, note: str = "") -> MealClaim:
    _require(actor, "meals.claims_review")
    require_change(actor, claim)
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("退回申报请填写原因。")})
    with transaction.atomic():
        locked = MealClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ClaimStatus.SUBMITTED:
            raise IllegalStep(_("该申报状态为“%(status)s”，不能再审核。") % {"status": locked.get_status_display()})
        figures = claim_figures(locked.canteen, locked.month)
        if approve and (figures["subsidy"] != locked.subsidy or figures["delivery_subsidy"] != locked.delivery_subsidy):
            raise ValidationError({"claim": _("申报金额与当月结算记录不一致，请退回后由食堂重新申报。")})
        before = locked.status
        locked.status = ClaimStatus.APPROVED if approve else ClaimStatus.RETURNED
        locked.reviewed_by, locked.reviewed_at, locked.review_note = actor, timezone.now(), note[:200]
        locked.save()
        audit.record(actor=actor, action=AuditAction.CLAIM_REVIEW, subject=locked, reason=note,
                     changes={"status": [before, locked.status]})
    return locked


def diner_by_id(pk: int) -> Diner | None:
    """The diner the till already identified (its id carried between the till's steps)."""
    return Diner.objects.select_related("elder", "elder__community").filter(pk=pk).first()



# Bookings and delivery rounds live in `delivery`; other apps reach them here, through the public services.
def booking_create(**kwargs):
    from .delivery import booking_create as create

    return create(**kwargs)


def booking_cancel(**kwargs):
    from .delivery import booking_cancel as cancel

    return cancel(**kwargs)


def round_plan(**kwargs):
    from .delivery import round_plan as plan

    return plan(**kwargs)


def stop_record(**kwargs):
    from .delivery import stop_record as record

    return record(**kwargs)
