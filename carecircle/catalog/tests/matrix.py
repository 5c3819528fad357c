"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt


def make_contract_prices(world):
    from carecircle.catalog.models import ContractPrice, ServiceItem
    from carecircle.catalog.services import catalogue_seed

    catalogue_seed()
    item = ServiceItem.objects.get(code="gb-bathing")
    d = world.district
    for org in (d.provider, d.other_provider, world.outside.provider):
        ContractPrice.objects.create(organisation=org, item=item, unit_price="70.00",
                                     effective_from=dt.date(2026, 1, 1), note="access matrix")


MAKERS = {
    "catalog.contractprice": make_contract_prices,
}


def _contract_price_body(world, user):
    from carecircle.catalog.services import catalogue_seed

    catalogue_seed()
    organisation = user.organisation or world.district.provider
    return {"organisation": organisation.pk, "item": "gb-bathing", "unit_price": "70.00",
            "effective_from": "2026-12-01"}


# A body the user could send successfully; the access matrix swaps each foreign key for one outside the scope.
WRITE_BODIES = {
    "contract-price-list": _contract_price_body,
}
