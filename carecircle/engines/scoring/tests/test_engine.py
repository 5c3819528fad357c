"""The scoring engine against the standards' tables: every band boundary, every adjustment rule, and the
ambiguity settings switched both ways. Pure Python: no database, no Django."""
import itertools

import pytest

from carecircle.engines.scoring import ScoringError, load_instrument, mzt039_initial, score

GB = "gbt42195_2022"


def answers_with_points(code, target_by_dimension=None, total=None):
    """Answers whose points add up to `total` (lowering items from the top), using the plain option codes."""
    instrument = load_instrument(code)
    answers = {i.code: max(i.options, key=lambda o: o.points).code for i in instrument.items}
    if total is not None:
        excess = sum(max(o.points for o in i.options) for i in instrument.items) - total
        for item in instrument.items:
            if excess <= 0:
                break
            best = max(o.points for o in item.options)
            for option in sorted(item.options, key=lambda o: -o.points):
                if best - option.points <= excess and not option.code.endswith("coma"):
                    chosen = option
            excess -= best - chosen.points
            answers[item.code] = chosen.code
        assert excess == 0
    return answers


@pytest.mark.parametrize("total,level", [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)])
def test_gbt_level_at_every_band_boundary(total, level):
    result = score(GB, {"answers": answers_with_points(GB, total=total)})
    assert result["total"] == total
    assert result["initial_level"] == result["final_level"] == level
    assert sum(d["score"] for d in result["dimensions"].values()) == total
    assert result["dimensions"]["B.1"]["max"] == 32 and result["dimensions"]["B.3"]["max"] == 28


def test_gbt_dimension_maxima_add_up_to_90():
    instrument = load_instrument(GB)
    assert len(instrument.items) == 26
    assert sum(d["max"] for d in instrument.dimensions) == 90
    for dim in instrument.dimensions:
        assert sum(i.max_points for i in instrument.items if i.dimension == dim["code"]) == dim["max"]


@pytest.mark.parametrize("dx,rule", [(["F03"], "dementia"), (["f00.1"], "dementia"), (["F03.9"], "dementia"),
                                     (["F20"], "mental_disorder"), (["F99"], "mental_disorder")])
def test_gbt_diagnosis_raises_one_level(dx, rule):
    result = score(GB, {"answers": answers_with_points(GB, total=70), "diagnoses": dx})
    assert (result["initial_level"], result["final_level"]) == (1, 2)
    assert [a["rule"] for a in result["adjustments"]] == [rule]


def test_gbt_other_diagnoses_do_not_raise():
    result = score(GB, {"answers": answers_with_points(GB, total=70), "diagnoses": ["I10", "G30", "E11"]})
    assert result["final_level"] == 1 and result["adjustments"] == []


def test_gbt_two_risk_events_raise_and_one_does_not():
    base = answers_with_points(GB, total=50)
    assert score(GB, {"answers": base, "risk_events_30d": {"fall": 1}})["final_level"] == 2
    raised = score(GB, {"answers": base, "risk_events_30d": {"fall": 1, "wander": 1}})
    assert raised["final_level"] == 3 and raised["adjustments"][0]["rule"] == "risk_events"


def test_gbt_event_counting_setting_both_ways():
    payload = {"answers": answers_with_points(GB, total=50), "risk_events_30d": {"fall": 1, "choke": 1}}
    assert score(GB, payload)["final_level"] == 3  # default: the sum over kinds
    per_kind = score(GB, payload, {"event_counting": "per_kind"})
    assert per_kind["final_level"] == 2
    decision = next(d for d in per_kind["decisions"] if d["setting"] == "event_counting")
    assert decision["affected"] is True and decision["value"] == "per_kind"
    assert score(GB, {**payload, "risk_events_30d": {"fall": 2}}, {"event_counting": "per_kind"})["final_level"] == 3


def test_gbt_stacking_setting_both_ways_and_the_cap():
    payload = {"answers": answers_with_points(GB, total=50), "diagnoses": ["F03"], "risk_events_30d": {"fall": 2}}
    single = score(GB, payload)
    assert single["final_level"] == 3
    assert next(d for d in single["decisions"] if d["setting"] == "stacking")["affected"] is True
    assert score(GB, payload, {"stacking": "per_clause"})["final_level"] == 4
    # a raise never passes the cap, and level 4 stays 4
    top = {**payload, "answers": answers_with_points(GB, total=20)}
    assert score(GB, top, {"stacking": "per_clause"})["final_level"] == 4
    capped = score(GB, {**payload, "answers": answers_with_points(GB, total=35)}, {"raise_cap": 3})
    assert capped["initial_level"] == 3 and capped["final_level"] == 3


