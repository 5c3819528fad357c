import pytest
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "Root-pass-2026")
    client.force_login(admin)
    return client


def test_admin_change_is_audited_with_old_and_new_values(superuser_client, district):
    url = reverse("admin:regions_region_change", args=[district.a1.pk])
    response = superuser_client.post(url, {"code": district.a1.code, "name": "天平新社区", "kind": "community",
                                           "parent": district.street_a.pk})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.object_change", subject_type="regions.region")
    assert event.changes["name"] == ["天平社区", "天平新社区"]
    assert event.actor.username == "root"


def test_admin_user_change_never_copies_the_password_hash(superuser_client, users):
    user = users.street_staff
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = superuser_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in {"groups", "user_permissions", "password"}}
    data.update({"display_name": "新名字", "role": user.role, "scope_region": user.scope_region_id,
                 "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "is_active": "on"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="admin.object_change", subject_type="accounts.user")
    assert event.changes["display_name"][1] == "新名字"
    assert "password" not in event.changes and user.password not in str(event.changes)


def test_audit_trail_cannot_be_edited_in_the_admin(superuser_client, users):
    event = AuditEvent.objects.create(actor_repr="x", action="test")
    assert superuser_client.get(reverse("admin:core_auditevent_change", args=[event.pk])).status_code in {200, 403}
    response = superuser_client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_region_delete_in_admin_is_audited(superuser_client, district):
    region = Region.objects.create(code="310104099", name="临时街道", kind="street", parent=district.district)
    response = superuser_client.post(reverse("admin:regions_region_delete", args=[region.pk]), {"post": "yes"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.object_delete", subject_type="regions.region")
    assert event.subject_repr == "临时街道" and event.changes["name"] == ["临时街道", None]
