"""Writes of planning: candidate sites imported from a file (all rows or none), site studies started as a
background job and finished with the optimal and the naive choice."""
from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import require_change
from carecircle.core.jobs import job_progress, job_start
from carecircle.core.policy import policy_value
from carecircle.core.roles import has_capability
from carecircle.engines import coverage as engine
from carecircle.providers.models import FacilityKind

from . import selectors
from .models import CandidateSite, NetworkStatus, RoadNetwork, SiteStudy, StudyStatus
from .plugin import AuditAction

MAX_CANDIDATES = 5000
MAX_NEW_SITES = 50

# Column headers accepted in a candidate file (Chinese or English), and the field each fills.
HEADERS = {
    "名称": "name", "name": "name",
    "地址": "address", "address": "address",
    "纬度": "lat", "lat": "lat", "latitude": "lat",
    "经度": "lng", "lng": "lng", "lon": "lng", "longitude": "lng",
    "建筑面积": "floor_area_m2", "面积": "floor_area_m2", "floor_area_m2": "floor_area_m2",
    "备注": "note", "note": "note",
}


def _require(actor, capability: str):
    if not has_capability(actor, capability):
        raise PermissionDenied


def _cell(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _table_rows(table) -> list[tuple[int, dict]]:
    iterator = iter(table)
    header = next(iterator, None)
    if header is None:
        raise ValidationError(_("文件是空的：第一行应为列名"))
    mapping = {}
    for index, title in enumerate(header):
        key = HEADERS.get(_cell(title).lower()) or HEADERS.get(_cell(title))
        if key:
            mapping[index] = key
    missing = [label for field, label in (("name", _("名称")), ("lat", _("纬度")), ("lng", _("经度")))
               if field not in mapping.values()]
    if missing:
        raise ValidationError(_("第一行缺少必填列：%(columns)s") % {"columns": "、".join(missing)})
    rows = []
    for line, values in enumerate(iterator, start=2):
        values = list(values)
        if not any(_cell(v) for v in values):
            continue
        rows.append((line, {field: _cell(values[i]) if i < len(values) else "" for i, field in mapping.items()}))
    if not rows:
        raise ValidationError(_("文件只有列名，没有数据行"))
    if len(rows) > MAX_CANDIDATES:
        raise ValidationError(_("一次最多导入 %(max)d 个候选选址（本文件 %(n)d 个）") % {"max": MAX_CANDIDATES, "n": len(rows)})
    return rows


def read_candidate_file(upload, *, actor) -> list[tuple[int, dict]]:
    """The rows of an uploaded CSV or XLSX file (what the bytes are decides, not the name)."""
    from carecircle.core.uploads import XLSX, read_import

    kind, content = read_import(upload, actor=actor)
    if kind == XLSX:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001  (any unreadable workbook is the same answer to the reader)
            raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏或实际是其他格式"))
        try:
            return _table_rows(workbook.active.iter_rows(values_only=True))
        finally:
            workbook.close()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("无法识别文件的文字编码，请另存为 UTF-8 编码的 CSV"))
    return _table_rows(csv.reader(io.StringIO(text, newline="")))


def _number(value: str, low: Decimal, high: Decimal) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or not low <= number <= high:
        return None
    return number


