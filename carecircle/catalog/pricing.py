"""Reading the funding policy in force for an elder's area (the inputs of the pure funding engine)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from carecircle.core.policy import as_python, parameter_in_force, policy_label


@dataclass(frozen=True)
class PolicyRead:
    key: str
    value: object
    region_name: str
    since: dt.date

    def cite(self) -> dict:
        return {"key": self.key, "region": self.region_name, "since": self.since.isoformat()}


def read(key: str, *, region, on: dt.date, required: bool = True) -> PolicyRead | None:
    row = parameter_in_force(key, region=region, on=on)
    if row is None:
        if not required:
            return None
        raise ValidationError(
            _("政策参数“%(param)s”在 %(region)s 于 %(on)s 没有有效取值，无法计价。请区民政先在“政策参数”中录入。")
            % {"param": policy_label(key), "region": region.name, "on": on.isoformat()})
    return PolicyRead(key, as_python(key, row.value), row.region.name, row.effective_from)
