import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.core.models import AuditEvent

PASSWORD = "Test-pass-2026"


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):0{device.digits}d}"


@pytest.mark.django_db
class TestLoginPage:
    def test_login_lands_on_the_role_workbench(self, client, users):
        response = client.post(reverse("accounts:login"), {"username": "street_a", "password": PASSWORD}, follow=True)
        assert response.status_code == 200
        assert response.context["user"] == users.street_staff
        cards = {card.key: card.count for card in response.context["cards"]}
        assert cards["elders"] == 2  # street A's two elders, not street B's

    def test_wrong_password_is_refused_with_a_message(self, client, users):
        response = client.post(reverse("accounts:login"), {"username": "street_a", "password": "wrong"})
        assert response.status_code == 200
        assert "账号或密码不正确" in response.content.decode()

    def test_repeated_failures_lock_the_account_even_for_the_right_password(self, client, users, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("accounts:login"), {"username": "street_a", "password": "wrong"})
        response = client.post(reverse("accounts:login"), {"username": "street_a", "password": PASSWORD})
        assert response.status_code == 429
        assert "登录尝试过多" in response.content.decode()

    def test_anonymous_home_redirects_to_login(self, client, db):
        response = client.get(reverse("workbench:home"))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]

    def test_elder_sees_the_big_type_page_with_only_their_record(self, client, users, district):
        client.force_login(users.elder)
        response = client.get(reverse("workbench:home"))
        body = response.content.decode()
        assert "age-friendly" in body
        assert district.elders.a1.name in body and district.elders.a2.name not in body


@pytest.mark.django_db
class TestTwoFactor:
    def enrol(self, client, user):
        client.force_login(user)
        client.get(reverse("accounts:otp-setup"))
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        response = client.post(reverse("accounts:otp-setup"), {"token": current_code(device)})
        assert response.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        # A TOTP code is accepted once; let the next step of the test use the current code again.
        device.last_t = -1
        device.save()
        return device

    def test_enrolment_needs_a_correct_code(self, client, users):
        client.force_login(users.street_staff)
        client.get(reverse("accounts:otp-setup"))
        response = client.post(reverse("accounts:otp-setup"), {"token": "000000"})
        assert "验证码不正确" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=users.street_staff, confirmed=True).exists()

    def test_enrolled_staff_must_enter_a_code_after_password(self, client, users):
        device = self.enrol(client, users.street_staff)
        assert AuditEvent.objects.filter(action="accounts.2fa_enabled", actor=users.street_staff).exists()
        client.logout()
        client.post(reverse("accounts:login"), {"username": "street_a", "password": PASSWORD})
        response = client.get(reverse("workbench:home"))
        assert response.status_code == 302 and reverse("accounts:otp-verify") in response["Location"]
        bad = client.post(reverse("accounts:otp-verify"), {"token": "123456", "next": "/"})
        assert "验证码不正确" in bad.content.decode()
        device.refresh_from_db()
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.last_t = -1
        device.save()
        good = client.post(reverse("accounts:otp-verify"), {"token": current_code(device), "next": "/"})
        assert good.status_code == 302
        assert client.get(reverse("workbench:home")).status_code == 200

    def test_verify_ignores_an_offsite_next(self, client, users):
        device = self.enrol(client, users.street_staff)
        client.logout()
        client.force_login(users.street_staff)
        response = client.post(reverse("accounts:otp-verify"), {"token": current_code(device), "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_family_accounts_are_not_offered_staff_two_factor(self, client, users):
        client.force_login(users.family)
        response = client.get(reverse("accounts:otp-setup"))
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=users.family).exists()


@pytest.mark.django_db
class TestApiToken:
    url = "/api/v1/auth/token/"

    def test_token_for_good_credentials_authenticates_requests(self, api_client, users):
        response = api_client.post(self.url, {"username": "street_a", "password": PASSWORD}, format="json")
        assert response.status_code == 200
        token = response.json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert api_client.get("/api/v1/elders/").status_code == 200

    def test_bad_credentials_are_a_400_naming_the_problem(self, api_client, users):
        response = api_client.post(self.url, {"username": "street_a", "password": "nope"}, format="json")
        assert response.status_code == 400
        assert "账号或密码不正确" in str(response.json())

    def test_missing_fields_are_named(self, api_client, db):
        response = api_client.post(self.url, {"username": "x"}, format="json")
        assert response.status_code == 400 and "password" in response.json()

    def test_staff_with_two_factor_must_send_the_code(self, api_client, users):
        device = TOTPDevice.objects.create(user=users.street_staff, name="t", confirmed=True)
        response = api_client.post(self.url, {"username": "street_a", "password": PASSWORD}, format="json")
        assert response.status_code == 400 and "otp" in response.json()
        response = api_client.post(self.url, {"username": "street_a", "password": PASSWORD, "otp": current_code(device)}, format="json")
        assert response.status_code == 200 and response.json()["token"]

    def test_requests_without_a_token_are_refused(self, api_client, db):
        assert api_client.get("/api/v1/elders/").status_code in {401, 403}
