"""Fixtures for assessment tests: the policy values the app reads, a second agency, two assessors."""
from types import SimpleNamespace

import pytest

from carecircle.core.roles import Role


@pytest.fixture(autouse=True)
def _chinese_pages_and_no_language_left_behind():
    """Each test starts in Chinese and leaves no language active for the next test (an English page
    request activates English in this thread)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield
    translation.deactivate()


@pytest.fixture
def assessment_policy(district):
    """The assessment policy values of the seed file, loaded for the test district."""
    from carecircle.core.policy import seed_values
    from carecircle.core.policy_seed import policy_parameters_seed

    rows = [r for r in seed_values() if r["key"].startswith("assessment.")]
    policy_parameters_seed(raw_values=rows)
    return rows


@pytest.fixture
def team(district, users, assessment_policy):
    from carecircle.accounts.models import User
    from carecircle.providers.models import Organisation

    second = User.objects.create_user(username="assessor2", password="Test-pass-2026", role=Role.ASSESSOR,
                                      display_name="评估员二", organisation=district.agency)
    other_agency = Organisation.objects.create(name="公信评估中心", kind="assessment_agency",
                                               credit_code="91310104MA1FL0009X", region=district.district)
    outsider = User.objects.create_user(username="assessor_other", password="Test-pass-2026", role=Role.ASSESSOR,
                                        display_name="外机构评估员", organisation=other_agency)
    return SimpleNamespace(first=users.assessor, second=second, other_agency=other_agency, outsider=outsider)


def full_answers(instrument_code: str, pick=lambda item: item.options[0].code) -> dict:
    from carecircle.engines.scoring import load_instrument

    return {item.code: pick(item) for item in load_instrument(instrument_code).items}
