"""Candidate sites from a file (all rows or none, each bad row named) and the site study job."""
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from carecircle.conftest import make_elder
from carecircle.core.models import AuditEvent
from carecircle.planning import services
from carecircle.planning.models import CandidateSite, SiteStudy

pytestmark = pytest.mark.django_db

GOOD = "名称,地址,纬度,经度,建筑面积\n原邮电所,永嘉路 1 号,31.195000,121.425000,220\n社区用房,天平路 2 号,31.205000,121.445000,\n"


def upload(text, name="sites.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_a_good_file_is_imported_and_audited(district, users, planning):
    sites = services.candidate_sites_import(actor=users.street_staff, region=district.street_a, upload=upload(GOOD))
    assert [s.name for s in sites] == ["原邮电所", "社区用房"]
    assert str(sites[0].floor_area_m2) == "220.00" and sites[1].floor_area_m2 is None
    assert AuditEvent.objects.filter(action="planning.sites_import").count() == 1


def test_an_xlsx_file_is_read_too(district, users, planning):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "address", "lat", "lng"])
    sheet.append(["旧仓库", "某路 3 号", 31.2, 121.44])
    buffer = io.BytesIO()
    workbook.save(buffer)
    f = SimpleUploadedFile("sites.xlsx", buffer.getvalue())
    sites = services.candidate_sites_import(actor=users.district_admin, region=district.district, upload=f)
    assert [s.name for s in sites] == ["旧仓库"]


@pytest.mark.parametrize("text, expected", [
    ("名称,纬度,经度\n甲,北纬,121.44\n", "第 2 行：纬度“北纬”不是"),
    ("名称,纬度,经度\n甲,31.2,121.44\n,31.2,121.44\n", "第 3 行：缺少名称"),
    ("名称,纬度,经度\n甲,95,121.44\n", "-90 到 90"),
    ("名称,纬度,经度\n远处,30.50,120.00\n", "不在天平路街道范围内"),
    ("名称,纬度,经度\n甲,31.2,121.44,\n乙,31.2,121.44\n丙,31.2,nan\n", "第 4 行"),
    ("名称,纬度,经度,面积\n甲,31.2,121.44,-5\n", "建筑面积“-5”不是非负数"),
    ("名称,地址\n甲,某路\n", "缺少必填列：纬度、经度"),
    ("名称,纬度,经度\n", "没有数据行"),
])
def test_bad_rows_save_nothing_and_say_what_is_wrong(district, users, planning, text, expected):
    with pytest.raises(Exception) as caught:
        services.candidate_sites_import(actor=users.street_staff, region=district.street_a, upload=upload(text))
    assert expected in " ".join(caught.value.messages)
    assert CandidateSite.objects.count() == 0


def test_the_page_answers_a_bad_file_with_400_and_the_rows(district, users, planning, client):
    client.force_login(users.street_staff)
    response = client.post(reverse("planning:sites-import"),
                           {"region": district.street_a.code, "file": upload("名称,纬度,经度\n甲,x,121.44\n")})
    assert response.status_code == 400
    assert "第 2 行" in response.content.decode()
    not_a_sheet = client.post(reverse("planning:sites-import"), {"region": district.street_a.code,
                                                                 "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")})
    assert not_a_sheet.status_code == 400
    assert CandidateSite.objects.count() == 0


def test_a_street_cannot_import_for_another_street(district, users, planning, client):
    client.force_login(users.street_staff)
    response = client.post(reverse("planning:sites-import"), {"region": district.street_b.code, "file": upload(GOOD)})
    assert response.status_code == 404
    assert CandidateSite.objects.count() == 0


def test_a_study_finds_sites_at_least_as_good_as_the_naive_choice(district, users, planning, client,
                                                                  django_capture_on_commit_callbacks):
    # Twelve uncovered elders near the post office, two near the other site.
    for i in range(12):
        make_elder(district.a2, name=f"永嘉{i}", lat="31.195500", lng="121.425500",
                   birth=dt.date(1942, 1, 1 + i))
    services.candidate_sites_import(actor=users.street_staff, region=district.street_a, upload=upload(GOOD))
    client.force_login(users.street_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("planning:study-start"), {"region": district.street_a.code,
                                                                  "facility_kind": "meal_point", "site_count": 1,
                                                                  "radius_m": 500})
    study = SiteStudy.objects.get()
    assert response.status_code == 302 and response.url == reverse("planning:study", args=[study.pk])
    assert study.status == "done", study.result
    result = study.result
    assert result["optimal"][0]["name"] == "原邮电所"
    assert result["optimal_total"] >= result["naive_total"]
    # The twelve by the post office; nothing else uncovered lies within 500 m of a candidate.
    assert (result["optimal_total"], result["naive_total"], result["uncovered"]) == (12, 12, 15)
    page = client.get(reverse("planning:study", args=[study.pk]))
    assert page.status_code == 200 and "原邮电所" in page.content.decode()
    api = client.get("/api/v1/coverage/sites/")
    assert api.status_code == 200 and api.json()["results"][0]["optimal"][0]["gain"] == 12


def test_a_study_needs_candidates_and_sane_numbers(district, users, planning):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.site_study_start(actor=users.street_staff, region=district.street_a, facility_kind="meal_point",
                                  radius_m=10, site_count=0)
    assert set(caught.value.message_dict) == {"radius_m", "site_count", "region"}
    assert SiteStudy.objects.count() == 0
