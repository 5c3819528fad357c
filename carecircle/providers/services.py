"""Provider writes: organisations, facilities, service areas, contracts, staff and their certificates.

Who may write: the district (capability `providers.change`) anything inside its scope; a provider's
own administrator (`providers.change_own`) their own organisation's day-to-day facts, facilities and
staff — never its registration, its service areas or its contracts, since those decide which elders
the provider may see and what it is paid for.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.isolation import CHANGE, acts_for, is_visible
from carecircle.core.roles import has_capability
from carecircle.core.sensitive import lookup_hash
from carecircle.core.validators import clean_name
from carecircle.elders.identity import IdNumberError, parse_id_number
from carecircle.regions import geometry
from carecircle.regions.models import Region, RegionKind

from .credit_code import CreditCodeError, validate_credit_code
from .models import (
    Certificate, Contract, ContractStatus, Facility, FacilityKind, Gender, Organisation, OrganisationKind,
    Qualification, ServiceArea, StaffMember, StaffPosition,
)

MOBILE_PHONE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_PHONE = re.compile(r"^0\d{2,3}-?\d{7,8}$")

# Registration facts only the district changes; a provider maintains the rest of its record.
ORGANISATION_FIELDS = ["name", "kind", "credit_code", "region", "parent", "address", "contact_name",
                       "contact_phone", "is_active"]
ORGANISATION_OWN_FIELDS = {"name", "address", "contact_name", "contact_phone"}
FACILITY_FIELDS = ["name", "kind", "community", "address", "beds", "nursing_beds", "floor_area_m2",
                   "opening_hours", "lat", "lng", "is_active"]
CONTRACT_FIELDS = ["region", "number", "programme", "starts_on", "ends_on", "status", "note"]
STAFF_FIELDS = ["name", "gender", "id_number", "phone", "position", "dialects", "hired_on", "is_active"]
CERTIFICATE_FIELDS = ["qualification", "number", "issued_on", "expires_on"]


# --- who may write -------------------------------------------------------------------------------

def _in_actor_scope(actor, region) -> bool:
    return actor is None or is_visible(actor, region, CHANGE)


def can_manage_district_facts(actor, organisation) -> bool:
    """Registration, service areas and contracts: the district, for organisations it can see."""
    if actor is None:
        return True
    return has_capability(actor, "providers.change") and is_visible(actor, organisation, CHANGE)


def can_manage_own_facts(actor, organisation) -> bool:
    """Contact details, facilities and staff: the district, or the organisation's own administrator."""
    if can_manage_district_facts(actor, organisation):
        return True
    return has_capability(actor, "providers.change_own") and acts_for(actor, organisation)


def _region_limited(actor, organisation):
    """The actor whose region scope limits where a facility may be; a provider is limited only by the district."""
    if actor is None or acts_for(actor, organisation):
        return None
    return actor


def _require_district(actor, organisation):
    if not can_manage_district_facts(actor, organisation):
        raise PermissionDenied(_("只有区民政部门可以修改机构的登记信息、服务区域和合同"))


def _require_manager(actor, organisation):
    if not can_manage_own_facts(actor, organisation):
        raise PermissionDenied(_("您只能修改本机构的信息"))


# --- field checks ---------------------------------------------------------------------------------

def _check_choice(errors, field, value, choices, label):
    if value not in choices.values:
        errors[field] = _("%(label)s“%(value)s”无效") % {"label": label, "value": value}


def _check_required_text(errors, field, value, label):
    if not (value or "").strip():
        errors[field] = _("请填写%(label)s") % {"label": label}


def _check_name(errors, field, value, label, *, model, required=True):
    """A name through the shared rule (core.validators): length from the model, nothing hidden."""
    problems: dict[str, list] = {}
    clean_name(value, field=field, label=label, max_length=model._meta.get_field(field).max_length,
               errors=problems, required=required)
    if problems:
        errors[field] = problems[field][0]


def _check_phone(errors, field, value):
    if value and not (MOBILE_PHONE.match(value) or LANDLINE_PHONE.match(value)):
        errors[field] = _("电话号码“%(value)s”格式不正确：手机号为 11 位数字，座机如 021-64680000") % {"value": value}


def _non_negative_int(errors, field, value, label):
    if value is None or isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors[field] = _("%(label)s必须是不小于 0 的整数") % {"label": label}
        return None
    return value


