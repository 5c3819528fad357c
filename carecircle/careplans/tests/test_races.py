"""A provider's two desks answering one on-demand order at the same moment, through the API in real threads.

Exactly one answer is taken; the other meets the order as the first left it and is refused with 409 and the
actions allowed from there — on SQLite (a file database, as deployed) as on PostgreSQL, never a 500, never
two answers on one offer.
"""
import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from carecircle.careplans import services
from carecircle.careplans.models import OfferOutcome, OrderStatus
from carecircle.core.models import AuditEvent

# Two days ahead in Shanghai: a window on that day is never already over, whatever the hour of the run.
IN_TWO_DAYS = timezone.localdate() + dt.timedelta(days=2)


def _order(policy, users):
    return services.service_order_place(actor=users.elder, elder=policy.elders.a1,
                                        lines=[{"item": "gb-bathing", "quantity": 1}], service_date=IN_TWO_DAYS,
                                        window_start=dt.time(14, 0), window_end=dt.time(16, 0),
                                        expected_self_pay="80.00")


def _post(user, url, body=None, language="zh-hans"):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post(url, body or {}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    return call


def _answers(results):
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    return results


def _audited(order, action):
    return AuditEvent.objects.filter(action=action, subject_id=str(order.pk)).count()


def test_an_order_accepted_twice_at_once_is_accepted_once(policy, users, race):
    order = _order(policy, users)
    url = f"/api/v1/service-orders/{order.pk}/accept/"
    results = _answers(race.run(_post(users.provider_admin, url), _post(users.provider_admin, url)))
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["allowed_actions"] == ["cancel", "complete"]
    assert loser["detail"] == "订单状态为“已接单”，不能再接单或拒单"
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert list(order.offers.values_list("outcome", flat=True)) == [OfferOutcome.ACCEPTED]
    assert _audited(order, "careplans.order_accept") == 1


def test_accepted_while_being_declined_the_decline_is_refused(policy, users, race):
    order = _order(policy, users)
    accepted, declined = _answers(race.run(
        _post(users.provider_admin, f"/api/v1/service-orders/{order.pk}/accept/"),
        _post(users.provider_admin, f"/api/v1/service-orders/{order.pk}/decline/", {"reason": "当天人手已满"},
              language="en"),
        ordered=True))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert declined.status_code == 409, declined.content
    assert declined.json()["allowed_actions"] == ["cancel", "complete"]
    detail = declined.json()["detail"]  # in the reader's language
    assert detail.startswith("The order is “") and detail.endswith("it can no longer be accepted or declined")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and order.organisation == policy.provider
    offer = order.offers.get()
    assert offer.outcome == OfferOutcome.ACCEPTED and offer.reason == ""
    assert (_audited(order, "careplans.order_accept"), _audited(order, "careplans.order_decline")) == (1, 0)


def test_declined_while_being_accepted_the_acceptance_is_refused(policy, users, race):
    order = _order(policy, users)
    declined, accepted = _answers(race.run(
        _post(users.provider_admin, f"/api/v1/service-orders/{order.pk}/decline/", {"reason": "当天人手已满"}),
        _post(users.provider_admin, f"/api/v1/service-orders/{order.pk}/accept/"),
        # The acceptance must have read the order before the decline commits (afterwards the order is no
        # longer this provider's and is not found at all): keep the decline open a full second.
        ordered=True, hold=1.0))
    assert declined.status_code == 200
    assert accepted.status_code == 409, accepted.content
    # Nobody else serves the community: the order waits for the hotline, nothing is left to this provider.
    assert accepted.json()["allowed_actions"] == []
    assert accepted.json()["detail"] == "订单状态为“无机构接单”，不能再接单或拒单"
    order.refresh_from_db()
    assert order.status == OrderStatus.UNASSIGNED and order.organisation is None
    assert list(order.offers.values_list("outcome", flat=True)) == [OfferOutcome.DECLINED]
    assert (_audited(order, "careplans.order_accept"), _audited(order, "careplans.order_decline")) == (0, 1)
