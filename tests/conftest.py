"""The cross-cutting tests use the same district, users and API helpers as every app's tests."""
from carecircle.conftest import (  # noqa: F401 - re-exported as fixtures for this folder
    _empty_cache_between_tests,
    _no_axes_lockouts_between_tests,
    api_as,
    api_client,
    district,
    users,
)
