"""Writes to the elder registry. Every function is keyword-only, runs in one transaction and is audited."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.core import audit, events
from carecircle.core.isolation import CHANGE, is_visible
from carecircle.core.policy import MissingPolicyParameter, policy_value, specs
from carecircle.core.roles import REGION_SCOPED, has_capability
from carecircle.core.sensitive import lookup_hash, mask_id_number, mask_phone
from carecircle.core.sql import members
from carecircle.core.validators import clean_name, clean_text_list
from carecircle.engines.geo import gcj02_to_wgs84
from carecircle.regions import geometry
from carecircle.regions.models import Region, RegionKind

from .identity import IdNumberError, age_on, parse_id_number
from .models import (
    EconomicCategory,
    Elder,
    ElderAccountLink,
    ElderMerge,
    ElderStatus,
    EmergencyContact,
    Gender,
    HouseholdType,
    Registration,
)

EXACT_SEARCH_ACTION = "elders.exact_search"
# The dated minimum age of the register (policy parameter; seeded at 60 from the law's definition of an elder).
MIN_AGE_KEY = "elders.min_age"

# The fields a person may submit for an elder; status and merging have their own services.
ELDER_FIELDS = [
    "name", "id_number", "gender", "birth_date", "phone", "community", "address", "lat", "lng",
    "household_type", "registration", "economic_category", "has_disability_certificate",
    "disability_certificate_number", "chronic_conditions",
]
COORDINATE_SYSTEMS = ("wgs84", "gcj02")
_PHONE_RE = re.compile(r"^\+?\d{7,15}$")
_COORDINATE_PLACES = Decimal("0.000001")


class DuplicateElderError(ValidationError):
    """The ID number already has a record; `existing` is that record, `url` its page.

    The link is given only when the actor may open the record. Otherwise the message says only that a record
    exists outside the actor's scope: naming the street that holds it would tell where a person lives to
    someone who may not see that record. The district, which sees every street, arranges a transfer.
    """

    def __init__(self, existing: Elder, *, actor=None):
        self.existing = existing
        visible = actor is not None and is_visible(actor, existing)
        self.url = reverse("elders:detail", args=[existing.pk]) if visible else ""
        if visible:
            message = _("该身份证号已有老人档案（%(name)s，%(community)s），不能重复建档。") % {
                "name": existing.name, "community": existing.community.name}
        else:
            message = _("该身份证号已在您管辖范围以外建档，不能重复建档；如老人已迁入本辖区，请联系区民政核实并办理迁移。")
        super().__init__({"id_number": [ValidationError(message, code="duplicate")]})


# --- checks shared by forms, the API and bulk import ------------------------------------------------------

def _require(actor, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_visible(actor, obj) -> None:
    if not is_visible(actor, obj):
        raise PermissionDenied(_("该档案不在您的管辖范围内。"))


def community_in_scope(actor, community: Region) -> bool:
    """Region rows are readable by everyone; changing what lies in a community needs it in the write scope."""
    return is_visible(actor, community, CHANGE)


def district_of(region: Region) -> Region | None:
    if region.kind == RegionKind.DISTRICT:
        return region
    return Region.objects.filter(path__in=region.ancestor_paths(), kind=RegionKind.DISTRICT).first()


def _decimal_coordinate(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("“%(value)s”不是有效的坐标数值") % {"value": value})
        return None


def _clean_coordinates(data: dict, community: Region | None, errors: dict, district_cache: dict | None):
    lat = _decimal_coordinate(data.get("lat"), "lat", errors)
    lng = _decimal_coordinate(data.get("lng"), "lng", errors)
    if "lat" in errors or "lng" in errors:
        return None, None
    if (lat is None) != (lng is None):
        missing = "lng" if lng is None else "lat"
        errors.setdefault(missing, []).append(_("纬度和经度需要同时填写，或都不填"))
        return None, None
    if lat is None:
        return None, None
    if not (-90 <= lat <= 90):
        errors.setdefault("lat", []).append(_("纬度必须在 -90 到 90 之间"))
    if not (-180 <= lng <= 180):
        errors.setdefault("lng", []).append(_("经度必须在 -180 到 180 之间"))
    if "lat" in errors or "lng" in errors:
        return None, None
    system = (data.get("coordinate_system") or "wgs84").strip().lower().replace("-", "")
    if system not in COORDINATE_SYSTEMS:
        errors.setdefault("coordinate_system", []).append(
            _("坐标系只能是 WGS84 或 GCJ-02（现为“%(value)s”）") % {"value": data.get("coordinate_system")})
        return None, None
    if system == "gcj02":
        converted = gcj02_to_wgs84(float(lat), float(lng))
        lat, lng = Decimal(repr(converted[0])), Decimal(repr(converted[1]))
    lat = lat.quantize(_COORDINATE_PLACES, rounding=ROUND_HALF_UP)
    lng = lng.quantize(_COORDINATE_PLACES, rounding=ROUND_HALF_UP)
    if community is not None:
        if district_cache is not None and community.pk in district_cache:
            district = district_cache[community.pk]
        else:
            district = district_of(community)
            if district_cache is not None:
                district_cache[community.pk] = district
        area = district if district is not None and district.boundary else community
        if geometry.contains(area.boundary, lat, lng) is False:
            errors.setdefault("lat", []).append(
                _("坐标（纬度 %(lat)s，经度 %(lng)s）不在%(area)s范围内，请核对坐标或坐标系")
                % {"lat": lat, "lng": lng, "area": area.name})
    return lat, lng


@functools.cache
def _codes_by_label(choices) -> dict[str, str]:
    """Every label of every site language → code. A file is checked in the uploader's language and applied
    again by a worker in the default one, so both must accept the same words ("独居", "Living alone")."""
    codes = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            codes.update({str(display): code for code, display in choices.choices})
    return codes


def _choice(value, choices, field: str, label: str, errors: dict, default=None):
    """Accepts the stored code or the label in any site language ("alone", "独居" or "Living alone")."""
    if value in (None, ""):
        if default is None:
            errors.setdefault(field, []).append(_("请填写%(label)s") % {"label": label})
        return default
    text = str(value).strip()
    if text in choices.values:
        return text
    code = _codes_by_label(choices).get(text)
    if code is not None:
        return code
    allowed = pgettext("list separator", "、").join(str(display) for _code, display in choices.choices)
    errors.setdefault(field, []).append(
        _("%(label)s“%(value)s”无效，可选：%(allowed)s") % {"label": label, "value": text, "allowed": allowed})
    return default


def _parse_date(value, field: str, label: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors.setdefault(field, []).append(
        _("%(label)s“%(value)s”不是有效日期，请写成 1945-03-08") % {"label": label, "value": text})
    return None


def normalise_phone(value) -> str:
    return re.sub(r"[\s\-()（）]", "", str(value or ""))


def _resolve_community(value, actor, errors: dict, community_cache: dict | None) -> Region | None:
    if value in (None, ""):
        errors.setdefault("community", []).append(_("请选择所属社区"))
        return None
    if isinstance(value, Region):
        community = value
    else:
        code = str(value).strip()
        if community_cache is not None and code in community_cache:
            community = community_cache[code]
        else:
            community = Region.objects.filter(code=code).first()
            if community_cache is not None:
                community_cache[code] = community
        if community is None:
            errors.setdefault("community", []).append(_("社区代码“%(code)s”不存在") % {"code": code})
            return None
    if community.kind != RegionKind.COMMUNITY:
        errors.setdefault("community", []).append(
            _("“%(name)s”不是居委/村，老人档案必须落到社区一级") % {"name": community.name})
        return None
    if not community_in_scope(actor, community):
        errors.setdefault("community", []).append(
            _("社区“%(name)s”不在您的管辖范围内") % {"name": community.name})
        return None
    return community


def _check_minimum_age(birth_date: dt.date, community: Region, today: dt.date, errors: dict) -> None:
    """The register holds older people: an elder must have reached the dated minimum age in force for their
    community (policy parameter MIN_AGE_KEY; refused, with a sentence, when the district has not set it)."""
    try:
        minimum = int(policy_value(MIN_AGE_KEY, region=community, on=today))
    except MissingPolicyParameter:
        errors.setdefault("birth_date", []).append(
            _("本区尚未设定老年人登记的最低年龄（政策参数“%(label)s”），暂不能登记；请联系区民政部门设定")
            % {"label": specs()[MIN_AGE_KEY].label})
        return
    age = age_on(birth_date, today)
    if age < minimum:
        errors.setdefault("birth_date", []).append(
            _("出生日期 %(birth)s：今天 %(age)s 周岁，未满老年人登记年龄 %(minimum)s 周岁") %
            {"birth": birth_date.isoformat(), "age": age, "minimum": minimum})


def elder_clean(*, actor, data: dict, instance: Elder | None = None, check_duplicate: bool = True,
                community_cache: dict | None = None, district_cache: dict | None = None) -> dict:
    """The validated, normalised field values for a new or changed record.

    Raises one ValidationError whose dict names every wrong field. Birth date and sex are derived from
    the ID number; values submitted alongside must agree with it.
    """
    errors: dict[str, list] = {}
    today = timezone.localdate()
    name = clean_name(data.get("name"), field="name", label=_("姓名"), max_length=50, errors=errors)

    facts = None
    try:
        facts = parse_id_number(str(data.get("id_number") or ""), today=today)
    except IdNumberError as exc:
        errors.setdefault("id_number", []).append(exc.message)

    gender = None
    submitted_gender = data.get("gender")
    if submitted_gender not in (None, ""):
        gender = _choice(submitted_gender, Gender, "gender", _("性别"), errors, default="")
    birth_date = _parse_date(data.get("birth_date"), "birth_date", _("出生日期"), errors)
    if facts is not None:
        if birth_date is not None and birth_date != facts.birth_date:
            errors.setdefault("birth_date", []).append(
                _("出生日期 %(given)s 与身份证号中的 %(derived)s 不一致")
                % {"given": birth_date.isoformat(), "derived": facts.birth_date.isoformat()})
        if gender and gender != facts.gender:
            errors.setdefault("gender", []).append(
                _("性别与身份证号不一致：身份证号第 17 位表示%(derived)s") % {"derived": Gender(facts.gender).label})
        birth_date, gender = facts.birth_date, facts.gender

    phone = normalise_phone(data.get("phone"))
    if phone and not _PHONE_RE.match(phone):
        errors.setdefault("phone", []).append(_("联系电话“%(value)s”格式不对：只能是 7–15 位数字") % {"value": phone})

    community = _resolve_community(data.get("community"), actor, errors, community_cache)
    address = str(data.get("address") or "").strip()
    if not address:
        errors.setdefault("address", []).append(_("请填写居住地址"))
    elif len(address) > 255:
        errors.setdefault("address", []).append(_("居住地址不能超过 255 个字"))
    lat, lng = _clean_coordinates(data, community, errors, district_cache)

    household_type = _choice(data.get("household_type"), HouseholdType, "household_type", _("居住类型"), errors)
    registration = _choice(data.get("registration"), Registration, "registration", _("户籍"), errors,
                           default=Registration.LOCAL)
    economic_category = _choice(data.get("economic_category"), EconomicCategory, "economic_category",
                                _("经济类别"), errors, default=EconomicCategory.GENERAL)
    has_certificate = bool(data.get("has_disability_certificate") or False)
    certificate_number = str(data.get("disability_certificate_number") or "").strip()
    if certificate_number and not has_certificate:
        has_certificate = True
    if len(certificate_number) > 30:
        errors.setdefault("disability_certificate_number", []).append(_("残疾证号不能超过 30 位"))
    conditions = data.get("chronic_conditions") or []
    if isinstance(conditions, str):
        conditions = [c.strip() for c in re.split(r"[,，、;；]", conditions) if c.strip()]
    conditions = clean_text_list(conditions, field="chronic_conditions", errors=errors)
    if birth_date is not None and community is not None and (instance is None or instance.birth_date != birth_date):
        _check_minimum_age(birth_date, community, today, errors)

    if errors:
        raise ValidationError(errors)
    if check_duplicate:
        existing = (Elder.objects.filter(id_number_hash=lookup_hash(facts.number))
                    .exclude(status=ElderStatus.MERGED))
        if instance is not None:
            existing = existing.exclude(pk=instance.pk)
        first = existing.order_by("pk").first()
        if first is not None:
            raise DuplicateElderError(first, actor=actor)
    return {
        "name": name, "id_number": facts.number, "gender": gender, "birth_date": birth_date, "phone": phone,
        "community": community, "address": address, "lat": lat, "lng": lng, "household_type": household_type,
        "registration": registration, "economic_category": economic_category,
        "has_disability_certificate": has_certificate, "disability_certificate_number": certificate_number,
        "chronic_conditions": conditions,
    }


def _current_values(elder: Elder) -> dict:
    return {field: getattr(elder, field) for field in ELDER_FIELDS}


def _save_refusing_duplicates(elder: Elder, *, actor) -> None:
    """The unique constraint is the last word when two people register the same number at once."""
    try:
        with transaction.atomic():
            elder.save()
    except IntegrityError:
        first = (Elder.objects.filter(id_number_hash=lookup_hash(elder.id_number))
                 .exclude(status=ElderStatus.MERGED).exclude(pk=elder.pk).order_by("pk").first())
        if first is None:
            raise
        raise DuplicateElderError(first, actor=actor)


# --- elder records ---------------------------------------------------------------------------------------

@transaction.atomic
def elder_create(*, actor, data: dict, community_cache: dict | None = None,
                 district_cache: dict | None = None) -> Elder:
    _require(actor, "elders.change")
    values = elder_clean(actor=actor, data=data, community_cache=community_cache, district_cache=district_cache)
    elder = Elder(**values)
    _save_refusing_duplicates(elder, actor=actor)
    audit.record(actor=actor, action="elders.create", subject=elder, changes=audit.diff({}, audit.snapshot(elder)))
    return elder


@transaction.atomic
def elder_update(*, actor, elder: Elder, data: dict) -> Elder:
    """Changes the submitted fields; the others keep their values (an ID correction re-derives birth and sex)."""
    _require(actor, "elders.change")
    _require_visible(actor, elder)
    if elder.status == ElderStatus.MERGED:
        raise ValidationError(_("该档案已合并到其他档案，不能再修改；如需恢复请撤销合并。"))
    before = audit.snapshot(elder)
    merged = _current_values(elder)
    merged.update({k: v for k, v in data.items() if k in ELDER_FIELDS})
    # The flag describes submitted coordinates; stored ones are already WGS84 and must not shift again.
    if "lat" in data or "lng" in data:
        merged["coordinate_system"] = data.get("coordinate_system") or "wgs84"
    if "id_number" in data and "birth_date" not in data:
        merged["birth_date"] = None
    if "id_number" in data and "gender" not in data:
        merged["gender"] = None
    values = elder_clean(actor=actor, data=merged, instance=elder)
    for field, value in values.items():
        setattr(elder, field, value)
    _save_refusing_duplicates(elder, actor=actor)
    changes = audit.diff(before, audit.snapshot(elder))
    changes.pop("updated_at", None)
    audit.record(actor=actor, action="elders.update", subject=elder, changes=changes)
    if "household_type" in changes and elder.household_type == HouseholdType.INSTITUTION:
        _announce_change(elder=elder, change=HouseholdType.INSTITUTION, on=timezone.localdate(),
                         reason=str(HouseholdType.INSTITUTION.label), actor=actor)
    return elder


STATUS_CHOICES_FOR_CHANGE = (ElderStatus.ACTIVE, ElderStatus.MOVED_OUT, ElderStatus.DECEASED)


@transaction.atomic
def elder_change_status(*, actor, elder: Elder, status: str, on: dt.date | None = None, reason: str = "") -> Elder:
    _require(actor, "elders.change")
    _require_visible(actor, elder)
    if elder.status == ElderStatus.MERGED:
        raise ValidationError({"status": [_("已合并的档案不能直接改状态；请先撤销合并。")]})
    if status not in STATUS_CHOICES_FOR_CHANGE:
        raise ValidationError({"status": [_("状态只能改为在册、迁出或死亡")]})
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError({"status_date": [_("状态日期不能晚于今天")]})
    if on < elder.birth_date:
        raise ValidationError({"status_date": [_("状态日期不能早于出生日期 %(d)s") % {"d": elder.birth_date}]})
    if status == elder.status:
        raise ValidationError({"status": [_("档案已是“%(s)s”状态") % {"s": ElderStatus(status).label}]})
    if status != ElderStatus.ACTIVE and not reason.strip():
        raise ValidationError({"reason": [_("请说明迁出或死亡的依据（如户籍注销证明）")]})
    before = audit.snapshot(elder, ["status", "status_date"])
    elder.status, elder.status_date = status, on
    elder.save(update_fields=["status", "status_date", "updated_at"])
    audit.record(actor=actor, action="elders.status", subject=elder, reason=reason,
                 changes=audit.diff(before, audit.snapshot(elder, ["status", "status_date"])))
    _announce_change(elder=elder, change=status, on=on, reason=reason, actor=actor)
    return elder


@transaction.atomic
def elders_record_departures(*, actor, changes) -> list[Elder]:
    """`elder_change_status` to deceased or moved out for many active records at once (a death or household
    file): `changes` is a list of (elder, status, on, reason). Every change is checked as one would be and any
    refusal refuses them all; the records change in one UPDATE per status and date, with one audit event and
    one "elders.status_changed" outbox event each, written in bulk. Returns the elders changed."""
    from collections import defaultdict

    from carecircle.core.isolation import visible_to

    _require(actor, "elders.change")
    today = timezone.localdate()
    ids = [elder.pk for elder, _s, _on, _r in changes]
    if actor is not None:
        visible = visible_to(actor, Elder.objects.filter(pk__in=RawSQL(*members(ids))), CHANGE).count()
        if visible != len(set(ids)):
            raise PermissionDenied(_("该档案不在您的管辖范围内。"))
    groups = defaultdict(list)
    for elder, status, on, reason in changes:
        if status not in (ElderStatus.MOVED_OUT, ElderStatus.DECEASED):
            raise ValidationError({"status": [_("状态只能改为在册、迁出或死亡")]})
        if elder.status != ElderStatus.ACTIVE:
            raise ValidationError({"status": [_("档案已是“%(s)s”状态") % {"s": ElderStatus(elder.status).label}]})
        if on > today:
            raise ValidationError({"status_date": [_("状态日期不能晚于今天")]})
        if on < elder.birth_date:
            raise ValidationError({"status_date": [_("状态日期不能早于出生日期 %(d)s") % {"d": elder.birth_date}]})
        if not (reason or "").strip():
            raise ValidationError({"reason": [_("请说明迁出或死亡的依据（如户籍注销证明）")]})
        groups[(status, on)].append(elder.pk)
    now = timezone.now()
    for (status, on), pks in groups.items():
        Elder.objects.filter(pk__in=RawSQL(*members(pks)), status=ElderStatus.ACTIVE).update(
            status=status, status_date=on, updated_at=now)
    audit.record_many(actor=actor, action="elders.status", entries=(
        (elder, {"status": [ElderStatus.ACTIVE.value, str(status)], "status_date": [
            elder.status_date.isoformat() if elder.status_date else None, on.isoformat()]}, reason,
         elder.community_id) for elder, status, on, reason in changes))
    events.emit_many(name=ELDER_STATUS_CHANGED, actor=actor, items=(
        ({"elder": elder.pk, "change": str(status), "on": on.isoformat(), "reason": reason}, elder.community_id)
        for elder, status, on, reason in changes))
    for elder, status, on, _reason in changes:
        elder.status, elder.status_date, elder.updated_at = status, on, now
    return [elder for elder, _s, _on, _r in changes]


ELDER_STATUS_CHANGED = "elders.status_changed"


def _announce_change(*, elder: Elder, change: str, on: dt.date, reason: str, actor) -> None:
    """Care plans, assessment orders and the like follow a death, a move or an admission through an outbox
    event written in this transaction: the change stands on its own, and the event is delivered (and retried
    until it is) once it has committed. Payload: elder (id), change ("deceased" | "moved_out" | "active" |
    "institution"), on (ISO date), reason."""
    events.emit(name=ELDER_STATUS_CHANGED, actor=actor, region=elder.community,
                payload={"elder": elder.pk, "change": str(change), "on": on, "reason": reason})


@transaction.atomic
def elder_reveal(*, actor, elder: Elder, field: str, reason: str) -> str:
    """The clear ID or phone number, for someone with the capability who says why; always audited."""
    _require(actor, "elders.reveal")
    _require_visible(actor, elder)
    if field not in ("id_number", "phone"):
        raise ValidationError({"field": [_("只能查看完整的身份证号或联系电话")]})
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请填写查看完整信息的原因（至少 2 个字）")]})
    audit.record(actor=actor, action="elders.reveal", subject=elder, reason=reason, changes={"field": field})
    return getattr(elder, field)


@dataclass(frozen=True)
class VisitNumbers:
    """The numbers a caregiver may call for one of today's visits: the elder's and each emergency contact's."""

    phone: str
    contacts: tuple  # (name, relation, phone, holds_key) in calling order


