"""The dry-run score API (200 and its 400 answers), the read APIs' isolation, and the pages."""
import datetime as dt

import pytest

from carecircle.assessment import services
from carecircle.assessment.models import OrderStatus

from .conftest import full_answers

URL = "/api/v1/instruments/gbt42195_2022/score/"


def test_score_dry_run_explains_the_raise(team, users, api_as):
    client = api_as(users.street_staff)
    response = client.post(URL, {"answers": full_answers("gbt42195_2022"), "diagnoses": ["F03"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 90 and body["initial_level"] == 0 and body["final_level"] == 1
    assert body["adjustments"][0]["rule"] == "dementia"
    assert "痴呆" in body["explanation"]
    assert body["pending_confirmation"] is False


def test_score_400_names_every_offending_item(team, users, api_as):
    client = api_as(users.street_staff)
    answers = full_answers("gbt42195_2022")
    del answers["B.2.1"]
    answers["B.1.1"] = "7"
    answers["X.1"] = "1"
    response = client.post(URL, {"answers": answers}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "answers.B.2.1" in body and "answers.B.1.1" in body and "answers.X.1" in body
    assert "缺少" in body["answers.B.2.1"][0] and "没有选项" in body["answers.B.1.1"][0]
    response = client.post(URL, {"answers": full_answers("gbt42195_2022"), "claimed_totals": {"total": 95}},
                           format="json")
    assert response.status_code == 400 and "total" in response.json()
    assert client.post("/api/v1/instruments/nope/score/", {"answers": {}}, format="json").status_code == 404


def test_score_nhsa_pending_and_selfcheck_grade(team, users, api_as):
    client = api_as(users.street_staff)
    body = client.post("/api/v1/instruments/nhsa_ltc_2021/score/",
                       {"answers": full_answers("nhsa_ltc_2021", lambda i: i.options[-1].code)}, format="json").json()
    assert body["final_level"] == 5 and body["pending_confirmation"] is True
    assert body["dimensions"]["adl"]["band"] == 3
    body = client.post("/api/v1/instruments/nhsa_selfcheck_2021/score/",
                       {"answers": full_answers("nhsa_selfcheck_2021", lambda i: "dependent")}, format="json").json()
    assert body["grade"] == "G" and body["may_apply"] is True


def test_score_needs_a_login_and_the_capability(team, users, api_as, api_client):
    assert api_client.post(URL, {}, format="json").status_code in {401, 403}
    assert api_as(users.caregiver).post(URL, {"answers": {}}, format="json").status_code == 403


def test_instrument_definition_lists_full_option_texts(team, users, api_as):
    body = api_as(users.assessor).get("/api/v1/instruments/gbt42195_2022/").json()
    assert len(body["items"]) == 26
    b39 = next(i for i in body["items"] if i["code"] == "B.3.9")
    assert [o["code"] for o in b39["options"]] == ["2", "1-drowsy", "1-confused", "0-stupor", "0-coma"]


def _final(team, district, users, elder):
    order = services.assessment_order_create(elder=elder, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    a = services.assessment_start(order=order, actor=team.first)
    services.assessment_save(assessment=a, actor=team.first, answers=full_answers("gbt42195_2022"))
    services.assessment_submit(assessment=a, actor=team.first)
    return services.assessment_confirm(assessment=a, actor=team.second)


def test_read_apis_are_scoped(team, district, users, api_as):
    a = _final(team, district, users, district.elders.b1)
    assert api_as(users.street_staff_b).get(f"/api/v1/assessments/{a.pk}/").status_code == 200
    assert api_as(users.street_staff).get(f"/api/v1/assessments/{a.pk}/").status_code == 404
    assert api_as(users.assessor).get(f"/api/v1/assessment-orders/{a.order_id}/").status_code == 200
    assert api_as(team.outsider).get(f"/api/v1/assessment-orders/{a.order_id}/").status_code == 404
    levels = api_as(users.street_staff_b).get(f"/api/v1/care-levels/?elder={district.elders.b1.pk}").json()
    assert levels["count"] == 1


def test_external_level_api(team, district, users, api_as):
    client = api_as(users.street_staff)
    body = {"elder": district.elders.a1.pk, "programme": "ltci", "level": 4, "source": "上海市统一需求评估系统 R-9",
            "valid_from": "2026-01-01"}
    assert client.post("/api/v1/care-levels/external/", body, format="json").status_code == 201
    outside = {**body, "elder": district.elders.b1.pk}
    assert client.post("/api/v1/care-levels/external/", outside, format="json").status_code == 404
    assert api_as(users.assessor).post("/api/v1/care-levels/external/", body, format="json").status_code == 403


def test_third_assessor_outsider_and_wrong_elder_are_refused(team, district, users):
    from django.core.exceptions import PermissionDenied, ValidationError

    from carecircle.accounts.models import User

    third = User.objects.create_user(username="assessor3", password="x-Test-2026", role="assessor",
                                     organisation=district.agency)
    order = services.assessment_order_create(elder=district.elders.a2, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    with pytest.raises(ValidationError, match="第三名"):
        services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second, third],
                                           appointment_at=dt.datetime(2026, 11, 24, 9))
    with pytest.raises(ValidationError, match="不属于"):
        services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.outsider],
                                           appointment_at=dt.datetime(2026, 11, 24, 9))
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9))
    with pytest.raises(PermissionDenied):
        services.assessment_start(order=order, actor=third)  # not on this order
    a = services.assessment_start(order=order, actor=team.first)
    with pytest.raises(ValidationError, match="没有选项"):
        services.assessment_save(assessment=a, actor=team.first, answers={"B.1.1": "9"})
    services.assessment_save(assessment=a, actor=team.first, answers={"B.1.1": "4"})
    a.refresh_from_db()
    assert a.answers == {"B.1.1": "4"} and a.status == "draft"
    with pytest.raises(ValidationError) as err:
        services.assessment_submit(assessment=a, actor=team.first)  # a half-finished form is never scored
    assert "answers.B.1.2" in err.value.message_dict
    a.refresh_from_db()
    assert a.status == "draft" and a.final_level is None
    with pytest.raises(services.IllegalStep) as step:
        services.assessment_confirm(assessment=a, actor=team.second)
    assert "submit" in step.value.allowed


