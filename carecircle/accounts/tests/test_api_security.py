"""The API asks for the same second factor as the pages, and its tokens are hashed, expire and are revoked
when the password, the second factor or the account changes."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts import services
from carecircle.accounts.models import ApiToken, RevokeReason
from carecircle.core.models import AuditEvent
from carecircle.core.policy import policy_label

from .test_login_and_tokens import PASSWORD, current_code

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"


def password_only_login(client, user):
    """A real password login (not force_login), stopping before the code."""
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
class TestSessionNeedsSecondFactor:
    def test_password_only_session_is_refused_by_the_api(self, client, users, district):
        TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
        password_only_login(client, users.street_staff)
        for method, url in [("get", "/api/v1/elders/"), ("get", f"/api/v1/elders/{district.elders.a1.pk}/"),
                            ("post", f"/api/v1/elders/{district.elders.a1.pk}/reveal/")]:
            response = getattr(client, method)(url, {"field": "id_number", "reason": "核对"} if method == "post" else None,
                                               HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 403, url
            assert "两步验证" in response.json()["detail"]
        assert not AuditEvent.objects.filter(action="elders.reveal").exists()

    def test_the_refusal_is_in_the_readers_language(self, client, users):
        TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
        password_only_login(client, users.street_staff)
        response = client.get("/api/v1/elders/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403 and "two-factor" in response.json()["detail"].lower()

    def test_after_the_code_the_same_session_may_use_the_api(self, client, users):
        device = TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
        password_only_login(client, users.street_staff)
        response = client.post(reverse("accounts:otp-verify"), {"token": current_code(device), "next": "/"})
        assert response.status_code == 302
        assert client.get("/api/v1/elders/").status_code == 200

    def test_sessions_of_accounts_without_an_authenticator_are_unaffected(self, client, users):
        TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=False)  # started, never confirmed
        password_only_login(client, users.street_staff)
        assert client.get("/api/v1/elders/").status_code == 200


@pytest.mark.django_db
class TestTokenIssue:
    def test_only_a_hash_of_the_key_is_stored(self, api_client, users):
        key = api_client.post(TOKEN_URL, {"username": "street_a", "password": PASSWORD}, format="json").json()["token"]
        token = ApiToken.objects.get(user=users.street_staff)
        assert token.key_hash == services.hash_key(key) and key not in token.key_hash
        assert token.prefix == key[:8]
        assert token.expires_at - token.created_at == dt.timedelta(days=30)  # the seeded lifetime

    def test_a_wrong_code_gets_no_token(self, api_client, users):
        TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
        response = api_client.post(TOKEN_URL, {"username": "street_a", "password": PASSWORD, "otp": "000000"},
                                   format="json")
        assert response.status_code == 400 and "otp" in response.json()
        assert not ApiToken.objects.exists()

    def test_without_a_configured_lifetime_no_token_is_issued(self, api_client, users):
        from carecircle.core.models import PolicyParameter

        PolicyParameter.objects.filter(key=services.TOKEN_LIFETIME_KEY).delete()
        response = api_client.post(TOKEN_URL, {"username": "street_a", "password": PASSWORD}, format="json")
        assert response.status_code == 400 and policy_label(services.TOKEN_LIFETIME_KEY) in str(response.json())
        assert not ApiToken.objects.exists()


@pytest.fixture
def issued(users):
    _token, key = services.api_token_issue(user=users.street_staff)
    return key


def call(api_client, key, url="/api/v1/elders/", method="get"):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return getattr(api_client, method)(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.django_db
class TestTokenUse:
    def test_a_valid_token_works_and_records_its_last_use(self, api_client, issued):
        assert call(api_client, issued).status_code == 200
        assert ApiToken.objects.get().last_used_at is not None

    def test_an_expired_token_is_a_401_saying_so(self, api_client, issued):
        ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        response = call(api_client, issued)
        assert response.status_code == 401 and "过期" in response.json()["detail"]

    def test_an_unknown_token_is_a_401(self, api_client, db):
        assert call(api_client, "x" * 43).status_code == 401

    def test_refresh_gives_a_new_token_and_ends_the_old_one(self, api_client, issued, users):
        response = call(api_client, issued, REFRESH_URL, "post")
        assert response.status_code == 200
        new_key = response.json()["token"]
        assert new_key != issued
        assert call(api_client, issued).status_code == 401
        assert call(api_client, new_key).status_code == 200
        old = ApiToken.objects.get(key_hash=services.hash_key(issued))
        assert old.revoked_reason == RevokeReason.REFRESHED
        assert AuditEvent.objects.filter(action="accounts.token_refreshed", actor=users.street_staff).exists()

    def test_an_expired_token_cannot_be_refreshed(self, api_client, issued):
        ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert call(api_client, issued, REFRESH_URL, "post").status_code == 401
        assert ApiToken.objects.count() == 1

    def test_refresh_needs_a_token_not_a_session(self, client, users):
        client.force_login(users.street_staff)
        assert client.post(REFRESH_URL).status_code == 401


@pytest.mark.django_db
class TestTokenRevocation:
    def assert_revoked(self, api_client, key, reason):
        response = call(api_client, key)
        assert response.status_code == 401
        token = ApiToken.objects.get(key_hash=services.hash_key(key))
        assert token.revoked_reason == reason
        assert AuditEvent.objects.filter(action="accounts.tokens_revoked", changes__reason=reason).exists()

    def test_a_password_change_revokes_every_token(self, api_client, issued, users):
        users.street_staff.set_password("Another-pass-2026")
        users.street_staff.save()
        self.assert_revoked(api_client, issued, RevokeReason.PASSWORD_CHANGED)

    def test_saving_the_account_without_a_new_password_keeps_the_tokens(self, api_client, issued, users):
        users.street_staff.display_name = "新名字"
        users.street_staff.save()
        assert call(api_client, issued).status_code == 200

    def test_deactivation_revokes_every_token(self, api_client, issued, users):
        users.street_staff.is_active = False
        users.street_staff.save()
        self.assert_revoked(api_client, issued, RevokeReason.DEACTIVATED)
        users.street_staff.is_active = True
        users.street_staff.save()
        assert call(api_client, issued).status_code == 401  # reactivation does not bring a token back

    def test_resetting_two_factor_revokes_every_token(self, api_client, issued, users):
        TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
        services.totp_device_remove(user=users.street_staff, reason="换手机")
        self.assert_revoked(api_client, issued, RevokeReason.TWO_FACTOR_RESET)


@pytest.mark.django_db
class TestTokenPage:
    def test_the_page_lists_own_tokens_without_their_keys(self, client, users, issued):
        services.api_token_issue(user=users.street_staff_b)
        client.force_login(users.street_staff)
        body = client.get(reverse("accounts:api-tokens")).content.decode()
        assert issued[:8] in body and issued not in body
        assert ApiToken.objects.get(user=users.street_staff_b).prefix not in body

    def test_the_page_is_linked_from_the_account_menu_and_translated(self, client, users):
        client.force_login(users.street_staff)
        body = client.get(reverse("workbench:home")).content.decode()
        assert reverse("accounts:api-tokens") in body
        client.cookies["django_language"] = "en"
        english = client.get(reverse("accounts:api-tokens")).content.decode()
        assert "API tokens" in english

    def test_revoking_asks_first_then_revokes(self, client, api_client, users, issued):
        token = ApiToken.objects.get(user=users.street_staff)
        client.force_login(users.street_staff)
        url = reverse("accounts:api-token-revoke")
        confirm = client.get(url, {"token": token.pk})
        assert confirm.status_code == 200 and token.prefix in confirm.content.decode()
        token.refresh_from_db()
        assert token.revoked_at is None  # looking at the question changes nothing
        assert client.post(url, {"token": token.pk}).status_code == 302
        token.refresh_from_db()
        assert token.revoked_reason == RevokeReason.BY_USER
        assert call(api_client, issued).status_code == 401
        assert AuditEvent.objects.filter(action="accounts.token_revoked", actor=users.street_staff).exists()

    def test_another_persons_token_is_a_404(self, client, users, issued):
        token = ApiToken.objects.get(user=users.street_staff)
        client.force_login(users.street_staff_b)
        assert client.get(reverse("accounts:api-token-revoke"), {"token": token.pk}).status_code == 404
        assert client.post(reverse("accounts:api-token-revoke"), {"token": token.pk}).status_code == 404
        assert client.post(reverse("accounts:api-token-revoke"), {"token": "x"}).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None


@pytest.mark.django_db
def test_old_clear_text_tokens_move_to_hashes_and_keep_working(api_client, users):
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    old = Token.objects.create(user=users.operator)
    migration = importlib.import_module("carecircle.accounts.migrations.0003_api_tokens_hashed")
    migration.move_clear_keys_to_hashes(apps, None)
    assert not Token.objects.exists()  # no clear-text key is left at rest
    moved = ApiToken.objects.get(user=users.operator)
    assert moved.key_hash == services.hash_key(old.key) and moved.expires_at > timezone.now()
    assert call(api_client, old.key).status_code == 200


@pytest.mark.django_db
def test_an_administrator_removing_the_authenticator_revokes_the_tokens(client, api_client, users, issued):
    from carecircle.accounts.models import User

    device = TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
    admin = User.objects.create_superuser(username="root", password=PASSWORD)
    client.force_login(admin)
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert call(api_client, issued).status_code == 401
    assert ApiToken.objects.get().revoked_reason == RevokeReason.TWO_FACTOR_RESET