@transaction.atomic
def visit_numbers_reveal(*, actor, work_orders) -> dict[int, VisitNumbers]:
    """The elders' phone and emergency contacts for the given work orders, where the disclosure rule lets this
    caregiver see them (`disclosure.visits_with_numbers`: their own visits published for today); each showing
    is a reveal in the trail with the reason "today's visit". Other work orders get nothing (masked)."""
    from .disclosure import TODAYS_VISIT_REASON, visits_with_numbers

    work_orders = list(work_orders)
    allowed = visits_with_numbers(actor, [order.pk for order in work_orders])
    shown: dict[int, VisitNumbers] = {}
    for order in work_orders:
        if order.pk not in allowed:
            continue
        elder = order.elder
        contacts = tuple((c.name, c.relation, c.phone, c.holds_key)
                         for c in EmergencyContact.objects.filter(elder=elder).order_by("priority", "id"))
        shown[order.pk] = VisitNumbers(phone=elder.phone or "", contacts=contacts)
        audit.record(actor=actor, action="elders.reveal", subject=elder, reason=TODAYS_VISIT_REASON,
                     changes={"field": "phone", "contacts": len(contacts), "work_order": order.pk})
    return shown


def elder_exact_search_record(*, actor, kind: str, value: str, results: int) -> None:
    """A search by a full ID or phone number by someone who may not reveal numbers: who, a keyed hash and the
    masked form of the number (never the number), and how many records it matched."""
    masked = mask_id_number(value) if kind == "id_number" else mask_phone(value)
    audit.record(actor=actor, action=EXACT_SEARCH_ACTION,
                 changes={"kind": kind, "masked": masked, "hash": lookup_hash(value), "results": results})


