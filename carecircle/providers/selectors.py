"""Reads for providers. Every function that lists things takes the acting user."""
import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from carecircle.core.isolation import visible_to

from .models import Certificate, Facility, Organisation, ServiceArea, StaffMember


def served_community_ids(organisation_id: int):
    """Communities an organisation serves (a subquery, so isolation stays one SQL statement)."""
    return ServiceArea.objects.filter(organisation_id=organisation_id).values("community_id")


def organisation_list(*, user, search: str = "", kind: str = "", region_code: str = ""):
    qs = visible_to(user, Organisation).select_related("region")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__iexact=search))
    if kind:
        qs = qs.filter(kind=kind)
    if region_code:
        qs = qs.filter(region__path__contains=f"/{region_code}/")
    return qs.annotate(staff_count=Count("staff", distinct=True))
