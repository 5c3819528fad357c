"""No one without the reveal permission can rebuild an ID number from what they can read.

The masked number shows the first 6 and last 4 characters; the 8 hidden ones are the birth date. So no
response (API list and detail, pages, CSV exports, the audit trail) may hold both the mask and the full
birth date of one elder for a reader without `elders.reveal`.
"""
import datetime as dt

import pytest
from django.urls import reverse

from carecircle.core import audit
from carecircle.core.models import AuditEvent
from carecircle.core.roles import has_capability
from carecircle.elders import services
from carecircle.elders.disclosure import identity_shown
from carecircle.elders.models import Elder

ROLES_WITHOUT_REVEAL = ["inspector", "provider_admin", "assessor", "caregiver", "elder", "family"]


def birth_date_forms(day: dt.date) -> list[str]:
    return [day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%Y/%m/%d"), f"{day.year}年{day.month}月{day.day}日"]


def readable_texts(client, user, elders) -> dict[str, str]:
    """Everything the user can read about these elders, by address."""
    client.force_login(user)
    urls = ["/api/v1/elders/", reverse("elders:list"), reverse("elders:export")]
    for elder in elders:
        urls += [f"/api/v1/elders/{elder.pk}/", reverse("elders:detail", args=[elder.pk])]
    if has_capability(user, "audit.view"):
        urls += [reverse("core:audit-list"), reverse("core:audit-export")]
    texts = {}
    for url in urls:
        response = client.get(url)
        if response.status_code == 200:
            texts[url] = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return texts


def rebuildable(texts: dict[str, str], elders) -> list[str]:
    found = []
    for url, text in texts.items():
        for elder in elders:
            if elder.id_number_masked in text and any(form in text for form in birth_date_forms(elder.birth_date)):
                found.append(f"{url}: {elder.name}")
    return found


@pytest.fixture
def trail(district, users):
    """An elder created through the service (its audit snapshot) and an event recorded the old way, with the
    full birth date, as the append-only trail still holds from before the rule."""
    created = services.elder_create(actor=users.street_staff, data={
        "name": "赵新建", "id_number": "310104194105060010", "community": district.a1, "address": "天平路1号",
        "household_type": "alone"})
    old = district.elders.a1
    audit.record(actor=users.street_staff, action="elders.update", subject=old,
                 changes={"birth_date": [None, old.birth_date.isoformat()], "id_number": [None, old.id_number_masked]})
    return created


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES_WITHOUT_REVEAL)
def test_no_role_without_reveal_can_rebuild_an_id_number(client, district, users, trail, role):
    elders = list(Elder.objects.all())
    user = getattr(users, role)
    texts = readable_texts(client, user, elders)
    assert texts, f"{role} reads nothing: the test would prove nothing"
    assert rebuildable(texts, elders) == []


@pytest.mark.django_db
def test_the_check_can_fail_readers_with_reveal_see_the_birth_date(client, district, users, trail):
    """The control: street staff may reveal numbers, see birth dates, and the check notices it."""
    texts = readable_texts(client, users.street_staff, [district.elders.a1])
    assert rebuildable(texts, [district.elders.a1])


@pytest.mark.django_db
def test_readers_without_reveal_see_the_age_in_api_pages_and_export(client, api_as, district, users):
    elder = district.elders.a1
    row = api_as(users.inspector).get(f"/api/v1/elders/{elder.pk}/").json()
    assert row["birth_date"] is None and row["age"] == identity_shown(users.inspector, elder).age
    assert row["id_number"] == elder.id_number_masked
    client.force_login(users.inspector)
    page = client.get(reverse("elders:detail", args=[elder.pk])).content.decode()
    assert "年龄" in page and f"{row['age']} 岁" in page
    export = b"".join(client.get(reverse("elders:export")).streaming_content).decode()
    assert "年龄" in export.splitlines()[0]
    full = api_as(users.street_staff).get(f"/api/v1/elders/{elder.pk}/").json()
    assert full["birth_date"] == elder.birth_date.isoformat()


@pytest.mark.django_db
def test_the_trail_records_the_birth_year_only(district, users, trail):
    event = AuditEvent.objects.filter(action="elders.create", subject_id=str(trail.pk)).get()
    assert event.changes["birth_date"] == [None, "1941"]


@pytest.mark.django_db
def test_nothing_stored_beside_the_ciphertext_gives_the_number_back(district):
    """A copy of the elder table (without the keys) holds the birth date but neither the mask nor the last four."""
    from django.db import connection

    elder = district.elders.a1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM elders_elder WHERE id = %s", [elder.pk])
        columns = [description[0] for description in cursor.description]
        row = dict(zip(columns, (str(value) for value in cursor.fetchone())))
    everything = " ".join(row.values())
    assert elder.id_number not in everything
    assert elder.id_number[:6] + "*" not in everything
    # Ciphertexts and keyed digests are random-looking text in which any four digits may occur by chance;
    # every other column must not carry the last four (the birth date is the part a dump already shows).
    keyed = {"id_number", "id_number_hash", "id_number_last4_hash", "phone", "phone_hash"}
    assert keyed <= set(columns)
    for column, value in row.items():
        if column not in keyed and column != "birth_date":
            assert elder.id_number[-4:] not in value, column


@pytest.mark.django_db
def test_last_four_search_still_finds_the_elder(users, district):
    from carecircle.elders.selectors import elder_search

    elder = district.elders.a1
    assert elder in list(elder_search(users.district_admin, elder.id_number[-4:]))