def _decimal(errors, field, value, label, places="0.01"):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        errors[field] = _("%(label)s“%(value)s”不是数字") % {"label": label, "value": value}
        return None
    if not number.is_finite() or number < 0:
        errors[field] = _("%(label)s不能为负数") % {"label": label}
        return None
    if number != number.quantize(Decimal(places)):
        errors[field] = _("%(label)s最多保留两位小数") % {"label": label}
        return None
    return number


def _district_of(region: Region) -> Region | None:
    if region.kind == RegionKind.DISTRICT:
        return region
    return region.ancestors().filter(kind=RegionKind.DISTRICT).first()


def _check_location(errors, community: Region | None, lat, lng):
    """Coordinates are WGS84 and must lie inside the district the facility's community belongs to."""
    try:
        lat, lng = Decimal(str(lat)), Decimal(str(lng))
    except (InvalidOperation, TypeError):
        errors["lat"] = _("请填写有效的经纬度（WGS84 小数度数）")
        return None, None
    if not (Decimal(-90) <= lat <= Decimal(90)):
        errors["lat"] = _("纬度必须在 -90 到 90 之间")
        return None, None
    if not (Decimal(-180) <= lng <= Decimal(180)):
        errors["lng"] = _("经度必须在 -180 到 180 之间")
        return None, None
    lat, lng = lat.quantize(Decimal("0.000001")), lng.quantize(Decimal("0.000001"))
    if community is not None:
        district = _district_of(community)
        if district is not None and geometry.contains(district.boundary, lat, lng) is False:
            errors["lat"] = _(
                "坐标（纬度 %(lat)s，经度 %(lng)s）不在%(district)s范围内，请核对；"
                "若坐标取自高德/腾讯地图（GCJ-02），请先换算为 WGS84"
            ) % {"lat": lat, "lng": lng, "district": district.name}
    return lat, lng


def _check_community(errors, field, community, actor=None):
    if community is None:
        errors[field] = _("请选择社区")
    elif community.kind != RegionKind.COMMUNITY:
        errors[field] = _("%(name)s不是社区（居委/村），请选择社区一级") % {"name": community.name}
    elif actor is not None and not _in_actor_scope(actor, community):
        errors[field] = _("%(name)s不在您的管辖范围内") % {"name": community.name}


def _changed_fields(before: dict, instance, changes: dict) -> set[str]:
    after = audit.snapshot(instance, list(changes))
    return {name for name in changes if name not in before or before[name] != after.get(name)}


def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _apply(instance, values: dict, allowed: list[str]):
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in values.items():
        setattr(instance, name, value)


# --- organisations --------------------------------------------------------------------------------

def _validate_organisation(organisation: Organisation, actor, changed: set[str]):
    """Checks the fields being set; registration facts already on file are not re-judged on every edit."""
    errors = {}
    _check_name(errors, "name", organisation.name, _("机构名称"), model=Organisation)
    _check_name(errors, "contact_name", organisation.contact_name, _("联系人"), model=Organisation, required=False)
    _check_choice(errors, "kind", organisation.kind, OrganisationKind, _("机构类型"))
    if "credit_code" in changed:
        try:
            organisation.credit_code = validate_credit_code(organisation.credit_code)
        except CreditCodeError as exc:
            errors["credit_code"] = exc.message
        else:
            duplicate = Organisation.objects.filter(credit_code=organisation.credit_code).exclude(pk=organisation.pk)
            if duplicate.exists():
                errors["credit_code"] = _("统一社会信用代码 %(code)s 已登记") % {"code": organisation.credit_code}
    if organisation.region_id is None:
        errors["region"] = _("请选择登记所在区域")
    elif "region" in changed and not _in_actor_scope(actor, organisation.region):
        errors["region"] = _("%(name)s不在您的管辖范围内") % {"name": organisation.region.name}
    if organisation.parent_id is not None and organisation.parent_id == organisation.pk:
        errors["parent"] = _("机构不能是自己的上级机构")
    _check_phone(errors, "contact_phone", organisation.contact_phone)
    organisation.name = (organisation.name or "").strip()
    _raise(errors)


