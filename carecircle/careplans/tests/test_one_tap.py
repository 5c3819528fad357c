"""One-tap ordering from an elder's home page: the common services as big buttons, each leading straight to
the price of that service for tomorrow morning, to confirm."""
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from carecircle.careplans import selectors
from carecircle.careplans.models import ServiceOrder, ServiceOrderLine


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_home_page_offers_the_common_services_as_buttons(policy, users):
    elder = policy.elders.a1
    body = client_for(users.elder).get("/").content.decode()
    assert f'data-quick-order="{elder.pk}"' in body
    services = selectors.common_services(users.elder, elder)
    assert 1 <= len(services) <= 6
    for code, name in services:
        assert f"/careplans/elders/{elder.pk}/order/?item={code}" in body and name in body
    # Only the elder the account is linked to.
    assert f'data-quick-order="{policy.elders.a2.pk}"' not in body


def test_what_the_elder_ordered_most_comes_first(policy, users):
    from carecircle.catalog.models import ServiceItem

    elder, other = policy.elders.a1, policy.elders.a2
    usual = selectors.common_services(users.elder, elder)
    assert len(usual) > 1
    favourite = usual[-1][0]

    def ordered(who, code):
        order = ServiceOrder.objects.create(elder=who, channel="portal", service_date=timezone.localdate(),
                                            window_start=dt.time(8), window_end=dt.time(12), total=0, fund=0,
                                            subsidy=0, self_pay=0)
        ServiceOrderLine.objects.create(order=order, item=ServiceItem.objects.get(code=code), quantity=1)

    ordered(other, favourite)  # another elder's orders do not change this elder's buttons
    assert selectors.common_services(users.elder, elder) == usual
    ordered(elder, favourite)
    assert selectors.common_services(users.elder, elder)[0][0] == favourite


def test_one_tap_opens_the_price_of_tomorrow_morning_ready_to_confirm(policy, users):
    elder = policy.elders.a1
    client = client_for(users.elder)
    response = client.get(f"/careplans/elders/{elder.pk}/order/", {"item": "gb-bathing"})
    page = response.content.decode()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert response.status_code == 200
    assert "第 2 步（共 3 步）" in page and "您需要自己付：80.00 元" in page and tomorrow in page
    assert 'value="gb-bathing"' in page and 'value="confirm"' in page
    assert not ServiceOrder.objects.exists()  # nothing is ordered before the person confirms
    done = client.post(f"/careplans/elders/{elder.pk}/order/", {"item": "gb-bathing", "service_date": tomorrow,
                                                                "window": "morning", "step": "confirm",
                                                                "expected_self_pay": "80.00"})
    assert done.status_code == 302 and ServiceOrder.objects.count() == 1


@pytest.mark.parametrize("item", ["", "no-such-service", "<script>"])
def test_an_unknown_service_answers_400_on_the_first_step(policy, users, item):
    response = client_for(users.elder).get(f"/careplans/elders/{policy.elders.a1.pk}/order/", {"item": item})
    assert response.status_code == 400
    page = response.content.decode()
    assert "第 1 步（共 3 步）" in page and "<script>" not in page.split("</head>")[1].split("<footer")[0] \
        .replace('<script src', '')


def test_one_tap_for_an_elder_out_of_reach_is_404(policy, users):
    assert client_for(users.elder).get(f"/careplans/elders/{policy.elders.b1.pk}/order/",
                                       {"item": "gb-bathing"}).status_code == 404


def test_staff_have_no_quick_order_block(policy, users):
    body = client_for(users.street_staff).get("/").content.decode()
    assert "data-quick-order" not in body
