"""Absences: the elder is away (hospital, travel); the generation suppresses the visits of those days."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carecircle.core import audit
from carecircle.core.policy import policy_value

from ..models import ABSENCE_FLOW, AbsenceKind, ElderAbsence
from .common import _require, _require_visible

@transaction.atomic
def elder_absence_record(*, actor, elder, kind: str, starts_on: dt.date, ends_on: dt.date,
                         note: str = "") -> ElderAbsence:
    _require(actor, "careplans.absence")
    _require_visible(actor, elder)
    errors = {}
    if kind not in AbsenceKind.values:
        errors["kind"] = [_("类型只能是住院、外出或其他")]
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        errors["starts_on"] = [_("请填写开始和结束日期")]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("结束日期 %(end)s 早于开始日期 %(start)s")
                             % {"end": ends_on.isoformat(), "start": starts_on.isoformat()}]
    else:
        longest = policy_value("careplans.absence.max_days", region=elder.community, on=starts_on)
        if (ends_on - starts_on).days > longest:
            errors["ends_on"] = [_("一次登记的结束日期与开始日期最多相隔 %(n)d 天，更长的期间请分次登记")
                                 % {"n": longest}]
    if errors:
        raise ValidationError(errors)
    absence = ElderAbsence.objects.create(elder=elder, kind=kind, starts_on=starts_on, ends_on=ends_on,
                                          note=(note or "").strip()[:200], created_by=actor)
    audit.record(actor=actor, action="careplans.absence_record", subject=absence, changes=audit.snapshot(absence))
    return absence


@transaction.atomic
def elder_absence_cancel(*, actor, absence: ElderAbsence) -> ElderAbsence:
    _require(actor, "careplans.absence")
    _require_visible(actor, absence)
    ABSENCE_FLOW.check(absence, actor, "cancel", message=_("这条登记已撤销"))
    absence.cancelled = True
    absence.save(update_fields=["cancelled"])
    audit.record(actor=actor, action="careplans.absence_cancel", subject=absence, changes={"cancelled": [False, True]})
    return absence
