"""The scoring engine: answers in, dimension scores, bands, levels and every rule that fired out.

Pure Python. `score(code, payload, settings)` either returns a result dict (the scoring contract) or
raises `ScoringError` listing every problem, each as a machine-readable code with the item it concerns,
so the caller can word the message in the reader's language. Nothing is scored from a partial answer set.
"""
from __future__ import annotations

from dataclasses import dataclass

from .instruments import Instrument, load_instrument

RISK_EVENT_KINDS = ("fall", "wander", "choke", "self_harm", "other")


@dataclass(frozen=True)
class Problem:
    code: str  # missing_item | unknown_item | unknown_option | impossible_total | bad_field | unknown_instrument
    item: str = ""
    value: str = ""
    detail: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "item": self.item, "value": self.value, "detail": self.detail}


class ScoringError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.code}:{p.item}:{p.value}" for p in problems))


def normalise_icd(code: str) -> str:
    """'f03.9 ' -> 'F03' (the 3-character ICD-10 category)."""
    return str(code).strip().upper().replace(" ", "")[:3]


def _in_range(category: str, low: str, high: str) -> bool:
    return len(category) == 3 and category[0] == low[0] and low <= category <= high


def check_answers(instrument: Instrument, answers) -> tuple[list[Problem], dict[str, int]]:
    """Problems with the answer set, and the points of every valid answer."""
    problems: list[Problem] = []
    points: dict[str, int] = {}
    if not isinstance(answers, dict):
        return [Problem("bad_field", "answers", detail="object")], points
    for code, option_code in answers.items():
        item = instrument.item(str(code))
        if item is None:
            problems.append(Problem("unknown_item", str(code)))
            continue
        option = item.option(str(option_code)) if option_code is not None else None
        if option is None:
            problems.append(Problem("unknown_option", item.code, str(option_code),
                                    detail=", ".join(o.code for o in item.options)))
            continue
        points[item.code] = option.points
    for item in instrument.items:
        if item.code not in answers:
            problems.append(Problem("missing_item", item.code))
    return problems, points


def _read_context(payload: dict) -> tuple[list[str], dict[str, int], bool, list[Problem]]:
    problems = []
    diagnoses = payload.get("diagnoses") or []
    if not isinstance(diagnoses, list) or not all(isinstance(d, str) for d in diagnoses):
        problems.append(Problem("bad_field", "diagnoses", detail="list of ICD-10 codes"))
        diagnoses = []
    categories = []
    for d in diagnoses:
        cat = normalise_icd(d)
        if len(cat) != 3 or not cat[0].isalpha() or not cat[1:].isdigit():
            problems.append(Problem("bad_field", "diagnoses", str(d), detail="ICD-10"))
        else:
            categories.append(cat)
    events_raw = payload.get("risk_events_30d") or {}
    events: dict[str, int] = {}
    if not isinstance(events_raw, dict):
        problems.append(Problem("bad_field", "risk_events_30d", detail="object"))
    else:
        for kind, n in events_raw.items():
            if kind not in RISK_EVENT_KINDS:
                problems.append(Problem("bad_field", "risk_events_30d", str(kind), detail=", ".join(RISK_EVENT_KINDS)))
            elif isinstance(n, bool) or not isinstance(n, int) or n < 0:
                problems.append(Problem("bad_field", f"risk_events_30d.{kind}", str(n), detail="integer >= 0"))
            else:
                events[kind] = n
    coma = payload.get("coma", False)
    if not isinstance(coma, bool):
        problems.append(Problem("bad_field", "coma", str(coma), detail="true/false"))
        coma = False
    return categories, events, coma, problems


def _settings(instrument: Instrument, overrides: dict | None) -> tuple[dict, list[Problem]]:
    values = instrument.default_settings()
    problems = []
    for key, value in (overrides or {}).items():
        spec = instrument.settings.get(key)
        if spec is None:
            continue  # a setting of another instrument
        if value not in spec["choices"]:
            problems.append(Problem("bad_setting", key, str(value), detail=", ".join(map(str, spec["choices"]))))
        else:
            values[key] = value
    return values, problems


def _band(value: int, bands: list[dict]) -> int | None:
    for row in bands:
        if row["min"] <= value <= row["max"]:
            return row["band"]
    return None


