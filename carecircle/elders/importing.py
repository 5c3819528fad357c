"""Reading a bulk-import file (CSV or XLSX) into rows keyed by field name. Reads only; never writes.

A file-level problem (size, encoding, format, missing columns) raises one ValidationError whose message
says what to do about it. Row-level problems are found later by the same validation forms and the API use.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    example: str


COLUMNS = [
    Column("name", gettext_lazy("姓名"), True, "张三明"),
    Column("id_number", gettext_lazy("身份证号"), True, "310104194005060013"),
    Column("gender", gettext_lazy("性别"), False, gettext_lazy("男")),
    Column("birth_date", gettext_lazy("出生日期"), False, "1940-05-06"),
    Column("phone", gettext_lazy("联系电话"), False, "13800138000"),
    Column("community", gettext_lazy("社区代码"), True, "310104003001"),
    Column("address", gettext_lazy("居住地址"), True, "天平路 1 弄 2 号 301 室"),
    Column("household_type", gettext_lazy("居住类型"), True, gettext_lazy("独居")),
    Column("economic_category", gettext_lazy("经济类别"), False, gettext_lazy("一般")),
    Column("registration", gettext_lazy("户籍"), False, gettext_lazy("本地户籍")),
    Column("lat", gettext_lazy("纬度"), False, "31.205000"),
    Column("lng", gettext_lazy("经度"), False, "121.445000"),
    Column("coordinate_system", gettext_lazy("坐标系"), False, "WGS84"),
    Column("chronic_conditions", gettext_lazy("慢性病"), False, gettext_lazy("高血压、糖尿病")),
]
HEADER_BY_FIELD = {c.field: c.header for c in COLUMNS}
# The same column may arrive under its English field name (files exported by other systems).
_FIELD_BY_HEADER = {**{str(c.header): c.field for c in COLUMNS}, **{c.field: c.field for c in COLUMNS}}


def column_label(field: str) -> str:
    return str(HEADER_BY_FIELD.get(field, field))


def _decode(content: bytes) -> str:
    from carecircle.core.uploads import decode_text

    return decode_text(content)


def _header_map(header: list) -> dict[int, str]:
    mapping, unknown = {}, []
    for index, raw in enumerate(header):
        title = str(raw or "").strip().lstrip("\ufeff")
        if not title:
            continue
        field = _FIELD_BY_HEADER.get(title) or _FIELD_BY_HEADER.get(title.lower())
        if field is None:
            unknown.append(title)
        elif field in mapping.values():
            raise ValidationError(_("列“%(title)s”出现了不止一次") % {"title": title})
        else:
            mapping[index] = field
    missing = [str(c.header) for c in COLUMNS if c.required and c.field not in mapping.values()]
    if missing:
        raise ValidationError(
            _("缺少必填列：%(missing)s。请使用下载的导入模板，第一行为列名。") % {"missing": pgettext("list separator", "、").join(missing)})
    return mapping


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_table(table) -> list[dict]:
    iterator = iter(table)
    header = next(iterator, None)
    if header is None:
        raise ValidationError(_("文件是空的：第一行应为列名"))
    mapping = _header_map(list(header))
    rows = []
    for line_number, values in enumerate(iterator, start=2):
        values = list(values)
        if not any(_cell(v) for v in values):
            continue
        row = {field: _cell(values[index]) if index < len(values) else "" for index, field in mapping.items()}
        row["_line"] = line_number
        rows.append(row)
    if not rows:
        raise ValidationError(_("文件只有列名，没有数据行"))
    # A ceiling on one preview so that it stays a page people can read, not a policy value.
    max_rows = getattr(settings, "CARECIRCLE_ELDER_IMPORT_MAX_ROWS", 20000)
    if len(rows) > max_rows:
        raise ValidationError(_("一次最多导入 %(max)d 行（本文件 %(n)d 行），请拆分后分批上传")
                              % {"max": max_rows, "n": len(rows)})
    return rows


def read_csv(content: bytes) -> list[dict]:
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _rows_from_table(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise ValidationError(_("CSV 文件格式有误：%(error)s") % {"error": exc})


def read_xlsx(content: bytes) -> list[dict]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或实际是其他格式"))
    try:
        return _rows_from_table(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()


def read_upload(filename: str, content: bytes, *, actor=None) -> list[dict]:
    """The rows of an upload whose content (not its name) proved it a workbook or a text CSV."""
    from carecircle.core.uploads import XLSX, read_import

    kind, content = read_import(content, filename=filename, actor=actor)
    if kind == XLSX:
        return read_xlsx(content)
    return read_csv(content)


def template_csv() -> bytes:
    from carecircle.core.exports import SafeCsvWriter

    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow([str(c.header) for c in COLUMNS])
    writer.writerow([str(c.example) for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    from carecircle.core.exports import append_xlsx_row

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("老人档案")
    append_xlsx_row(sheet, [str(c.header) for c in COLUMNS])
    append_xlsx_row(sheet, [str(c.example) for c in COLUMNS])
    notes = workbook.create_sheet(_("填写说明"))
    append_xlsx_row(notes, [_("列名"), _("是否必填"), _("示例")])
    for column in COLUMNS:
        append_xlsx_row(notes, [str(column.header), _("必填") if column.required else _("选填"), str(column.example)])
    notes.append([])
    append_xlsx_row(notes, [_("坐标系填 GCJ-02 时（高德、腾讯、微信地图取得的坐标），系统会换算为 WGS84 保存。")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
