"""A new app plugs itself in: tests/sampleapp (one model, service, selector, page and API endpoint) is added by
its folder and one line in INSTALLED_APPS (carecircle/settings/test.py), and it appears in the navigation,
the workbench, the access matrix and the audit trail without any other file knowing it."""
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from carecircle.core.audit import record
from carecircle.core.models import AuditEvent
from carecircle.core.plugins import UndeclaredAuditAction, registry
from carecircle.core.roles import has_capability
from tests.test_access_matrix import ROUTES, MAKERS, Walk, world  # noqa: F401 - `world` is a fixture

REPO = Path(__file__).resolve().parent.parent


def test_the_app_is_added_by_its_folder_and_one_line_of_settings():
    assert settings.INSTALLED_APPS.count("tests.sampleapp") == 1
    mentions = [str(path.relative_to(REPO)) for path in (REPO / "carecircle").rglob("*.py")
                if "sampleapp" in path.read_text(encoding="utf-8") and "tests" not in path.parts]
    assert mentions == ["carecircle/settings/test.py"]
    text = (REPO / "carecircle" / "settings" / "test.py").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if "sampleapp" in line and not line.startswith("#")] == [
        'INSTALLED_APPS = [*INSTALLED_APPS, "tests.sampleapp"]  # noqa: F405']


@pytest.fixture
def notes(district):
    from tests.sampleapp.models import Note

    return (Note.objects.create(elder=district.elders.a1, text="A1 likes tea"),
            Note.objects.create(elder=district.elders.b1, text="B1 walks daily"))


def test_it_appears_in_the_navigation_of_the_roles_it_grants(client, users):
    url = reverse("sampleapp:list")
    client.force_login(users.street_staff)
    page = client.get(reverse("workbench:home")).content.decode()
    assert f'href="{url}"' in page and "Sample notes" in page
    client.force_login(users.caregiver)
    assert f'href="{url}"' not in client.get(reverse("workbench:home")).content.decode()
    assert has_capability(users.community_worker, "sampleapp.view")
    assert not has_capability(users.community_worker, "sampleapp.change")


def test_it_appears_on_the_workbench_with_what_the_user_may_see(client, users, notes):
    client.force_login(users.street_staff)
    response = client.get(reverse("workbench:home"))
    cards = {card.key: card.count for card in response.context["cards"]}
    assert cards["sample_notes"] == 1  # street A's note, not street B's
    assert list(cards)[-1] == "sample_notes"  # its order (900) puts it after the platform's cards
    assert 'data-card="sample_notes"' in response.content.decode()


def test_its_page_and_api_show_only_what_is_in_scope(client, api_as, users, notes):
    client.force_login(users.street_staff)
    page = client.get(reverse("sampleapp:list")).content.decode()
    assert "A1 likes tea" in page and "B1 walks daily" not in page
    answer = api_as(users.street_staff).get("/api/v1/sample-notes/")
    assert answer.status_code == 200
    assert [row["text"] for row in answer.json()["results"]] == ["A1 likes tea"]
    assert api_as(users.street_staff).get(f"/api/v1/sample-notes/{notes[1].pk}/").status_code == 404


def test_its_routes_are_walked_by_the_access_matrix_with_every_role(world):
    ours = [route for route in ROUTES if route.name and (route.name.startswith("sampleapp:")
                                                         or route.name.startswith("api-sample-note"))]
    assert {route.name for route in ours} >= {"sampleapp:list", "api-sample-note-list", "api-sample-note-detail"}
    assert "sampleapp.note" in MAKERS
    for route in ours:
        walk = Walk(route, world)
        walk.run()
        if route.name == "api-sample-note-detail":
            assert walk.inside_checked and walk.outside_checked


def test_its_service_writes_a_declared_action_into_the_audit_trail(client, api_as, users, district):
    response = api_as(users.street_staff).post("/api/v1/sample-notes/",
                                                {"elder": district.elders.a1.pk, "text": "Needs a ramp"}, format="json")
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="sampleapp.note_create")
    assert registry.audit_actions["sampleapp.note_create"] == "sampleapp"
    assert event.actor == users.street_staff and event.subject_id == str(response.json()["id"])
    assert event.region == district.elders.a1.community
    client.force_login(users.district_admin)
    trail = client.get(reverse("core:audit-list"), {"action": "sampleapp."}).content.decode()
    assert "sampleapp.note_create" in trail


def test_its_service_refuses_an_elder_outside_the_scope_and_records_nothing(api_as, users, district):
    response = api_as(users.street_staff).post("/api/v1/sample-notes/",
                                               {"elder": district.elders.b1.pk, "text": "Not mine"}, format="json")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="sampleapp.note_create").exists()


def test_an_action_it_does_not_declare_is_refused(users):
    with pytest.raises(UndeclaredAuditAction):
        record(actor=users.street_staff, action="sampleapp.note_shred")
