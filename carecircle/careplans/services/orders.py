"""On-demand orders (一键下单): quoted, placed, offered to the providers in turn, answered, cancelled,
completed and rated. The steps follow `models.ORDER_FLOW`; an accepted order's work order is made and
cancelled through the workorders services."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import acts_for
from carecircle.core.money import to_money
from carecircle.core.policy import policy_value
from carecircle.core.roles import is_person
from carecircle.core.workflow import IllegalStep
from carecircle.engines.orders import add_working_hours
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrder

from ..models import ORDER_FLOW, OfferOutcome, OrderChannel, OrderOffer, OrderStatus, ServiceOrder, ServiceOrderLine
from .common import _require, _require_visible, serving_providers

def _channel_for(actor) -> str:
    if is_person(actor):
        return OrderChannel.PORTAL
    if getattr(actor, "role", None) == "operator":
        return OrderChannel.PHONE
    return OrderChannel.COMMUNITY


def _offer_deadline(*, region, now: dt.datetime) -> dt.datetime:
    from carecircle.core.workdays import Calendar

    hours = policy_value("careplans.order.accept_working_hours", region=region, on=timezone.localdate(now))
    office = policy_value("careplans.order.office_hours", region=region, on=timezone.localdate(now))
    calendar = Calendar.load()
    local = timezone.localtime(now)
    return add_working_hours(local, hours, is_working_day=calendar.is_working_day,
                             day_start=dt.time.fromisoformat(office["start"]),
                             day_end=dt.time.fromisoformat(office["end"]))


def _offer_next(order: ServiceOrder, *, now: dt.datetime) -> OrderOffer | None:
    """Offers the order to the next provider serving the community that has not had it yet; with none left
    the order is marked as nobody accepting it."""
    tried = set(order.offers.values_list("organisation_id", flat=True))
    provider = serving_providers(order.elder).exclude(pk__in=tried).first()
    if provider is None:
        order.organisation = None
        order.status = OrderStatus.UNASSIGNED
        order.save(update_fields=["organisation", "status", "updated_at"])
        audit.record(actor=None, action="careplans.order_unassigned", subject=order,
                     changes={"tried": sorted(tried)})
        return None
    offer = OrderOffer.objects.create(order=order, organisation=provider, offered_at=now,
                                      deadline=_offer_deadline(region=order.elder.community, now=now))
    order.organisation = provider
    order.status = OrderStatus.OFFERED
    order.save(update_fields=["organisation", "status", "updated_at"])
    audit.record(actor=None, action="careplans.order_offer", subject=order,
                 changes={"organisation": provider.pk, "deadline": offer.deadline})
    return offer


def _clean_order_lines(lines) -> list[tuple[str, Decimal]]:
    result = []
    for entry in lines or []:
        if isinstance(entry, dict):
            code, quantity = entry.get("item") or entry.get("code"), entry.get("quantity", 1)
        else:
            code, quantity = entry
        result.append((str(code or "").strip(), quantity))
    if not result:
        raise ValidationError({"lines": [_("请至少选择一个服务项目")]})
    return result


# Orders that hold a share of the month's subsidy budget: waiting for, taken by or served by a provider.
SUBSIDY_HOLDING_STATUSES = (OrderStatus.OFFERED, OrderStatus.ACCEPTED, OrderStatus.DONE)


def subsidy_used_in_month(*, elder, service_date: dt.date) -> Decimal:
    """The government-purchase subsidy this elder's live orders already take in the service date's month."""
    used = ServiceOrder.objects.filter(
        elder=elder, status__in=SUBSIDY_HOLDING_STATUSES,
        service_date__year=service_date.year, service_date__month=service_date.month,
    ).aggregate(total=Sum("subsidy"))["total"]
    return to_money(used or 0)


def order_quote(*, elder, lines, service_date: dt.date):
    """The price and who pays, as the person sees it before confirming (on-demand: no fund). The monthly
    subsidy budget is what is left after the elder's other live orders of that month."""
    from carecircle.catalog.services import quote

    return quote(elder=elder, on=service_date, lines=_clean_order_lines(lines), basis="order",
                 subsidy_used=subsidy_used_in_month(elder=elder, service_date=service_date))


