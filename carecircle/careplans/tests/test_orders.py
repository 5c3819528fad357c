"""On-demand orders: price and payer before confirming, answer deadlines, passing on, cancellation, rating."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.careplans import services
from carecircle.careplans.models import OfferOutcome, OrderStatus
from carecircle.core.models import AuditEvent
from carecircle.core.workflow import IllegalStep
from carecircle.providers.models import ServiceArea
from carecircle.workorders import services as work_orders
from carecircle.workorders.models import WorkOrder

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # Monday morning, office hours 08:30–17:30
TOMORROW = dt.date(2026, 11, 24)
BATH = [{"item": "gb-bathing", "quantity": 1}]


def place(users, elder, *, actor=None, lines=BATH, expected="80.00", now=NOW, day=TOMORROW):
    return services.service_order_place(actor=actor or users.elder, elder=elder, lines=lines, service_date=day,
                                        window_start=dt.time(14, 0), window_end=dt.time(16, 0),
                                        expected_self_pay=expected, now=now)


def test_family_sees_price_and_payer_first_then_orders_and_the_provider_accepts(policy, users):
    elder = policy.elders.a1
    priced = services.order_quote(elder=elder, lines=BATH, service_date=TOMORROW)
    assert (priced.total, priced.fund, priced.subsidy, priced.self_pay) == (
        Decimal("80.00"), Decimal("0.00"), Decimal("0.00"), Decimal("80.00"))
    order = place(users, elder)
    assert order.status == OrderStatus.OFFERED and order.organisation == policy.provider
    assert order.self_pay == Decimal("80.00") and order.quote_lines[0]["rules"]
    offer = order.offers.get()
    assert offer.deadline == dt.datetime(2026, 11, 23, 11, 0, tzinfo=SH)  # two working hours
    services.service_order_accept(actor=users.provider_admin, order=order, now=NOW + dt.timedelta(hours=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert AuditEvent.objects.filter(action="careplans.order_accept", subject_id=str(order.pk)).exists()


def test_a_subsidised_elder_sees_the_subsidy(policy, users):
    elder = policy.elders.a1
    elder.economic_category = "min_living"
    elder.save()
    priced = services.order_quote(elder=elder, lines=BATH, service_date=TOMORROW)
    assert priced.subsidy == Decimal("80.00") and priced.self_pay == Decimal("0.00")
    order = place(users, elder, expected="0.00")
    assert order.subsidy == Decimal("80.00")


def test_the_order_is_refused_when_the_price_changed_since_the_person_saw_it(policy, users):
    with pytest.raises(ValidationError, match="个人自付现为 80.00 元（您确认的是 60.00 元）"):
        place(users, policy.elders.a1, expected="60.00")
    with pytest.raises(ValidationError, match="请先查看价格"):
        place(users, policy.elders.a1, expected="abc")


@pytest.mark.parametrize("day, start, end, message", [
    (dt.date(2026, 11, 22), dt.time(9), dt.time(10), "已经过去"),
    (dt.date(2026, 12, 31), dt.time(9), dt.time(10), "最多只能预约 14 天以内"),
    (TOMORROW, dt.time(10), dt.time(9), "时段结束必须晚于开始"),
    (dt.date(2026, 11, 23), dt.time(7), dt.time(8), "今天的这个时段已经过去"),
])
def test_bad_dates_and_windows_are_named(policy, users, day, start, end, message):
    with pytest.raises(ValidationError, match=message):
        services.service_order_place(actor=users.elder, elder=policy.elders.a1, lines=BATH, service_date=day,
                                     window_start=start, window_end=end, expected_self_pay="80.00", now=NOW)


def test_no_order_for_someone_elses_elder_or_an_unknown_item(policy, users):
    with pytest.raises(PermissionDenied):
        place(users, policy.elders.a2)  # the elder account is linked to A1 only
    with pytest.raises(ValidationError, match="no-such"):
        place(users, policy.elders.a1, lines=[{"item": "no-such", "quantity": 1}])
    with pytest.raises(ValidationError, match="至少"):
        place(users, policy.elders.a1, lines=[])


def test_an_order_nobody_accepts(policy, users):
    elder = policy.elders.a1
    ServiceArea.objects.create(organisation=policy.other_provider, community=policy.a1)
    order = place(users, elder)
    first = order.offers.get()
    # 康乐护理站 sorts after 福寿居家养老服务社? Names are ordered; whichever is first declines.
    from carecircle.accounts.models import User

    answerer = User.objects.filter(organisation=first.organisation, role="provider_admin").first() or \
        User.objects.create_user(username="p2", password="x-Test-2026", role="provider_admin",
                                 organisation=first.organisation)
    services.service_order_decline(actor=answerer, order=order, reason="当天人手已满", now=NOW)
    order.refresh_from_db()
    second = order.offers.get(outcome=OfferOutcome.PENDING)
    assert second.organisation != first.organisation and order.organisation == second.organisation
    # The second provider lets the deadline pass.
    assert services.order_offers_expire(now=second.deadline - dt.timedelta(minutes=1)) == 0
    assert services.order_offers_expire(now=second.deadline + dt.timedelta(minutes=1)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.UNASSIGNED and order.organisation is None
    assert list(order.offers.values_list("outcome", flat=True)) == [OfferOutcome.DECLINED, OfferOutcome.EXPIRED]
    assert AuditEvent.objects.filter(action="careplans.order_unassigned", subject_id=str(order.pk)).exists()
    # The hotline and the community see it among the orders nobody took; the providers no longer do.
    from carecircle.careplans.selectors import order_list

    assert list(order_list(users.operator, status="unassigned")) == [order]
    assert list(order_list(users.community_worker, status="unassigned")) == [order]
    assert not order_list(users.provider_admin).exists()
    with pytest.raises(PermissionDenied):
        services.service_order_accept(actor=users.provider_admin, order=order, now=NOW)


def test_an_answer_after_the_deadline_is_refused_and_decline_needs_a_reason(policy, users):
    order = place(users, policy.elders.a1)
    with pytest.raises(ValidationError, match="拒单原因"):
        services.service_order_decline(actor=users.provider_admin, order=order, reason="", now=NOW)
    with pytest.raises(IllegalStep, match="答复期限"):
        services.service_order_accept(actor=users.provider_admin, order=order, now=NOW + dt.timedelta(hours=3))
    with pytest.raises(PermissionDenied):
        services.service_order_accept(actor=users.elder, order=order, now=NOW)


def test_an_evening_order_counts_its_deadline_from_the_next_working_morning(policy, users):
    friday_evening = dt.datetime(2026, 11, 27, 20, 0, tzinfo=SH)
    order = place(users, policy.elders.a1, now=friday_evening, day=dt.date(2026, 11, 30))
    assert order.offers.get().deadline == dt.datetime(2026, 11, 30, 10, 30, tzinfo=SH)


def test_cancellation_rules(policy, users):
    elder = policy.elders.a1
    order = place(users, elder)
    services.service_order_cancel(actor=users.elder, order=order, now=NOW)  # before acceptance: free
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.offers.get().outcome == OfferOutcome.WITHDRAWN
    with pytest.raises(IllegalStep):
        services.service_order_cancel(actor=users.elder, order=order, now=NOW)

    order = place(users, elder)
    services.service_order_accept(actor=users.provider_admin, order=order, now=NOW)
    late = dt.datetime(2026, 11, 24, 11, 0, tzinfo=SH)  # three hours before 14:00, notice is four
    with pytest.raises(IllegalStep, match="服务开始前 4 小时内不能自行取消"):
        services.service_order_cancel(actor=users.elder, order=order, now=late)
    with pytest.raises(ValidationError, match="说明原因"):
        services.service_order_cancel(actor=users.provider_admin, order=order, now=late)
    services.service_order_cancel(actor=users.provider_admin, order=order, reason="护理员生病", now=late)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "护理员生病"


def test_accepting_an_order_for_tomorrow_writes_its_work_order_with_an_audit_event(policy, users,
                                                                                  django_capture_on_commit_callbacks):
    order = place(users, policy.elders.a1)
    with django_capture_on_commit_callbacks(execute=True):
        services.service_order_accept(actor=users.provider_admin, order=order, now=NOW)
    work = WorkOrder.objects.get(order=order)
    event = AuditEvent.objects.get(action="workorders.work_order_from_order")
    assert event.actor == users.provider_admin and event.subject_id == str(work.pk)

def test_accepted_order_becomes_a_work_order_and_can_be_rated_after_completion(policy, users):
    elder = policy.elders.a1
    order = place(users, elder, day=dt.date(2026, 11, 23), now=NOW)
    services.service_order_accept(actor=users.provider_admin, order=order, now=NOW)
    summary = work_orders.work_orders_generate(date=dt.date(2026, 11, 23))
    work = WorkOrder.objects.get(order=order)
    assert summary["from_orders"] == 1 and work.source == "order" and work.duration_minutes == 60
    assert [line.item.code for line in work.lines.all()] == ["gb-bathing"]
    with pytest.raises(IllegalStep, match="服务完成后"):
        services.service_order_rate(actor=users.elder, order=order, stars=5)
    services.service_order_complete(actor=users.provider_admin, order=order)
    with pytest.raises(ValidationError, match="1 到 5"):
        services.service_order_rate(actor=users.elder, order=order, stars=7)
    services.service_order_rate(actor=users.elder, order=order, stars=5, comment="很细心")
    order.refresh_from_db()
    assert order.rating == 5
    with pytest.raises(IllegalStep, match="已经评价"):
        services.service_order_rate(actor=users.elder, order=order, stars=4)


def test_a_future_order_cannot_be_completed(policy, users):
    # Completing compares with the real today, so the order is placed on the next Monday morning after it
    # (office hours, whenever this runs) for the Thursday of that week.
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    now = dt.datetime.combine(monday, dt.time(9, 0), tzinfo=SH)
    order = place(users, policy.elders.a1, day=monday + dt.timedelta(days=3), now=now)
    services.service_order_accept(actor=users.provider_admin, order=order, now=now)
    with pytest.raises(ValidationError, match="还没到"):
        services.service_order_complete(actor=users.provider_admin, order=order)


def test_the_answer_deadline_follows_the_policy_value_in_force_on_the_day(policy, users):
    from carecircle.core.services import policy_parameter_set

    policy_parameter_set(actor=users.district_admin, key="careplans.order.accept_working_hours",
                         region=policy.district, value=4, effective_from=dt.date(2026, 11, 25),
                         source="区民政局通知（测试）", confidence="official", reason="延长答复时限")
    before = place(users, policy.elders.a1)  # Monday 23 November: two working hours
    assert before.offers.get().deadline == dt.datetime(2026, 11, 23, 11, 0, tzinfo=SH)
    wednesday = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SH)
    after = place(users, policy.elders.a1, now=wednesday, day=dt.date(2026, 11, 26))
    assert after.offers.get().deadline == dt.datetime(2026, 11, 25, 13, 0, tzinfo=SH)


def test_a_package_can_be_ordered_and_is_recorded_on_the_order(policy, users):
    order = place(users, policy.elders.a1, lines=[{"item": "pkg-six-help", "quantity": 1}], expected="300.00")
    assert order.package.code == "pkg-six-help" and order.total == order.fund + order.subsidy + order.self_pay


def test_the_monthly_subsidy_budget_is_shared_by_the_months_orders(policy, users):
    """400 yuan a month for a 低保 elder: five 80-yuan baths use it up, the sixth is self-paid; a
    cancelled order gives its share back; the next month starts afresh."""
    elder = policy.elders.a1
    elder.economic_category = "min_living"
    elder.save()
    orders = [place(users, elder, expected="0.00", day=dt.date(2026, 11, 24 + i)) for i in range(5)]
    assert services.subsidy_used_in_month(elder=elder, service_date=TOMORROW) == Decimal("400.00")
    sixth = services.order_quote(elder=elder, lines=BATH, service_date=dt.date(2026, 11, 30))
    assert (sixth.subsidy, sixth.self_pay) == (Decimal("0.00"), Decimal("80.00"))
    with pytest.raises(ValidationError, match="个人自付现为 80.00 元"):
        place(users, elder, expected="0.00", day=dt.date(2026, 11, 30))

    services.service_order_cancel(actor=users.elder, order=orders[0], reason="改期", now=NOW)
    again = services.order_quote(elder=elder, lines=BATH, service_date=dt.date(2026, 11, 30))
    assert (again.subsidy, again.self_pay) == (Decimal("80.00"), Decimal("0.00"))
    december = services.order_quote(elder=elder, lines=BATH, service_date=dt.date(2026, 12, 1))
    assert december.subsidy == Decimal("80.00")


def test_a_stored_order_explains_its_price_in_a_later_readers_language(policy, users):
    from django.utils import translation

    with translation.override("zh-hans"):
        order = place(users, policy.elders.a1)
    stored = order.quote_lines[0]
    assert stored["rule_records"] and all("code" in record for record in stored["rule_records"])
    with translation.override("en"):
        shown = order.quote_lines_shown[0]["rules"]
    assert len(shown) == len(stored["rules"])
    assert not any("元" in rule for rule in shown) and any("yuan" in rule for rule in shown)
    # An order stored before the rules were kept as code and values shows them as stored.
    order.quote_lines = [{k: v for k, v in line.items() if k != "rule_records"} for line in order.quote_lines]
    assert order.quote_lines_shown[0]["rules"] == stored["rules"]
