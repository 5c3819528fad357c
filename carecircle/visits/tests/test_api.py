"""The phone's API: check-in, items, confirmation, check-out; the rules' answers; replays; bad input."""
import datetime as dt

import pytest
from django.utils import timezone

from carecircle.visits.models import ExceptionStatus, Visit, VisitEvent, VisitException, VisitFlag, VisitStatus

from .conftest import body, make_work_order

METRE_LAT = 1 / 111_195.0


def url(order, step):
    return f"/api/v1/work-orders/{order.pk}/{step}/"


def post(client, order, step, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url(order, step), data, format="json", **headers)


@pytest.fixture
def phone(field, api_as):
    return api_as(field.users.caregiver)


def test_full_visit_becomes_verified_and_emits_the_event(field, phone):
    from carecircle.core.models import OutboxEvent
    from carecircle.visits.services import family_code

    start = timezone.now() - dt.timedelta(minutes=70)
    field.order = make_work_order(field.district.provider, field.district.elders.a2, field.wang, start=start)
    field.elder = field.district.elders.a2
    response = post(phone, field.order, "check-in", body(lat=31.195, lng=121.435, device_time=start.isoformat()),
                    key="k-in")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "checked_in" and response.json()["flags"] == []
    field.order.refresh_from_db()
    assert field.order.status == "started"
    items = {"items": [{"item": "ltci-home-hour", "done": True, "note": "洗头", "vitals": {"systolic": 130}}]}
    assert post(phone, field.order, "items", items, key="k-items").status_code == 200
    confirm = {"method": "family_code", "code": family_code(field.order)}
    assert post(phone, field.order, "confirm", confirm, key="k-conf").status_code == 200
    response = post(phone, field.order, "check-out", body(lat=31.195, lng=121.435), key="k-out")
    assert response.status_code == 200, response.json()
    visit = Visit.objects.get(work_order=field.order)
    assert visit.status == VisitStatus.VERIFIED and visit.on_time is True
    field.order.refresh_from_db()
    assert field.order.status == "done"
    event = OutboxEvent.objects.get(name="visits.visit_verified")
    assert event.payload == {"visit": visit.pk, "work_order": field.order.pk, "organisation": field.district.provider.pk,
                             "elder": field.elder.pk, "exception": None}
    assert event.region == field.elder.community


def test_distance_warning_names_rule_and_value_until_reason_then_lands_in_queue(field, phone):
    from carecircle.core.models import OutboxEvent

    far = body(lat=31.205 + 2000 * METRE_LAT)
    response = post(phone, field.order, "check-in", far, key="a")
    assert response.status_code == 400
    payload = response.json()
    assert payload["reason_required"] is True and payload["flags"][0]["rule"] == "distance_from_home"
    assert "2000 米" in payload["detail"] and "300 米" in payload["detail"]
    assert not Visit.objects.exists() and not VisitEvent.objects.exists()
    response = post(phone, field.order, "check-in", {**far, "reason": "老人在女儿家", "reason_code": "elder_elsewhere"},
                    key="a")
    assert response.status_code == 201
    assert [f["rule"] for f in response.json()["flags"]] == ["distance_from_home"]
    exception = VisitException.objects.get()
    assert exception.status == ExceptionStatus.OPEN and exception.reason_code == "elder_elsewhere"
    event = OutboxEvent.objects.get(name="visits.exception_opened")
    assert event.payload["exception"] == exception.pk and event.payload["visit"] == exception.visit_id