def _claimed_totals(instrument: Instrument, payload: dict, totals: dict[str, int], total: int) -> list[Problem]:
    """A caller may state the totals it computed; a total that cannot be reached or differs is refused."""
    problems = []
    claimed = payload.get("claimed_totals") or {}
    if not isinstance(claimed, dict):
        return [Problem("bad_field", "claimed_totals", detail="object")]
    for key, value in claimed.items():
        if key == "total":
            expected, maximum = total, sum(d["max"] for d in instrument.dimensions)
        elif key in totals:
            expected, maximum = totals[key], instrument.dimension(key)["max"]
        else:
            problems.append(Problem("unknown_item", str(key)))
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum or value != expected:
            problems.append(Problem("impossible_total", str(key), str(value), detail=str(expected)))
    return problems


def _event_raise(events: dict[str, int], threshold: int, counting: str) -> bool:
    if counting == "per_kind":
        return any(n >= threshold for n in events.values())
    return sum(events.values()) >= threshold


def _decision(key: str, value, affected: bool, instrument: Instrument) -> dict:
    spec = instrument.settings[key]
    return {"setting": key, "value": value, "affected": affected, "label": spec["label"],
            "label_en": spec.get("label_en", spec["label"])}


def score(code: str, payload: dict, settings: dict | None = None) -> dict:
    """Score one answer set with the instrument `code`. Raises ScoringError naming every problem."""
    try:
        instrument = load_instrument(code)
    except KeyError:
        raise ScoringError([Problem("unknown_instrument", str(code))])
    if not isinstance(payload, dict):
        raise ScoringError([Problem("bad_field", "body", detail="object")])
    answers = payload.get("answers")
    if answers is None:
        answers = {}
    problems, points = check_answers(instrument, answers)
    categories, events, coma, context_problems = _read_context(payload)
    values, setting_problems = _settings(instrument, settings)
    problems += context_problems + setting_problems
    if problems:
        raise ScoringError(problems)
    scorer = {"sum_bands": _score_gbt, "band_matrix": _score_band_matrix, "selfcheck": _score_selfcheck,
              "mzt039": _score_mzt}[instrument.kind]
    result = scorer(instrument, answers, points, categories, events, coma, values, payload)
    result.update({
        "instrument": instrument.code, "version": instrument.version, "ruleset_hash": instrument.ruleset_hash,
        "pending_confirmation": instrument.pending_confirmation, "pending": list(instrument.pending),
        "settings": values,
    })
    return result


def _dimension_totals(instrument: Instrument, points: dict[str, int]) -> dict[str, int]:
    totals = {d["code"]: 0 for d in instrument.dimensions}
    for item in instrument.items:
        totals[item.dimension] += points[item.code]
    return totals


# --- GB/T 42195-2022 -------------------------------------------------------------------------------

def _score_gbt(instrument, answers, points, categories, events, coma, settings, payload):
    totals = _dimension_totals(instrument, points)
    total = sum(totals.values())
    problems = _claimed_totals(instrument, payload, totals, total)
    levels = instrument.raw["levels"]
    initial = _band(total, [{"band": row["level"], "min": row["min"], "max": row["max"]} for row in levels])
    if initial is None:
        problems.append(Problem("impossible_total", "total", str(total)))
    if problems:
        raise ScoringError(problems)
    trace = [{"rule": "total", "detail": f"{total}", "level": initial}]
    adjustments: list[dict] = []
    decisions: list[dict] = []
    coma_item = instrument.raw["coma_option"]
    coma_from_item = answers.get(coma_item["item"]) == coma_item["option"]
    fired = []
    for rule in instrument.raw["raise_rules"]:
        if rule["kind"] == "diagnosis":
            hits = [c for c in categories if _in_range(c, rule["from"], rule["to"])]
            if hits:
                fired.append({"rule": rule["rule"], "evidence": hits})
        elif rule["kind"] == "events":
            by_sum = _event_raise(events, rule["threshold"], "sum")
            by_kind = _event_raise(events, rule["threshold"], "per_kind")
            decisions.append(_decision("event_counting", settings["event_counting"], by_sum != by_kind, instrument))
            if _event_raise(events, rule["threshold"], settings["event_counting"]):
                fired.append({"rule": rule["rule"], "evidence": [f"{k}={v}" for k, v in sorted(events.items()) if v]})
    cap = settings["raise_cap"]
    if coma or coma_from_item:
        final = settings["coma_level"]
        adjustments.append({"rule": "coma", "effect": f"={final}", "from": initial, "to": final,
                            "evidence": ["A.5.11" if coma else coma_item["item"]]})
        decisions.append(_decision("coma_level", final, True, instrument))
        for f in fired:
            adjustments.append({"rule": f["rule"], "effect": "0", "from": final, "to": final, "evidence": f["evidence"],
                                "note": "coma"})
    else:
        steps = 0
        if fired:
            steps = 1 if settings["stacking"] == "single" else len(fired)
        decisions.append(_decision("stacking", settings["stacking"], len(fired) > 1, instrument))
        final = min(cap, initial + steps) if steps else initial
        decisions.append(_decision("raise_cap", cap, bool(steps) and initial + steps > cap, instrument))
        level = initial
        for i, f in enumerate(fired):
            step = 1 if (settings["stacking"] == "per_clause" or i == 0) else 0
            new = min(cap, level + step)
            adjustments.append({"rule": f["rule"], "effect": f"+{new - level}", "from": level, "to": new,
                                "evidence": f["evidence"]})
            level = new
    dimensions = {d["code"]: {"score": totals[d["code"]], "max": d["max"]} for d in instrument.dimensions}
    return {"dimensions": dimensions, "total": total, "initial_level": initial, "final_level": final,
            "level_name": instrument.level_name(final), "initial_level_name": instrument.level_name(initial),
            "adjustments": adjustments, "decisions": decisions, "trace": trace}


