import datetime as dt

import pytest
from django.utils import translation

from carecircle.catalog.services import catalogue_seed
from carecircle.catalog.models import ServiceItem
from carecircle.core.policy import seed_values
from carecircle.core.policy_seed import policy_parameters_seed

# The policy values plans, orders and work orders read (entitlement, prices, subsidies, deadlines).
PRICING_KEYS = ("ltci.", "catalog.", "gov_purchase.", "benefits.care_subsidy.", "careplans.")

# A Monday, so weekday arithmetic in the tests reads plainly.
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are checked in Chinese; a page test in English must not leave this thread in English."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def policy(district):
    """The shipped policy values (Shanghai and Xuhui) and the catalogue, for the shared test district."""
    policy_parameters_seed(raw_values=[row for row in seed_values() if row["key"].startswith(PRICING_KEYS)])
    if not ServiceItem.objects.filter(code="ltci-home-hour").exists():  # the data migration loads it once
        catalogue_seed()
    return district


def set_level(elder, level, valid_from, *, valid_until=None):
    from carecircle.assessment.services import care_level_record_external

    return care_level_record_external(elder=elder, programme="ltci", level=level, source="市评估系统（测试）",
                                      valid_from=valid_from, valid_until=valid_until, actor=None)


@pytest.fixture
def level4(policy):
    """Street A's elder (community A1, served by 福寿) holds LTCI level 4 from 1 November."""
    set_level(policy.elders.a1, 4, dt.date(2026, 11, 1))
    return policy.elders.a1
