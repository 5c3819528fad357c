import datetime as dt
import random
from decimal import Decimal as D

from carecircle.catalog.models import ContractPrice
from carecircle.demo.seed_catalog import demo_catalogue_seed
from carecircle.providers.models import Contract


def test_demo_contract_prices_stay_near_the_district_price(policy, catalogue):
    for number, org in enumerate([policy.provider, policy.other_provider] * 2):
        Contract.objects.create(organisation=org, region=policy.district, number=f"DEMO-{number}", programme="ltci",
                                starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    rng = next(random.Random(seed) for seed in range(100) if random.Random(seed).random() < 0.4)
    demo_catalogue_seed(rng=rng, as_of=dt.date(2026, 11, 20))
    rows = list(ContractPrice.objects.select_related("item"))
    assert rows
    district = {"gb-bathing": D("80"), "gb-cleaning": D("40"), "gb-meal": D("15"), "gb-medical-escort": D("50")}
    for row in rows:
        assert district[row.item.code] * D("0.9") <= row.unit_price <= district[row.item.code] * D("1.1")
    assert len({row.contract_id for row in rows}) == len({row.organisation_id for row in rows})