def quote_dict(priced) -> dict:
    """A quote as plain values (stored on the order, shown on pages)."""
    return {"lines": [{"item": line.item_code, "name": line.item_name, "quantity": str(line.quantity),
                       "unit_price": str(line.unit_price), "amount": str(line.amount), "fund": str(line.fund),
                       "subsidy": str(line.subsidy), "self_pay": str(line.self_pay), "rules": line.rules,
                       "rule_records": line.rule_records}
                      for line in priced.lines],
            "total": priced.total, "fund": priced.fund, "subsidy": priced.subsidy, "self_pay": priced.self_pay}


def _check_order_time(*, elder, service_date, window_start, window_end, now) -> None:
    errors = {}
    today = timezone.localtime(now).date()
    if not isinstance(service_date, dt.date):
        raise ValidationError({"service_date": [_("请填写服务日期")]})
    ahead = policy_value("careplans.order.max_days_ahead", region=elder.community, on=today)
    if service_date < today:
        errors["service_date"] = [_("服务日期 %(d)s 已经过去") % {"d": service_date.isoformat()}]
    elif service_date > today + dt.timedelta(days=ahead):
        errors["service_date"] = [_("最多只能预约 %(n)d 天以内的服务") % {"n": ahead}]
    if not isinstance(window_start, dt.time) or not isinstance(window_end, dt.time):
        errors["window_start"] = [_("请选择服务时段")]
    elif window_end <= window_start:
        errors["window_end"] = [_("时段结束必须晚于开始")]
    elif service_date == today and window_end <= timezone.localtime(now).time():
        errors["window_start"] = [_("今天的这个时段已经过去，请选择更晚的时段或其他日期")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def service_order_place(*, actor, elder, lines, service_date: dt.date, window_start: dt.time, window_end: dt.time,
                        expected_self_pay, note: str = "", channel: str | None = None, package=None,
                        now: dt.datetime | None = None) -> ServiceOrder:
    """一键下单: the order is priced again and must match the self-pay the person saw and confirmed; it is
    offered to the first provider serving the elder's community."""
    _require(actor, "orders.place")
    _require_visible(actor, elder)
    now = now or timezone.now()
    # One order at a time per elder, so two orders placed at once cannot both spend the same budget.
    elder = type(elder).objects.select_for_update().get(pk=elder.pk)
    if elder.status != "active":
        raise ValidationError(_("老人档案状态为“%(s)s”，不能下单") % {"s": elder.get_status_display()})
    _check_order_time(elder=elder, service_date=service_date, window_start=window_start, window_end=window_end,
                      now=now)
    priced = order_quote(elder=elder, lines=lines, service_date=service_date)
    try:
        expected = to_money(str(expected_self_pay))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({"expected_self_pay": [_("请先查看价格并确认个人自付金额")]})
    if expected != priced.self_pay:
        raise ValidationError({"expected_self_pay": [
            _("价格已变化：个人自付现为 %(now)s 元（您确认的是 %(seen)s 元），请重新确认")
            % {"now": priced.self_pay, "seen": expected}]})
    if not serving_providers(elder).exists():
        raise ValidationError(_("%(community)s 目前没有签约服务机构，暂时不能下单，请联系居委或热线")
                              % {"community": elder.community.name})
    if package is None:
        from carecircle.catalog.models import ServicePackage

        package = ServicePackage.objects.filter(code__in=[line.item_code for line in priced.lines if line.is_package]
                                                ).first()
    channel = channel or _channel_for(actor)
    if channel not in OrderChannel.values:
        raise ValidationError({"channel": [_("下单渠道无效")]})
    order = ServiceOrder.objects.create(
        elder=elder, channel=channel, service_date=service_date, window_start=window_start, window_end=window_end,
        total=priced.total, fund=priced.fund, subsidy=priced.subsidy, self_pay=priced.self_pay,
        quote_lines=quote_dict(priced)["lines"],
        note=(note or "").strip()[:200], ordered_by=actor, package=package)
    from carecircle.catalog.models import ServiceItem

    items = {item.code: item for item in ServiceItem.objects.filter(code__in=[line.item_code for line in priced.lines])}
    ServiceOrderLine.objects.bulk_create([ServiceOrderLine(order=order, item=items[line.item_code],
                                                           quantity=line.quantity)
                                          for line in priced.lines if line.item_code in items])
    audit.record(actor=actor, action="careplans.order_place", subject=order,
                 changes={"lines": order.quote_lines, "total": order.total, "self_pay": order.self_pay,
                          "service_date": service_date, "channel": channel})
    _offer_next(order, now=now)
    return order


def _pending_offer(order: ServiceOrder, actor, action: str) -> OrderOffer:
    """The offer the actor's provider answers now (accept or decline)."""
    message = _("订单状态为“%(s)s”，不能再接单或拒单") % {"s": order.get_status_display()}
    offer = order.offers.filter(outcome=OfferOutcome.PENDING).select_for_update().first()
    if offer is None or order.status != OrderStatus.OFFERED:
        raise IllegalStep(message, allowed=ORDER_FLOW.allowed_actions(order, actor))
    if actor is not None and not acts_for(actor, offer):
        raise PermissionDenied(_("这张订单不是派给本机构的。"))
    ORDER_FLOW.check(order, actor, action, message=message)
    return offer


def service_order_accept(*, actor, order: ServiceOrder, now: dt.datetime | None = None) -> ServiceOrder:
    _require(actor, "orders.answer")
    _require_visible(actor, order)  # the order as the caller read it; its state under the lock
    with transaction.atomic():
        now = now or timezone.now()
        order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        offer = _pending_offer(order, actor, "accept")
        if now > offer.deadline:
            raise IllegalStep(_("答复期限 %(d)s 已过，订单将转给下一家机构")
                              % {"d": timezone.localtime(offer.deadline).strftime("%Y-%m-%d %H:%M")}, allowed=[])
        offer.outcome, offer.responded_at = OfferOutcome.ACCEPTED, now
        offer.save(update_fields=["outcome", "responded_at"])
        order.status = OrderStatus.ACCEPTED
        order.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, action="careplans.order_accept", subject=order,
                     changes={"status": [OrderStatus.OFFERED, OrderStatus.ACCEPTED]})
        if order.service_date <= timezone.localtime(now).date() + dt.timedelta(days=1):
            # Tomorrow's (or today's) work orders are already generated: add this one now.
            transaction.on_commit(lambda: work_orders.work_order_for_order(actor=actor, order=order))
        return order


