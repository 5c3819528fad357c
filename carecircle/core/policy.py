"""Policy parameters: what each key means and how its values are validated, and the value in force.

Every amount, ratio, threshold, entitlement and deadline lives here as a dated, per-region value with
its source. Code asks `policy_value("ltci.home.fund_share", region=..., on=date)`; it never writes the
number itself.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

SPEC_FILE = Path(__file__).resolve().parent / "data" / "policy_parameters.json"


class MissingPolicyParameter(LookupError):
    pass


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    kind: str  # money | ratio | integer | number | boolean | text | table | list
    label_zh: str
    label_en: str
    unit: str = ""
    description: str = ""
    item_kind: str = ""  # for table/list: the kind of each value
    description_en: str = ""

    # The parameter file carries its own Chinese and English texts; pages show the reader's language.
    @property
    def label(self) -> str:
        return self.label_zh if _chinese_active() else self.label_en

    @property
    def description_text(self) -> str:
        return self.description if _chinese_active() else (self.description_en or self.description)

    @property
    def unit_label(self) -> str:
        return _(self.unit) if self.unit else ""


def _chinese_active() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


# The units the parameter file uses, marked here so that makemessages puts them in the catalog.
UNITS = (
    gettext_noop("人"),
    gettext_noop("元"),
    gettext_noop("元/人/天"),
    gettext_noop("元/月"),
    gettext_noop("分"),
    gettext_noop("分钟"),
    gettext_noop("周岁"),
    gettext_noop("天"),
    gettext_noop("小时"),
    gettext_noop("小时/周"),
    gettext_noop("小时/月"),
    gettext_noop("工作日"),
    gettext_noop("平方米/千人"),
    gettext_noop("平方米/千名老人"),
    gettext_noop("平方米/百户"),
    gettext_noop("年"),
    gettext_noop("张"),
    gettext_noop("日"),
    gettext_noop("月"),
    gettext_noop("次/周"),
    gettext_noop("次/年"),
    gettext_noop("次/小时"),
    gettext_noop("米"),
    gettext_noop("米/分钟"),
    gettext_noop("级"),
    gettext_noop("MB"),
    gettext_noop("项"),
)


KINDS = {"money", "ratio", "integer", "number", "boolean", "text", "table", "list"}


def policy_label(key: str) -> str:
    """A policy key as a person reads it: its declared label; `key[item]` adds the item's words
    ("服务项目单价：助餐"). A key nobody declared reads as "unregistered parameter", never as itself.
    In the language of the page (an English page gets the English label, even after a Chinese one)."""
    return _policy_label(str(key), get_language() or "zh-hans")


@lru_cache(maxsize=512)
def _policy_label(key: str, language: str) -> str:
    from .labels import words_for

    base, bracket, rest = str(key).partition("[")
    spec = specs().get(base)
    label = spec.label if spec is not None else _("未登记的政策参数")
    if bracket:
        label = _("%(label)s：%(item)s") % {"label": label, "item": words_for(rest.rstrip("]"))}
    return label


def spec_files() -> list[Path]:
    """The kernel's seed file, then each installed app's own `policy_parameters.json` (same shape), so that an
    app brings its policy parameters with it instead of editing the kernel's file."""
    from django.apps import apps

    files = [SPEC_FILE]
    for config in apps.get_app_configs():
        candidate = Path(config.path) / "policy_parameters.json"
        if candidate.is_file() and candidate != SPEC_FILE:
            files.append(candidate)
    return files


# The files are part of the code: read once per process (a page or a check-in asks for specs many times).
@lru_cache(maxsize=1)
def _seed_data() -> dict:
    merged = {"specs": [], "values": []}
    for path in spec_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        merged["specs"].extend(data.get("specs", []))
        merged["values"].extend(data.get("values", []))
    return merged


@lru_cache(maxsize=1)
def _specs() -> dict[str, ParameterSpec]:
    data = _seed_data()
    result = {}
    for raw in data["specs"]:
        spec = ParameterSpec(**raw)
        if spec.kind not in KINDS:
            raise ValueError(f"{spec.key}: unknown kind {spec.kind}")
        if spec.key in result:
            raise ValueError(f"{spec.key}: declared twice in the policy seed files")
        result[spec.key] = spec
    return result


def specs() -> dict[str, ParameterSpec]:
    return dict(_specs())


def seed_values() -> list[dict]:
    import copy

    return copy.deepcopy(_seed_data()["values"])


def _check_scalar(kind: str, value, key: str):
    if kind == "money":
        if isinstance(value, float) or isinstance(value, bool):
            raise ValidationError(_("%(key)s：金额必须写成字符串形式的小数（如 \"40.00\"），不能用浮点数") % {"key": key})
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(_("%(key)s：“%(value)s”不是金额") % {"key": key, "value": value})
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("%(key)s：金额须为非负数且最多两位小数") % {"key": key})
        return f"{amount:.2f}"
    if kind == "ratio":
        try:
            ratio = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(_("%(key)s：“%(value)s”不是比例") % {"key": key, "value": value})
        if not Decimal(0) <= ratio <= Decimal(1):
            raise ValidationError(_("%(key)s：比例必须在 0 到 1 之间") % {"key": key})
        return str(ratio)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("%(key)s：必须是整数") % {"key": key})
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError(_("%(key)s：必须是数字") % {"key": key})
        try:
            Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(_("%(key)s：必须是数字") % {"key": key})
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(_("%(key)s：必须是“是”或“否”") % {"key": key})
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(_("%(key)s：必须是非空文字") % {"key": key})
        return value
    raise ValidationError(_("%(key)s：未知的取值类型") % {"key": key})


