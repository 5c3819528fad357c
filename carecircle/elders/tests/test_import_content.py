"""An import file is recognised by what it contains, not by its name."""
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from carecircle.elders import services

pytestmark = pytest.mark.django_db


def _preview(actor, content, name):
    return services.elder_import_preview(actor=actor, filename=name, content=content)


def test_a_workbook_named_csv_is_read_as_a_workbook(users, new_id):
    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号", "社区代码", "居住地址", "居住类型"])
    workbook.active.append(["吴芳", new_id(), "310104003001", "天平路9号", "独居"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _preview(users.street_staff, buffer.getvalue(), "elders.csv").preview["valid"] == 1


@pytest.mark.parametrize("content,name,expected", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "elders.csv", "CSV"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "elders.csv", "CSV"),
    (b"<html><script>alert(1)</script></html>", "elders.html", ".xlsx"),
    (b"PK\x03\x04", "elders.xlsx", "Excel"),
])
def test_binary_or_foreign_content_is_refused_with_a_clear_message(users, content, name, expected):
    with pytest.raises(ValidationError) as refused:
        _preview(users.street_staff, content, name)
    assert expected in " ".join(refused.value.messages)