def validate_candidates(rows: list[tuple[int, dict]], *, region) -> tuple[list[dict], list[str]]:
    """(clean rows, problems): every problem names its line and what is wrong; coordinates must lie inside
    the region's boundary when it has one."""
    from carecircle.regions.geometry import contains

    clean, problems = [], []
    for line, row in rows:
        errors = []
        name = row.get("name", "")
        if not name:
            errors.append(_("缺少名称"))
        elif len(name) > 200:
            errors.append(_("名称超过 200 字"))
        lat = _number(row.get("lat", ""), Decimal(-90), Decimal(90))
        lng = _number(row.get("lng", ""), Decimal(-180), Decimal(180))
        if lat is None:
            errors.append(_("纬度“%(value)s”不是 -90 到 90 之间的数") % {"value": row.get("lat", "")})
        if lng is None:
            errors.append(_("经度“%(value)s”不是 -180 到 180 之间的数") % {"value": row.get("lng", "")})
        if lat is not None and lng is not None and contains(region.boundary, lat, lng) is False:
            errors.append(_("坐标不在%(region)s范围内") % {"region": region.name})
        area = None
        if row.get("floor_area_m2"):
            area = _number(row["floor_area_m2"], Decimal(0), Decimal("99999999"))
            if area is None:
                errors.append(_("建筑面积“%(value)s”不是非负数") % {"value": row["floor_area_m2"]})
        if len(row.get("address", "")) > 255 or len(row.get("note", "")) > 255:
            errors.append(_("地址或备注超过 255 字"))
        if errors:
            problems.append(_("第 %(line)d 行：%(errors)s") % {"line": line, "errors": "；".join(errors)})
        else:
            clean.append({"name": name, "address": row.get("address", ""), "note": row.get("note", ""),
                          "lat": lat.quantize(Decimal("0.000001")), "lng": lng.quantize(Decimal("0.000001")),
                          "floor_area_m2": None if area is None else area.quantize(Decimal("0.01"))})
    return clean, problems


def candidate_sites_import(*, actor, region, upload, replace: bool = False) -> list[CandidateSite]:
    """Imports candidate sites for `region` from a CSV/XLSX upload: every row valid, or nothing saved
    (ValidationError listing each bad row)."""
    _require(actor, "planning.change")
    require_change(actor, region)
    rows = read_candidate_file(upload, actor=actor)
    clean, problems = validate_candidates(rows, region=region)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        removed = 0
        if replace:
            removed, _ignored = CandidateSite.objects.filter(region=region).delete()
        sites = CandidateSite.objects.bulk_create(
            [CandidateSite(region=region, created_by=actor, **row) for row in clean])
        audit.record(actor=actor, action=AuditAction.SITES_IMPORT, subject=region,
                     changes={"candidate_sites": [removed, len(sites)], "replace": replace})
    return sites


def candidate_site_delete(*, actor, site: CandidateSite) -> None:
    _require(actor, "planning.change")
    require_change(actor, site)
    with transaction.atomic():
        audit.record(actor=actor, action=AuditAction.SITE_DELETE, subject=site,
                     changes={"name": [site.name, None]})
        site.delete()


def site_study_start(*, actor, region, facility_kind: str, radius_m: int, site_count: int) -> SiteStudy:
    """Starts a site study over the region's candidate sites as a background job."""
    from carecircle.core.tasks import run_job

    from .tasks import SITE_STUDY_JOB

    _require(actor, "planning.change")
    require_change(actor, region)
    errors = {}
    if facility_kind not in FacilityKind.values:
        errors["facility_kind"] = _("请选择设施类型")
    if not selectors.MIN_RADIUS_M <= radius_m <= selectors.MAX_RADIUS_M:
        errors["radius_m"] = _("服务半径应在 %(low)d 到 %(high)d 米之间") % {
            "low": selectors.MIN_RADIUS_M, "high": selectors.MAX_RADIUS_M}
    if not 1 <= site_count <= MAX_NEW_SITES:
        errors["site_count"] = _("新设施数量应在 1 到 %(max)d 之间") % {"max": MAX_NEW_SITES}
    if not selectors.candidate_sites(user=actor, root=region).exists():
        errors["region"] = _("这个区域还没有候选选址，请先导入候选选址文件")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        study = SiteStudy.objects.create(region=region, facility_kind=facility_kind, radius_m=radius_m,
                                         site_count=site_count, created_by=actor)
        study.job = job_start(kind=SITE_STUDY_JOB, actor=actor, region=region, params={"study": study.pk},
                              task=run_job)
        study.save(update_fields=["job"])
        audit.record(actor=actor, action=AuditAction.STUDY_START, subject=study,
                     changes={"facility_kind": facility_kind, "radius_m": radius_m, "site_count": site_count})
    return study


