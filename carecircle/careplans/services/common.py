"""What every care-plans service shares: the checks, the providers serving an elder, the entitlement."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.core.isolation import is_visible
from carecircle.core.roles import has_capability

LTCI = "ltci"
HOURLY_ITEM = "ltci-home-hour"
NURSING_HOURLY_ITEM = "ltci-nursing-hour"
NURSE = "registered_nurse"
# Organisation kinds that deliver services at home (an assessment agency or a hotline never takes orders).
SERVING_KINDS = ("home_care", "day_centre", "community_centre", "institution", "nursing_station")


def _require(actor, capability: str) -> None:
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _require_visible(actor, obj) -> None:
    if actor is not None and not is_visible(actor, obj):
        raise PermissionDenied(_("该记录不在您的管辖范围内。"))


def _list(values) -> str:
    return pgettext("list separator", "、").join(str(v) for v in values)


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def serving_providers(elder):
    """Active providers serving the elder's community, in a fixed order (name, then id)."""
    from carecircle.providers.models import Organisation

    return (Organisation.objects.filter(service_areas__community=elder.community, is_active=True,
                                        kind__in=SERVING_KINDS)
            .distinct().order_by("name", "id"))


def elder_entitlement(elder, *, programme: str = "ltci", on: dt.date):
    """The entitlement the elder's care level gives on `on` (None without an eligible level)."""
    from carecircle.catalog.selectors import entitlement_for

    return entitlement_for(elder, programme=programme, on=on)
