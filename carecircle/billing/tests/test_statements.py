"""The statements as files and pages: they add up to the fen, they show each reader only what is theirs, they
neutralise spreadsheet formulas and they are recorded in the audit trail."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from carecircle.billing.models import Claim, ClaimLine, SettlementRun

from .conftest import settle

pytestmark = pytest.mark.usefixtures("today_after_november")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def month(district, priced, users):
    """November settled: street A's elders with the home-care provider (one on the minimum living allowance,
    so the subsidy pays), street B's elder with the nursing station; one line of the provider's claim rejected
    after it was submitted."""
    from carecircle.billing.services import claim_step, line_reject

    a1, a2, b1 = district.elders.a1, district.elders.a2, district.elders.b1
    a2.economic_category = "min_living"
    a2.save(update_fields=["economic_category"])
    for elder, level in ((a1, 4), (a2, 4), (b1, 6)):
        priced.level(elder, level)
    for day in (3, 5, 10, 12):
        priced.visit(a1, dt.date(2026, 11, day))
        priced.visit(a2, dt.date(2026, 11, day), items=(("ltci-home-hour", "1.5"),), minutes=90)
        priced.visit(b1, dt.date(2026, 11, day), organisation=district.other_provider)
    run = settle(district)
    claim = Claim.objects.get(run=run, organisation=district.provider)
    claim = claim_step(actor=users.provider_admin, claim=claim, action="submit")
    rejected = ClaimLine.objects.filter(claim=claim, elder=a1).order_by("id").first()
    line_reject(actor=users.district_admin, line=rejected, reason="护理记录缺少签字")
    claim.refresh_from_db()
    run.refresh_from_db()
    return run


def fen(value) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal("1")))


def workbook(response):
    from openpyxl import load_workbook

    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.content))


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def table(rows, first_heading):
    """The rows under the heading row that starts with `first_heading`, up to the first empty row."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_heading)
    body = []
    for row in rows[start + 1:]:
        if not any(cell not in (None, "") for cell in row):
            break
        body.append(row)
    return rows[start], body


def pdf_text(pdf: bytes) -> str:
    """The text a reportlab PDF draws (its pages compressed with ASCII85 and Flate; the CID font's strings in
    UCS-2, the page numbers in a Latin font), to read what a reader will see."""
    import base64
    import re
    import zlib

    def literal(raw):
        out, i = bytearray(), 0
        while i < len(raw):
            if raw[i:i + 1] == b"\\":
                octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
                if octal:
                    out.append(int(octal.group(0), 8))
                    i += 1 + len(octal.group(0))
                    continue
                nxt = raw[i + 1:i + 2]
                out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(nxt, nxt)
                i += 2
                continue
            out += raw[i:i + 1]
            i += 1
        return bytes(out)

    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            data = zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        except (ValueError, zlib.error):
            continue
        wide = False
        for font, string in re.findall(rb"/(F\d+) [\d.]+ Tf|\(((?:[^()\\]|\\.)*)\) Tj", data, re.S):
            if font:
                wide = font != b"F1"  # F1 is Helvetica (page numbers); the others the CID font
            else:
                raw = literal(string)
                texts.append(raw.decode("utf-16-be") if wide else raw.decode("latin-1"))
    return "\n".join(texts)


def as_user(client, user):
    client.force_login(user)
    return client


# --------------------------------------------------------------------------------------------- the provider


def test_the_providers_statement_adds_up_to_the_claim_to_the_fen(client, district, users, month):
    claim = Claim.objects.get(run=month, organisation=district.provider)
    assert claim.rejected_count == 1
    response = as_user(client, users.provider_admin).get(reverse("billing:claim-statement-xlsx", args=[claim.pk]))
    book = workbook(response)
    rows = rows_of(book.active)
    assert ["服务机构", district.provider.name] in [row[:2] for row in rows]
    heading, body = table(rows, "服务日期")
    assert heading == ["服务日期", "老人", "服务项目", "数量", "单价", "金额", "基金支付", "政府补贴", "个人自付", "状态"]
    *lines, totals = body
    assert len(lines) == ClaimLine.objects.filter(claim=claim).count() == claim.lines_count + claim.rejected_count
    counted = [row for row in lines if row[9] == "计入"]
    [rejected] = [row for row in lines if row[9] != "计入"]
    assert rejected[9] == "已驳回：护理记录缺少签字"
    for column, field in ((5, "total"), (6, "fund"), (7, "subsidy"), (8, "self_pay")):
        assert sum(fen(row[column]) for row in counted) == fen(getattr(claim, field)) == fen(totals[column])
    assert all(fen(row[6]) + fen(row[7]) + fen(row[8]) == fen(row[5]) for row in lines)
    _heading, payers = table(rows, "按付款方合计")
    assert {row[0]: fen(row[1]) for row in payers} == {
        "长护险基金": fen(claim.fund), "财政补贴": fen(claim.subsidy), "老人自付": fen(claim.self_pay),
        "合计": fen(claim.total)}
    assert claim.subsidy > 0 and claim.self_pay >= 0
    # Elders are named, never identified by number or phone.
    text = repr(rows)
    assert district.elders.a1.name in text and district.elders.a1.id_number not in text
    assert "13800138000" not in text


