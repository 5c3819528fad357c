"""A whole ID or phone number in the search box answers "is this number an elder's?" by the result count.
People without the reveal permission may ask that a limited number of times per hour, and each time is audited."""
import pytest
from django.urls import reverse

from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.core.policy import policy_label, seed_values
from carecircle.core.policy_seed import policy_parameters_seed
from carecircle.elders.selectors import EXACT_SEARCH_RATE_KEY, elder_search
from carecircle.elders.services import EXACT_SEARCH_ACTION

LIMIT = 2


@pytest.fixture(autouse=True)
def rate(district):
    rows = [dict(row, value=LIMIT) for row in seed_values() if row["key"] == EXACT_SEARCH_RATE_KEY]
    assert rows, "the seed file must carry the rate"
    policy_parameters_seed(raw_values=rows)


def search(api_client, q):
    return api_client.get("/api/v1/elders/", {"q": q}, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.django_db
class TestExactSearchByPeopleWithoutReveal:
    def test_each_search_is_audited_with_the_count_but_never_the_number(self, api_as, users, district):
        elder = district.elders.a1  # in the provider's service area
        client = api_as(users.provider_admin)
        assert search(client, elder.phone).json()["count"] == 1
        assert search(client, "13900000000").json()["count"] == 0
        events = list(AuditEvent.objects.filter(action=EXACT_SEARCH_ACTION, actor=users.provider_admin).order_by("id"))
        assert [e.changes["results"] for e in events] == [1, 0]
        assert events[0].changes["kind"] == "phone" and events[0].changes["masked"] == "138****8000"
        assert all(elder.phone not in str(e.changes) for e in events)

    def test_over_the_hourly_limit_the_api_answers_429_and_says_why(self, api_as, users, district):
        client = api_as(users.provider_admin)
        for _ in range(LIMIT):
            assert search(client, district.elders.a1.id_number).status_code == 200
        response = search(client, district.elders.a1.id_number)
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        assert "每小时最多 2 次" in response.json()["detail"]
        assert AuditEvent.objects.filter(action=EXACT_SEARCH_ACTION).count() == LIMIT

    def test_over_the_limit_the_page_and_the_export_answer_429(self, client, users, district):
        client.force_login(users.inspector)
        for _ in range(LIMIT):
            assert client.get(reverse("elders:list"), {"q": district.elders.a1.id_number}).status_code == 200
        page = client.get(reverse("elders:list"), {"q": district.elders.a1.id_number})
        assert page.status_code == 429 and "每小时最多" in page.content.decode()
        assert client.get(reverse("elders:export"), {"q": district.elders.a1.phone}).status_code == 429

    def test_other_callers_of_the_search_find_nothing_over_the_limit(self, users, district):
        for _ in range(LIMIT):
            list(elder_search(users.provider_admin, district.elders.a1.phone))
        assert list(elder_search(users.provider_admin, district.elders.a1.phone)) == []

    def test_names_and_last_four_are_not_limited(self, api_as, users, district):
        client = api_as(users.provider_admin)
        for _ in range(LIMIT + 2):
            assert search(client, "张").status_code == 200
            assert search(client, district.elders.a1.id_number[-4:]).status_code == 200
        assert not AuditEvent.objects.filter(action=EXACT_SEARCH_ACTION).exists()

    def test_without_a_configured_limit_whole_number_search_is_refused(self, api_as, users, district):
        PolicyParameter.objects.filter(key=EXACT_SEARCH_RATE_KEY).delete()
        response = search(api_as(users.provider_admin), district.elders.a1.phone)
        assert response.status_code == 429 and policy_label(EXACT_SEARCH_RATE_KEY) in response.json()["detail"]


@pytest.mark.django_db
def test_people_who_may_reveal_numbers_are_neither_limited_nor_audited(api_as, users, district):
    client = api_as(users.street_staff)
    for _ in range(LIMIT + 2):
        assert search(client, district.elders.a1.id_number).json()["count"] == 1
    assert not AuditEvent.objects.filter(action=EXACT_SEARCH_ACTION).exists()