def site_study_run(*, study_id: int, job=None) -> dict:
    """The job's work: uncovered elders (as the study's author may see them) against the candidate sites;
    the maximal covering choice and the naive "largest uncovered community first" choice, each site's gain."""
    study = SiteStudy.objects.select_related("region", "created_by").get(pk=study_id)
    actor = study.created_by
    on = timezone.localdate()
    try:
        if job is not None:
            job_progress(job, progress=1, total=3, message=_("统计未覆盖老人"))
        lat, lng, weights, groups = selectors.uncovered_demand(user=actor, root=study.region,
                                                               kind=study.facility_kind, radius_m=study.radius_m, on=on)
        sites = list(selectors.candidate_sites(user=actor, root=study.region))
        if job is not None:
            job_progress(job, progress=2, total=3, message=_("求解最大覆盖选址"))
        seconds = int(policy_value("planning.site_study.solver_seconds", region=study.region, on=on))
        comparison = engine.compare_sites(lat, lng, weights, groups, [float(s.lat) for s in sites],
                                          [float(s.lng) for s in sites], radius_m=study.radius_m,
                                          count=study.site_count, time_limit_s=seconds)

        def choice(c):
            site = sites[c.site]
            return {"site": site.pk, "name": site.name, "address": site.address, "gain": c.gain, "alone": c.alone,
                    "lat": float(site.lat), "lng": float(site.lng)}

        result = {"uncovered": comparison.demand, "candidates": len(sites), "solver_status": comparison.solver_status,
                  "optimal": [choice(c) for c in comparison.optimal], "naive": [choice(c) for c in comparison.naive],
                  "optimal_total": comparison.optimal_total, "naive_total": comparison.naive_total,
                  "on": on.isoformat()}
        status = StudyStatus.DONE
    except Exception as exc:  # noqa: BLE001  (the study records the failure; the job reports it)
        result, status = {"error": str(exc)}, StudyStatus.FAILED
    with transaction.atomic():
        SiteStudy.objects.filter(pk=study.pk).update(result=result, status=status)
        audit.record(actor=actor, action=AuditAction.STUDY_FINISH, subject=study,
                     changes={"status": [StudyStatus.RUNNING, status],
                              "optimal_total": result.get("optimal_total"), "naive_total": result.get("naive_total")})
    if status == StudyStatus.FAILED:
        raise RuntimeError(_("选址计算失败"))
    return result


# --- road networks ---------------------------------------------------------------------------------

MAX_NETWORK_BYTES = 512 * 1024 * 1024
_GZIP, _BZIP2 = b"\x1f\x8b", b"BZh"


