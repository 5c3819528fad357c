import pytest

from carecircle.core.policy import seed_values
from carecircle.core.policy_seed import policy_parameters_seed


@pytest.fixture(autouse=True)
def account_policy(district):
    """The token lifetime from the seed file, as a deployment has it."""
    policy_parameters_seed(raw_values=[row for row in seed_values() if row["key"].startswith("accounts.")])