def test_gbt_coma_sets_the_level_directly_and_the_setting_both_ways():
    answers = answers_with_points(GB, total=80)
    by_flag = score(GB, {"answers": answers, "coma": True, "diagnoses": ["F03"]})
    assert by_flag["final_level"] == 4 and by_flag["adjustments"][0]["rule"] == "coma"
    assert by_flag["adjustments"][1]["effect"] == "0"
    by_item = score(GB, {"answers": {**answers, "B.3.9": "0-coma"}})
    assert by_item["final_level"] == 4
    stupor = score(GB, {"answers": {**answers, "B.3.9": "0-stupor"}})
    assert stupor["final_level"] == stupor["initial_level"]
    assert score(GB, {"answers": answers, "coma": True}, {"coma_level": 3})["final_level"] == 3


def test_gbt_refuses_missing_unknown_and_impossible_naming_every_item():
    answers = answers_with_points(GB, total=90)
    del answers["B.1.1"], answers["B.4.5"]
    answers["B.9.9"] = "1"
    answers["B.3.9"] = "1"  # ambiguous: the code must say drowsy or confused
    with pytest.raises(ScoringError) as err:
        score(GB, {"answers": answers, "claimed_totals": {"B.1": 40}})
    problems = {(p.code, p.item) for p in err.value.problems}
    assert {("missing_item", "B.1.1"), ("missing_item", "B.4.5"), ("unknown_item", "B.9.9"),
            ("unknown_option", "B.3.9")} <= problems
    with pytest.raises(ScoringError) as err:
        score(GB, {"answers": answers_with_points(GB, total=90), "claimed_totals": {"B.1": 40, "total": 90}})
    assert [(p.code, p.item) for p in err.value.problems] == [("impossible_total", "B.1")]
    with pytest.raises(ScoringError):
        score(GB, {"answers": answers_with_points(GB, total=90), "diagnoses": ["not-icd"]})
    with pytest.raises(ScoringError):
        score(GB, {"answers": answers_with_points(GB, total=90), "risk_events_30d": {"fall": -1}})
    with pytest.raises(ScoringError):
        score("no_such_instrument", {"answers": {}})


# --- NHSA 2021 -----------------------------------------------------------------------------------------

NH = "nhsa_ltc_2021"
MATRIX = [[0, 0, 1, 1], [1, 1, 1, 2], [2, 2, 2, 3], [3, 3, 4, 5]]


def nh_answers(adl, cog, per):
    instrument = load_instrument(NH)
    result = {}
    remaining = {"adl": adl, "cog": cog, "per": per}
    for item in instrument.items:
        want = remaining[item.dimension]
        option = max((o for o in item.options if o.points <= want), key=lambda o: o.points)
        remaining[item.dimension] -= option.points
        result[item.code] = option.code
    assert all(v == 0 for v in remaining.values()), remaining
    return result


@pytest.mark.parametrize("adl,band", [(100, 0), (95, 1), (65, 1), (60, 2), (45, 2), (40, 3), (0, 3)])
def test_nhsa_adl_bands(adl, band):
    result = score(NH, {"answers": nh_answers(adl, 16, 12)})
    assert result["dimensions"]["adl"]["band"] == band
    assert result["pending_confirmation"] is True


@pytest.mark.parametrize("cog,band", [(16, 0), (15, 1), (12, 1), (11, 2), (4, 2), (3, 3), (0, 3)])
def test_nhsa_cognition_bands(cog, band):
    assert score(NH, {"answers": nh_answers(100, cog, 12)})["dimensions"]["cog"]["band"] == band


@pytest.mark.parametrize("per,band", [(12, 0), (11, 1), (8, 1), (7, 2), (4, 2), (3, 3), (0, 3)])
def test_nhsa_perception_bands(per, band):
    assert score(NH, {"answers": nh_answers(100, 16, per)})["dimensions"]["per"]["band"] == band


ADL_FOR_BAND = [100, 80, 50, 20]
COG_FOR_BAND = [16, 13, 8, 2]
PER_FOR_BAND = [12, 9, 5, 1]


@pytest.mark.parametrize("a,c,p", list(itertools.product(range(4), range(4), range(4))))
def test_nhsa_combination_table_every_cell_takes_the_more_severe_column(a, c, p):
    result = score(NH, {"answers": nh_answers(ADL_FOR_BAND[a], COG_FOR_BAND[c], PER_FOR_BAND[p])})
    assert result["final_level"] == MATRIX[a][max(c, p)]


def test_nhsa_impossible_claimed_total():
    with pytest.raises(ScoringError) as err:
        score(NH, {"answers": nh_answers(100, 16, 12), "claimed_totals": {"adl": 97}})
    assert err.value.problems[0].code == "impossible_total"