def _network_suffix(head: bytes) -> str | None:
    """The format the bytes are in (what the file holds decides, not its name): OSM XML, gzip- or
    bzip2-compressed OSM XML, or PBF (a 4-byte header length, then a "OSMHeader" block)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml") or text.startswith(b"<osm"):
        return ".osm"
    if head.startswith(_GZIP):
        return ".osm.gz"
    if head.startswith(_BZIP2):
        return ".osm.bz2"
    if len(head) > 16 and b"OSMHeader" in head[:32]:
        return ".osm.pbf"
    return None


def network_dir():
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.MEDIA_ROOT) / "planning" / "osm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store_network_file(chunks, network_id: int, suffix: str):
    path = network_dir() / f"network-{network_id}{suffix}"
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return path


def network_file(network: RoadNetwork):
    for suffix in (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf"):
        path = network_dir() / f"network-{network.pk}{suffix}"
        if path.exists():
            return path
    return None


def road_network_import_start(*, actor, region, upload) -> RoadNetwork:
    """Keeps an uploaded OpenStreetMap extract and reads it into a walking graph as a background job (the
    job page shows the ways read so far). Refuses, before anything is kept, a file that is empty, too large or
    not OSM data."""
    from carecircle.core.tasks import run_job

    from .tasks import NETWORK_IMPORT_JOB

    _require(actor, "planning.change")
    require_change(actor, region)
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        raise ValidationError({"file": _("文件是空的")})
    if size > MAX_NETWORK_BYTES:
        raise ValidationError({"file": _("文件超过 %(mb)d MB；请在服务器上用导入命令导入大文件")
                               % {"mb": MAX_NETWORK_BYTES // (1024 * 1024)}})
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    suffix = _network_suffix(head)
    if suffix is None:
        raise ValidationError({"file": _("文件不是 OpenStreetMap 数据（应为 .osm 或 .osm.pbf 文件）")})
    name = (getattr(upload, "name", "") or "")[-200:]
    with transaction.atomic():
        network = RoadNetwork.objects.create(region=region, name=name, file_bytes=size, created_by=actor)
        _store_network_file(upload.chunks(), network.pk, suffix)
        network.job = job_start(kind=NETWORK_IMPORT_JOB, actor=actor, region=region,
                                params={"network": network.pk}, task=run_job)
        network.save(update_fields=["job"])
        audit.record(actor=actor, action=AuditAction.NETWORK_IMPORT, subject=network,
                     changes={"file": name, "bytes": size})
    return network


def road_network_from_path(*, path, region, actor=None) -> RoadNetwork:
    """The import command's start: a network row for a file on the server (copied, so the original stays)."""
    from pathlib import Path

    source = Path(path)
    if not source.is_file():
        raise ValidationError(_("找不到文件：%(path)s") % {"path": path})
    with open(source, "rb") as f:
        suffix = _network_suffix(f.read(64))
    if suffix is None:
        raise ValidationError(_("文件不是 OpenStreetMap 数据（应为 .osm 或 .osm.pbf 文件）"))

    def chunks():
        with open(source, "rb") as f:
            while block := f.read(1 << 20):
                yield block

    with transaction.atomic():
        network = RoadNetwork.objects.create(region=region, name=source.name[-200:],
                                             file_bytes=source.stat().st_size, created_by=actor)
        _store_network_file(chunks(), network.pk, suffix)
        audit.record(actor=actor, action=AuditAction.NETWORK_IMPORT, subject=network,
                     changes={"file": network.name, "bytes": network.file_bytes})
    return network


def road_network_import_run(*, network_id: int, job=None, report=None) -> dict:
    """Reads the kept file into the walking graph; the network becomes ready (and measures walking distance
    from then on) or failed with the reason in words. The file is removed either way."""
    from carecircle.engines.coverage.network import NetworkError, read_osm

    network = RoadNetwork.objects.get(pk=network_id)
    path = network_file(network)

    def progress(ways):
        message = _("已读取可步行道路 %(n)d 条") % {"n": ways}
        if job is not None:
            job_progress(job, progress=ways, message=message)
        if report is not None:
            report(message)

    error = ""
    graph = None
    if path is None:
        error = _("导入文件已不在服务器上，请重新上传")
    else:
        try:
            graph = read_osm(str(path), progress=progress, every=20_000)
        except NetworkError as exc:
            error = (_("文件中没有可步行的道路") if "no walkable way" in str(exc)
                     else _("文件不是可读的 OpenStreetMap 数据"))
    with transaction.atomic():
        if graph is None:
            RoadNetwork.objects.filter(pk=network.pk).update(status=NetworkStatus.FAILED, error=error[:255])
            result = {"error": error}
        else:
            RoadNetwork.objects.filter(pk=network.pk).update(
                status=NetworkStatus.READY, graph=graph.to_bytes(), ways=graph.ways, nodes=graph.nodes,
                edges=graph.edges, length_km=Decimal(str(round(graph.length_m / 1000, 2))))
            result = {"ways": graph.ways, "nodes": graph.nodes, "edges": graph.edges,
                      "length_km": round(graph.length_m / 1000, 2)}
        audit.record(actor=network.created_by, action=AuditAction.NETWORK_FINISH, subject=network,
                     changes={"status": [NetworkStatus.IMPORTING, NetworkStatus.FAILED if graph is None
                                         else NetworkStatus.READY], **result})
    if path is not None:
        path.unlink(missing_ok=True)
    if graph is None:
        raise ValueError(error)
    return result


# --- the service guide -----------------------------------------------------------------------------

GUIDE_LIMITS = {"services": 1000, "phone": 30, "eligibility": 255, "prices": 255}
_PHONE = __import__("re").compile(r"^[0-9][0-9\- ]{2,28}$")