@transaction.atomic
def organisation_create(*, actor, name: str, kind: str, credit_code: str, region: Region,
                        parent: Organisation | None = None, address: str = "", contact_name: str = "",
                        contact_phone: str = "", is_active: bool = True, reason: str = "") -> Organisation:
    if actor is not None and not has_capability(actor, "providers.change"):
        raise PermissionDenied(_("只有区民政部门可以登记新的服务机构"))
    organisation = Organisation(name=name, kind=kind, credit_code=credit_code, region=region, parent=parent,
                                address=address, contact_name=contact_name, contact_phone=contact_phone,
                                is_active=is_active)
    _validate_organisation(organisation, actor, set(ORGANISATION_FIELDS))
    organisation.save()
    audit.record(actor=actor, action="providers.organisation_create", subject=organisation,
                 changes=audit.snapshot(organisation), reason=reason)
    return organisation


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, reason: str = "", **changes) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not can_manage_district_facts(actor, organisation):
        _require_manager(actor, organisation)
        restricted = sorted(set(changes) - ORGANISATION_OWN_FIELDS)
        if restricted:
            raise PermissionDenied(_("机构类型、信用代码、登记区域等登记信息只能由区民政部门修改"))
    before = audit.snapshot(organisation)
    _apply(organisation, changes, ORGANISATION_FIELDS)
    _validate_organisation(organisation, actor, _changed_fields(before, organisation, changes))
    organisation.save()
    change_set = audit.diff(before, audit.snapshot(organisation))
    if change_set:
        audit.record(actor=actor, action="providers.organisation_update", subject=organisation,
                     changes=change_set, reason=reason)
    return organisation


# --- facilities -----------------------------------------------------------------------------------

def _validate_facility(facility: Facility, actor):
    errors = {}
    _check_name(errors, "name", facility.name, _("设施名称"), model=Facility)
    _check_choice(errors, "kind", facility.kind, FacilityKind, _("设施类型"))
    _check_community(errors, "community", facility.community if facility.community_id else None, actor)
    beds = _non_negative_int(errors, "beds", facility.beds, _("床位数"))
    nursing = _non_negative_int(errors, "nursing_beds", facility.nursing_beds, _("护理型床位数"))
    if beds is not None and nursing is not None and nursing > beds:
        errors["nursing_beds"] = _("护理型床位数（%(n)d）不能多于床位总数（%(b)d）") % {"n": nursing, "b": beds}
    area = _decimal(errors, "floor_area_m2", facility.floor_area_m2, _("建筑面积"))
    if area is not None:
        facility.floor_area_m2 = area
    if "community" not in errors:
        facility.lat, facility.lng = _check_location(errors, facility.community, facility.lat, facility.lng)
    facility.name = (facility.name or "").strip()
    _raise(errors)


@transaction.atomic
def facility_create(*, actor, organisation: Organisation, name: str, kind: str, community: Region, lat, lng,
                    address: str = "", beds: int = 0, nursing_beds: int = 0, floor_area_m2=Decimal("0.00"),
                    opening_hours: str = "", is_active: bool = True, reason: str = "") -> Facility:
    _require_manager(actor, organisation)
    facility = Facility(organisation=organisation, name=name, kind=kind, community=community, address=address,
                        beds=beds, nursing_beds=nursing_beds, floor_area_m2=floor_area_m2,
                        opening_hours=opening_hours, lat=lat, lng=lng, is_active=is_active)
    _validate_facility(facility, _region_limited(actor, organisation))
    facility.save()
    audit.record(actor=actor, action="providers.facility_create", subject=facility,
                 changes=audit.snapshot(facility), reason=reason)
    return facility


@transaction.atomic
def facility_update(*, actor, facility: Facility, reason: str = "", **changes) -> Facility:
    facility = Facility.objects.select_for_update().select_related("organisation").get(pk=facility.pk)
    _require_manager(actor, facility.organisation)
    before = audit.snapshot(facility)
    _apply(facility, changes, FACILITY_FIELDS)
    _validate_facility(facility, _region_limited(actor, facility.organisation))
    facility.save()
    change_set = audit.diff(before, audit.snapshot(facility))
    if change_set:
        audit.record(actor=actor, action="providers.facility_update", subject=facility, changes=change_set,
                     reason=reason)
    return facility


# --- service areas --------------------------------------------------------------------------------

@transaction.atomic
def service_area_add(*, actor, organisation: Organisation, community: Region, since: dt.date | None = None,
                     reason: str = "") -> ServiceArea:
    _require_district(actor, organisation)
    errors = {}
    _check_community(errors, "community", community, actor)
    if not errors and ServiceArea.objects.filter(organisation=organisation, community=community).exists():
        errors["community"] = _("%(org)s 已在服务 %(community)s") % {"org": organisation.name, "community": community.name}
    _raise(errors)
    area = ServiceArea.objects.create(organisation=organisation, community=community, since=since)
    audit.record(actor=actor, action="providers.service_area_add", subject=area,
                 changes={"organisation": organisation.pk, "community": community.code, "since": since},
                 reason=reason)
    return area


