import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from carecircle.core.models import Job
from carecircle.elders import services
from carecircle.elders.importing import COLUMNS
from carecircle.elders.models import Elder, ElderImport, ImportStatus

pytestmark = pytest.mark.django_db

HEADER = "姓名,身份证号,联系电话,社区代码,居住地址,居住类型,纬度,经度,坐标系"


def csv_bytes(lines, encoding="utf-8-sig"):
    return ("\n".join([HEADER, *lines]) + "\n").encode(encoding)


@pytest.fixture
def rows(district, new_id):
    good1, good2 = new_id(), new_id()
    bad_checksum = new_id()
    bad_checksum = bad_checksum[:17] + ("0" if bad_checksum[17] != "0" else "1")
    return {
        "good1": f"赵桂兰,{good1},13911112222,310104003001,天平路1号,独居,31.205,121.445,WGS84",
        "good2": f"钱秀英,{good2},,310104003002,永嘉路2号,纯老家庭,,,",
        "bad": f"孙建华,{bad_checksum},,310104003001,天平路3号,独居,,,",
        "dup_in_file": f"赵桂兰,{good1},,310104003001,天平路1号,独居,,,",
        "existing": f"张三明,{district.elders.a1.id_number},,310104003001,天平路4号,独居,,,",
        "other_scope": f"周萍,{new_id()},,310104011001,枫林路5号,独居,,,",
    }


def preview(actor, content, name="elders.csv"):
    return services.elder_import_preview(actor=actor, filename=name, content=content)


