"""The whole API, fuzzed from its own OpenAPI schema: no request, however malformed, gets a server error.

Schemathesis reads the schema that /api/schema/ serves (drf-spectacular, generated here in-process) and sends
its requests through Django's WSGI handler — no server, no network — so an endpoint is fuzzed the day it is
added, one pytest item per operation. Every generated request (GET and the writes: POST, PATCH, PUT,
DELETE, plus methods an operation does not declare) is sent once per role in ROLES, with an API token
issued in the setup, against the demo district (tiny scale) seeded once into the test database. The check
is `not_a_server_error`: a 4xx is the API doing its job, a 5xx fails the item and schemathesis prints the
request (as a curl line) that caused it.

Writes are kept between the examples of one operation (a later request meets what an earlier one created)
and rolled back with the operation's test; the request that caused a server error is rolled back at once,
so on PostgreSQL the next one does not meet an aborted transaction.

Slow by design: deselected from `make test` (pyproject addopts), run by `make fuzz` and its own stage of
.ci/run. MAX_EXAMPLES and DEADLINE bound each operation so that the stage stays within about four minutes on
two cores; CARECIRCLE_FUZZ_EXAMPLES raises the budget for a longer local run.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import TestPhase

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

# Demo accounts every request is sent as: the district-wide administrator (holds nearly every capability,
# so requests reach the services) and a provider's administrator (an organisation's scope: refusals, and
# the provider's own writes). The street's window clerk adds a region scope below the district.
ROLES = ("district_admin", "provider_admin", "street_tianping")
MAX_EXAMPLES = int(os.environ.get("CARECIRCLE_FUZZ_EXAMPLES", "15"))
DEADLINE = dt.timedelta(seconds=20)  # one example, every role: far above the usual tens of milliseconds
AS_OF = "2026-06-01"
CONFIG = SchemathesisConfig.from_str(
    """
[phases.coverage]
# Methods an operation does not declare, each tried once per path: the answer must be 405, never a 500.
unexpected-methods = ["delete", "patch", "put", "post"]
"""
)


def _openapi() -> dict:
    """The document /api/schema/ serves, built without a request (and so without the database)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_openapi(), config=CONFIG)
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker, tmp_path_factory):
    """The tiny demo district, seeded once per module (per xdist worker) and rolled back after it; API
    tokens for ROLES issued in it (only their hash is stored)."""
    from carecircle.accounts.models import User
    from carecircle.accounts.services import api_token_issue

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", "--scale", "tiny", "--seed", "1", "--as-of", AS_OF, "--no-progress",
                         "--accounts-file", str(tmp_path_factory.mktemp("fuzz") / "accounts.json"),
                         stdout=io.StringIO())
            users = {name: User.objects.get(username=name) for name in ROLES}
            keys = {name: api_token_issue(user=user, label="fuzz")[1] for name, user in users.items()}
            yield {"users": users, "keys": keys}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _send(case, world, username):
    """The case as `username`, inside a savepoint; a token the request itself revoked (the refresh endpoint
    revokes the token it is called with) is replaced and the request sent once more."""
    from carecircle.accounts.services import api_token_issue

    for _attempt in range(2):
        headers = {"Authorization": f"Token {world['keys'][username]}"}
        with transaction.atomic():
            response = case.call(headers=headers)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        if response.status_code != 401:
            break
        world["keys"][username] = api_token_issue(user=world["users"][username], label="fuzz")[1]
    return response, headers


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=DEADLINE, suppress_health_check=list(HealthCheck),
          derandomize=True, database=None, print_blob=False)
def test_no_request_gets_a_server_error(case, demo_district):
    # The random phases go as every role. The coverage phase (every boundary and wrong type of every field:
    # several hundred cases for a large body) goes as the first role the operation lets in, so that its cases
    # reach the services without paying for each role.
    coverage = case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE
    for username in ROLES:
        response, headers = _send(case, demo_district, username)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
        if coverage and response.status_code != 403:
            break
