"""Rows for the access matrix (tests/test_access_matrix.py): a closed November in the shared district and in the
neighbouring one, a claim of each provider, and a line for an elder each provider serves in street A, street B and
the neighbouring district."""
import datetime as dt
from decimal import Decimal


def make_billing(world):
    from carecircle.billing.models import Claim, ClaimLine, SettlementRun

    month = dt.date(2026, 11, 1)
    d = world.district
    runs = {d.district.pk: SettlementRun.objects.create(region=d.district, month=month, status="closed"),
            world.outside.district.pk: SettlementRun.objects.create(region=world.outside.district, month=month,
                                                                    status="closed")}
    # Each provider's line is for an elder of a community it serves (永嘉社区 of street A is served by none).
    providers = {d.elders.a1.pk: d.provider, d.elders.b1.pk: d.other_provider,
                 world.outside.elder.pk: world.outside.provider}
    claims = {}
    for elder in (d.elders.a1, d.elders.b1, world.outside.elder):
        district = world.outside.district if elder.community.path.startswith(world.outside.district.path) \
            else d.district
        organisation = providers[elder.pk]
        key = (district.pk, organisation.pk)
        if key not in claims:
            claims[key] = Claim.objects.create(run=runs[district.pk], organisation=organisation, programme="ltci",
                                               status="submitted", total=Decimal("45.00"))
        ClaimLine.objects.create(claim=claims[key], kind="visit", elder=elder, community=elder.community,
                                 visit_date=month, quantity=1, unit_price=Decimal("45.00"), amount=Decimal("45.00"),
                                 fund=Decimal("40.50"), self_pay=Decimal("4.50"), fund_share=Decimal("0.9"))


MAKERS = {
    "billing.settlementrun": make_billing,
    "billing.claim": make_billing,
    "billing.claimline": make_billing,
}

URL_OBJECTS = {
    "billing:run": {"pk": "billing.settlementrun"},
    "billing:claim": {"pk": "billing.claim"},
    "billing:run-reopen": {"pk": "billing.settlementrun"},
    "billing:claim-step": {"pk": "billing.claim"},
    "billing:claim-adjust": {"pk": "billing.claim"},
    "billing:claim-payment": {"pk": "billing.claim"},
    "billing:line-reject": {"pk": "billing.claim", "line": "billing.claimline"},
    "billing:line-correct": {"pk": "billing.claim", "line": "billing.claimline"},
    # The elder's bill loads its elder itself (a page of the elder and their family, not a staff record).
    "billing:bill": {"elder_id": "elders.elder"},
    "billing:bill-pdf": {"elder_id": "elders.elder"},
}