def validate_value(key: str, value):
    """The normalised value, or a ValidationError naming the key and what is wrong."""
    spec = specs().get(key)
    if spec is None:
        raise ValidationError(_("未知的政策参数：%(key)s") % {"key": key})
    if spec.kind == "table":
        if not isinstance(value, dict) or not value:
            raise ValidationError(_("%(key)s：必须是非空的对照表") % {"key": key})
        return {str(k): _check_scalar(spec.item_kind, v, f"{key}[{k}]") for k, v in value.items()}
    if spec.kind == "list":
        if not isinstance(value, list) or not value:
            raise ValidationError(_("%(key)s：必须是非空列表") % {"key": key})
        return [_check_scalar(spec.item_kind, v, f"{key}[{i}]") for i, v in enumerate(value)]
    return _check_scalar(spec.kind, value, key)


def as_python(key: str, value):
    """Stored JSON → Python: money and ratios become Decimal."""
    spec = specs()[key]
    kind = spec.item_kind if spec.kind in {"table", "list"} else spec.kind
    convert = (lambda v: Decimal(str(v))) if kind in {"money", "ratio"} else (lambda v: v)
    if spec.kind == "table":
        return {k: convert(v) for k, v in value.items()}
    if spec.kind == "list":
        return [convert(v) for v in value]
    return convert(value)


# --- the values in force, read from a per-process snapshot ----------------------------------------------------
#
# A visit check-in, a till checkout or a device alarm asks for several policy values; reading each from the
# database costs more than the rest of the request. Rows are append-only (a correction is a new row), so the
# rows of a key can be kept in memory as long as the table has not changed. Whether it has is read from a
# stamp (row count, newest id, newest entry time) — once per request inside a request (core/request_cache.py),
# once per look-up elsewhere. The stamp also notices rows of a rolled-back
# transaction disappearing and rows written by other processes; rows saved in this process clear the snapshot
# at once (signals in core/apps.py).

_snapshot_lock = threading.Lock()
_snapshot: dict = {"stamp": None, "rows": {}}
STAMP_KEY = "core.policy.stamp"


def _read_stamp() -> tuple:
    from django.db import connection

    from .models import PolicyParameter

    table = connection.ops.quote_name(PolicyParameter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MAX(id), MAX(created_at) FROM {table}")  # noqa: S608 (a table name)
        return tuple(str(value) for value in cursor.fetchone())


def _stamp() -> tuple:
    from .request_cache import cached

    return cached(STAMP_KEY, _read_stamp)


def _rows_of(key: str) -> list:
    """Every row of `key`, all regions and dates, newest first — from the snapshot while the table is unchanged."""
    from .models import PolicyParameter

    stamp = _stamp()
    with _snapshot_lock:
        if _snapshot["stamp"] != stamp:
            _snapshot["stamp"], _snapshot["rows"] = stamp, {}
        rows = _snapshot["rows"].get(key)
    if rows is None:
        rows = list(PolicyParameter.objects.filter(key=key).select_related("region")
                    .order_by("-effective_from", "-created_at", "-id"))
        with _snapshot_lock:
            if _snapshot["stamp"] == stamp:
                _snapshot["rows"][key] = rows
    return rows


def forget_snapshot(**_signal_kwargs) -> None:
    """A row was written or deleted in this process: the next look-up reads the table again."""
    from .request_cache import forget

    with _snapshot_lock:
        _snapshot["stamp"], _snapshot["rows"] = None, {}
    forget(STAMP_KEY)


def parameter_in_force(key: str, *, region, on: dt.date | None = None):
    """The PolicyParameter row in force for `region` on `on`, searching up the region tree."""
    from django.utils import timezone

    on = on or timezone.localdate()
    paths = [region.path, *reversed(region.ancestor_paths())]
    rows = [row for row in _rows_of(key) if row.effective_from <= on]
    for path in paths:
        for row in rows:
            if row.region.path == path:
                return row
    return None


def parameters_in_force(keys, *, region, on: dt.date | None = None) -> dict:
    """`parameter_in_force` for several keys: {key: row in force, or None} (for a service that reads a dozen
    parameters of one region and day, such as the canteen till; all come from the snapshot)."""
    return {key: parameter_in_force(key, region=region, on=on) for key in keys}


def policy_value(key: str, *, region, on: dt.date | None = None):
    row = parameter_in_force(key, region=region, on=on)
    if row is None:
        raise MissingPolicyParameter(
            _("政策参数“%(param)s”在 %(region)s 没有有效取值") % {"param": policy_label(key), "region": region.name}
        )
    return as_python(key, row.value)