def guide_entry_save(*, actor, facility, services: str, phone: str = "", eligibility: str = "",
                     prices: str = ""):
    """Writes what the guide says of a facility (one entry per facility); every field checked first."""
    from .models import GuideEntry

    _require(actor, "planning.change")
    require_change(actor, facility)
    values = {"services": (services or "").strip(), "phone": (phone or "").strip(),
              "eligibility": (eligibility or "").strip(), "prices": (prices or "").strip()}
    errors = {}
    if not values["services"]:
        errors["services"] = _("请填写服务内容")
    for field, limit in GUIDE_LIMITS.items():
        if len(values[field]) > limit:
            errors[field] = _("不能超过 %(n)d 字") % {"n": limit}
    if values["phone"] and not _PHONE.match(values["phone"]):
        errors["phone"] = _("电话只能包含数字、空格和短横线")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry = GuideEntry.objects.select_for_update().filter(facility=facility).first()
        before = {} if entry is None else {f: getattr(entry, f) for f in values}
        if entry is None:
            entry = GuideEntry(facility=facility)
        for field, value in values.items():
            setattr(entry, field, value)
        entry.updated_by = actor
        entry.save()
        audit.record(actor=actor, action=AuditAction.GUIDE_SAVE, subject=entry,
                     changes={f: [before.get(f), v] for f, v in values.items() if before.get(f) != v})
    return entry


# --- care advisors ---------------------------------------------------------------------------------

def _advisor_point(actor, point):
    if point.kind != FacilityKind.ADVISOR_POINT or not point.is_active:
        raise ValidationError({"point": _("请选择运营中的养老顾问点")})
    require_change(actor, point)


def advisor_save(*, actor, point, name: str, advisor=None, since=None, is_active: bool = True):
    """Adds an advisor at a point, or changes one (name, point, start date, on duty)."""
    from .models import Advisor

    _require(actor, "planning.change")
    _advisor_point(actor, point)
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationError({"name": _("请填写姓名（不超过 50 字）")})
    if advisor is not None:
        require_change(actor, advisor)
    with transaction.atomic():
        before = None if advisor is None else {"name": advisor.name, "point": advisor.point_id,
                                                "is_active": advisor.is_active}
        advisor = advisor or Advisor()
        advisor.point, advisor.name, advisor.since, advisor.is_active = point, name, since, is_active
        advisor.save()
        audit.record(actor=actor, action=AuditAction.ADVISOR_SAVE, subject=advisor,
                     changes={"before": before, "name": name, "point": point.pk, "is_active": is_active})
    return advisor


CONSULTATION_BACKDATE_DAYS = 31


