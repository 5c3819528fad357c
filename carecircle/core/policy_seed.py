"""Loading the policy-parameter seed (carecircle/core/data/policy_parameters.json) into the database.

Shared by `carecircle seed_policy` and the demo district: every value is validated before anything is
written, values already present are skipped, and each new value goes through `policy_parameter_set`,
so it is audited like any other policy change.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Confidence, PolicyParameter
from .policy import seed_values, specs, validate_value
from .services import policy_parameter_set


@dataclass
class PolicySeedReport:
    added: int = 0
    skipped: int = 0
    added_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _SeedRow:
    key: str
    region_code: str
    value: object
    effective_from: dt.date
    source: str
    confidence: str
    note: str


def _checked_rows(raw_values: list[dict], *, every_spec: bool) -> list[_SeedRow]:
    """Every seed row validated and normalised; a ValidationError lists every problem at once.

    With `every_spec`, a key the specs declare but no row gives a value is a problem too (the seed file
    must cover every parameter the code may ask for)."""
    errors: list[str] = []
    rows: list[_SeedRow] = []
    for position, raw in enumerate(raw_values, start=1):
        key = raw.get("key", "")
        label = _("第 %(n)d 条（%(key)s）") % {"n": position, "key": key or "?"}
        try:
            value = validate_value(key, raw.get("value"))
        except ValidationError as exc:
            errors.extend(_("%(label)s：%(message)s") % {"label": label, "message": message} for message in exc.messages)
            continue
        try:
            effective_from = dt.date.fromisoformat(str(raw.get("effective_from", "")))
        except ValueError:
            errors.append(_("%(label)s：生效日期“%(value)s”不是 YYYY-MM-DD 格式的日期")
                          % {"label": label, "value": raw.get("effective_from")})
            continue
        if not str(raw.get("source", "")).strip():
            errors.append(_("%(label)s：缺少来源") % {"label": label})
            continue
        if raw.get("confidence") not in Confidence.values:
            errors.append(_("%(label)s：可信度“%(value)s”无效，应为 %(choices)s")
                          % {"label": label, "value": raw.get("confidence"), "choices": "/".join(Confidence.values)})
            continue
        if not str(raw.get("region", "")).strip():
            errors.append(_("%(label)s：缺少适用区域代码") % {"label": label})
            continue
        rows.append(_SeedRow(key=key, region_code=str(raw["region"]).strip(), value=value,
                             effective_from=effective_from, source=raw["source"], confidence=raw["confidence"],
                             note=raw.get("note", "")))
    keys_with_values = {row.key for row in rows}
    for key in specs():
        if every_spec and key not in keys_with_values and not errors:
            errors.append(_("参数 %(key)s 在种子文件中没有任何取值") % {"key": key})
    if errors:
        raise ValidationError(errors)
    return rows


def policy_parameters_seed(*, actor=None, raw_values: list[dict] | None = None) -> PolicySeedReport:
    """Add every seed value not yet stored (same key, region, effective date and value); all or nothing.

    `raw_values` replaces the seed file's rows (imports of a revised file, tests).

    The regions the seed names must already exist: the seed never invents a region.
    """
    from .region_tree import region_model

    rows = _checked_rows(seed_values() if raw_values is None else raw_values, every_spec=raw_values is None)
    codes = sorted({row.region_code for row in rows})
    regions = {region.code: region for region in region_model()._default_manager.filter(code__in=codes)}
    missing = [code for code in codes if code not in regions]
    if missing:
        raise ValidationError(
            _("政策参数种子需要的区域不存在：%(codes)s。请先导入区划（或运行 carecircle seed_demo）再运行 seed_policy。")
            % {"codes": pgettext("list separator", "、").join(missing)}
        )
    report = PolicySeedReport()
    with transaction.atomic():
        for row in rows:
            region = regions[row.region_code]
            stored = PolicyParameter.objects.filter(key=row.key, region=region, effective_from=row.effective_from)
            if any(existing.value == row.value for existing in stored):
                report.skipped += 1
                continue
            policy_parameter_set(actor=actor, key=row.key, region=region, value=row.value,
                                 effective_from=row.effective_from, source=row.source, confidence=row.confidence,
                                 note=row.note, reason=_("载入政策参数种子文件"))
            report.added += 1
            report.added_keys.append(row.key)
    return report
