"""Writes owned by the core: policy parameter values."""
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .isolation import CHANGE, is_visible
from .models import Confidence, PolicyParameter
from .policy import parameter_in_force, validate_value
from .roles import has_capability


@transaction.atomic
def policy_parameter_set(*, actor, key: str, region, value, effective_from: dt.date, source: str,
                         confidence: str, note: str = "", reason: str = "") -> PolicyParameter:
    """Add a dated value; the previous one stays in the history."""
    if actor is not None and not has_capability(actor, "policy.change"):
        raise PermissionDenied(_("您没有修改政策参数的权限"))
    if actor is not None and not is_visible(actor, region, CHANGE):
        raise PermissionDenied(_("只能为本辖区设置政策参数"))
    normalised = validate_value(key, value)
    if not source or not source.strip():
        raise ValidationError({"source": _("请注明参数来源（文件名称、文号或网页）")})
    if confidence not in Confidence.values:
        raise ValidationError({"confidence": _("未知的可信度：%(value)s") % {"value": confidence}})
    previous = parameter_in_force(key, region=region, on=effective_from)
    row = PolicyParameter.objects.create(
        key=key, region=region, value=normalised, effective_from=effective_from, source=source.strip(),
        confidence=confidence, note=note, created_by=actor if actor is not None else None,
    )
    audit.record(
        actor=actor, action="policy.set", subject=row,
        changes={"key": key, "region": region.code, "effective_from": effective_from,
                 "value": [previous.value if previous else None, normalised]},
        reason=reason,
    )
    return row
