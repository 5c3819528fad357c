"""Reads for providers. Every function that lists things takes the acting user."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.params import parse_id
from carecircle.core.policy import policy_value

from .models import Certificate, Contract, Facility, Organisation, ServiceArea, StaffMember, StaffPosition

CERTIFICATE_WARNING_KEY = "staff.certificate_expiry_warning_days"


def _in_region(queryset, lookup: str, region_code: str):
    """Rows whose region is the region with this code or lies below it."""
    return queryset.filter(**{f"{lookup}__path__contains": f"/{region_code}/"}) if region_code else queryset


# --- organisations --------------------------------------------------------------------------------

def organisation_list(*, user, search: str = "", kind: str = "", region_code: str = "", active: str = ""):
    qs = visible_to(user, Organisation).select_related("region")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__iexact=search.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    qs = _in_region(qs, "region", region_code)
    return qs.annotate(staff_count=Count("staff", distinct=True),
                       facility_count=Count("facilities", distinct=True)).order_by("name", "id")


def organisation_facilities(*, user, organisation):
    return visible_to(user, Facility).filter(organisation=organisation).select_related("community")


def organisation_service_areas(*, user, organisation):
    return (visible_to(user, ServiceArea).filter(organisation=organisation)
            .select_related("community").order_by("community__path"))


def organisation_contracts(*, user, organisation):
    return visible_to(user, Contract).filter(organisation=organisation).select_related("region")


def organisation_staff_summary(*, user, organisation) -> dict:
    staff = visible_to(user, StaffMember).filter(organisation=organisation)
    by_position = [{"label": StaffPosition(row["position"]).label, "n": row["n"]}
                   for row in staff.filter(is_active=True).values("position").annotate(n=Count("id")).order_by("position")]
    return {"active": staff.filter(is_active=True).count(), "inactive": staff.filter(is_active=False).count(),
            "by_position": by_position}


# --- facilities -----------------------------------------------------------------------------------

def facility_list(*, user, search: str = "", kind: str = "", organisation_id: str = "", region_code: str = ""):
    qs = visible_to(user, Facility).select_related("organisation", "community")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(address__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    organisation_id = parse_id(organisation_id, name="organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return _in_region(qs, "community", region_code).order_by("name", "id")


# --- staff and certificates -----------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateFlag:
    status: str  # "expired" | "expiring" | "valid" | "permanent"
    days_left: int | None


def certificate_warning_days(*, region, on: dt.date) -> int:
    """How many days before expiry a certificate counts as expiring soon (a policy parameter)."""
    return int(policy_value(CERTIFICATE_WARNING_KEY, region=region, on=on))


def certificate_flag(certificate: Certificate, *, today: dt.date, warning_days: int) -> CertificateFlag:
    if certificate.expires_on is None:
        return CertificateFlag("permanent", None)
    days_left = (certificate.expires_on - today).days
    if days_left < 0:
        return CertificateFlag("expired", days_left)
    if days_left <= warning_days:
        return CertificateFlag("expiring", days_left)
    return CertificateFlag("valid", days_left)


def _expiring_condition(region_ids, today: dt.date, *, region_lookup: str, date_lookup: str) -> Q:
    """Expiring within each organisation region's own warning period (regions may set different ones)."""
    from carecircle.regions.models import Region

    condition = Q(pk__in=[])
    for region in Region.objects.filter(pk__in=list(region_ids)):
        horizon = today + dt.timedelta(days=certificate_warning_days(region=region, on=today))
        condition |= Q(**{region_lookup: region.pk, f"{date_lookup}__gte": today, f"{date_lookup}__lte": horizon})
    return condition


def staff_list(*, user, search: str = "", organisation_id: str = "", position: str = "", qualification: str = "",
               certificate: str = "", active: str = "", today: dt.date | None = None):
    """Staff the user may see. `certificate=expiring|expired` keeps staff holding such a certificate;
    raises MissingPolicyParameter when the warning period is not configured (no silent default)."""
    today = today or timezone.localdate()
    qs = visible_to(user, StaffMember).select_related("organisation")
    if search:
        qs = qs.filter(name__icontains=search.strip())
    organisation_id = parse_id(organisation_id, name="organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if position:
        qs = qs.filter(position=position)
    if qualification:
        qs = qs.filter(certificates__qualification=qualification)
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    if certificate == "expired":
        qs = qs.filter(certificates__expires_on__lt=today)
    elif certificate == "expiring":
        region_ids = qs.values_list("organisation__region", flat=True).distinct()
        qs = qs.filter(_expiring_condition(region_ids, today, region_lookup="organisation__region",
                                           date_lookup="certificates__expires_on"))
    return qs.distinct().order_by("organisation__name", "name", "id")


def staff_certificates(*, user, staff: StaffMember, today: dt.date | None = None):
    """The staff member's certificates with their expiry flags, soonest expiry first."""
    today = today or timezone.localdate()
    warning_days = certificate_warning_days(region=staff.organisation.region, on=today)
    certificates = visible_to(user, Certificate).filter(staff=staff).order_by("expires_on", "id")
    return [(c, certificate_flag(c, today=today, warning_days=warning_days)) for c in certificates]


def certificate_flags_for(*, staff_members, today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """For a page of staff: {staff_id: {"expired": n, "expiring": n}} in one query per region."""
    today = today or timezone.localdate()
    staff_members = list(staff_members)
    warning_by_region: dict[int, int] = {}
    for member in staff_members:
        region = member.organisation.region
        if region.pk not in warning_by_region:
            warning_by_region[region.pk] = certificate_warning_days(region=region, on=today)
    flags = {m.pk: {"expired": 0, "expiring": 0} for m in staff_members}
    region_of = {m.pk: m.organisation.region_id for m in staff_members}
    for certificate in Certificate.objects.filter(staff_id__in=flags, expires_on__isnull=False):
        flag = certificate_flag(certificate, today=today,
                                warning_days=warning_by_region[region_of[certificate.staff_id]])
        if flag.status in {"expired", "expiring"}:
            flags[certificate.staff_id][flag.status] += 1
    return flags


def certificates_expiring_count(*, user, today: dt.date | None = None) -> int:
    """Visible certificates expired or expiring within the policy warning period (for workbenches)."""
    today = today or timezone.localdate()
    certificates = visible_to(user, Certificate)
    region_ids = certificates.values_list("staff__organisation__region", flat=True).distinct()
    expiring = _expiring_condition(region_ids, today, region_lookup="staff__organisation__region",
                                   date_lookup="expires_on")
    return certificates.filter(expiring | Q(expires_on__lt=today)).count()
