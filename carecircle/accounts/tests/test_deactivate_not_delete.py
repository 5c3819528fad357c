"""Accounts are deactivated, never deleted: the audit trail must keep naming who acted."""
import pytest
from django.db.models import ProtectedError

from carecircle.accounts.models import User
from carecircle.core import audit
from carecircle.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_user_with_history_cannot_be_deleted_and_is_told_to_deactivate(users):
    audit.record(actor=users.street_staff, action="policy.set", subject=users.street_staff)
    with pytest.raises(ProtectedError) as refused:
        users.street_staff.delete()
    assert "停用" in str(refused.value.args[0])
    # Not even by a bulk delete that skips the model's own delete().
    with pytest.raises(ProtectedError):
        User.objects.filter(pk=users.street_staff.pk).delete()
    assert User.objects.filter(pk=users.street_staff.pk).exists()
    assert AuditEvent.objects.filter(actor=users.street_staff).count() == 1


def test_an_account_that_never_acted_may_still_be_removed(users):
    users.family.delete()
    assert not User.objects.filter(username="family").exists()


def test_the_admin_offers_no_delete_and_says_how_to_deactivate(users, client):
    admin = User.objects.create_superuser(username="root", password="Root-pass-2026", role="district_admin",
                                          scope_region=users.district_admin.scope_region)
    audit.record(actor=users.street_staff, action="policy.set")
    client.force_login(admin)
    change = client.get(f"/admin/accounts/user/{users.street_staff.pk}/change/")
    assert change.status_code == 200
    body = change.content.decode()
    assert "账号不能删除" in body and f"/admin/accounts/user/{users.street_staff.pk}/delete/" not in body
    assert client.get(f"/admin/accounts/user/{users.street_staff.pk}/delete/").status_code == 403
    changelist = client.get("/admin/accounts/user/")
    assert changelist.status_code == 200 and "delete_selected" not in changelist.content.decode()
    bulk = client.post("/admin/accounts/user/", {"action": "delete_selected",
                                                 "_selected_action": [users.street_staff.pk]})
    assert bulk.status_code in (200, 302)
    assert User.objects.filter(pk=users.street_staff.pk).exists()
