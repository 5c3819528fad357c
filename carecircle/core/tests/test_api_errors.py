"""The API's shared refusals for input no view expects: a JSON body that is not an object, and a request
about a date or region where a policy parameter has no value. Both were server errors (found by the API fuzz
stage, tests/test_api_fuzz.py); both are a 400 in the reader's language, with nothing written."""
import datetime as dt
import json

import pytest
from rest_framework.test import APIClient

from carecircle.careplans.models import ElderAbsence
from carecircle.core.errors import exception_handler
from carecircle.core.policy import MissingPolicyParameter
from carecircle.dispatch.models import Shift


def _client(user, language="zh-hans"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("body", ["[]", "[null, null]", '"2026-06-01"', "42", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_a_400(users, body):
    response = _client(users.provider_admin).post("/api/v1/dispatch/shifts/copy-last-week/", body,
                                                  content_type="application/json")
    assert response.status_code == 400
    assert "JSON 对象" in response.json()["detail"]
    assert not Shift.objects.exists()


@pytest.mark.parametrize("url", ["/api/v1/elders/", "/api/v1/absences/", "/api/v1/service-orders/quote/"])
def test_every_endpoint_refuses_a_list_body_in_the_readers_language(users, url):
    response = _client(users.street_staff, "en").post(url, "[{}]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body must be a JSON object ({…}), not a list, a string, a number or null."


def test_an_object_body_and_a_form_body_still_parse(users):
    client = _client(users.provider_admin)
    # Both reach the view, which answers about the date (not about the body's shape).
    as_json = client.post("/api/v1/dispatch/shifts/copy-last-week/", json.dumps({"date": "not a date"}),
                          content_type="application/json")
    as_form = client.post("/api/v1/dispatch/shifts/copy-last-week/", {"date": "not a date"})
    for response in (as_json, as_form):
        assert response.status_code == 400
        assert "JSON 对象" not in json.dumps(response.json(), ensure_ascii=False)


def test_malformed_json_is_still_a_400(users):
    response = _client(users.provider_admin).post("/api/v1/dispatch/shifts/copy-last-week/", "{\"date\":",
                                                  content_type="application/json")
    assert response.status_code == 400


def test_an_absence_dated_before_its_rule_existed_is_a_400_naming_the_parameter(users, district):
    # No value of careplans.absence.max_days is in force (none is seeded in this district): the service asks
    # for it and finds nothing. The absence is not recorded.
    body = {"elder": district.elders.a1.pk, "kind": "other", "starts_on": "2000-01-01", "ends_on": "2000-01-01"}
    response = _client(users.street_staff).post("/api/v1/absences/", body, format="json")
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "一次不在家登记的最长天数" in message  # the parameter named in words, never by its key
    assert "careplans.absence.max_days" not in message
    assert not ElderAbsence.objects.exists()


def test_the_handler_answers_a_missing_parameter_with_its_message():
    response = exception_handler(MissingPolicyParameter("政策参数 x.y 在 天平社区 没有有效取值"), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["政策参数 x.y 在 天平社区 没有有效取值"]}


def test_any_other_lookup_error_is_not_hidden():
    # Only the policy's own "no value" is an answer to the caller; a bug elsewhere stays a bug.
    assert exception_handler(KeyError("x"), {}) is None
    assert exception_handler(LookupError("x"), {}) is None


@pytest.mark.parametrize("day", ["0001-01-06", "0001-01-01"])
def test_a_date_whose_week_before_does_not_exist_is_a_400(users, day):
    # Copying last week's shifts to the week of 6 January of year 1 subtracts seven days: no such date.
    response = _client(users.provider_admin, "en").post("/api/v1/dispatch/shifts/copy-last-week/",
                                                        {"date": day}, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "A date or number in the request is outside the range the platform can handle; please check it and try again."]
    assert not Shift.objects.exists()


def test_the_handler_answers_an_overflow_as_a_400():
    response = exception_handler(OverflowError("date value out of range"), {})
    assert response.status_code == 400
    assert "non_field_errors" in response.data
