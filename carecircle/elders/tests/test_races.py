"""The same ID number registered twice at the same moment (two windows, or a window and an import), through
the API in real threads: one record is created, the other request is refused with 400 naming the record
that exists — on SQLite (a file database, as deployed) as on PostgreSQL, never a 500."""
from rest_framework.test import APIClient

from carecircle.core.models import AuditEvent
from carecircle.core.sensitive import lookup_hash
from carecircle.elders.models import Elder


def _create(user, data, language="zh-hans"):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/v1/elders/", data, format="json", HTTP_ACCEPT_LANGUAGE=language)

    return call


def _body(elder_data, **overrides):
    data = elder_data(**overrides)
    data["community"] = data["community"].code
    return data


def test_one_id_number_registered_twice_at_once_makes_one_record(users, elder_data, race):
    data = _body(elder_data)
    results = race.run(_create(users.street_staff, data),
                       _create(users.district_admin, {**data, "name": "赵桂兰", "address": "天平路 10 号"}))
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    assert sorted(r.status_code for r in results) == [201, 400], [r.content for r in results]
    created = next(r for r in results if r.status_code == 201).json()
    refused = next(r for r in results if r.status_code == 400).json()
    elders = Elder.objects.filter(id_number_hash=lookup_hash(data["id_number"]))
    assert [e.pk for e in elders] == [created["id"]]
    assert list(refused) == ["id_number"]
    # The existing record is named (name and community), not linked by its path: the API answer is text.
    assert "已有老人档案" in refused["id_number"][0] and created["name"] in refused["id_number"][0]
    assert "/elders/" not in refused["id_number"][0]
    assert AuditEvent.objects.filter(action="elders.create").count() == 1


def test_the_refused_window_is_told_in_its_own_language(users, elder_data, race):
    data = _body(elder_data)
    first, second = race.run(_create(users.street_staff, data), _create(users.street_staff, data, "en"),
                             ordered=True)
    assert first.status_code == 201 and second.status_code == 400
    message = second.json()["id_number"][0]
    existing = Elder.objects.select_related("community").get(pk=first.json()["id"])
    assert existing.name in message and "already exists" in message
    # Outside the elder's own name and community, the English answer holds no Chinese.
    words = message.replace(existing.name, "").replace(existing.community.name, "")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in words), message
    assert Elder.objects.filter(id_number_hash=lookup_hash(data["id_number"])).count() == 1
