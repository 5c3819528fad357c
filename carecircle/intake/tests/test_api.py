"""The REST API: types by code, create (merge answers 200), detail with timeline and allowed actions, 409s."""
import datetime as dt

import pytest
from django.db import connection

from carecircle.core.workflow import IllegalStep
from carecircle.intake.models import Application, State
from carecircle.intake.services import application_act

from .helpers import submit, to_state

pytestmark = pytest.mark.django_db


def test_types_list_their_codes(intake, api_as):
    response = api_as(intake.users.street_staff).get("/api/v1/application-types/")
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()["results"]}
    assert codes == {"ltci-home", "gov-purchase", "institution", "call-device", "age-allowance"}
    assert api_as(intake.users.caregiver).get("/api/v1/application-types/").status_code == 403


def test_create_then_merge_from_another_channel(intake, api_as, today):
    elder = intake.district.elders.a1
    staff = api_as(intake.users.street_staff)
    created = staff.post("/api/v1/applications/", {"elder": elder.pk, "type": "gov-purchase", "channel": "api",
                                                   "documents": ["身份证"], "applicant_phone": "13912345678"},
                         format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "registered" and body["type"] == "gov-purchase" and body["merged"] is False
    assert body["applicant_phone"] == "139****5678"
    assert body["allowed_actions"] == ["accept", "not_accept", "withdraw"]
    merged = api_as(intake.users.elder).post("/api/v1/applications/", {"elder": elder.pk, "type": "gov-purchase",
                                                                       "channel": "portal"}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == body["id"] and merged.json()["merged"] is True
    assert [e["action"] for e in merged.json()["timeline"]] == ["registered", "merged"]
    assert Application.objects.count() == 1


def test_create_refuses_bad_input(intake, api_as):
    staff = api_as(intake.users.street_staff)
    response = staff.post("/api/v1/applications/", {"elder": intake.district.elders.b1.pk, "type": "gov-purchase",
                                                    "channel": "window"}, format="json")
    assert response.status_code == 400 and "elder" in response.json()
    response = staff.post("/api/v1/applications/", {"elder": intake.district.elders.a1.pk, "type": "xyz",
                                                    "channel": "window"}, format="json")
    assert response.status_code == 400 and "type" in response.json()
    response = staff.post("/api/v1/applications/", {"elder": intake.district.elders.a1.pk, "type": "gov-purchase",
                                                    "channel": "carrier-pigeon"}, format="json")
    assert response.status_code == 400 and "channel" in response.json()
    assert not Application.objects.exists()


def test_actions_move_and_409_says_what_is_allowed(intake, api_as, today):
    app = submit(intake)
    url = f"/api/v1/applications/{app.pk}/actions/"
    street = api_as(intake.users.street_staff)
    assert street.post(url, {"action": "accept"}, format="json").status_code == 200
    refused = street.post(url, {"action": "pass_district_review"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == ["pass_first_review", "return_for_correction",
                                                 "reject_first_review", "withdraw"]
    assert "初审通过" in refused.json()["detail"]
    no_reason = street.post(url, {"action": "reject_first_review"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert street.post(url, {"action": "fly"}, format="json").status_code == 400
    detail = street.get(f"/api/v1/applications/{app.pk}/").json()
    assert detail["state"] == "accepted"
    assert [e["to_state"] for e in detail["timeline"]] == ["registered", "accepted"]


def test_district_cannot_take_street_steps_and_vice_versa(intake, api_as, today):
    app = to_state(intake, submit(intake), "street_passed")
    url = f"/api/v1/applications/{app.pk}/actions/"
    assert api_as(intake.users.street_staff).post(url, {"action": "pass_district_review"},
                                                  format="json").status_code == 409
    ok = api_as(intake.users.district_admin).post(url, {"action": "pass_district_review"}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == "district_passed"


class TestIsolation:
    def test_a_street_sees_only_its_applications(self, intake, api_as, today):
        mine = submit(intake)
        theirs = submit(intake, elder=intake.district.elders.b1, actor=intake.users.street_staff_b)
        listed = api_as(intake.users.street_staff).get("/api/v1/applications/").json()["results"]
        assert [row["id"] for row in listed] == [mine.pk]
        assert api_as(intake.users.street_staff).get(f"/api/v1/applications/{theirs.pk}/").status_code == 404
        assert api_as(intake.users.street_staff).post(f"/api/v1/applications/{theirs.pk}/actions/",
                                                      {"action": "accept"}, format="json").status_code == 404
        district = api_as(intake.users.district_admin).get("/api/v1/applications/").json()["results"]
        assert {row["id"] for row in district} == {mine.pk, theirs.pk}

    def test_the_portal_sees_only_the_familys_own(self, intake, api_as, today):
        own = submit(intake, elder=intake.district.elders.a2, actor=intake.users.family, channel="portal")
        other = submit(intake)
        family = api_as(intake.users.family)
        assert [row["id"] for row in family.get("/api/v1/applications/").json()["results"]] == [own.pk]
        assert family.get(f"/api/v1/applications/{other.pk}/").status_code == 404
        detail = family.get(f"/api/v1/applications/{own.pk}/").json()
        assert detail["allowed_actions"] == ["withdraw"]
        assert api_as(intake.users.provider_admin).get("/api/v1/applications/").status_code == 403


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(intake, api_as, today):
    from django.test.utils import CaptureQueriesContext

    staff = api_as(intake.users.street_staff)
    submit(intake)

    def list_queries():
        with CaptureQueriesContext(connection) as queries:
            response = staff.get("/api/v1/applications/")
        assert response.status_code == 200
        return len(queries), response.json()["results"]

    one, rows = list_queries()
    assert [e["action"] for e in rows[0]["timeline"]] == ["registered"]
    submit(intake, type_code="ltci-home")
    submit(intake, type_code="call-device")
    submit(intake, elder=intake.district.elders.a2)
    many, rows = list_queries()
    assert len(rows) == 4
    assert many == one
    assert all(row["timeline"][0]["action"] == "registered" and row["allowed_actions"] for row in rows)


def test_two_reviewers_at_once_only_one_succeeds(intake, race):
    """On SQLite (a file database, as deployed) as on PostgreSQL: the second reviewer meets the first one's
    decision and is refused, naming what is allowed from there."""
    app = to_state(intake, submit(intake), "street_passed")

    def review(action, reason):
        return lambda: application_act(application=Application.objects.get(pk=app.pk), action=action,
                                       actor=intake.users.district_admin, reason=reason)

    outcomes = race.run(review("pass_district_review", ""), review("reject_district_review", "同时审核"))
    assert sorted(type(o).__name__ for o in outcomes) == ["Application", "IllegalStep"], outcomes
    refused = next(o for o in outcomes if isinstance(o, IllegalStep))
    app.refresh_from_db()
    assert app.state in (State.DISTRICT_PASSED, State.DISTRICT_REJECTED)
    # What is left to the district from the winner's state: ordering the assessment, or nothing once rejected.
    assert refused.allowed == (["order_assessment"] if app.state == State.DISTRICT_PASSED else [])
    assert app.events.filter(from_state="street_passed").count() == 1
