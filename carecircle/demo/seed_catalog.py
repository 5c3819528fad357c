"""The demo district's catalogue: the shipped service catalogue, and contract prices agreed by some of the
home-care providers (a few yuan around the district's price, as real agreements differ)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from carecircle.catalog.models import ContractPrice, ServiceItem
from carecircle.catalog.services import catalogue_seed
from carecircle.core.money import to_money
from carecircle.core.policy import policy_value
from carecircle.providers.models import Contract, ContractStatus, OrganisationKind

# Items whose price providers commonly negotiate, and the share of contracted providers that did so.
NEGOTIATED_ITEMS = ("gb-bathing", "gb-cleaning", "gb-meal", "gb-medical-escort")
SHARE_WITH_PRICES = Decimal("0.4")


def demo_catalogue_seed(*, actor=None, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    report = catalogue_seed(actor=actor)
    items = {item.code: item for item in ServiceItem.objects.filter(code__in=NEGOTIATED_ITEMS)}
    contracts = list(Contract.objects.filter(status=ContractStatus.ACTIVE,
                                             organisation__kind__in=[OrganisationKind.HOME_CARE,
                                                                     OrganisationKind.NURSING_STATION])
                     .select_related("organisation", "region").order_by("id"))
    rows, priced = [], set()
    for contract in contracts:
        if contract.organisation_id in priced:
            continue  # one agreement's prices per provider
        priced.add(contract.organisation_id)
        if rng.random() >= float(SHARE_WITH_PRICES):
            continue
        table = policy_value("catalog.price.item", region=contract.region, on=as_of)
        for code in rng.sample(NEGOTIATED_ITEMS, 2):
            base = table.get(code)
            if base is None:
                continue
            price = to_money(base * (Decimal(90 + rng.randrange(0, 21)) / 100))
            rows.append(ContractPrice(organisation=contract.organisation, contract=contract, item=items[code],
                                      unit_price=price, effective_from=contract.starts_on,
                                      effective_until=contract.ends_on, note=contract.number))
    ContractPrice.objects.bulk_create(rows)
    return {"catalogue_items_added": report.items_added, "contract_prices": len(rows)}