def service_order_decline(*, actor, order: ServiceOrder, reason: str, now: dt.datetime | None = None) -> ServiceOrder:
    _require(actor, "orders.answer")
    _require_visible(actor, order)  # the order as the caller read it; its state under the lock
    with transaction.atomic():
        now = now or timezone.now()
        reason = (reason or "").strip()
        if len(reason) < 2:
            raise ValidationError({"reason": [_("请说明拒单原因（如：当天人手已满）")]})
        order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        offer = _pending_offer(order, actor, "decline")
        offer.outcome, offer.responded_at, offer.reason = OfferOutcome.DECLINED, now, reason[:200]
        offer.save(update_fields=["outcome", "responded_at", "reason"])
        audit.record(actor=actor, action="careplans.order_decline", subject=order, reason=reason,
                     changes={"organisation": offer.organisation_id})
        _offer_next(order, now=now)
        return order


@transaction.atomic
def order_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Offers past their deadline are marked expired and their orders pass to the next provider."""
    now = now or timezone.now()
    expired = 0
    for offer in (OrderOffer.objects.select_for_update().filter(outcome=OfferOutcome.PENDING, deadline__lt=now)
                  .select_related("order__elder__community").order_by("deadline", "pk")):
        offer.outcome, offer.responded_at = OfferOutcome.EXPIRED, now
        offer.save(update_fields=["outcome", "responded_at"])
        audit.record(actor=None, action="careplans.order_offer_expired", subject=offer.order,
                     changes={"organisation": offer.organisation_id, "deadline": offer.deadline})
        if offer.order.status == OrderStatus.OFFERED:
            _offer_next(offer.order, now=now)
        expired += 1
    return expired


def _order_cancel(*, order: ServiceOrder, actor, reason: str) -> None:
    order.status, order.cancel_reason = OrderStatus.CANCELLED, reason[:200]
    order.save(update_fields=["status", "cancel_reason", "updated_at"])
    order.offers.filter(outcome=OfferOutcome.PENDING).update(outcome=OfferOutcome.WITHDRAWN,
                                                             responded_at=timezone.now())
    work_orders.work_orders_cancel(actor=actor, work_orders=WorkOrder.objects.filter(order=order), reason=reason)
    audit.record(actor=actor, action="careplans.order_cancel", subject=order, reason=reason,
                 changes={"status": [None, OrderStatus.CANCELLED]})


def service_order_cancel(*, actor, order: ServiceOrder, reason: str = "",
                         now: dt.datetime | None = None) -> ServiceOrder:
    """Before acceptance anyone who may place orders for the elder cancels freely; after acceptance the
    orderer may cancel until the policy's notice before the window, the provider at any time with a reason."""
    _require_visible(actor, order)  # the order as the caller read it; its state under the lock
    with transaction.atomic():
        now = now or timezone.now()
        order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        if order.status not in ORDER_FLOW.by_action["cancel"].source:
            raise IllegalStep(_("订单状态为“%(s)s”，不能取消") % {"s": order.get_status_display()},
                              allowed=ORDER_FLOW.allowed_actions(order, actor))
        reason = (reason or "").strip()
        is_provider = acts_for(actor, order)
        if is_provider:
            _require(actor, "orders.answer")
            if order.status == OrderStatus.OFFERED:
                raise IllegalStep(_("尚未接单的订单请用“拒单”"), allowed=ORDER_FLOW.allowed_actions(order, actor))
            if len(reason) < 2:
                raise ValidationError({"reason": [_("机构取消已接订单须说明原因")]})
        else:
            _require(actor, "orders.place")
            if order.status == OrderStatus.ACCEPTED:
                hours = policy_value("careplans.order.free_cancel_hours", region=order.elder.community,
                                     on=timezone.localtime(now).date())
                starts = timezone.make_aware(dt.datetime.combine(order.service_date, order.window_start))
                if now > starts - dt.timedelta(hours=hours):
                    raise IllegalStep(
                        _("服务开始前 %(h)d 小时内不能自行取消，请联系%(org)s或拨打热线")
                        % {"h": hours, "org": order.organisation.name if order.organisation else _("服务机构")},
                        allowed=[])
        ORDER_FLOW.check(order, actor, "cancel")
        _order_cancel(order=order, actor=actor, reason=reason or _("下单人取消"))
        return order