# --- emergency contacts ----------------------------------------------------------------------------------

def _clean_contact(data: dict) -> dict:
    errors: dict[str, list] = {}
    name = clean_name(data.get("name"), field="name", label=_("联系人姓名"), max_length=50, errors=errors)
    relation = str(data.get("relation") or "").strip()
    phone = normalise_phone(data.get("phone"))
    if not relation:
        errors.setdefault("relation", []).append(_("请填写与老人的关系"))
    if not phone:
        errors.setdefault("phone", []).append(_("请填写联系人电话"))
    elif not _PHONE_RE.match(phone):
        errors.setdefault("phone", []).append(_("电话“%(value)s”格式不对：只能是 7–15 位数字") % {"value": phone})
    try:
        priority = int(data.get("priority") or 1)
        if not 1 <= priority <= 9:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("priority", []).append(_("联系顺序必须是 1 到 9 的整数"))
        priority = 1
    if errors:
        raise ValidationError(errors)
    return {"name": name, "relation": relation, "phone": phone, "holds_key": bool(data.get("holds_key")),
            "priority": priority}


@transaction.atomic
def emergency_contact_add(*, actor, elder: Elder, data: dict) -> EmergencyContact:
    _require(actor, "elders.change")
    _require_visible(actor, elder)
    contact = EmergencyContact.objects.create(elder=elder, **_clean_contact(data))
    audit.record(actor=actor, action="elders.contact_add", subject=elder,
                 changes=audit.diff({}, audit.snapshot(contact)))
    return contact


