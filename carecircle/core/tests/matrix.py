"""Rows for the access matrix (tests/test_access_matrix.py): for each model of this app that a route shows,
a maker that puts rows in street A, street B and the neighbouring district (and in the organisations of each),
so every role meets an object inside its scope and one outside it."""

import datetime as dt
import json


def make_jobs(world):
    from carecircle.core.models import Job

    # Jobs are shown to the person who started them: one per staff user, in that user's scope.
    for user in vars(world.users).values():
        if user.scope_region_id or user.organisation_id:
            Job.objects.create(kind="matrix.probe", region=user.scope_region, organisation=user.organisation,
                               created_by=user)
    Job.objects.create(kind="matrix.probe", region=world.outside.district, created_by=world.superuser)


def make_audit_events(world):
    from carecircle.core import audit

    for elder in (*world.district_elders, world.outside.elder):
        audit.record(actor=world.superuser, action="elders.reveal", subject=elder, reason="access matrix")


def make_outbox_events(world):
    from carecircle.core.models import OutboxEvent

    d = world.district
    for region in (d.street_a, d.street_b, world.outside.district):
        OutboxEvent.objects.create(name="matrix.probe", payload={}, region=region, last_error="access matrix")


def make_policy_parameters(world):
    from carecircle.core.models import PolicyParameter
    from carecircle.core.policy import SPEC_FILE

    first = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["values"][0]
    d = world.district
    for region in (d.district, d.street_a, d.street_b, world.outside.district):
        PolicyParameter.objects.create(key=first["key"], region=region, value=first["value"],
                                       effective_from=dt.date(2026, 1, 1), source="access matrix",
                                       confidence="local")


MAKERS = {
    "core.job": make_jobs,
    "core.auditevent": make_audit_events,
    "core.outboxevent": make_outbox_events,
    "core.policyparameter": make_policy_parameters,
}


def _policy_parameter_body(world, user):
    from carecircle.core.policy import SPEC_FILE

    first = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["values"][0]
    region = user.scope_region or world.district.district
    return {"key": first["key"], "region": region.code, "value": first["value"], "effective_from": "2026-12-01",
            "source": "access matrix", "confidence": "local"}


# A body the user could send successfully; the access matrix swaps each foreign key for one outside the scope.
WRITE_BODIES = {
    "api-policy-parameter-list": _policy_parameter_body,
}
