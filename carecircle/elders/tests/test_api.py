import pytest

from carecircle.core.models import AuditEvent
from carecircle.elders.models import Elder

pytestmark = pytest.mark.django_db

URL = "/api/v1/elders/"


def body(elder_data, **overrides):
    data = elder_data(**overrides)
    data["community"] = data["community"].code
    return data


class TestList:
    def test_pagination_shape_and_page_size(self, api_as, users, district):
        response = api_as(users.district_admin).get(URL, {"page_size": 2})
        assert response.status_code == 200
        data = response.json()
        assert set(data) == {"count", "next", "previous", "results"}
        assert data["count"] == 3 and len(data["results"]) == 2 and "page=2" in data["next"]
        assert data["previous"] is None

    def test_id_number_and_phone_are_masked_on_read(self, api_as, users, district):
        elder = district.elders.a1
        result = api_as(users.district_admin).get(f"{URL}{elder.pk}/").json()
        assert result["id_number"] == elder.id_number_masked and "*" in result["id_number"]
        assert result["phone"] == "138****8000"
        assert elder.id_number not in str(result)

    def test_search_and_filters(self, api_as, users, district):
        client = api_as(users.district_admin)
        assert [r["name"] for r in client.get(URL, {"q": "zsm"}).json()["results"]] == ["张三明"]
        filtered = client.get(URL, {"household_type": "elderly_only"}).json()
        assert [r["name"] for r in filtered["results"]] == ["李秀英"] and filtered["count"] == 1

    def test_street_staff_never_sees_another_street(self, api_as, users, district):
        client = api_as(users.street_staff)
        names = [r["name"] for r in client.get(URL).json()["results"]]
        assert "王建国" not in names
        assert client.get(URL, {"q": district.elders.b1.id_number}).json()["count"] == 0
        assert client.get(f"{URL}{district.elders.b1.pk}/").status_code == 404


class TestWrite:
    def test_create_returns_masked_values(self, api_as, users, elder_data):
        data = body(elder_data)
        response = api_as(users.street_staff).post(URL, data, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["id_number"] == data["id_number"][:6] + "********" + data["id_number"][-4:]
        assert Elder.objects.get(pk=response.json()["id"]).id_number == data["id_number"]

    def test_bad_checksum_is_400_naming_the_field(self, api_as, users, elder_data):
        data = body(elder_data)
        data["id_number"] = data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1")
        response = api_as(users.street_staff).post(URL, data, format="json")
        assert response.status_code == 400
        assert "校验位" in response.json()["id_number"][0]

    def test_duplicate_is_400_with_link(self, api_as, users, district, elder_data):
        data = body(elder_data, id_number=district.elders.a1.id_number)
        response = api_as(users.street_staff).post(URL, data, format="json")
        assert response.status_code == 400
        message = response.json()["id_number"][0]
        assert district.elders.a1.name in message and "/elders/" not in message  # words, not a path

    def test_missing_field_is_400_naming_it(self, api_as, users, elder_data):
        data = body(elder_data)
        del data["address"]
        response = api_as(users.street_staff).post(URL, data, format="json")
        assert response.status_code == 400 and "address" in response.json()

    def test_patch_changes_only_what_is_sent(self, api_as, users, district):
        elder = district.elders.a1
        response = api_as(users.street_staff).patch(f"{URL}{elder.pk}/", {"address": "天平路 99 号"}, format="json")
        assert response.status_code == 200, response.json()
        elder.refresh_from_db()
        assert elder.address == "天平路 99 号" and elder.name == "张三明"

    def test_patch_with_coordinates_outside_district_is_400(self, api_as, users, district):
        response = api_as(users.street_staff).patch(f"{URL}{district.elders.a1.pk}/",
                                                     {"lat": "40.0", "lng": "116.4"}, format="json")
        assert response.status_code == 400 and "lat" in response.json()

    def test_operator_cannot_create_and_other_street_gets_404_on_patch(self, api_as, users, district, elder_data):
        assert api_as(users.operator).post(URL, body(elder_data), format="json").status_code == 403
        response = api_as(users.street_staff).patch(f"{URL}{district.elders.b1.pk}/", {"address": "x"}, format="json")
        assert response.status_code == 404


class TestReveal:
    def test_reveal_with_reason_returns_clear_value_and_audits(self, api_as, users, district):
        elder = district.elders.a1
        response = api_as(users.operator).post(f"{URL}{elder.pk}/reveal/",
                                               {"field": "id_number", "reason": "来电核实身份"}, format="json")
        assert response.status_code == 200
        assert response.json() == {"field": "id_number", "value": elder.id_number}
        assert AuditEvent.objects.filter(action="elders.reveal", actor=users.operator).count() == 1

    def test_reveal_without_reason_is_400(self, api_as, users, district):
        response = api_as(users.operator).post(f"{URL}{district.elders.a1.pk}/reveal/", {"field": "phone"},
                                               format="json")
        assert response.status_code == 400 and "reason" in response.json()

    def test_reveal_without_capability_is_403(self, api_as, users, district):
        response = api_as(users.inspector).post(f"{URL}{district.elders.a1.pk}/reveal/",
                                                {"field": "id_number", "reason": "核查"}, format="json")
        assert response.status_code == 403
        assert not AuditEvent.objects.filter(action="elders.reveal").exists()

    def test_reveal_outside_scope_is_404(self, api_as, users, district):
        response = api_as(users.street_staff).post(f"{URL}{district.elders.b1.pk}/reveal/",
                                                   {"field": "id_number", "reason": "核查"}, format="json")
        assert response.status_code == 404