# --- self-check ----------------------------------------------------------------------------------------

SC = "nhsa_selfcheck_2021"
EXPECTED = {(0, 0): "A", (0, 1): "B", (0, 2): "B", (0, 3): "C", (1, 0): "B", (1, 1): "C", (1, 2): "D", (1, 3): "E",
            (2, 0): "D", (2, 1): "E", (2, 2): "E", (2, 3): "F", (3, 0): "E", (3, 1): "F", (3, 2): "F", (3, 3): "G"}


@pytest.mark.parametrize("a,b", list(EXPECTED))
def test_selfcheck_all_16_combinations(a, b):
    answers = {}
    for i, code in enumerate(["eat", "continence", "bath"]):
        answers[code] = "dependent" if i < a else "partial"
    for i, code in enumerate(["dress", "toilet", "transfer"]):
        answers[code] = "dependent" if i < b else "independent"
    result = score(SC, {"answers": answers})
    assert result["grade"] == EXPECTED[(a, b)]
    assert result["may_apply"] is (EXPECTED[(a, b)] in {"E", "F", "G"})


# --- MZ/T 039-2013 -------------------------------------------------------------------------------------

DEFAULTS = {"m1_result": 1, "m2_overlap_level": 2}


@pytest.mark.parametrize("grades,level", [
    ((0, 0, 0, 0), 0), ((0, 0, 0, 1), 0), ((0, 1, 0, 0), 1), ((0, 0, 0, 2), 1), ((0, 0, 0, 3), 1),  # M1
    ((1, 0, 0, 0), 1), ((1, 2, 2, 2), 2), ((1, 3, 2, 2), 2), ((1, 0, 3, 1), 2),  # M2 default: severity first
    ((2, 0, 0, 0), 2), ((2, 1, 2, 2), 2), ((2, 2, 2, 2), 3), ((2, 0, 3, 0), 3), ((3, 0, 0, 0), 3)])
def test_mzt_table6_rows(grades, level):
    assert mzt039_initial(*grades, coma=False, settings=DEFAULTS)[0] == level


def test_mzt_m2_setting_both_ways_and_coma():
    assert mzt039_initial(1, 0, 3, 1, coma=False, settings={**DEFAULTS, "m2_overlap_level": 1})[0] == 1
    assert mzt039_initial(0, 0, 0, 0, coma=True, settings=DEFAULTS)[0] == 3


def mz_answers(**override):
    answers = {i.code: min(i.options, key=lambda o: o.points).code for i in load_instrument("mzt039_2013").items}
    answers = {k: v for k, v in answers.items()}
    for i in load_instrument("mzt039_2013").items:
        if i.dimension == "adl":
            answers[i.code] = max(i.options, key=lambda o: o.points).code
    answers.update({k.replace("__", "."): v for k, v in override.items()})
    return answers


def test_mzt_sense_grades_and_raises():
    intact = score("mzt039_2013", {"answers": mz_answers()})
    assert intact["final_level"] == 0 and intact["dimensions"]["sense"]["band"] == 0
    drowsy = score("mzt039_2013", {"answers": mz_answers(sense__consciousness="1")})
    assert drowsy["dimensions"]["sense"]["band"] == 2
    awake_vision2 = score("mzt039_2013", {"answers": mz_answers(sense__vision="2")})
    assert awake_vision2["dimensions"]["sense"]["band"] == 1
    coma = score("mzt039_2013", {"answers": mz_answers(sense__consciousness="3"), "diagnoses": ["F03"]})
    assert coma["final_level"] == 3 and coma["adjustments"][0]["rule"] == "coma"
    raised = score("mzt039_2013", {"answers": mz_answers(), "diagnoses": ["F32"], "risk_events_30d": {"fall": 2}})
    assert raised["final_level"] == 1
    stacked = score("mzt039_2013", {"answers": mz_answers(), "diagnoses": ["F32"], "risk_events_30d": {"fall": 2}},
                    {"stacking": "per_clause"})
    assert stacked["final_level"] == 2


def test_instrument_data_carries_a_hash_and_version():
    for code in ["gbt42195_2022", "nhsa_ltc_2021", "nhsa_selfcheck_2021", "mzt039_2013"]:
        instrument = load_instrument(code)
        assert instrument.ruleset_hash and instrument.version
        for item in instrument.items:
            codes = [o.code for o in item.options]
            assert len(codes) == len(set(codes)), item.code


def test_engine_imports_no_django():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1]
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] in {"django", "rest_framework", "carecircle"} for n in names), path