@transaction.atomic
def emergency_contact_update(*, actor, contact: EmergencyContact, data: dict) -> EmergencyContact:
    _require(actor, "elders.change")
    _require_visible(actor, contact.elder)
    before = audit.snapshot(contact)
    for field, value in _clean_contact(data).items():
        setattr(contact, field, value)
    contact.save()
    audit.record(actor=actor, action="elders.contact_update", subject=contact.elder,
                 changes=audit.diff(before, audit.snapshot(contact)))
    return contact


@transaction.atomic
def emergency_contact_remove(*, actor, contact: EmergencyContact) -> None:
    _require(actor, "elders.change")
    _require_visible(actor, contact.elder)
    before = audit.snapshot(contact)
    elder = contact.elder
    contact.delete()
    audit.record(actor=actor, action="elders.contact_remove", subject=elder, changes=audit.diff(before, {}))


# --- merging duplicates ----------------------------------------------------------------------------------

@transaction.atomic
def elder_merge(*, actor, survivor: Elder, duplicate: Elder, reason: str) -> ElderMerge:
    """Folds `duplicate` into `survivor`: contacts and account links move, the duplicate is marked merged.

    Nothing is deleted except account links the survivor already has for the same account; those are
    kept in the merge row so that `elder_merge_undo` can restore everything.
    """
    _require(actor, "elders.merge")
    _require_visible(actor, survivor)
    _require_visible(actor, duplicate)
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": [_("不能把档案合并到它自己")]})
    if ElderStatus.MERGED in (survivor.status, duplicate.status):
        raise ValidationError({"duplicate": [_("已合并的档案不能再参与合并")]})
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请说明合并的原因（例如：身份证号录错后重复建档）")]})
    survivor = Elder.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Elder.objects.select_for_update().get(pk=duplicate.pk)
    contact_ids = list(duplicate.contacts.values_list("pk", flat=True))
    EmergencyContact.objects.filter(pk__in=contact_ids).update(elder=survivor)
    already_linked = set(survivor.account_links.values_list("user_id", flat=True))
    dropped, moved = [], []
    for link in duplicate.account_links.all():
        if link.user_id in already_linked:
            dropped.append({"user_id": link.user_id, "relation": link.relation})
            link.delete()
        else:
            moved.append(link.pk)
    ElderAccountLink.objects.filter(pk__in=moved).update(elder=survivor)
    merge = ElderMerge.objects.create(
        survivor=survivor, merged=duplicate, previous_status=duplicate.status,
        previous_status_date=duplicate.status_date, moved_contact_ids=contact_ids,
        moved_account_link_ids=moved, dropped_account_links=dropped, reason=reason, merged_by=actor)
    before = audit.snapshot(duplicate, ["status", "status_date", "merged_into"])
    duplicate.status, duplicate.status_date, duplicate.merged_into = (
        ElderStatus.MERGED, timezone.localdate(), survivor)
    duplicate.save(update_fields=["status", "status_date", "merged_into", "updated_at"])
    moves = {"contacts": contact_ids, "account_links": moved, "dropped_account_links": dropped}
    audit.record(actor=actor, action="elders.merged_into", subject=duplicate, reason=reason,
                 changes={**audit.diff(before, audit.snapshot(duplicate, ["status", "status_date", "merged_into"])),
                          "merge": merge.pk, **moves})
    audit.record(actor=actor, action="elders.merge", subject=survivor, reason=reason,
                 changes={"merged": duplicate.pk, "merge": merge.pk, **moves})
    return merge