def test_the_providers_statement_as_pdf(client, district, users, month):
    claim = Claim.objects.get(run=month, organisation=district.provider)
    response = as_user(client, users.provider_admin).get(reverse("billing:claim-statement-pdf", args=[claim.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="statement-{claim.pk}-2026-11.pdf"'
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert district.provider.name in text and "已驳回：护理记录缺少签字" in text
    assert district.elders.a2.name in text and district.elders.a2.id_number not in text
    # The totals row: amount, fund, subsidy, self-pay of the counted lines, which are the claim's.
    totals = text.split("合计（不含已驳回）")[1].split()[:4]
    assert totals == [f"{claim.total:.2f}", f"{claim.fund:.2f}", f"{claim.subsidy:.2f}", f"{claim.self_pay:.2f}"]


def test_a_provider_cannot_download_another_providers_claim(client, district, users, month):
    theirs = Claim.objects.get(run=month, organisation=district.other_provider)
    provider = as_user(client, users.provider_admin)
    for name in ("billing:claim-statement-xlsx", "billing:claim-statement-pdf"):
        assert provider.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert provider.get(reverse(name, args=[999999])).status_code == 404
    # Nor the district's files, which are about every provider.
    assert provider.get(reverse("billing:run-summary-xlsx", args=[month.pk])).status_code == 404
    assert provider.get(reverse("billing:run-fund-file", args=[month.pk])).status_code == 404


def test_an_export_is_recorded_in_the_audit_trail(client, district, users, month):
    from carecircle.core.models import AuditEvent

    claim = Claim.objects.get(run=month, organisation=district.provider)
    as_user(client, users.district_admin).get(reverse("billing:claim-statement-xlsx", args=[claim.pk]))
    event = AuditEvent.objects.get(action="data.export", subject_type="billing.claim", subject_id=str(claim.pk))
    assert event.actor == users.district_admin
    assert (event.changes["what"], event.changes["format"], event.changes["rows"]) == (
        "billing.statement", "xlsx", claim.lines_count + claim.rejected_count)
    client.get(reverse("billing:run-fund-file", args=[month.pk]))
    assert AuditEvent.objects.filter(action="data.export", subject_type="billing.settlementrun",
                                     changes__what="billing.fundfile").exists()


def test_a_name_that_looks_like_a_formula_is_written_as_text(client, district, users, month):
    elder = district.elders.a1
    elder.name = '=HYPERLINK("http://example.com/x","点击")'
    elder.save()
    claim = Claim.objects.get(run=month, organisation=district.provider)
    admin = as_user(client, users.district_admin)
    for response in (admin.get(reverse("billing:claim-statement-xlsx", args=[claim.pk])),
                     admin.get(reverse("billing:run-fund-file", args=[month.pk]))):
        cells = [cell for row in rows_of(workbook(response).active) for cell in row if isinstance(cell, str)]
        assert "'" + elder.name in cells
        assert not any(cell.startswith("=") for cell in cells)


# --------------------------------------------------------------------------------------------- the district


def test_the_district_summary_adds_up_to_the_run(client, district, users, month):
    response = as_user(client, users.district_admin).get(reverse("billing:run-summary-xlsx", args=[month.pk]))
    book = workbook(response)
    assert book.sheetnames == ["概况", "按资金渠道", "按街道", "按服务机构", "补贴预算来源"]
    overview = {row[0]: row[1] for row in rows_of(book["概况"]) if row and row[0]}
    assert overview["区"] == district.district.name and overview["月份"] == "2026-11"
    assert [fen(overview[k]) for k in ("金额", "基金支付", "政府补贴", "个人自付")] == [
        fen(month.total), fen(month.fund), fen(month.subsidy), fen(month.self_pay)]
    for title in ("按资金渠道", "按街道", "按服务机构"):
        _heading, body = table(rows_of(book[title]), "名称")
        *rows, totals = body
        assert totals[0] == "合计"
        for column, field in ((1, "total"), (2, "fund"), (3, "subsidy"), (4, "self_pay")):
            assert sum(fen(row[column]) for row in rows) == fen(totals[column]) == fen(getattr(month, field)), title
        assert sum(row[5] for row in rows) == totals[5] == month.lines
    streets = {row[0] for row in table(rows_of(book["按街道"]), "名称")[1]}
    assert {district.street_a.name, district.street_b.name} <= streets
    _heading, budget = table(rows_of(book["补贴预算来源"]), "资金渠道")
    *rows, totals = budget
    assert fen(totals[1]) == fen(month.subsidy)
    for row in budget:
        assert fen(row[2]) + fen(row[3]) + fen(row[4]) == fen(row[1])


def test_the_funds_file_adds_up_and_carries_only_the_masked_id_number(client, district, users, month):
    response = as_user(client, users.district_admin).get(reverse("billing:run-fund-file", args=[month.pk]))
    heading, body = table(rows_of(workbook(response).active), "服务机构")
    assert heading == ["服务机构", "老人姓名", "身份证号（脱敏）", "服务日期", "工单号", "项目编码", "数量", "金额",
                       "基金支付"]
    *rows, totals = body
    expected = ClaimLine.objects.filter(claim__run=month, claim__programme="ltci", status="counted", fund__gt=0)
    assert len(rows) == expected.count()
    ltci = Claim.objects.filter(run=month, programme="ltci")
    assert sum(fen(row[8]) for row in rows) == fen(totals[8]) == sum(fen(c.fund) for c in ltci)
    assert sum(fen(row[7]) for row in rows) == fen(totals[7]) == sum(fen(c.total) for c in ltci)
    work_orders = set(expected.values_list("work_order_id", flat=True))
    assert {row[4] for row in rows} == work_orders
    for elder in (district.elders.a1, district.elders.a2, district.elders.b1):
        mine = [row for row in rows if row[1] == elder.name]
        assert mine and {row[2] for row in mine} == {elder.id_number_masked}
        assert elder.id_number not in repr(body) and elder.id_number[:14] not in repr(body)


def test_street_staff_of_street_b_see_only_street_bs_lines(client, district, users, month):
    b_lines = ClaimLine.objects.filter(claim__run=month, community__parent=district.street_b, status="counted")
    street_b = as_user(client, users.street_staff_b)
    book = workbook(street_b.get(reverse("billing:run-summary-xlsx", args=[month.pk])))
    _heading, body = table(rows_of(book["按街道"]), "名称")
    *rows, totals = body
    assert [row[0] for row in rows] == [district.street_b.name]
    assert fen(totals[1]) == sum(fen(line.amount) for line in b_lines)
    _heading, body = table(rows_of(book["按服务机构"]), "名称")
    assert [row[0] for row in body[:-1]] == [district.other_provider.name]
    fund = rows_of(workbook(street_b.get(reverse("billing:run-fund-file", args=[month.pk]))).active)
    names = {row[1] for row in table(fund, "服务机构")[1][:-1]}
    assert names == {district.elders.b1.name}
    assert district.elders.a1.name not in repr(fund) and district.elders.a2.name not in repr(fund)
    # A claim is the provider's and the district's: street staff download the district's files only.
    claim = Claim.objects.get(run=month, organisation=district.other_provider)
    assert street_b.get(reverse("billing:claim-statement-xlsx", args=[claim.pk])).status_code == 404


def test_roles_without_the_export_capability_are_refused(client, users, month):
    for user in (users.caregiver, users.elder, users.family, users.community_worker):
        response = as_user(client, user).get(reverse("billing:run-summary-xlsx", args=[month.pk]))
        assert response.status_code == 403, user.role
    client.logout()
    response = client.get(reverse("billing:run-fund-file", args=[month.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


# --------------------------------------------------------------------------------------------- the elder


def test_the_elders_bill_page_and_pdf(client, district, users, month):
    a1 = district.elders.a1
    lines = ClaimLine.objects.filter(elder=a1, claim__run=month, status="counted")
    self_pay = sum(line.self_pay for line in lines)
    elder = as_user(client, users.elder)
    page = elder.get(reverse("billing:bill", args=[a1.pk, "2026-11"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="age-friendly"' in body
    assert f"{self_pay:.2f} 元" in body
    assert body.count('data-testid="bill-line"') == lines.count() == 3  # the rejected visit is not billed
    from django.utils.html import escape

    from carecircle.billing.selectors import line_rules

    assert all(escape(rule) in body for rule in line_rules(lines.first()))
    pdf_url = reverse("billing:bill-pdf", args=[a1.pk, "2026-11"])
    assert pdf_url in body
    response = elder.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert f"{a1.name} 2026年11月服务账单" in text
    assert text.count("您需自付") == 2 and text.count(f"{self_pay:.2f} 元") >= 2  # first and last
    assert "护理记录缺少签字" not in text and a1.id_number not in text and "13800138000" not in text
    from carecircle.core.models import AuditEvent

    event = AuditEvent.objects.get(action="data.export", changes__what="billing.bill")
    assert (event.subject_id, event.changes["rows"], event.changes["filters"]) == (str(a1.pk), 3, {"month": "2026-11"})


def test_a_family_member_sees_only_the_bills_of_their_elder(client, district, users, month):
    family = as_user(client, users.family)  # linked to a2
    a1, a2 = district.elders.a1, district.elders.a2
    assert family.get(reverse("billing:bill", args=[a2.pk, "2026-11"])).status_code == 200
    for name in ("billing:bill", "billing:bill-pdf"):
        assert family.get(reverse(name, args=[a1.pk, "2026-11"])).status_code == 404
        assert family.get(reverse(name, args=[district.elders.b1.pk, "2026-11"])).status_code == 404
        assert family.get(reverse(name, args=[999999, "2026-11"])).status_code == 404
        for bad in ("2026-13", "november", "2026-1", "0000-00"):
            assert family.get(reverse(name, args=[a2.pk, bad])).status_code == 404, bad
    # A month without services is an empty bill, not an error.
    empty = family.get(reverse("billing:bill", args=[a2.pk, "2026-09"]))
    assert empty.status_code == 200 and "本月没有需要结算的服务" in empty.content.decode()
    # Staff read the claims, not an elder's bill.
    assert as_user(client, users.district_admin).get(
        reverse("billing:bill", args=[a2.pk, "2026-11"])).status_code == 403


def test_the_family_portal_links_to_the_bill(client, district, users, month):
    a2 = district.elders.a2
    self_pay = sum(line.self_pay for line in ClaimLine.objects.filter(elder=a2, status="counted"))
    body = as_user(client, users.family).get(reverse("workbench:home")).content.decode()
    assert 'data-testid="billing-portal"' in body
    assert reverse("billing:bill", args=[a2.pk, "2026-11"]) in body
    assert f"自付 {self_pay:.2f} 元" in body
    assert district.elders.a1.name not in body


def test_files_are_built_from_the_selectors_for_any_month_size(district, users, month):
    """The builders alone (no request): an empty run gives files with a zero total, not an error."""
    from carecircle.billing import selectors, statements

    empty = SettlementRun.objects.create(region=district.district, month=dt.date(2026, 10, 1), status="closed")
    content = statements.district_summary_xlsx(selectors.district_summary(users.district_admin, empty))
    assert content[:2] == b"PK"
    content, count = statements.fund_file_xlsx(users.district_admin, empty,
                                               statements.fund_lines(users.district_admin, empty))
    assert content[:2] == b"PK" and count == 0
    bill = selectors.elder_bill(users.elder, district.elders.a1, dt.date(2026, 10, 1))
    assert statements.elder_bill_pdf(bill).startswith(b"%PDF")


def test_the_claim_and_month_pages_link_to_their_files(client, district, users, month):
    claim = Claim.objects.get(run=month, organisation=district.provider)
    body = as_user(client, users.provider_admin).get(reverse("billing:claim", args=[claim.pk])).content.decode()
    assert reverse("billing:claim-statement-xlsx", args=[claim.pk]) in body
    assert reverse("billing:claim-statement-pdf", args=[claim.pk]) in body
    body = as_user(client, users.district_admin).get(reverse("billing:run", args=[month.pk])).content.decode()
    assert reverse("billing:run-summary-xlsx", args=[month.pk]) in body
    assert reverse("billing:run-fund-file", args=[month.pk]) in body