def test_objection_goes_to_another_agency_and_history_shows_differences(team, district, users):
    first = _final(team, district, users, district.elders.a1)
    order = services.reassessment_order(elder=district.elders.a1, actor=users.street_staff, programme="ltci",
                                        reason="objection", note="家属对结果有异议")
    assert order.agency_id == team.other_agency.pk and order.previous_id == first.pk
    assert order.status == OrderStatus.ASSIGNED


def test_pages_for_street_and_assessor(team, district, users, client):
    a = _final(team, district, users, district.elders.a1)
    client.force_login(users.street_staff)
    listing = client.get("/assessment/")
    assert listing.status_code == 200 and district.elders.a1.name.encode() in listing.content
    assert client.get("/assessment/export.csv").status_code == 200
    detail = client.get(f"/assessment/orders/{a.order_id}/")
    assert detail.status_code == 200 and "能力完好".encode() in detail.content
    history = client.get(f"/assessment/elders/{district.elders.a1.pk}/")
    assert history.status_code == 200
    assert client.get("/assessment/expiring/").status_code == 200
    assert client.get("/assessment/quality/").status_code == 403
    client.force_login(users.district_admin)
    assert client.get("/assessment/quality/").status_code == 200
    client.force_login(users.street_staff_b)
    assert client.get(f"/assessment/orders/{a.order_id}/").status_code == 404


def test_region_policy_switches_a_decision_setting(team, district, users, api_as):
    from carecircle.core.policy_seed import policy_parameters_seed

    body = {"answers": full_answers("gbt42195_2022", lambda i: i.options[2].code if i.dimension == "B.1" else
                                    i.options[0].code), "diagnoses": ["F03"], "risk_events_30d": {"fall": 2}}
    client = api_as(users.street_staff)
    single = client.post(URL, body, format="json").json()
    policy_parameters_seed(raw_values=[{
        "key": "assessment.gbt42195_2022.stacking", "region": "310104", "value": "per_clause",
        "effective_from": "2020-01-01", "source": "test", "confidence": "local", "note": ""}])
    stacked = client.post(URL, body, format="json").json()
    assert stacked["final_level"] == single["final_level"] + 1
    assert stacked["settings"]["stacking"] == "per_clause"


def test_expiring_quality_and_history(team, district, users):
    from carecircle.assessment import selectors

    first = _final(team, district, users, district.elders.a1)
    assert first.valid_until is not None
    rows = selectors.expiring(user=users.street_staff, on=first.valid_until - dt.timedelta(days=10))
    assert [r["assessment"].pk for r in rows] == [first.pk]
    assert selectors.expiring(user=users.street_staff_b, on=first.valid_until) == []
    assert selectors.expiring(user=users.street_staff, on=first.valid_from) == []
    quality = selectors.quality(user=users.district_admin)
    assert quality["agencies"][0]["n"] == 1 and quality["agencies"][0]["levels"] == {0: 1}
    change = services.reassessment_order(elder=district.elders.a1, actor=users.street_staff, programme="ltci",
                                         reason="change", note="出院后即时评估")
    if change.agency_id != district.agency.pk:  # round robin chose the other agency; move it by hand
        change = services.assessment_order_reassign(order=change, actor=users.street_staff, agency=district.agency,
                                                    reason="原机构承接")
    services.assessment_order_schedule(order=change, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 25, 9))
    a = services.assessment_start(order=change, actor=team.first)
    services.assessment_save(assessment=a, actor=team.first,
                             answers=full_answers("gbt42195_2022", lambda i: i.options[1].code))
    services.assessment_submit(assessment=a, actor=team.first)
    services.assessment_confirm(assessment=a, actor=team.second)
    history = selectors.assessment_history(user=users.street_staff, elder=district.elders.a1)
    assert len(history) == 2 and history[0]["assessment"].pk == a.pk
    whats = {c["what"] for c in history[0]["changes"]}
    assert {"final_level", "item", "dimension"} <= whats
    assert selectors.quality(user=users.district_admin)["agencies"][0]["reassessed"]["changed"] == 1
    # the earlier result is superseded, so it no longer waits in the reminder queue
    assert first.pk not in [r["assessment"].pk for r in selectors.expiring(user=users.street_staff,
                                                                          on=first.valid_until)]