def test_distance_message_in_english(field, phone):
    far = body(lat=31.205 + 2000 * METRE_LAT)
    response = phone.post(url(field.order, "check-in"), far, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "2000 m" in response.json()["detail"] and "300 m" in response.json()["detail"]


def test_same_key_same_request_replays(field, phone):
    from carecircle.core.models import AuditEvent

    data = body()
    first = post(phone, field.order, "check-in", data, key="same")
    assert first.status_code == 201
    counts = (Visit.objects.count(), VisitEvent.objects.count(), AuditEvent.objects.count())
    second = post(phone, field.order, "check-in", data, key="same")
    assert second.status_code == 201 and second.json() == first.json()
    assert (Visit.objects.count(), VisitEvent.objects.count(), AuditEvent.objects.count()) == counts
    # A second check-in with a new key is a 409 naming what is allowed.
    third = post(phone, field.order, "check-in", data, key="other")
    assert third.status_code == 409
    assert set(third.json()["allowed_actions"]) == {"items", "confirm", "check_out"}
    # The same key with another request is refused.
    fourth = post(phone, field.order, "check-in", body(lat=31.2051), key="same")
    assert fourth.status_code == 400


def test_check_out_before_check_in_is_409(field, phone):
    response = post(phone, field.order, "check-out", body())
    assert response.status_code == 409
    assert set(response.json()["allowed_actions"]) == {"check_in", "not_home"}


@pytest.mark.parametrize("data, field_name", [
    ({"lat": 91}, "lat"), ({"lng": -181}, "lng"), ({"lat": "NaN"}, "lat"),
    ({"device_time": "2099-01-01T00:00:00+08:00"}, "device_time"),
    ({"datum": "bd09"}, "datum"), ({"photo": "not base64!!"}, "photo"),
])
def test_bad_input_is_a_clear_400_and_nothing_stored(field, phone, data, field_name):
    response = post(phone, field.order, "check-in", body(**data), key="bad")
    assert response.status_code == 400
    assert field_name in response.json()
    assert not Visit.objects.exists() and not VisitEvent.objects.exists()


def test_days_old_timestamp_refused(field, phone):
    old = (timezone.now() - dt.timedelta(days=3)).isoformat()
    response = post(phone, field.order, "check-in", body(device_time=old))
    assert response.status_code == 400 and "device_time" in response.json()


def test_photo_that_is_not_an_image_is_refused(field, phone):
    import base64

    response = post(phone, field.order, "check-in", body(photo=base64.b64encode(b"%PDF-1.4 hello").decode()))
    assert response.status_code == 400
    assert not VisitEvent.objects.exists()


def test_photo_is_stored_hashed_and_a_second_use_is_flagged(field, phone, settings, tmp_path):
    import base64
    import io

    from PIL import Image, ImageDraw

    settings.MEDIA_ROOT = tmp_path
    image = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(image).rectangle((8, 8, 40, 50), fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    photo = base64.b64encode(buffer.getvalue()).decode()
    assert post(phone, field.order, "check-in", body(photo=photo)).status_code == 201
    event = VisitEvent.objects.get()
    assert event.photo and len(event.photo_hash) == 16
    other = make_work_order(field.district.provider, field.district.elders.a2, field.wang)
    assert post(phone, field.order, "check-out", body(reason="老人要求")).status_code == 200
    response = post(phone, other, "check-in", body(lat=31.195, lng=121.435, photo=photo))
    assert response.status_code == 201
    assert "duplicate_photo" in [f["rule"] for f in response.json()["flags"]]


def test_check_out_time_before_check_in_refused(field, phone):
    assert post(phone, field.order, "check-in", body()).status_code == 201
    earlier = (timezone.now() - dt.timedelta(minutes=30)).isoformat()
    response = post(phone, field.order, "check-out", body(device_time=earlier))
    assert response.status_code == 400 and "device_time" in response.json()
    assert Visit.objects.get().status == VisitStatus.CHECKED_IN


def test_another_caregivers_visit_is_403_and_another_providers_is_404(field, api_as):
    from carecircle.accounts.models import User

    colleague = User.objects.get(username="caregiver2")
    assert post(api_as(colleague), field.order, "check-in", body()).status_code == 403
    outsider = User.objects.create_user(username="cg_other", password="Test-pass-2026", role="caregiver",
                                        organisation=field.district.other_provider)
    assert post(api_as(outsider), field.order, "check-in", body()).status_code == 404
    assert post(api_as(field.users.street_staff), field.order, "check-in", body()).status_code == 403
    assert not Visit.objects.exists()


def test_blocking_rule_refuses_even_with_reason(field, phone):
    other = make_work_order(field.district.provider, field.district.elders.a2, field.wang)
    assert post(phone, other, "check-in", body(lat=31.195, lng=121.435)).status_code == 201
    response = post(phone, field.order, "check-in", body(reason="赶时间"))
    assert response.status_code == 400
    assert response.json()["blocked"] is True and response.json()["flags"][0]["rule"] == "overlapping_visit"
    assert Visit.objects.count() == 1


def test_early_check_out_warns_and_short_visit_is_held(field, phone):
    assert post(phone, field.order, "check-in", body()).status_code == 201
    response = post(phone, field.order, "check-out", body())
    assert response.status_code == 400 and response.json()["flags"][0]["rule"] == "early_finish"
    response = post(phone, field.order, "check-out", body(reason="老人要求提前结束", reason_code="elder_request"))
    assert response.status_code == 200
    rules = {f["rule"] for f in response.json()["flags"]}
    assert rules == {"early_finish", "short_duration"}
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.HELD
    assert visit.exceptions.count() == 2


def test_items_validate_codes_and_vitals_and_changes_are_audited(field, phone):
    from carecircle.core.models import AuditEvent

    assert post(phone, field.order, "items", {"items": [{"item": "ltci-home-hour"}]}).status_code == 409
    assert post(phone, field.order, "check-in", body()).status_code == 201
    bad = post(phone, field.order, "items", {"items": [{"item": "nope"}]})
    assert bad.status_code == 400
    bad = post(phone, field.order, "items", {"items": [{"item": "ltci-home-hour", "vitals": {"systolic": 900}}]})
    assert bad.status_code == 400
    assert post(phone, field.order, "items", {"items": [{"item": "ltci-home-hour", "note": "a"}]}).status_code == 200
    assert post(phone, field.order, "items", {"items": [{"item": "ltci-home-hour", "note": "b"}]}).status_code == 200
    changes = [e.changes for e in AuditEvent.objects.filter(action="visits.visit_items").order_by("id")]
    assert changes[-1]["ltci-home-hour"][0]["note"] == "a" and changes[-1]["ltci-home-hour"][1]["note"] == "b"


def test_confirmation_by_elder_pin_and_wrong_code(field, phone):
    from carecircle.visits.services import elder_pin_set

    assert post(phone, field.order, "check-in", body()).status_code == 201
    assert post(phone, field.order, "confirm", {"method": "pin", "code": "1234"}).status_code == 400
    elder_pin_set(actor=field.users.district_admin, elder=field.elder, pin="2468")
    assert post(phone, field.order, "confirm", {"method": "pin", "code": "1234"}).status_code == 400
    assert post(phone, field.order, "confirm", {"method": "pin", "code": "2468"}).status_code == 200
    assert Visit.objects.get().confirm_method == "pin"


def test_not_home_is_recorded_with_proof(field, phone):
    assert post(phone, field.order, "not-home", {"device_time": timezone.now().isoformat()}).status_code == 400
    response = post(phone, field.order, "not-home", body())
    assert response.status_code == 201 and response.json()["status"] == "not_home"
    assert post(phone, field.order, "check-in", body()).status_code == 409
    # The work order leaves the day's open visits: neither late nor missed, and it cannot be started any more.
    field.order.refresh_from_db()
    assert field.order.status == "not_home"
    from carecircle.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="workorders.work_order_not_home", subject_id=str(field.order.pk)).exists()


def test_not_home_refused_leaves_the_work_order_published(field, phone):
    far = body(lat=field.home[0] + 0.02)  # about 2 km away: the distance rule asks for a reason
    response = post(phone, field.order, "not-home", far)
    assert response.status_code == 400
    field.order.refresh_from_db()
    assert field.order.status == "published" and not Visit.objects.exists()


def test_undeclared_gcj02_fix_is_absorbed_and_flagged(field, phone):
    from carecircle.engines.geo.coords import wgs84_to_gcj02

    lat, lng = wgs84_to_gcj02(*field.home)
    data = body(lat=lat, lng=lng)
    data.pop("datum")
    response = post(phone, field.order, "check-in", data)
    assert response.status_code == 201, response.json()
    assert [f["rule"] for f in response.json()["flags"]] == ["undeclared_gcj02"]
    visit = Visit.objects.get()
    assert abs(float(visit.checked_in_lat) - 31.205) < 0.0001


def test_visit_list_is_scoped(field, phone, api_as):
    assert post(phone, field.order, "check-in", body()).status_code == 201
    assert api_as(field.users.provider_admin).get("/api/v1/visits/").json()["count"] == 1
    assert api_as(field.users.street_staff_b).get("/api/v1/visits/").json()["count"] == 0
    assert api_as(field.users.family).get("/api/v1/visits/").status_code == 403
