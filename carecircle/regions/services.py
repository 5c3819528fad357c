"""Region writes: CSV import of the region tree, and moving or renaming a region."""
import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import CHANGE, is_visible
from carecircle.core.roles import has_capability

from .geometry import polygon_problem

from .models import KIND_DEPTH, PARENT_KIND, Region, RegionKind

CSV_COLUMNS = ["code", "name", "kind", "parent_code", "centroid_lat", "centroid_lng", "boundary"]


@dataclass
class RegionImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False


class _DryRunRollback(Exception):
    """Raised inside the import transaction to undo a preview's writes."""


def _boundary_message(problem: str) -> str:
    return {
        "type": _("边界必须是 GeoJSON Polygon 或 MultiPolygon"),
        "structure": _("边界的 coordinates 结构不对：应为由环组成的列表"),
        "ring": _("边界的每个环至少要有 4 个点（首尾相同）"),
        "closed": _("边界的环没有闭合：第一个点和最后一个点必须相同"),
        "position": _("边界中的点必须写成 [经度, 纬度]"),
        "number": _("边界中的经纬度必须是数字"),
        "range": _("边界中的坐标超出范围：经度在 -180 到 180 之间，纬度在 -90 到 90 之间（注意先经度后纬度）"),
    }[problem]


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


def regions_import_csv(*, actor, text: str, dry_run: bool = False) -> RegionImportReport:
    """Import (create or update by code) a region tree from CSV; all rows or none.

    Columns: code, name, kind (city/district/street/community), parent_code, centroid_lat,
    centroid_lng, boundary (GeoJSON geometry, optional). Parents may come earlier in the file or
    already exist. With `dry_run` the whole import runs and is rolled back: the report is the preview.
    """
    if actor is not None and not has_capability(actor, "regions.change"):
        raise PermissionDenied(_("您没有导入区域的权限"))
    report = RegionImportReport(dry_run=dry_run)
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
            except ValueError:
                report.errors.append(_("第 %(line)d 行：边界不是有效的 JSON") % {"line": line})
            else:
                problem = polygon_problem(boundary)
                if problem:
                    report.errors.append(_("第 %(line)d 行：%(message)s") % {"line": line,
                                                                          "message": _boundary_message(problem)})
        rows.append((line, code, name, kind, parent_code, lat, lng, boundary))
    if report.errors:
        return report

    if not rows:
        report.errors.append(_("文件中没有数据行"))
        return report
    kinds_in_file = {r[1]: r[3] for r in rows}
    existing = {r.code: r for r in Region.objects.filter(code__in=[r[4] for r in rows if r[4]])}
    current = {r.code: r for r in Region.objects.filter(code__in=kinds_in_file)}
    for line, code, _name, kind, *_rest in rows:
        region = current.get(code)
        if region is not None and region.kind != kind and region.children.exists():
            report.errors.append(_("第 %(line)d 行：%(code)s 已有下级区域，不能把层级从 %(old)s 改为 %(new)s") % {
                "line": line, "code": code, "old": region.kind, "new": kind})
    for line, code, _name, kind, parent_code, *_rest in rows:
        if kind == RegionKind.CITY and parent_code:
            report.errors.append(_("第 %(line)d 行：市级区域不能填写上级区划代码") % {"line": line})
            continue
        if not parent_code:
            continue
        parent_kind = kinds_in_file.get(parent_code) or (existing[parent_code].kind if parent_code in existing else None)
        if parent_kind is None:
            report.errors.append(_("第 %(line)d 行：未知的上级区划代码 %(code)s") % {"line": line, "code": parent_code})
        elif parent_kind != PARENT_KIND[kind]:
            report.errors.append(_("第 %(line)d 行：%(kind)s 的上级必须是 %(parent)s") % {"line": line, "kind": kind, "parent": PARENT_KIND[kind]})
    if report.errors:
        return report

    try:
        with transaction.atomic():
            _write_rows(actor, rows, report)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _write_rows(actor, rows, report):
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


@transaction.atomic
def region_update(*, actor, region: Region, reason: str = "", **changes) -> Region:
    """Rename, re-code, re-parent or re-draw a region; descendants' paths follow (Region.save)."""
    if actor is not None and not has_capability(actor, "regions.change"):
        raise PermissionDenied(_("您没有修改区域的权限"))
    region = Region.objects.select_for_update().get(pk=region.pk)
    allowed = {"name", "code", "parent", "boundary", "centroid_lat", "centroid_lng"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = audit.snapshot(region, ["name", "code", "parent", "path", "centroid_lat", "centroid_lng"])
    for name, value in changes.items():
        setattr(region, name, value)
    errors = {}
    parent = region.parent
    if region.kind != RegionKind.CITY:
        if parent is None:
            errors["parent"] = _("%(kind)s 必须有上级区域") % {"kind": region.get_kind_display()}
        elif parent.kind != PARENT_KIND[region.kind]:
            errors["parent"] = _("%(kind)s 的上级必须是 %(parent)s") % {
                "kind": region.get_kind_display(), "parent": RegionKind(PARENT_KIND[region.kind]).label}
        elif parent.path.startswith(Region.objects.get(pk=region.pk).path):
            errors["parent"] = _("不能把区域移到它自己的下级之下")
    if not str(region.code).isdigit():
        errors["code"] = _("区划代码必须是数字")
    elif Region.objects.filter(code=region.code).exclude(pk=region.pk).exists():
        errors["code"] = _("区划代码 %(code)s 已被使用") % {"code": region.code}
    if region.boundary is not None and polygon_problem(region.boundary):
        errors["boundary"] = _boundary_message(polygon_problem(region.boundary))
    if actor is not None and parent is not None and not is_visible(actor, parent, CHANGE):
        errors["parent"] = _("%(name)s不在您的管辖范围内") % {"name": parent.name}
    if errors:
        raise ValidationError(errors)
    region.save()
    change_set = audit.diff(before, audit.snapshot(region, list(before)))
    if change_set:
        audit.record(actor=actor, action="regions.update", subject=region, changes=change_set, reason=reason)
    return region