# --- NHSA 2021 disability grade ----------------------------------------------------------------------

def _score_band_matrix(instrument, answers, points, categories, events, coma, settings, payload):
    totals = _dimension_totals(instrument, points)
    total = sum(totals.values())
    problems = _claimed_totals(instrument, payload, totals, total)
    bands = {}
    for dim in instrument.dimensions:
        band = _band(totals[dim["code"]], dim["bands"])
        if band is None:
            problems.append(Problem("impossible_total", dim["code"], str(totals[dim["code"]])))
        bands[dim["code"]] = band
    if problems:
        raise ScoringError(problems)
    matrix = instrument.raw["matrix"]
    row = bands[matrix["rows"]]
    column = max(bands[c] for c in matrix["columns"])
    final = matrix["cells"][row][column]
    dimensions = {}
    for dim in instrument.dimensions:
        band = bands[dim["code"]]
        dimensions[dim["code"]] = {"score": totals[dim["code"]], "max": dim["max"], "band": band,
                                   "band_name": next(b["name"] for b in dim["bands"] if b["band"] == band)}
    trace = [{"rule": "matrix", "row": row, "column": column, "columns_from": matrix["columns"], "level": final}]
    return {"dimensions": dimensions, "total": total, "initial_level": final, "final_level": final,
            "level_name": instrument.level_name(final), "initial_level_name": instrument.level_name(final),
            "adjustments": [], "decisions": [], "trace": trace}


# --- NHSA self-check A–G -----------------------------------------------------------------------------

def _score_selfcheck(instrument, answers, points, categories, events, coma, settings, payload):
    totals = _dimension_totals(instrument, points)
    a, b = totals["a"], totals["b"]
    grade = instrument.raw["grade_table"][a][b]
    may_apply = grade in instrument.raw["may_apply_grades"]
    dimensions = {d["code"]: {"score": totals[d["code"]], "max": d["max"]} for d in instrument.dimensions}
    return {"dimensions": dimensions, "total": a + b, "initial_level": None, "final_level": None, "level_name": "",
            "initial_level_name": "", "grade": grade, "may_apply": may_apply, "adjustments": [], "decisions": [],
            "trace": [{"rule": "grade_table", "a": a, "b": b, "grade": grade}]}


# --- MZ/T 039-2013 -------------------------------------------------------------------------------------

def _mzt_sense_band(consciousness: int, vision: int, hearing: int, communication: int) -> int:
    """Table 4, evaluated from grade 3 down to 0; the first row that matches decides."""
    awake, drowsy = consciousness == 0, consciousness == 1
    if ((awake or drowsy) and (vision == 4 or hearing == 4 or communication == 3)) or consciousness >= 2:
        return 3
    if (awake and (vision == 3 or hearing == 3 or communication == 2)) or \
            (drowsy and vision <= 3 and hearing <= 3 and communication <= 2):
        return 2
    if awake and (vision == 2 or hearing == 2 or communication == 1):
        return 1
    return 0


