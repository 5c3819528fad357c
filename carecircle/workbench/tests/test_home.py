"""The workbench asks every app for its cards (staff) or blocks (elders and family) and shows them in order."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PLATFORM_CARDS = ["elders", "alone", "over80", "organisations", "certificates_expiring", "applications_open",
                  "applications_overdue", "meals_claims", "planning_studies", "benefit_applications",
                  "registry_findings"]


def test_the_street_workbench_shows_every_app_s_cards_in_their_order(client, users):
    client.force_login(users.street_staff)
    response = client.get(reverse("workbench:home"))
    keys = [card.key for card in response.context["cards"] if not card.key.startswith("sample")]
    assert keys == PLATFORM_CARDS
    body = response.content.decode()
    assert body.index('data-card="elders"') < body.index('data-card="applications_overdue"')
    assert reverse("workbench:home") == "/"


def test_a_role_sees_only_the_cards_of_its_capabilities(client, users):
    client.force_login(users.caregiver)
    keys = [card.key for card in client.get(reverse("workbench:home")).context["cards"]]
    assert keys == ["elders", "alone", "over80"]  # caregivers read elders, not providers nor applications


def test_an_elder_s_page_shows_their_record_then_the_way_to_their_applications(client, users, district):
    client.force_login(users.elder)
    response = client.get(reverse("workbench:home"))
    body = response.content.decode()
    assert "age-friendly" in body and "cards" not in response.context
    assert district.elders.a1.name in body and district.elders.a2.name not in body
    button = f'class="button primary" href="{reverse("intake:portal")}"'
    assert body.index(district.elders.a1.name) < body.index(button)