@transaction.atomic
def service_area_remove(*, actor, service_area: ServiceArea, reason: str = "") -> None:
    _require_district(actor, service_area.organisation)
    if not _in_actor_scope(actor, service_area.community):
        raise PermissionDenied(_("%(name)s不在您的管辖范围内") % {"name": service_area.community.name})
    audit.record(actor=actor, action="providers.service_area_remove", subject=service_area,
                 changes={"organisation": service_area.organisation_id, "community": service_area.community.code},
                 reason=reason)
    service_area.delete()


# --- contracts ------------------------------------------------------------------------------------

def _validate_contract(contract: Contract, actor):
    errors = {}
    contract.number = (contract.number or "").strip()
    _check_required_text(errors, "number", contract.number, _("合同编号"))
    _check_required_text(errors, "programme", contract.programme, _("服务项目/资金渠道"))
    _check_choice(errors, "status", contract.status, ContractStatus, _("合同状态"))
    if contract.number and Contract.objects.filter(number=contract.number).exclude(pk=contract.pk).exists():
        errors["number"] = _("合同编号 %(number)s 已存在") % {"number": contract.number}
    if contract.region_id is None:
        errors["region"] = _("请选择签约区域")
    elif not _in_actor_scope(actor, contract.region):
        errors["region"] = _("%(name)s不在您的管辖范围内") % {"name": contract.region.name}
    if contract.starts_on is None:
        errors["starts_on"] = _("请填写起始日期")
    if contract.ends_on is None:
        errors["ends_on"] = _("请填写截止日期")
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        errors["ends_on"] = _("截止日期（%(end)s）不能早于起始日期（%(start)s）") % {
            "end": contract.ends_on, "start": contract.starts_on}
    _raise(errors)


@transaction.atomic
def contract_create(*, actor, organisation: Organisation, region: Region, number: str, programme: str,
                    starts_on: dt.date, ends_on: dt.date, status: str = ContractStatus.ACTIVE, note: str = "",
                    reason: str = "") -> Contract:
    _require_district(actor, organisation)
    contract = Contract(organisation=organisation, region=region, number=number, programme=programme,
                        starts_on=starts_on, ends_on=ends_on, status=status, note=note)
    _validate_contract(contract, actor)
    contract.save()
    audit.record(actor=actor, action="providers.contract_create", subject=contract,
                 changes=audit.snapshot(contract), reason=reason)
    return contract


@transaction.atomic
def contract_update(*, actor, contract: Contract, reason: str = "", **changes) -> Contract:
    contract = Contract.objects.select_for_update().select_related("organisation").get(pk=contract.pk)
    _require_district(actor, contract.organisation)
    before = audit.snapshot(contract)
    _apply(contract, changes, CONTRACT_FIELDS)
    _validate_contract(contract, actor)
    contract.save()
    change_set = audit.diff(before, audit.snapshot(contract))
    if change_set:
        audit.record(actor=actor, action="providers.contract_update", subject=contract, changes=change_set,
                     reason=reason)
    return contract


# --- staff ----------------------------------------------------------------------------------------

def _validate_staff(staff: StaffMember, changed: set[str]):
    errors = {}
    staff.name = (staff.name or "").strip()
    _check_name(errors, "name", staff.name, _("姓名"), model=StaffMember)
    _check_choice(errors, "gender", staff.gender, Gender, _("性别"))
    _check_choice(errors, "position", staff.position, StaffPosition, _("岗位"))
    try:
        facts = parse_id_number(staff.id_number)
    except IdNumberError as exc:
        if changed & {"id_number", "gender"}:
            errors["id_number"] = exc.message
    else:
        staff.id_number = facts.number
        staff.id_number_hash = lookup_hash(facts.number)
        if "gender" not in errors and facts.gender != staff.gender:
            errors["gender"] = _("性别与身份证号不一致：身份证号显示为%(g)s") % {"g": Gender(facts.gender).label}
        duplicate = StaffMember.objects.filter(id_number_hash=staff.id_number_hash).exclude(pk=staff.pk)
        if duplicate.exists():
            errors["id_number"] = _("该身份证号已登记为从业人员，同一人不能重复登记；如已调动，请原机构先办理离职")
    staff.phone = (staff.phone or "").strip()
    if "phone" in changed and staff.phone and not MOBILE_PHONE.match(staff.phone):
        errors["phone"] = _("手机号“%(value)s”格式不正确，应为 11 位数字") % {"value": staff.phone}
    _raise(errors)