@transaction.atomic
def elder_merge_undo(*, actor, merge: ElderMerge, reason: str) -> Elder:
    _require(actor, "elders.merge")
    _require_visible(actor, merge.survivor)
    if merge.undone_at is not None:
        raise ValidationError(_("这次合并已经撤销过了"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请说明撤销合并的原因")]})
    duplicate = Elder.objects.select_for_update().get(pk=merge.merged_id)
    clash = (Elder.objects.filter(id_number_hash=duplicate.id_number_hash).exclude(status=ElderStatus.MERGED)
             .exclude(pk=duplicate.pk).first())
    if clash is not None:
        raise ValidationError(
            _("不能撤销：该身份证号现已由另一份档案使用（%(url)s）") % {"url": reverse("elders:detail", args=[clash.pk])})
    EmergencyContact.objects.filter(pk__in=merge.moved_contact_ids, elder=merge.survivor).update(elder=duplicate)
    ElderAccountLink.objects.filter(pk__in=merge.moved_account_link_ids, elder=merge.survivor).update(elder=duplicate)
    for link in merge.dropped_account_links:
        ElderAccountLink.objects.get_or_create(user_id=link["user_id"], elder=duplicate,
                                               defaults={"relation": link["relation"]})
    before = audit.snapshot(duplicate, ["status", "status_date", "merged_into"])
    duplicate.status, duplicate.status_date, duplicate.merged_into = (
        merge.previous_status, merge.previous_status_date, None)
    duplicate.save(update_fields=["status", "status_date", "merged_into", "updated_at"])
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    audit.record(actor=actor, action="elders.merge_undo", subject=duplicate, reason=reason,
                 changes={**audit.diff(before, audit.snapshot(duplicate, ["status", "status_date", "merged_into"])),
                          "merge": merge.pk})
    return duplicate


# --- bulk import -----------------------------------------------------------------------------------------

def _row_errors_by_column(error: ValidationError) -> dict[str, list[str]]:
    from .importing import column_label

    if hasattr(error, "error_dict"):
        return {column_label(field): [m for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
    return {"": list(error.messages)}


def _existing_by_hash(hashes: list[str]) -> dict[str, int]:
    found = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start:start + 500]
        rows = (Elder.objects.filter(id_number_hash__in=chunk).exclude(status=ElderStatus.MERGED)
                .values_list("id_number_hash", "pk"))
        found.update(dict(rows))
    return found


def _import_region(actor) -> Region:
    if actor.scope_region_id:
        return actor.scope_region
    district = Region.objects.filter(kind=RegionKind.DISTRICT).order_by("path").first()
    if district is None:
        raise ValidationError(_("系统中还没有区域数据，无法导入"))
    return district


@transaction.atomic
def elder_import_preview(*, actor, filename: str, content: bytes):
    """Reads and checks every row without writing any elder; the rows are kept (encrypted) for apply."""
    import json

    from .importing import read_upload
    from .models import ElderImport

    _require(actor, "elders.import")
    rows = read_upload(filename, content, actor=actor)
    community_cache: dict = {}
    district_cache: dict = {}
    checked, first_line_by_hash = [], {}
    for row in rows:
        entry = {"line": row["_line"], "name": row.get("name", ""), "errors": {}, "duplicate_of_line": None,
                 "duplicate_of_url": "", "id_masked": ""}
        try:
            values = elder_clean(actor=actor, data=row, check_duplicate=False, community_cache=community_cache,
                                 district_cache=district_cache)
        except ValidationError as exc:
            entry["errors"] = _row_errors_by_column(exc)
            values = None
        if values is not None:
            id_hash = lookup_hash(values["id_number"])
            entry["hash"] = id_hash
            entry["id_masked"] = mask_id_number(values["id_number"])
            if id_hash in first_line_by_hash:
                entry["duplicate_of_line"] = first_line_by_hash[id_hash]
            else:
                first_line_by_hash[id_hash] = row["_line"]
        checked.append(entry)
    existing = _existing_by_hash(list(first_line_by_hash))
    for entry in checked:
        pk = existing.get(entry.get("hash"))
        if pk is not None:
            entry["duplicate_of_url"] = reverse("elders:detail", args=[pk])
        entry["valid"] = not entry["errors"] and entry["duplicate_of_line"] is None and not entry["duplicate_of_url"]
        entry.pop("hash", None)
    summary = {
        "total": len(checked),
        "valid": sum(1 for e in checked if e["valid"]),
        "invalid": sum(1 for e in checked if e["errors"]),
        "duplicates_in_file": sum(1 for e in checked if e["duplicate_of_line"] is not None),
        "duplicates_existing": sum(1 for e in checked if e["duplicate_of_url"]),
        "rows": checked,
    }
    elder_import = ElderImport.objects.create(filename=filename[:255], rows=json.dumps(rows, ensure_ascii=False),
                                              preview=summary, region=_import_region(actor), created_by=actor)
    audit.record(actor=actor, action="elders.import_preview", subject=elder_import,
                 changes={k: v for k, v in summary.items() if k != "rows"})
    return elder_import


@transaction.atomic
def elder_import_start(*, actor, elder_import, mode: str):
    """Queues the apply job; the person chooses to import the valid rows or only a fully valid file."""
    from carecircle.core.jobs import job_start

    from carecircle.core.tasks import run_job

    from .models import ImportMode, ImportStatus
    from .tasks import IMPORT_JOB

    _require(actor, "elders.import")
    _require_visible(actor, elder_import)
    if mode not in ImportMode.values:
        raise ValidationError({"mode": [_("请选择导入方式")]})
    if elder_import.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("这个文件已经处理过（%(s)s），请重新上传") % {"s": elder_import.get_status_display()})
    job = job_start(kind=IMPORT_JOB, actor=actor, region=elder_import.region,
                    params={"import": elder_import.pk, "mode": mode}, task=run_job)
    elder_import.status, elder_import.mode, elder_import.job = ImportStatus.APPLYING, mode, job
    elder_import.save(update_fields=["status", "mode", "job"])
    audit.record(actor=actor, action="elders.import_start", subject=elder_import, changes={"mode": mode})
    return job


@transaction.atomic
def elder_import_discard(*, actor, elder_import) -> None:
    from .models import ImportStatus

    _require(actor, "elders.import")
    _require_visible(actor, elder_import)
    if elder_import.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("这个文件已经处理过，不能再放弃"))
    elder_import.status = ImportStatus.DISCARDED
    elder_import.rows = ""
    elder_import.save(update_fields=["status", "rows"])
    audit.record(actor=actor, action="elders.import_discard", subject=elder_import)


def elder_import_apply(*, elder_import_id: int, job) -> dict:
    """Run by the background task. Every row is validated again: the registry may have changed since preview.

    valid_rows: each good row is created in its own savepoint; the report lists the rows skipped and why.
    all_or_nothing: every row is checked first; one bad row and nothing at all is written.
    Returns the report, which the job runner stores as the job's result.
    """
    from .models import ElderImport, ImportStatus

    elder_import = ElderImport.objects.select_related("created_by").get(pk=elder_import_id)
    if elder_import.status != ImportStatus.APPLYING:
        # A redelivered message must not import the same rows twice.
        return elder_import.report
    try:
        return _apply_import_rows(elder_import, job)
    except Exception:
        # The job runner records the error on the job; the import must not stay "applying" for ever.
        ElderImport.objects.filter(pk=elder_import.pk).update(status=ImportStatus.FAILED)
        raise


def _apply_import_rows(elder_import, job) -> dict:
    import json

    from carecircle.core.jobs import job_progress

    from .models import ImportMode, ImportStatus

    actor = elder_import.created_by
    rows = json.loads(elder_import.rows or "[]")
    total = len(rows)
    job_progress(job, progress=0, total=total, message=_("开始导入"))
    community_cache: dict = {}
    district_cache: dict = {}
    created, skipped = [], []
    step = max(1, total // 50)

    if elder_import.mode == ImportMode.ALL_OR_NOTHING:
        seen: dict[str, int] = {}
        for index, row in enumerate(rows, start=1):
            try:
                values = elder_clean(actor=actor, data=row, community_cache=community_cache,
                                     district_cache=district_cache)
                id_hash = lookup_hash(values["id_number"])
                if id_hash in seen:
                    raise ValidationError({"id_number": [_("与第 %(line)d 行的身份证号重复") % {"line": seen[id_hash]}]})
                seen[id_hash] = row["_line"]
            except ValidationError as exc:
                skipped.append({"line": row["_line"], "errors": _row_errors_by_column(exc)})
            if index % step == 0:
                job_progress(job, progress=index // 2, message=_("正在检查第 %(n)d 行") % {"n": index})
        if not skipped:
            with transaction.atomic():
                for index, row in enumerate(rows, start=1):
                    created.append(elder_create(actor=actor, data=row, community_cache=community_cache,
                                                district_cache=district_cache).pk)
                    if index % step == 0:
                        job_progress(job, progress=(total + index) // 2, message=_("正在写入第 %(n)d 行") % {"n": index})
    else:
        for index, row in enumerate(rows, start=1):
            try:
                with transaction.atomic():
                    created.append(elder_create(actor=actor, data=row, community_cache=community_cache,
                                                district_cache=district_cache).pk)
            except ValidationError as exc:
                skipped.append({"line": row["_line"], "errors": _row_errors_by_column(exc)})
            if index % step == 0:
                job_progress(job, progress=index, message=_("正在写入第 %(n)d 行") % {"n": index})

    written = bool(created)
    report = {"total": total, "created": len(created), "skipped": skipped, "mode": elder_import.mode,
              "nothing_written": not written}
    if not written and skipped and elder_import.mode == ImportMode.ALL_OR_NOTHING:
        report["summary"] = _("有 %(s)d 行有问题，按“全部有效才导入”的选择，一行也没有写入") % {"s": len(skipped)}
    else:
        report["summary"] = _("已导入 %(c)d 行，跳过 %(s)d 行") % {"c": len(created), "s": len(skipped)}
    with transaction.atomic():
        elder_import.status = ImportStatus.APPLIED if written or not skipped else ImportStatus.FAILED
        elder_import.report = report
        elder_import.rows = ""
        elder_import.save(update_fields=["status", "report", "rows"])
        audit.record(actor=actor, action="elders.import_apply", subject=elder_import,
                     changes={"created": len(created), "skipped": len(skipped), "mode": elder_import.mode})
    return report
