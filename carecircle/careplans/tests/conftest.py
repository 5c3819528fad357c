import datetime as dt

import pytest

from carecircle.catalog.services import catalogue_seed
from carecircle.core.policy_seed import policy_parameters_seed

# A Monday, so weekday arithmetic in the tests reads plainly.
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def policy(district):
    """The shipped policy values (Shanghai and Xuhui) and the catalogue, for the shared test district."""
    policy_parameters_seed()
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