def consultation_record(*, actor, point, advisor, topic: str, advice: str, consulted_on=None,
                        referral_type: str = "", elder=None, order: dict | None = None):
    """Records a consultation; with `referral_type` the person's application is registered through the
    application service (channel: the community's service on their behalf), and with `order` (item, quantity,
    date, window_start, window_end, expected_self_pay — the self-pay the elder agreed to) an on-demand service
    order is placed for them through the orders service, in the same transaction — if either is refused, nothing
    is recorded."""
    from carecircle.intake import services as intake_services

    from .models import Consultation, ConsultationTopic

    _require(actor, "planning.advise")
    if point.kind != FacilityKind.ADVISOR_POINT or not point.is_active:
        raise ValidationError({"point": _("请选择运营中的养老顾问点")})
    require_change(actor, point)
    today = timezone.localdate()
    consulted_on = consulted_on or today
    errors = {}
    if advisor.point_id != point.pk or not advisor.is_active:
        errors["advisor"] = _("这位顾问不在这个顾问点在岗")
    if topic not in ConsultationTopic.values:
        errors["topic"] = _("请选择咨询事项")
    advice = (advice or "").strip()
    if not advice:
        errors["advice"] = _("请填写答复和建议")
    elif len(advice) > 2000:
        errors["advice"] = _("不能超过 %(n)d 字") % {"n": 2000}
    if consulted_on > today:
        errors["consulted_on"] = _("咨询日期不能晚于今天")
    elif (today - consulted_on).days > CONSULTATION_BACKDATE_DAYS:
        errors["consulted_on"] = _("只能补记 %(n)d 天内的咨询") % {"n": CONSULTATION_BACKDATE_DAYS}
    if (referral_type or order) and elder is None:
        errors["elder"] = _("转办申请或服务订单须选择老人")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        number = ""
        if referral_type:
            submission = intake_services.application_submit(elder=elder, type_code=referral_type,
                                                            channel="community", actor=actor,
                                                            note=_("养老顾问点“%(point)s”转办") % {"point": point.name})
            number = submission.application.number
        placed = None
        if order:
            from carecircle.careplans import services as order_services

            placed = order_services.service_order_place(
                actor=actor, elder=elder, lines=[(order["item"], order["quantity"])], service_date=order["date"],
                window_start=order["window_start"], window_end=order["window_end"],
                expected_self_pay=order["expected_self_pay"],
                note=_("养老顾问点“%(point)s”转办") % {"point": point.name})
        consultation = Consultation.objects.create(
            point=point, advisor=advisor, consulted_on=consulted_on, topic=topic, advice=advice,
            elder=elder if (referral_type or order) else None, referral=number, order=placed, created_by=actor)
        audit.record(actor=actor, action=AuditAction.CONSULTATION, subject=consultation,
                     changes={"topic": topic, "referral": number, "order": placed.pk if placed else None})
    return consultation


# --- residents and households per community (for the area norms) -----------------------------------

MAX_PEOPLE = 10_000_000


def populations_save(*, actor, street, as_of, source: str, rows: list[dict]):
    """Records the residents, households and estate type of a street's communities on a date: every row
    checked first (households not more than residents, whole numbers, a known estate type, each community in
    the street), then all saved or none. A community's row of the same date is replaced (and audited)."""
    from .models import CommunityPopulation, EstateType

    _require(actor, "planning.change")
    require_change(actor, street)
    errors = []
    if as_of is None or as_of > timezone.localdate():
        errors.append(_("统计日期不能晚于今天"))
    source = (source or "").strip()
    if len(source) > 200:
        errors.append(_("数据来源不能超过 200 字"))
    clean = []
    for row in rows:
        community = row["community"]
        if community.kind != "community" or not community.path.startswith(street.path):
            errors.append(_("%(name)s不属于%(street)s") % {"name": community.name, "street": street.name})
            continue
        residents, households = row.get("residents"), row.get("households")
        if residents is None and households is None:
            continue
        problems = []
        if not isinstance(residents, int) or not 0 < residents <= MAX_PEOPLE:
            problems.append(_("常住人口应为 1 到 %(max)d 之间的整数") % {"max": MAX_PEOPLE})
        if not isinstance(households, int) or not 0 < households <= MAX_PEOPLE:
            problems.append(_("户数应为 1 到 %(max)d 之间的整数") % {"max": MAX_PEOPLE})
        elif isinstance(residents, int) and households > residents:
            problems.append(_("户数不能多于常住人口"))
        if row.get("estate_type") not in EstateType.values:
            problems.append(_("请选择住区类型"))
        if problems:
            errors.append(_("%(name)s：%(problems)s") % {"name": community.name, "problems": "；".join(problems)})
        else:
            clean.append(row)
    if not errors and not clean:
        errors.append(_("没有填写任何社区的人口"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        saved = []
        for row in clean:
            existing = (CommunityPopulation.objects.select_for_update()
                        .filter(community=row["community"], as_of=as_of).first())
            before = None if existing is None else [existing.residents, existing.households, existing.estate_type]
            population = existing or CommunityPopulation(community=row["community"], as_of=as_of)
            population.residents, population.households = row["residents"], row["households"]
            population.estate_type, population.source = row["estate_type"], source
            population.save()
            audit.record(actor=actor, action=AuditAction.POPULATION_SAVE, subject=population,
                         changes={"as_of": as_of.isoformat(), "before": before,
                                  "after": [population.residents, population.households, population.estate_type]})
            saved.append(population)
    return saved