@transaction.atomic
def staff_create(*, actor, organisation: Organisation, name: str, gender: str, id_number: str, position: str,
                 phone: str = "", dialects: str = "", hired_on: dt.date | None = None, is_active: bool = True,
                 reason: str = "") -> StaffMember:
    _require_manager(actor, organisation)
    staff = StaffMember(organisation=organisation, name=name, gender=gender, id_number=id_number, phone=phone,
                        position=position, dialects=dialects, hired_on=hired_on, is_active=is_active)
    _validate_staff(staff, set(STAFF_FIELDS))
    staff.save()
    audit.record(actor=actor, action="providers.staff_create", subject=staff, changes=audit.snapshot(staff),
                 reason=reason)
    return staff


@transaction.atomic
def staff_update(*, actor, staff: StaffMember, reason: str = "", **changes) -> StaffMember:
    staff = StaffMember.objects.select_for_update().select_related("organisation").get(pk=staff.pk)
    _require_manager(actor, staff.organisation)
    before = audit.snapshot(staff)
    _apply(staff, changes, STAFF_FIELDS)
    _validate_staff(staff, set(changes))
    staff.save()
    change_set = audit.diff(before, audit.snapshot(staff))
    if change_set:
        audit.record(actor=actor, action="providers.staff_update", subject=staff, changes=change_set,
                     reason=reason)
    return staff


REVEALABLE_STAFF_FIELDS = {"id_number": _("身份证号"), "phone": _("手机号")}


@transaction.atomic
def staff_reveal(*, actor, staff: StaffMember, field: str, reason: str) -> str:
    """The clear value of a staff member's ID or phone number, for the people who manage them; audited."""
    _require_manager(actor, staff.organisation)
    if field not in REVEALABLE_STAFF_FIELDS:
        raise ValidationError({"field": _("不能查看该字段")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("查看完整号码必须填写原因")})
    audit.record(actor=actor, action="providers.staff_reveal", subject=staff, changes={"field": field},
                 reason=reason.strip())
    return getattr(staff, field)


# --- certificates ---------------------------------------------------------------------------------

def _validate_certificate(certificate: Certificate):
    errors = {}
    certificate.number = (certificate.number or "").strip()
    _check_choice(errors, "qualification", certificate.qualification, Qualification, _("资质"))
    _check_required_text(errors, "number", certificate.number, _("证书编号"))
    if certificate.issued_on is None:
        errors["issued_on"] = _("请填写发证日期")
    elif certificate.issued_on > timezone.localdate():
        errors["issued_on"] = _("发证日期不能晚于今天")
    if certificate.issued_on and certificate.expires_on and certificate.expires_on <= certificate.issued_on:
        errors["expires_on"] = _("有效期至（%(end)s）必须晚于发证日期（%(start)s）") % {
            "end": certificate.expires_on, "start": certificate.issued_on}
    duplicate = Certificate.objects.filter(staff=certificate.staff, qualification=certificate.qualification,
                                           number=certificate.number).exclude(pk=certificate.pk)
    if certificate.number and duplicate.exists():
        errors["number"] = _("该人员已登记过编号为 %(number)s 的同类证书") % {"number": certificate.number}
    _raise(errors)


@transaction.atomic
def certificate_add(*, actor, staff: StaffMember, qualification: str, number: str, issued_on: dt.date,
                    expires_on: dt.date | None = None, reason: str = "") -> Certificate:
    _require_manager(actor, staff.organisation)
    certificate = Certificate(staff=staff, qualification=qualification, number=number, issued_on=issued_on,
                              expires_on=expires_on)
    _validate_certificate(certificate)
    certificate.save()
    audit.record(actor=actor, action="providers.certificate_add", subject=certificate,
                 changes=audit.snapshot(certificate), reason=reason)
    return certificate


@transaction.atomic
def certificate_update(*, actor, certificate: Certificate, reason: str = "", **changes) -> Certificate:
    certificate = Certificate.objects.select_for_update().select_related("staff__organisation").get(pk=certificate.pk)
    _require_manager(actor, certificate.staff.organisation)
    before = audit.snapshot(certificate)
    _apply(certificate, changes, CERTIFICATE_FIELDS)
    _validate_certificate(certificate)
    certificate.save()
    change_set = audit.diff(before, audit.snapshot(certificate))
    if change_set:
        audit.record(actor=actor, action="providers.certificate_update", subject=certificate,
                     changes=change_set, reason=reason)
    return certificate


@transaction.atomic
def certificate_remove(*, actor, certificate: Certificate, reason: str) -> None:
    _require_manager(actor, certificate.staff.organisation)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("删除证书必须填写原因")})
    audit.record(actor=actor, action="providers.certificate_remove", subject=certificate,
                 changes=audit.snapshot(certificate), reason=reason.strip())
    certificate.delete()
