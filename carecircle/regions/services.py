"""Region writes: CSV import of the region tree."""
import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from carecircle.core import audit

from .models import KIND_DEPTH, PARENT_KIND, Region, RegionKind

CSV_COLUMNS = ["code", "name", "kind", "parent_code", "centroid_lat", "centroid_lng", "boundary"]


@dataclass
class RegionImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _parse_decimal(value: str, line: int, column: str, errors: list[str], low: int, high: int):
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.append(_("第 %(line)d 行：%(column)s “%(value)s”不是数字") % {"line": line, "column": column, "value": value})
        return None
    if not low <= number <= high:
        errors.append(_("第 %(line)d 行：%(column)s 超出范围") % {"line": line, "column": column})
        return None
    return number.quantize(Decimal("0.000001"))


def regions_import_csv(*, actor, text: str) -> RegionImportReport:
    """Import (create or update by code) a region tree from CSV; all rows or none.

    Columns: code, name, kind (city/district/street/community), parent_code, centroid_lat,
    centroid_lng, boundary (GeoJSON geometry, optional). Parents may come earlier in the file or
    already exist.
    """
    report = RegionImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("code", "name", "kind") if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(_("缺少必需的列：%(columns)s") % {"columns": ", ".join(missing)})
        return report
    rows = []
    seen_codes = {}
    for line, row in enumerate(reader, start=2):
        code, name, kind = (row.get("code") or "").strip(), (row.get("name") or "").strip(), (row.get("kind") or "").strip()
        parent_code = (row.get("parent_code") or "").strip()
        if not code or not code.isdigit():
            report.errors.append(_("第 %(line)d 行：区划代码“%(code)s”必须是数字") % {"line": line, "code": code})
            continue
        if code in seen_codes:
            report.errors.append(_("第 %(line)d 行：区划代码 %(code)s 与第 %(other)d 行重复") % {"line": line, "code": code, "other": seen_codes[code]})
            continue
        seen_codes[code] = line
        if not name:
            report.errors.append(_("第 %(line)d 行：名称不能为空") % {"line": line})
        if kind not in RegionKind.values:
            report.errors.append(_("第 %(line)d 行：层级“%(kind)s”无效，应为 city/district/street/community") % {"line": line, "kind": kind})
            continue
        if kind != RegionKind.CITY and not parent_code:
            report.errors.append(_("第 %(line)d 行：%(kind)s 必须填写上级区划代码") % {"line": line, "kind": kind})
        lat = _parse_decimal((row.get("centroid_lat") or "").strip(), line, "centroid_lat", report.errors, -90, 90)
        lng = _parse_decimal((row.get("centroid_lng") or "").strip(), line, "centroid_lng", report.errors, -180, 180)
        boundary = None
        if (row.get("boundary") or "").strip():
            try:
                boundary = json.loads(row["boundary"])
                if boundary.get("type") not in {"Polygon", "MultiPolygon"}:
                    raise ValueError
            except (ValueError, AttributeError):
                report.errors.append(_("第 %(line)d 行：边界必须是 GeoJSON Polygon 或 MultiPolygon") % {"line": line})
        rows.append((line, code, name, kind, parent_code, lat, lng, boundary))
    if report.errors:
        return report

    kinds_in_file = {r[1]: r[3] for r in rows}
    existing = {r.code: r for r in Region.objects.filter(code__in=[r[4] for r in rows if r[4]])}
    for line, code, _name, kind, parent_code, *_rest in rows:
        if not parent_code:
            continue
        parent_kind = kinds_in_file.get(parent_code) or (existing[parent_code].kind if parent_code in existing else None)
        if parent_kind is None:
            report.errors.append(_("第 %(line)d 行：未知的上级区划代码 %(code)s") % {"line": line, "code": parent_code})
        elif parent_kind != PARENT_KIND[kind]:
            report.errors.append(_("第 %(line)d 行：%(kind)s 的上级必须是 %(parent)s") % {"line": line, "kind": kind, "parent": PARENT_KIND[kind]})
    if report.errors:
        return report

    with transaction.atomic():
        by_code = {}
        for line, code, name, kind, parent_code, lat, lng, boundary in sorted(rows, key=lambda r: KIND_DEPTH[r[3]]):
            parent = by_code.get(parent_code) or (Region.objects.get(code=parent_code) if parent_code else None)
            region = Region.objects.filter(code=code).first()
            values = {"name": name, "kind": kind, "parent": parent, "centroid_lat": lat, "centroid_lng": lng, "boundary": boundary}
            if region is None:
                region = Region.objects.create(code=code, **values)
                report.created += 1
            else:
                for key, value in values.items():
                    setattr(region, key, value)
                region.save()
                report.updated += 1
            by_code[code] = region
        audit.record(actor=actor, action="regions.import", subject_type="regions.region",
                     changes={"created": report.created, "updated": report.updated})
    return report
