import pytest

from carecircle.catalog.services import catalogue_seed
from carecircle.core.policy_seed import policy_parameters_seed


@pytest.fixture
def policy(district):
    """The shipped policy values (Shanghai and Xuhui) for the test district."""
    policy_parameters_seed()
    return district


@pytest.fixture
def catalogue(db):
    catalogue_seed()
    from carecircle.catalog.models import ServiceItem

    return {item.code: item for item in ServiceItem.objects.all()}
