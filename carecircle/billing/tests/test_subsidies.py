"""Delivered orders, meal-subsidy claims and facility subsidies in the same monthly run."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from carecircle.billing.models import Claim, ClaimLine
from carecircle.billing.services import completion_record, run_summary

from .conftest import settle

pytestmark = pytest.mark.usefixtures("today_after_november")


def facility(district, kind, *, beds=0, organisation=None, community=None):
    from carecircle.providers.models import Facility

    return Facility.objects.create(organisation=organisation or district.provider, name=f"{kind} 设施",
                                   kind=kind, community=community or district.a1, lat="31.205", lng="121.445",
                                   beds=beds)


def set_policy(district, key, value):
    from carecircle.core.models import PolicyParameter

    PolicyParameter.objects.create(key=key, region=district.district, value=value,
                                   effective_from=dt.date(2026, 1, 1), source="test", confidence="local")


def test_operating_subsidy_follows_the_star_rating(district, priced):
    facility(district, "community_centre")
    facility(district, "activity_room")  # no operating subsidy for this type
    set_policy(district, "inspections.subsidy.coefficient", {"0": "0", "3": "1.0", "4": "1.2"})
    # 60,000 a year → 5,000.00 a month; without a rating (0 stars) the coefficient is 0: nothing this month.
    settle(district)
    assert not ClaimLine.objects.filter(kind="facility").exists()


def test_operating_subsidy_in_full_when_not_linked_and_per_bed_and_construction(district, priced, users):
    set_policy(district, "billing.facility.star_linked", False)
    set_policy(district, "billing.facility.bed_monthly", {"institution": "150.00"})
    centre = facility(district, "community_centre")
    home = facility(district, "institution", beds=37, organisation=district.other_provider, community=district.b1)
    station = facility(district, "day_centre")
    completion_record(actor=users.district_admin, facility=station, completed_on=dt.date(2026, 11, 20),
                      note="验收合格")
    run = settle(district)
    assert ClaimLine.objects.get(source_key=f"operating:{station.pk}").amount == Decimal("2500.00")
    operating = ClaimLine.objects.filter(kind="facility", source_key=f"operating:{centre.pk}").get()
    assert (operating.amount, operating.subsidy, operating.self_pay) == (Decimal("5000.00"), Decimal("5000.00"),
                                                                         Decimal("0.00"))
    beds = ClaimLine.objects.get(source_key=f"beds:{home.pk}")
    assert (beds.quantity, beds.unit_price, beds.amount) == (Decimal("37.00"), Decimal("150.00"), Decimal("5550.00"))
    construction = ClaimLine.objects.get(source_key__startswith="construction:")
    assert construction.amount == Decimal("60000.00")
    assert Claim.objects.filter(programme="facility").count() == 2
    assert Decimal(run_summary(run)["subsidy"]) == Decimal("5000.00") + Decimal("2500.00") + Decimal("5550.00") \
        + Decimal("60000.00")
    # The construction subsidy is paid once: December's run does not pay it again.
    december = settle(district, month=dt.date(2026, 12, 1))
    assert ClaimLine.objects.filter(source_key__startswith="construction:").count() == 1
    assert december.lines == 3
    with pytest.raises(ValidationError):
        completion_record(actor=users.district_admin, facility=station, completed_on=dt.date(2026, 11, 21))


def test_delivered_orders_are_claimed_as_quoted_and_once(district, priced):
    from carecircle.careplans.models import ServiceOrder, ServiceOrderLine
    from carecircle.catalog.models import ServiceItem

    elder = district.elders.a1
    quote = [{"item": "gb-bathing", "name": "助浴", "quantity": "1", "unit_price": "80.00", "amount": "80.00",
              "fund": "0.00", "subsidy": "0.00", "self_pay": "80.00", "rules": [], "rule_records": []}]
    done = ServiceOrder.objects.create(elder=elder, organisation=district.provider, channel="phone",
                                       service_date=dt.date(2026, 11, 12), window_start=dt.time(14),
                                       window_end=dt.time(16), status="done", total="80.00", fund="0.00",
                                       subsidy="0.00", self_pay="80.00", quote_lines=quote)
    ServiceOrderLine.objects.create(order=done, item=ServiceItem.objects.get(code="gb-bathing"), quantity=1)
    ServiceOrder.objects.create(elder=elder, organisation=district.provider, channel="phone",
                                service_date=dt.date(2026, 11, 13), window_start=dt.time(14), window_end=dt.time(16),
                                status="cancelled", total="80.00", fund="0.00", subsidy="0.00", self_pay="80.00",
                                quote_lines=quote)
    settle(district)
    [line] = ClaimLine.objects.filter(kind="order")
    assert (line.order_id, line.amount, line.self_pay, line.claim.programme) == (done.pk, Decimal("80.00"),
                                                                                 Decimal("80.00"), "order")
    settle(district, month=dt.date(2026, 12, 1))
    assert ClaimLine.objects.filter(kind="order").count() == 1


def test_approved_meal_subsidy_claims_are_paid_through_the_run(district, priced):
    from carecircle.meals.models import Canteen, MealClaim

    point = facility(district, "meal_point")
    canteen = Canteen.objects.create(facility=point, opening_hours="11:00-13:00")
    MealClaim.objects.create(canteen=canteen, month=dt.date(2026, 11, 1), meals=120, subsidy=Decimal("360.00"),
                             delivery_subsidy=Decimal("48.00"), status="approved")
    submitted = Canteen.objects.create(facility=facility(district, "meal_point", community=district.b1,
                                                         organisation=district.other_provider),
                                       opening_hours="11:00-13:00")
    MealClaim.objects.create(canteen=submitted, month=dt.date(2026, 11, 1), meals=10, subsidy=Decimal("30.00"),
                             delivery_subsidy=Decimal("0.00"), status="submitted")
    run = settle(district)
    [line] = ClaimLine.objects.filter(kind="meals")
    assert (line.amount, line.subsidy, line.claim.programme) == (Decimal("408.00"), Decimal("408.00"), "meals")
    assert run.subsidy == Decimal("408.00")
