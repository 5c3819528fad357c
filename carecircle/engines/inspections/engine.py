"""Scores a set of item points by a rating scheme.

A scheme is a dict (loaded from JSON): `parts`, each with `code`, `max_points` and `items` (`code`,
`max_points`); `part_min_share` (every part must reach at least that share of its maximum for any star);
`bands` (`stars`, `min`, `max` of the total; empty where no published band exists); and the hazard list's
item codes that are hard stops: any one recorded fails the inspection whatever the score.

Points are Decimals with at most one decimal place, from 0 to the item's maximum. An item not given counts
as 0 and is listed as unanswered (a dry run may leave items out; a submitted inspection may not).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

ONE_DECIMAL = Decimal("0.1")

# Rule kinds in a result's trace.
BAND = "band"
NO_BAND = "no_band"
PART_BELOW_MINIMUM = "part_below_minimum"
HARD_STOP = "hard_stop"


class SchemeError(ValueError):
    """The scheme's data contradicts itself (parts that do not add up, overlapping bands...)."""


class ScoringError(ValueError):
    """The points given cannot be scored. `problems` is a list of (code, kind, detail) tuples, where kind is
    one of "unknown_item", "not_a_number", "negative", "above_maximum", "too_precise", "unknown_hazard"."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(f"{code}: {kind}" for code, kind, _detail in problems))


@dataclass(frozen=True)
class Rule:
    kind: str
    part: str = ""  # the part's code for PART_BELOW_MINIMUM
    item: str = ""  # the hazard item's code for HARD_STOP
    stars: int = 0  # the band's stars for BAND
    points: Decimal = Decimal("0")  # the part's score (PART_BELOW_MINIMUM) or the total (BAND)
    threshold: Decimal = Decimal("0")  # the part's minimum (PART_BELOW_MINIMUM) or the band's floor (BAND)


@dataclass(frozen=True)
class PartScore:
    code: str
    points: Decimal
    max_points: Decimal
    minimum: Decimal

    @property
    def below_minimum(self) -> bool:
        return self.points < self.minimum


@dataclass
class Result:
    parts: list[PartScore]
    total: Decimal
    max_points: Decimal
    band_stars: int  # the band the total falls in (0 when none)
    stars: int  # stars awarded: the band's, unless a part is under its minimum or a hard stop applies
    passed: bool  # False when any hard stop applies
    hard_stops: list[str]
    unanswered: list[str]
    rules: list[Rule] = field(default_factory=list)


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def check_scheme(scheme: dict) -> None:
    """Refuses a scheme whose parts, items and bands do not add up."""
    codes = set()
    total = Decimal("0")
    for part in scheme["parts"]:
        part_max = _decimal(part["max_points"])
        items_max = sum((_decimal(item["max_points"]) for item in part["items"]), Decimal("0"))
        if items_max != part_max:
            raise SchemeError(f"part {part['code']}: items add up to {items_max}, not {part_max}")
        for item in part["items"]:
            if item["code"] in codes:
                raise SchemeError(f"item {item['code']} appears twice")
            codes.add(item["code"])
        total += part_max
    if total != _decimal(scheme["max_points"]):
        raise SchemeError(f"parts add up to {total}, not {scheme['max_points']}")
    share = _decimal(scheme.get("part_min_share", "0"))
    if not Decimal("0") <= share <= Decimal("1"):
        raise SchemeError("part_min_share must lie between 0 and 1")
    bands = sorted(scheme.get("bands", []), key=lambda b: b["min"])
    previous_max = None
    for band in bands:
        if band["min"] > band["max"]:
            raise SchemeError(f"band of {band['stars']} stars is empty")
        if previous_max is not None and band["min"] <= previous_max:
            raise SchemeError(f"band of {band['stars']} stars overlaps the one below")
        previous_max = band["max"]
    if bands and bands[-1]["max"] > scheme["max_points"]:
        raise SchemeError("the top band reaches beyond the scheme's maximum")


def _parse_points(value):
    if isinstance(value, bool):
        return None
    try:
        number = _decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def score(scheme: dict, points: dict, hard_stops=(), hazard_codes=()) -> Result:
    """Scores `points` ({item code: points}) by `scheme`; `hard_stops` are the hazard item codes recorded,
    each of which must be one of `hazard_codes`. Raises ScoringError listing every problem at once."""
    items = {item["code"]: item for part in scheme["parts"] for item in part["items"]}
    problems = []
    parsed = {}
    for code, value in points.items():
        if code not in items:
            problems.append((code, "unknown_item", None))
            continue
        number = _parse_points(value)
        if number is None:
            problems.append((code, "not_a_number", None))
        elif number < 0:
            problems.append((code, "negative", None))
        elif number > _decimal(items[code]["max_points"]):
            problems.append((code, "above_maximum", _decimal(items[code]["max_points"])))
        elif number != number.quantize(ONE_DECIMAL):
            problems.append((code, "too_precise", None))
        else:
            parsed[code] = number
    hazard_codes = set(hazard_codes)
    stops = []
    for code in hard_stops:
        if code not in hazard_codes:
            problems.append((code, "unknown_hazard", None))
        elif code not in stops:
            stops.append(code)
    if problems:
        raise ScoringError(problems)

    share = _decimal(scheme.get("part_min_share", "0"))
    rules = []
    parts = []
    for part in scheme["parts"]:
        part_points = sum((parsed.get(item["code"], Decimal("0")) for item in part["items"]), Decimal("0"))
        part_max = _decimal(part["max_points"])
        result = PartScore(part["code"], part_points, part_max, part_max * share)
        parts.append(result)
        if result.below_minimum:
            rules.append(Rule(PART_BELOW_MINIMUM, part=part["code"], points=part_points, threshold=result.minimum))
    total = sum((p.points for p in parts), Decimal("0"))
    band_stars = 0
    # A band is reached from its floor up to the next band's floor (half points fall in the band below).
    for band in sorted(scheme.get("bands", []), key=lambda b: b["min"], reverse=True):
        if total >= _decimal(band["min"]):
            band_stars = band["stars"]
            rules.insert(0, Rule(BAND, stars=band_stars, points=total, threshold=_decimal(band["min"])))
            break
    else:
        rules.insert(0, Rule(NO_BAND, points=total))
    for code in stops:
        rules.append(Rule(HARD_STOP, item=code))
    below = any(p.below_minimum for p in parts)
    stars = 0 if (below or stops) else band_stars
    unanswered = [code for code in items if code not in parsed]
    return Result(parts=parts, total=total, max_points=_decimal(scheme["max_points"]), band_stars=band_stars,
                  stars=stars, passed=not stops, hard_stops=stops, unanswered=unanswered, rules=rules)