class TestPreview:
    def test_preview_lists_errors_by_column_and_duplicates_without_writing(self, users, rows):
        before = Elder.objects.count()
        imp = preview(users.street_staff, csv_bytes([rows[k] for k in
                                                     ("good1", "good2", "bad", "dup_in_file", "existing", "other_scope")]))
        assert Elder.objects.count() == before
        p = imp.preview
        assert (p["total"], p["valid"], p["invalid"], p["duplicates_in_file"], p["duplicates_existing"]) == (6, 2, 2, 1, 1)
        by_line = {r["line"]: r for r in p["rows"]}
        assert "校验位" in " ".join(by_line[4]["errors"]["身份证号"])
        assert by_line[5]["duplicate_of_line"] == 2
        assert by_line[6]["duplicate_of_url"].startswith("/elders/")
        assert "管辖范围" in " ".join(by_line[7]["errors"]["社区代码"])
        # Clear ID numbers are kept only encrypted.
        with connection.cursor() as cursor:
            cursor.execute("SELECT rows FROM elders_elderimport WHERE id = %s", [imp.pk])
            raw = cursor.fetchone()[0]
        assert rows["good1"].split(",")[1] not in raw and rows["good1"].split(",")[1] not in str(p)

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_accepted_encodings(self, users, rows, encoding):
        imp = preview(users.street_staff, csv_bytes([rows["good1"]], encoding=encoding))
        assert imp.preview["valid"] == 1 and imp.preview["rows"][0]["name"] == "赵桂兰"

    def test_undecodable_file_is_refused_clearly(self, users):
        with pytest.raises(Exception) as exc:
            preview(users.street_staff, b"\xff\xfe\x00\x81\x30\x81\xff" * 10)
        assert "编码" in " ".join(exc.value.messages)

    def test_missing_required_columns_are_named(self, users):
        with pytest.raises(Exception) as exc:
            preview(users.street_staff, "姓名,联系电话\n赵桂兰,139\n".encode())
        message = " ".join(exc.value.messages)
        assert "身份证号" in message and "社区代码" in message and "居住类型" in message

    def test_header_only_and_wrong_extension(self, users):
        with pytest.raises(Exception) as exc:
            preview(users.street_staff, (HEADER + "\n").encode())
        assert "没有数据行" in " ".join(exc.value.messages)
        with pytest.raises(Exception) as exc:
            preview(users.street_staff, b"x", name="elders.xls")
        assert ".xlsx" in " ".join(exc.value.messages)

    def test_oversized_file_is_refused(self, users, rows, settings):
        settings.CARECIRCLE_MAX_UPLOAD_BYTES = 100
        with pytest.raises(Exception) as exc:
            preview(users.street_staff, csv_bytes([rows["good1"], rows["good2"]]))
        assert "过大" in " ".join(exc.value.messages)

    def test_xlsx_with_dates_and_numbers(self, users, new_id):
        import datetime as dt

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(["姓名", "身份证号", "出生日期", "社区代码", "居住地址", "居住类型"])
        sheet.append(["吴芳", new_id(), dt.datetime(1945, 3, 8), 310104003001, "天平路9号", "独居"])
        sheet.append(["郑强", new_id(), dt.datetime(1950, 1, 1), 310104003001, "天平路9号", "独居"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        imp = preview(users.street_staff, buffer.getvalue(), name="elders.xlsx")
        assert imp.preview["valid"] == 1
        assert "出生日期" in imp.preview["rows"][1]["errors"]

    def test_corrupt_xlsx(self, users):
        with pytest.raises(Exception) as exc:
            preview(users.street_staff, b"PK\x03\x04 not really", name="elders.xlsx")
        assert "Excel" in " ".join(exc.value.messages)


class TestApply:
    def test_valid_rows_mode_writes_good_rows_and_reports_the_rest(self, users, rows,
                                                                   django_capture_on_commit_callbacks):
        imp = preview(users.street_staff, csv_bytes([rows["good1"], rows["good2"], rows["bad"], rows["dup_in_file"]]))
        with django_capture_on_commit_callbacks(execute=True):
            job = services.elder_import_start(actor=users.street_staff, elder_import=imp, mode="valid_rows")
        imp.refresh_from_db()
        job.refresh_from_db()
        assert imp.status == ImportStatus.APPLIED and job.status == "done"
        assert imp.report["created"] == 2 and [s["line"] for s in imp.report["skipped"]] == [4, 5]
        assert Elder.objects.filter(name__in=["赵桂兰", "钱秀英"]).count() == 2
        assert imp.rows == ""  # the clear rows are gone once applied

    def test_all_or_nothing_mode_writes_nothing_when_a_row_is_bad(self, users, rows,
                                                                  django_capture_on_commit_callbacks):
        before = Elder.objects.count()
        imp = preview(users.street_staff, csv_bytes([rows["good1"], rows["good2"], rows["bad"]]))
        with django_capture_on_commit_callbacks(execute=True):
            job = services.elder_import_start(actor=users.street_staff, elder_import=imp, mode="all_or_nothing")
        imp.refresh_from_db()
        job.refresh_from_db()
        assert Elder.objects.count() == before
        assert imp.status == ImportStatus.FAILED and imp.report["nothing_written"]
        assert "一行也没有写入" in imp.report["summary"] and job.status == "done"

    def test_all_or_nothing_mode_writes_all_when_every_row_is_good(self, users, rows,
                                                                   django_capture_on_commit_callbacks):
        before = Elder.objects.count()
        imp = preview(users.street_staff, csv_bytes([rows["good1"], rows["good2"]]))
        with django_capture_on_commit_callbacks(execute=True):
            services.elder_import_start(actor=users.street_staff, elder_import=imp, mode="all_or_nothing")
        assert Elder.objects.count() == before + 2

    def test_cannot_apply_twice_or_after_discard(self, users, rows, django_capture_on_commit_callbacks):
        imp = preview(users.street_staff, csv_bytes([rows["good1"]]))
        services.elder_import_discard(actor=users.street_staff, elder_import=imp)
        with pytest.raises(Exception):
            services.elder_import_start(actor=users.street_staff, elder_import=imp, mode="valid_rows")
        assert not Job.objects.exists()


class TestImportPages:
    def test_upload_preview_apply_progress(self, client, users, rows, django_capture_on_commit_callbacks):
        client.force_login(users.street_staff)
        upload = SimpleUploadedFile("e.csv", csv_bytes([rows["good1"], rows["bad"]]), content_type="text/csv")
        response = client.post(reverse("elders:import"), {"file": upload})
        imp = ElderImport.objects.get()
        assert response.status_code == 302 and response.url == reverse("elders:import-preview", args=[imp.pk])
        page = client.get(response.url).content.decode()
        assert "【身份证号】" in page and "校验位" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("elders:import-preview", args=[imp.pk]),
                                   {"action": "apply", "mode": "valid_rows"})
        assert response.status_code == 302
        partial = client.get(reverse("elders:import-progress", args=[imp.pk]), HTTP_HX_REQUEST="true")
        body = partial.content.decode()
        assert "hx-trigger" not in body and "新建档案 1 份" in body

    def test_oversized_upload_message(self, client, users, rows, settings):
        settings.CARECIRCLE_MAX_UPLOAD_BYTES = 50
        client.force_login(users.street_staff)
        upload = SimpleUploadedFile("e.csv", csv_bytes([rows["good1"]]), content_type="text/csv")
        response = client.post(reverse("elders:import"), {"file": upload})
        assert response.status_code == 200 and "文件过大" in response.content.decode()
        assert not ElderImport.objects.exists()

    def test_other_streets_import_is_404_and_community_worker_is_403(self, client, users, rows):
        imp = preview(users.street_staff, csv_bytes([rows["good1"]]))
        client.force_login(users.street_staff_b)
        assert client.get(reverse("elders:import-preview", args=[imp.pk])).status_code == 404
        client.force_login(users.community_worker)
        assert client.get(reverse("elders:import")).status_code == 403

    def test_templates_download(self, client, users):
        client.force_login(users.street_staff)
        csv_response = client.get(reverse("elders:import-template", args=["csv"]))
        assert csv_response.content.decode("utf-8-sig").splitlines()[0].split(",") == [str(c.header) for c in COLUMNS]
        xlsx = client.get(reverse("elders:import-template", args=["xlsx"]))
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert [c.value for c in sheet[1]] == [str(c.header) for c in COLUMNS]
        assert client.get(reverse("elders:import-template", args=["exe"])).status_code == 404


def test_the_downloadable_template_example_id_number_is_valid():
    from carecircle.elders.identity import parse_id_number
    from carecircle.elders.importing import COLUMNS

    example = next(c for c in COLUMNS if c.field == "id_number")
    assert parse_id_number(str(example.example)).number == str(example.example)
