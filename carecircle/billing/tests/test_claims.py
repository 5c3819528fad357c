"""A claim from draft to paid through the pages and the API: rejection with a reason, correction, resubmission,
adjustment, approval, payments and the reconciliation; isolation between providers; bad input and illegal steps."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from carecircle.billing.models import Claim, ClaimLine, Payment
from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals

from .conftest import settle

pytestmark = pytest.mark.usefixtures("today_after_november")


@pytest.fixture
def month(district, priced):
    for elder, level in ((district.elders.a1, 4), (district.elders.a2, 5)):
        priced.level(elder, level)
        for day in (3, 4, 5):
            priced.visit(elder, dt.date(2026, 11, day))
    priced.level(district.elders.b1, 3)
    priced.visit(district.elders.b1, dt.date(2026, 11, 3), organisation=district.other_provider)
    return settle(district)


def claim_of(district):
    return Claim.objects.get(organisation=district.provider)


def test_the_whole_way_from_draft_to_paid_through_the_pages(district, users, month, client):
    claim = claim_of(district)
    assert (claim.status, claim.total, claim.lines_count) == ("draft", Decimal("270.00"), 6)
    client.force_login(users.provider_admin)
    page = client.get(reverse("billing:claim", args=[claim.pk]))
    assert page.status_code == 200
    assert_no_internals(page.content.decode(), where="claim")
    assert "90%" in page.content.decode()  # the fund share and the rule behind it
    assert client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "submit"}).status_code == 302

    client.force_login(users.district_admin)
    line = ClaimLine.objects.filter(claim=claim).order_by("id").first()
    refused = client.post(reverse("billing:line-reject", args=[claim.pk, line.pk]), {"reason": ""})
    assert refused.status_code == 400 and "驳回原因" in refused.content.decode()
    assert client.post(reverse("billing:line-reject", args=[claim.pk, line.pk]),
                       {"reason": "签退照片与老人住址不符"}).status_code == 302
    client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "review"})
    claim.refresh_from_db()
    assert (claim.status, claim.total, claim.rejected_count) == ("returned", Decimal("225.00"), 1)

    client.force_login(users.provider_admin)
    too_many = client.post(reverse("billing:line-correct", args=[claim.pk, line.pk]), {"quantity": "2", "note": "x"})
    assert too_many.status_code == 400
    assert client.post(reverse("billing:line-correct", args=[claim.pk, line.pk]),
                       {"quantity": "0.5", "note": "实际服务半小时"}).status_code == 302
    correction = ClaimLine.objects.get(replaces=line)
    # 45.00 × 0.5 = 22.50; fund 90 % = 20.25; self-pay 2.25.
    assert (correction.amount, correction.fund, correction.self_pay) == (Decimal("22.50"), Decimal("20.25"),
                                                                         Decimal("2.25"))
    client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "submit"})

    client.force_login(users.district_admin)
    client.post(reverse("billing:claim-adjust", args=[claim.pk]),
                {"payer": "fund", "amount": "-10.25", "reason": "上月多结算一次"})
    client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "review"})
    claim.refresh_from_db()
    assert (claim.status, claim.total, claim.fund) == ("reviewed", Decimal("237.25"), Decimal("212.50"))
    client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "approve"})
    response = client.post(reverse("billing:claim-payment", args=[claim.pk]),
                           {"payer": "fund", "amount": "212.00", "received_on": "2026-12-05", "reference": "F-001"})
    assert response.status_code == 302
    duplicate = client.post(reverse("billing:claim-payment", args=[claim.pk]),
                            {"payer": "fund", "amount": "0.75", "received_on": "2026-12-05", "reference": "F-001"})
    assert duplicate.status_code == 400 and Payment.objects.count() == 1
    reconciliation = client.get(reverse("billing:reconciliation") + "?only=differences")
    assert "-0.50" in reconciliation.content.decode()
    client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "pay"})
    claim.refresh_from_db()
    assert claim.status == "paid"
    assert AuditEvent.objects.filter(action__startswith="billing.").count() >= 8


def test_illegal_steps_are_409_and_change_nothing(district, users, month, client, api_as):
    claim = claim_of(district)
    client.force_login(users.district_admin)
    response = client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "approve"})
    assert response.status_code == 409
    client.force_login(users.provider_admin)
    assert client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "approve"}).status_code == 409
    assert client.post(reverse("billing:claim-step", args=[claim.pk]), {"action": "nonsense"}).status_code == 400
    claim.refresh_from_db()
    assert claim.status == "draft"


def test_a_provider_sees_only_its_own_claims(district, users, month, client, api_as):
    other = Claim.objects.get(organisation=district.other_provider)
    client.force_login(users.provider_admin)
    assert client.get(reverse("billing:claim", args=[other.pk])).status_code == 404
    assert client.post(reverse("billing:claim-step", args=[other.pk]), {"action": "submit"}).status_code == 404
    listing = api_as(users.provider_admin).get("/api/v1/settlements/?month=2026-11").json()
    assert [row["organisation"] for row in listing["results"]] == [district.provider.pk]
    assert api_as(users.provider_admin).get(f"/api/v1/settlements/{other.pk}/lines/").status_code == 404
    assert api_as(users.caregiver).get("/api/v1/settlements/").status_code == 403


def test_the_api_lists_claims_and_lines_with_decimal_strings_that_add_up(district, users, month, api_as):
    client = api_as(users.district_admin)
    claims = client.get("/api/v1/settlements/?month=2026-11").json()["results"]
    assert {c["programme"] for c in claims} == {"ltci"}
    for claim in claims:
        assert Decimal(claim["total"]) == sum(Decimal(claim[k]) for k in ("fund", "subsidy", "self_pay"))
        lines = client.get(f"/api/v1/settlements/{claim['id']}/lines/").json()["results"]
        assert sum(Decimal(line["amount"]) for line in lines) == Decimal(claim["total"])
        for line in lines:
            assert line["work_order"] and line["amount"].count(".") == 1 and len(line["amount"].split(".")[1]) == 2
            assert Decimal(line["amount"]) == sum(Decimal(line[k]) for k in ("fund", "subsidy", "self_pay"))
            assert line["rules"]
    assert client.get("/api/v1/settlements/?month=2026-13").status_code == 400
    assert client.get("/api/v1/settlements/?month=").status_code == 200


def test_the_month_pages_close_reopen_and_explain(district, users, priced, client):
    priced.level(district.elders.a1, 4)
    priced.visit(district.elders.a1, dt.date(2026, 11, 3))
    priced.visit(district.elders.a1, dt.date(2026, 11, 4), status="held")
    client.force_login(users.district_admin)
    assert client.post(reverse("billing:settle"), {"month": "2026-13"}).status_code == 400
    response = client.post(reverse("billing:settle"), {"month": "2026-11"})
    assert response.status_code == 302
    run_page = client.get(response["Location"])
    html = run_page.content.decode()
    assert_no_internals(html, allow=[users.district_admin.username], where="run")
    assert "有未处理的异常" in html and "天平路街道" in html
    run = month_run = Claim.objects.get().run
    assert client.post(reverse("billing:run-reopen", args=[run.pk]), {"reason": ""}).status_code == 400
    assert client.post(reverse("billing:run-reopen", args=[run.pk]), {"reason": "补录"}).status_code == 302
    month_run.refresh_from_db()
    assert month_run.status == "open"
    client.force_login(users.street_staff)
    assert client.get(reverse("billing:run", args=[run.pk])).status_code == 200
    assert client.post(reverse("billing:settle"), {"month": "2026-11"}).status_code == 403


def test_simulation_page(district, users, priced, client):
    priced.level(district.elders.a1, 4)
    priced.visit(district.elders.a1, dt.date(2026, 11, 3))
    client.force_login(users.district_admin)
    assert client.get(reverse("billing:simulation")).status_code == 200
    page = client.get(reverse("billing:simulation"), {"start": "2026-11", "months": 1, "fund_share": "85"})
    html = page.content.decode()
    assert page.status_code == 200 and "40.50" in html and "38.25" in html
    assert_no_internals(html, allow=[users.district_admin.username], where="simulation")
    bad = client.get(reverse("billing:simulation"), {"start": "2026-11", "months": 1})
    assert "请至少改变一项政策" in bad.content.decode()
    client.force_login(users.provider_admin)
    assert client.get(reverse("billing:simulation")).status_code == 403