def test_pages_in_english(team, district, users, client):
    a = _final(team, district, users, district.elders.a1)
    client.force_login(users.street_staff)
    client.cookies.load({"django_language": "en"})
    page = client.get(f"/assessment/orders/{a.order_id}/")
    assert b"Intact ability" in page.content and b"Total 90 points" in page.content


def _png_bytes(size=(8, 8)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (250, 250, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_assessor_uploads_a_document_photo_and_a_wrong_file_is_refused(team, district, users, client, settings,
                                                                      tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    order = services.assessment_order_create(elder=district.elders.a1, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    a = services.assessment_start(order=order, actor=team.first)
    client.force_login(team.first)
    png = SimpleUploadedFile("discharge.png", _png_bytes(), content_type="image/png")
    response = client.post(f"/assessment/a/{a.pk}/step/0/", {"upload": "1", "image": png, "caption": "出院小结"})
    assert response.status_code == 302
    photo = a.photos.get()
    assert photo.caption == "出院小结" and len(photo.sha256) == 64
    assert b"".join(client.get(f"/assessment/photos/{photo.pk}/").streaming_content).startswith(b"\x89PNG")
    client.force_login(users.street_staff_b)
    assert client.get(f"/assessment/photos/{photo.pk}/").status_code == 404
    client.force_login(team.first)
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    assert client.post(f"/assessment/a/{a.pk}/step/0/", {"upload": "1", "image": exe}).status_code == 400
    assert a.photos.count() == 1
    # the context step saves diagnoses and events, and a bad ICD-10 code is named
    page = client.post(f"/assessment/a/{a.pk}/step/0/", {"diagnoses": "F03, XYZ", "event_fall": "1"})
    assert page.status_code == 200 and "XYZ".encode() in page.content
    client.post(f"/assessment/a/{a.pk}/step/0/", {"diagnoses": "F03，I10", "event_fall": "1"})
    a.refresh_from_db()
    assert a.diagnoses == ["F03", "I10"] and a.risk_events["fall"] == 1
    # another assessor of the agency who is not on the order cannot open the form
    client.force_login(users.district_admin)
    assert client.get(f"/assessment/a/{a.pk}/step/1/").status_code == 403


def test_quality_flags_an_agency_whose_levels_drift(team, district, users):
    from carecircle.assessment import selectors
    from carecircle.core.policy_seed import policy_parameters_seed

    policy_parameters_seed(raw_values=[{
        "key": "assessment.quality.min_volume", "region": "310104", "value": 1, "effective_from": "2025-01-01",
        "source": "test", "confidence": "local", "note": ""}])
    _final(team, district, users, district.elders.a1)  # level 0 at the fixture's agency
    order = services.assessment_order_create(elder=district.elders.b1, actor=users.street_staff_b, programme="ltci",
                                             reason="application", agency=team.other_agency)
    from carecircle.accounts.models import User

    partner = User.objects.create_user(username="other_two", password="x-Test-2026", role="assessor",
                                       organisation=team.other_agency)
    services.assessment_order_schedule(order=order, actor=team.outsider, assessors=[team.outsider, partner],
                                       appointment_at=dt.datetime(2026, 11, 24, 9))
    a = services.assessment_start(order=order, actor=team.outsider)
    services.assessment_save(assessment=a, actor=team.outsider,
                             answers=full_answers("gbt42195_2022", lambda i: i.options[-1].code))
    services.assessment_submit(assessment=a, actor=team.outsider)
    services.assessment_confirm(assessment=a, actor=partner)
    data = selectors.quality(user=users.district_admin)
    assert data["overall_mean"] == 2.0 and data["threshold"] == 0.5
    by_name = {row["name"]: row for row in data["agencies"]}
    assert by_name[team.other_agency.name]["flagged"] and by_name[district.agency.name]["drift"] == -2.0


def test_expiring_reads_every_row_in_a_fixed_number_of_queries(team, district, users, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from carecircle.assessment import selectors

    first = _final(team, district, users, district.elders.a1)
    _final(team, district, users, district.elders.a2)
    user = get_user_model().objects.select_related("organisation", "scope_region").get(pk=users.street_staff.pk)
    on = first.valid_until - dt.timedelta(days=10)
    selectors.expiring(user=user, on=on, days=60)  # warm any per-process caches
    with django_assert_num_queries(1):
        rows = selectors.expiring(user=user, on=on, days=60)
    assert len(rows) == 2 and not any(r["open_order"] for r in rows)