def service_order_complete(*, actor, order: ServiceOrder) -> ServiceOrder:
    _require(actor, "orders.answer")
    _require_visible(actor, order)  # the order as the caller read it; its state under the lock
    with transaction.atomic():
        order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        ORDER_FLOW.check(order, actor, "complete",
                         message=_("订单状态为“%(s)s”，不能标记完成") % {"s": order.get_status_display()})
        if order.service_date > timezone.localdate():
            raise ValidationError(_("服务日期 %(d)s 还没到，不能标记完成") % {"d": order.service_date.isoformat()})
        order.status = OrderStatus.DONE
        order.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, action="careplans.order_complete", subject=order,
                     changes={"status": [OrderStatus.ACCEPTED, OrderStatus.DONE]})
        return order


def service_order_rate(*, actor, order: ServiceOrder, stars, comment: str = "") -> ServiceOrder:
    _require(actor, "orders.place")
    _require_visible(actor, order)  # the order as the caller read it; its state under the lock
    with transaction.atomic():
        order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
        ORDER_FLOW.check(order, actor, "rate", message=_("服务完成后才能评价") if order.status != OrderStatus.DONE
                         else _("这张订单已经评价过了"))
        try:
            stars = int(stars)
            if not 1 <= stars <= 5:
                raise ValueError
        except (TypeError, ValueError):
            raise ValidationError({"stars": [_("评价请选择 1 到 5 颗星")]})
        days = policy_value("careplans.order.rating_days", region=order.elder.community, on=timezone.localdate())
        if (timezone.localdate() - timezone.localtime(order.updated_at).date()).days > days:
            raise IllegalStep(_("完成超过 %(n)d 天的订单不能再评价") % {"n": days}, allowed=[])
        order.rating, order.rating_comment, order.rated_at = stars, (comment or "").strip()[:300], timezone.now()
        order.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
        audit.record(actor=actor, action="careplans.order_rate", subject=order,
                     changes={"rating": stars, "comment": order.rating_comment})
        return order
