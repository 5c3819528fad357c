import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from carecircle.benefits import services
from carecircle.benefits.models import LineKind, LineStatus, PaymentLine, RunStatus
from carecircle.core.testing import assert_no_internals

from .conftest import approve, make_run

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else \
        response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _return_file(rows, header=("明细编号", "金额", "结果", "失败原因")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("return.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


def test_bank_file_adds_up_in_both_formats_and_neutralises_formulas(roll, users, client):
    from openpyxl import load_workbook

    roll.elders.a1.name = "=HYPERLINK(\"http://x\")"
    roll.elders.a1.save()
    run = make_run(roll, users, JAN)
    client.force_login(users.district_admin)
    url = reverse("benefits:bank-file", args=[run.pk])
    assert client.get(url).status_code == 409  # not approved yet: no bank file
    approve(run, users)
    rows = _csv(client.get(url))
    assert rows[0] == ["明细编号", "收款人姓名", "身份证号", "金额", "所属月份", "类型"]
    assert sum(Decimal(r[3]) for r in rows[1:]) == run.total == Decimal("1010.00")
    assert any(r[1].startswith("'=HYPERLINK") for r in rows[1:])
    response = client.get(url + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert sum(Decimal(str(r[3])) for r in values[1:]) == Decimal("1010.00")
    assert any(str(r[1]).startswith("'=") for r in values[1:])


def test_return_file_matched_back_and_failed_payment_retried_next_month(roll, users, client):
    run = approve(make_run(roll, users, JAN), users)
    lines = list(PaymentLine.objects.filter(run=run).order_by("pk"))
    client.force_login(users.district_admin)
    url = reverse("benefits:run-return", args=[run.pk])
    # bad rows: unknown line, wrong amount, bad result, duplicate — nothing written, each row listed
    bad = _return_file([[lines[0].pk, "1.00", "成功", ""], ["999999", "180.00", "成功", ""],
                        [lines[1].pk, lines[1].amount, "maybe", ""], [lines[2].pk, lines[2].amount, "成功", ""],
                        [lines[2].pk, lines[2].amount, "成功", ""]])
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    body = response.content.decode()
    for row in ("第 2 行", "第 3 行", "第 4 行", "第 6 行"):
        assert row in body
    assert "第 5 行" not in body
    assert not PaymentLine.objects.filter(run=run).exclude(status=LineStatus.PENDING).exists()
    response = client.post(url, {"file": _return_file([[l.pk, l.amount, "成功", ""] for l in lines],
                                                      header=("明细编号", "金额", "结果", "备注"))})
    assert response.status_code == 400 and "备注" in response.content.decode()
    rows = [[l.pk, l.amount, "失败" if l.elder == roll.elders.a1 else "成功", "账户已销户" if l.elder == roll.elders.a1 else ""]
            for l in lines]
    response = client.post(url, {"file": _return_file(rows)})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.PAID
    failed = PaymentLine.objects.get(run=run, elder=roll.elders.a1)
    assert failed.status == LineStatus.FAILED and failed.failure_reason == "账户已销户"
    feb = make_run(roll, users, FEB)
    mine = sorted((l.kind, l.for_month, l.amount) for l in PaymentLine.objects.filter(run=feb, elder=roll.elders.a1))
    assert mine == [(LineKind.REGULAR, FEB, Decimal("180.00")), (LineKind.RETRY, JAN, Decimal("180.00"))]


def test_frozen_run_edits_answer_409_on_pages(roll, users, client):
    run = approve(make_run(roll, users, JAN), users)
    client.force_login(users.district_admin)
    response = client.post(reverse("benefits:run-make"), {"month": "2026-01"})
    assert response.status_code == 409
    response = client.post(reverse("benefits:run-adjust", args=[run.pk]),
                           {"elder": roll.elders.a1.pk, "for_month": "2026-01", "amount": "5", "reason": "x"})
    assert response.status_code == 409
    response = client.post(reverse("benefits:run-step", args=[run.pk]), {"action": "approve"})
    assert response.status_code == 409
    assert client.post(reverse("benefits:run-make"), {"month": "2026-13"}).status_code == 400


def test_pages_show_words_and_a_street_sees_only_its_elders(roll, users, client):
    run = make_run(roll, users, JAN)
    client.force_login(users.street_staff_b)
    response = client.get(reverse("benefits:run", args=[run.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "王建国" in body and "张三明" not in body and "李秀英" not in body
    assert_no_internals(response, allow=["street_b"])
    client.force_login(users.district_admin)
    for name in ("benefits:home", "benefits:applications", "benefits:cards", "benefits:checks", "benefits:findings",
                 "benefits:eligible"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert_no_internals(response, allow=["district_admin"])
    response = client.get(reverse("benefits:run", args=[run.pk]))
    assert "张三明" in response.content.decode()
    assert_no_internals(response, allow=["district_admin"])
    assert client.get(reverse("benefits:eligible")).content.decode().count("孙外地") == 0


def test_api_lists_an_elders_lines_with_band_amount_and_rule(roll, users, api_as):
    run = make_run(roll, users, JAN)
    client = api_as(users.street_staff)
    response = client.get("/api/v1/allowance-payments/", {"month": "2026-01", "elder": roll.elders.a1.pk})
    assert response.status_code == 200
    rows = response.json()["results"] if isinstance(response.json(), dict) else response.json()
    assert len(rows) == 1
    assert rows[0]["band"] == 80 and rows[0]["amount"] == "180.00"
    assert rows[0]["rule"]["key"] == "benefits.age_allowance.bands[80]" and rows[0]["rule"]["label"]
    outside = api_as(users.street_staff_b).get("/api/v1/allowance-payments/", {"elder": roll.elders.a1.pk})
    data = outside.json()
    assert (data["results"] if isinstance(data, dict) else data) == []
    assert client.get("/api/v1/allowance-payments/", {"month": "2026-99"}).status_code == 400
    assert client.get("/api/v1/allowance-payments/", {"elder": "abc"}).status_code == 400
    # Beyond a 64-bit id: refused before it reaches the database.
    too_big = client.get("/api/v1/allowance-payments/", {"elder": "99999999999999999999"})
    assert too_big.status_code == 400 and "elder" in too_big.json()
    assert "month" in client.get("/api/v1/allowance-payments/", {"month": "1999-12"}).json()
    assert api_as(users.caregiver).get("/api/v1/allowance-payments/").status_code == 403
    assert run.pk


def test_command_prints_one_line_of_json(roll, users, capsys):
    call_command("allowance_run", "--month", "2026-01", "--json")
    data = json.loads(capsys.readouterr().out.strip())
    assert data == {"month": "2026-01", "beneficiaries": 5, "total": "1010.00",
                    "by_band": {"70": "300.00", "80": "360.00", "90": "350.00"}}
    call_command("allowance_run", "--month", "2026-01", "--json")  # made again: the same
    assert json.loads(capsys.readouterr().out.strip()) == data
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("allowance_run", "--month", "January")


def test_the_elder_record_tells_the_allowance_story(roll, users, client):
    client.force_login(users.street_staff)
    page = client.get(reverse("elders:detail", args=[roll.elders.a1.pk]))
    assert page.status_code == 200
    assert "纳入发放通知" in page.content.decode()
    client.force_login(users.street_staff_b)
    assert client.get(reverse("elders:detail", args=[roll.elders.a1.pk])).status_code == 404


def test_statistics_by_month_band_and_street_against_the_budget_line(roll, users, client):
    from django.db.models import Sum

    jan = make_run(roll, users, JAN)
    approve(jan, users)
    make_run(roll, users, FEB)  # a draft: counted by month, not as paid against the budget
    client.force_login(users.district_admin)
    url = reverse("benefits:statistics") + "?year=2026"
    assert client.post(url, {"amount": "-1", "source": "x"}).status_code == 400
    assert client.post(url, {"amount": "100000.00", "source": ""}).status_code == 400
    assert client.post(url, {"amount": "100000.00", "source": "徐民财〔2026〕3号"}).status_code == 302
    page = client.get(url)
    html = page.content.decode()
    assert_no_internals(html, allow=[users.district_admin.username])
    stats = page.context["stats"]
    jan_total = PaymentLine.objects.filter(run=jan).exclude(status="failed").aggregate(t=Sum("amount"))["t"]
    assert stats["monthly"][0]["total"] == jan_total and stats["paid"] == jan_total
    assert stats["monthly"][1]["total"] > 0 and stats["left"] == Decimal("100000.00") - jan_total
    assert sum(row["total"] for row in stats["streets"]) == sum(row["total"] for row in stats["monthly"])
    assert "徐民财〔2026〕3号" in html
    client.force_login(users.street_staff)
    assert client.post(url, {"amount": "1.00", "source": "x"}).status_code == 403
    street = client.get(url).context["stats"]
    assert {row["name"] for row in street["streets"]} <= {"天平路街道"}
    assert client.get(reverse("benefits:statistics") + "?year=abc").status_code == 400
