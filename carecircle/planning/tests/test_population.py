"""Residents and households per community, entered per street and dated, feed the area norms."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.conftest import seed_policy
from carecircle.core.models import AuditEvent
from carecircle.planning import selectors
from carecircle.planning.models import CommunityPopulation

pytestmark = pytest.mark.django_db


def post(client, district, **values):
    data = {"street": district.street_a.code, "as_of": timezone.localdate().isoformat(), "source": "街道统计"}
    data.update(values)
    return client.post(reverse("planning:population"), data)


def test_a_street_enters_its_communities_and_the_norm_uses_them(district, users, planning, client):
    seed_policy("planning.alternative.m2_per_100_households")
    client.force_login(users.street_staff)
    a1, a2 = district.a1.pk, district.a2.pk
    response = post(client, district, **{f"residents_{a1}": "6000", f"households_{a1}": "2500",
                                         f"estate_type_{a1}": "old_estate", f"residents_{a2}": "",
                                         f"households_{a2}": ""})
    assert response.status_code == 302
    row = CommunityPopulation.objects.get()
    assert (row.community_id, row.residents, row.households, row.estate_type) == (a1, 6000, 2500, "old_estate")
    report = selectors.coverage_report(user=users.street_staff, root=district.street_a, kind="meal_point",
                                       radius_m=1000)
    a1_row = report.rows[0].children[0]
    assert (a1_row.residents, a1_row.households) == (6000, 2500)
    per_1000 = [n for n in a1_row.norms if n.unit == "平方米/千人"][0]
    assert per_1000.per_unit == pytest.approx(50.0)  # 300 m² for 6,000 residents
    per_100 = [n for n in a1_row.norms if n.unit == "平方米/百户"][0]
    assert per_100.required is not None
    page = client.get(reverse("planning:population")).content.decode()
    assert "6000 人，2500 户" in page
    # the same day again replaces the row, audited
    assert post(client, district, **{f"residents_{a1}": "6100", f"households_{a1}": "2500",
                                     f"estate_type_{a1}": "new_estate"}).status_code == 302
    assert CommunityPopulation.objects.get().residents == 6100
    assert AuditEvent.objects.filter(action="planning.population_save").count() == 2


@pytest.mark.parametrize("values, message", [
    ({"residents": "100", "households": "200"}, "户数不能多于常住人口"),
    ({"residents": "-5", "households": "2"}, "常住人口应为"),
    ({"residents": "abc", "households": "2"}, "常住人口应为"),
    ({"residents": "100", "households": ""}, "户数应为"),
    ({"residents": "100", "households": "20", "estate_type": "castle"}, "住区类型"),
])
def test_bad_figures_save_nothing_and_say_why(district, users, planning, client, values, message):
    client.force_login(users.street_staff)
    a1, a2 = district.a1.pk, district.a2.pk
    data = {f"residents_{a2}": "3000", f"households_{a2}": "1200", f"estate_type_{a2}": "old_estate",
            f"estate_type_{a1}": values.pop("estate_type", "old_estate")}
    data.update({f"{k}_{a1}": v for k, v in values.items()})
    response = post(client, district, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert CommunityPopulation.objects.count() == 0


def test_a_future_date_or_nothing_filled_is_refused(district, users, planning, client):
    client.force_login(users.street_staff)
    a1 = district.a1.pk
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = post(client, district, as_of=tomorrow, **{f"residents_{a1}": "10", f"households_{a1}": "5",
                                                         f"estate_type_{a1}": "old_estate"})
    assert response.status_code == 400 and "统计日期不能晚于今天" in response.content.decode()
    assert post(client, district, as_of="2026-13-45").status_code == 400
    assert "没有填写任何社区" in post(client, district).content.decode()
    assert CommunityPopulation.objects.count() == 0


def test_another_street_or_a_reader_cannot_enter(district, users, planning, client):
    client.force_login(users.street_staff)
    response = post(client, district, street=district.street_b.code,
                    **{f"residents_{district.b1.pk}": "10", f"households_{district.b1.pk}": "5"})
    assert response.status_code == 404
    client.force_login(users.inspector)
    assert client.get(reverse("planning:population")).status_code == 200
    assert post(client, district).status_code == 403
    assert CommunityPopulation.objects.count() == 0