def mzt039_initial(adl: int, mental: int, sense: int, social: int, *, coma: bool, settings: dict) -> tuple[int, str]:
    """Table 6 with the Appendix D notes; returns the level and the name of the row that decided it."""
    if coma:
        return 3, "coma"
    if adl == 3:
        return 3, "adl3"
    others = (mental, sense, social)
    if adl == 2:
        if all(x == 2 for x in others) or 3 in others:
            return 3, "adl2_severe"
        return 2, "adl2_otherwise"  # Appendix D note 3 (covers M3)
    if adl == 1:
        if all(x == 2 for x in others):
            return 2, "adl1_all2"
        has01, has3 = min(others) <= 1, 3 in others
        if has3 and not has01:
            return 2, "adl1_has3"
        if has01 and not has3:
            return 1, "adl1_has01"
        return settings["m2_overlap_level"], "M2"
    if mental == 0 and sense == 0 and social <= 1:
        return 0, "intact"
    if mental == 0 and sense == 0 and social == 3:
        return settings["m1_result"], "M1"
    return 1, "adl0_mild"


def _score_mzt(instrument, answers, points, categories, events, coma, settings, payload):
    totals = _dimension_totals(instrument, points)
    total = sum(totals.values())
    problems = _claimed_totals(instrument, payload, totals, total)
    bands = {}
    for dim in instrument.dimensions:
        if dim.get("rule") == "mzt039_sense":
            bands[dim["code"]] = _mzt_sense_band(points["sense.consciousness"], points["sense.vision"],
                                                 points["sense.hearing"], points["sense.communication"])
        else:
            band = _band(totals[dim["code"]], dim["bands"])
            if band is None:
                problems.append(Problem("impossible_total", dim["code"], str(totals[dim["code"]])))
            bands[dim["code"]] = band
    if problems:
        raise ScoringError(problems)
    is_coma = coma or points["sense.consciousness"] == 3
    initial, row = mzt039_initial(bands["adl"], bands["mental"], bands["sense"], bands["social"], coma=is_coma,
                                  settings=settings)
    decisions = []
    if row == "M1":
        decisions.append(_decision("m1_result", settings["m1_result"], True, instrument))
    if row == "M2":
        decisions.append(_decision("m2_overlap_level", settings["m2_overlap_level"], True, instrument))
    adjustments = []
    if is_coma:
        adjustments.append({"rule": "coma", "effect": "=3", "from": initial, "to": 3,
                            "evidence": ["coma" if coma else "sense.consciousness"]})
    fired = []
    for rule in instrument.raw["raise_rules"]:
        if rule["kind"] == "diagnosis_any":
            hits = [c for c in categories if any(_in_range(c, lo, hi) for lo, hi in rule["ranges"])]
            if hits:
                fired.append({"rule": rule["rule"], "evidence": hits})
        elif rule["kind"] == "events":
            by_sum = _event_raise(events, rule["threshold"], "sum")
            by_kind = _event_raise(events, rule["threshold"], "per_kind")
            decisions.append(_decision("event_counting", settings["event_counting"], by_sum != by_kind, instrument))
            if _event_raise(events, rule["threshold"], settings["event_counting"]):
                fired.append({"rule": rule["rule"], "evidence": [f"{k}={v}" for k, v in sorted(events.items()) if v]})
    final = initial
    if initial == 3:  # C.3 clause 4: no raise beyond 重度失能
        for f in fired:
            adjustments.append({"rule": f["rule"], "effect": "0", "from": 3, "to": 3, "evidence": f["evidence"],
                                "note": "already_severe"})
    else:
        decisions.append(_decision("stacking", settings["stacking"], len(fired) > 1, instrument))
        for i, f in enumerate(fired):
            step = 1 if (settings["stacking"] == "per_clause" or i == 0) else 0
            new = min(3, final + step)
            adjustments.append({"rule": f["rule"], "effect": f"+{new - final}", "from": final, "to": new,
                                "evidence": f["evidence"]})
            final = new
    names = instrument.raw["band_names"]
    dimensions = {d["code"]: {"score": totals[d["code"]], "max": d["max"], "band": bands[d["code"]],
                              "band_name": names[bands[d["code"]]]} for d in instrument.dimensions}
    trace = [{"rule": "table6", "row": row, "level": initial}]
    return {"dimensions": dimensions, "total": total, "initial_level": initial, "final_level": final,
            "level_name": instrument.level_name(final), "initial_level_name": instrument.level_name(initial),
            "adjustments": adjustments, "decisions": decisions, "trace": trace}
