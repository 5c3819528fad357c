"""Rows for the access matrix (tests/test_access_matrix.py): November's run in the shared district and in the
neighbouring one; a long-term care claim of the home-care provider (street A's elders), of the nursing station
(street B's elder) and of the neighbouring district's provider; a line for each of those elders."""
import datetime as dt
from decimal import Decimal


def make_billing(world):
    from carecircle.billing.models import Claim, ClaimLine, SettlementRun

    if SettlementRun.objects.exists():
        return
    month = dt.date(2026, 11, 1)
    d = world.district
    runs = {d.district.pk: SettlementRun.objects.create(region=d.district, month=month, status="closed"),
            world.outside.district.pk: SettlementRun.objects.create(region=world.outside.district, month=month,
                                                                    status="closed")}
    places = ((d.district, d.provider, d.elders.a1), (d.district, d.provider, d.elders.a2),
              (d.district, d.other_provider, d.elders.b1),
              (world.outside.district, world.outside.provider, world.outside.elder))
    amount, fund, self_pay = Decimal("45.00"), Decimal("40.50"), Decimal("4.50")
    for number, (district, organisation, elder) in enumerate(places, start=1):
        run = runs[district.pk]
        claim, _created = Claim.objects.get_or_create(run=run, organisation=organisation, programme="ltci")
        ClaimLine.objects.create(claim=claim, kind="visit", visit_id=900000 + number, visit_date=dt.date(2026, 11, 3),
                                 elder=elder, community=elder.community, quantity=1, unit_price=amount,
                                 amount=amount, fund=fund, self_pay=self_pay, fund_share=Decimal("0.9000"))
        claim.total += amount
        claim.fund += fund
        claim.self_pay += self_pay
        claim.lines_count += 1
        claim.save()
        run.total += amount
        run.fund += fund
        run.self_pay += self_pay
        run.lines += 1
        run.save()


MAKERS = {
    "billing.settlementrun": make_billing,
    "billing.claim": make_billing,
    "billing.claimline": make_billing,
}

# The elder's bill loads its elder itself (a page of the elder and their family, not a staff record).
URL_OBJECTS = {
    "billing:bill": {"elder_id": "elders.elder"},
    "billing:bill-pdf": {"elder_id": "elders.elder"},
}
