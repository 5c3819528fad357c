"""The care-plans fixtures (policy values, catalogue, a level-4 elder) serve the work-order tests too."""
from carecircle.careplans.tests.conftest import MONDAY, _chinese, level4, policy, set_level  # noqa: F401
