"""Instrument definitions: items, options, points, bands, tables and rules, loaded from versioned data files.

Each file under `data/` is one instrument version. Nothing about an instrument is written in code: the
engine reads the tables from here, and every result carries the file's hash so a result can be traced to
the exact rules that produced it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Option:
    code: str
    points: int
    text: str


@dataclass(frozen=True)
class Item:
    code: str
    dimension: str
    name: str
    name_en: str
    definition: str
    options: tuple[Option, ...]

    def option(self, code: str) -> Option | None:
        for option in self.options:
            if option.code == code:
                return option
        return None

    @property
    def max_points(self) -> int:
        return max(o.points for o in self.options)


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    name: str
    name_en: str
    kind: str
    source: str
    dimensions: tuple[dict, ...]
    items: tuple[Item, ...]
    levels: tuple[dict, ...]
    settings: dict
    pending: tuple[str, ...]
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)
    ruleset_hash: str = ""

    def item(self, code: str) -> Item | None:
        return self._items.get(code)

    @property
    def _items(self) -> dict[str, Item]:
        return {item.code: item for item in self.items}

    def dimension(self, code: str) -> dict:
        for dim in self.dimensions:
            if dim["code"] == code:
                return dim
        raise KeyError(code)

    def level_name(self, level: int | None, language: str = "zh") -> str:
        for row in self.levels:
            if row["level"] == level:
                return row["name"] if language == "zh" else row.get("name_en", row["name"])
        return ""

    def default_settings(self) -> dict:
        return {key: spec["default"] for key, spec in self.settings.items()}

    @property
    def pending_confirmation(self) -> bool:
        return bool(self.pending)


def _build(raw: dict, digest: str) -> Instrument:
    items = tuple(
        Item(code=i["code"], dimension=i["dimension"], name=i["name"], name_en=i.get("name_en", i["name"]),
             definition=i.get("definition", ""),
             options=tuple(Option(code=o["code"], points=int(o["points"]), text=o["text"]) for o in i["options"]))
        for i in raw["items"]
    )
    return Instrument(code=raw["code"], version=str(raw["version"]), name=raw["name"],
                      name_en=raw.get("name_en", raw["name"]), kind=raw["kind"], source=raw.get("source", ""),
                      dimensions=tuple(raw["dimensions"]), items=items, levels=tuple(raw.get("levels", [])),
                      settings=raw.get("settings", {}), pending=tuple(raw.get("pending", [])), raw=raw,
                      ruleset_hash=digest)


@lru_cache(maxsize=None)
def load_instrument(code: str) -> Instrument:
    """The instrument with this code; KeyError when there is no such data file."""
    if not code or "/" in code or "\\" in code or code.startswith("."):
        raise KeyError(code)
    path = DATA_DIR / f"{code}.json"
    if not path.is_file():
        raise KeyError(code)
    text = path.read_bytes()
    return _build(json.loads(text), hashlib.sha256(text).hexdigest()[:16])


def instrument_codes() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))
