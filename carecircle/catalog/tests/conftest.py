import pytest

from carecircle.catalog.services import catalogue_seed
from carecircle.core.policy import seed_values
from carecircle.core.policy_seed import policy_parameters_seed


@pytest.fixture
def policy(district):
    """The shipped policy values (Shanghai and Xuhui) that pricing reads, for the test district."""
    prefixes = ("ltci.", "catalog.", "gov_purchase.", "benefits.care_subsidy.")
    policy_parameters_seed(raw_values=[row for row in seed_values() if row["key"].startswith(prefixes)])
    return district


@pytest.fixture
def catalogue(db):
    catalogue_seed()
    from carecircle.catalog.models import ServiceItem

    return {item.code: item for item in ServiceItem.objects.all()}
