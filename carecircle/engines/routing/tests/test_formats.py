import math

import pytest

from carecircle.engines.routing.formats import FormatError, read_mankowska, read_solomon

from .helpers import DATA, needs_data

pytestmark = needs_data


def test_solomon_c101():
    problem = read_solomon(DATA / "solomon" / "C101.txt")
    assert problem.name == "C101"
    assert len(problem.visits) == 100 and len(problem.caregivers) == 25
    assert {c.capacity for c in problem.caregivers} == {200}
    first = problem.visit_by_id["1"]
    # row "1 45 68 10 912 967 90" of the file
    assert first.demand == 10 and first.services[0].duration == 90
    assert (first.time_windows[0].start, first.time_windows[0].end) == (912, 967)
    assert problem.caregivers[0].shift.end == 1236
    assert problem.matrix.distance(problem.caregivers[0].start, first.location) == pytest.approx(math.hypot(45 - 40, 68 - 50))


def test_mankowska_opl_format_set_a():
    problem = read_mankowska(DATA / "hhcrsp" / "InstanzCPLEX_HCSRP_10_1.txt")
    assert len(problem.visits) == 10 and len(problem.caregivers) == 3
    # DS={11,10,9} is 1-based: patients 8, 9 and 10 need two services
    assert sorted(v.id for v in problem.visits if v.needs_two) == ["10", "8", "9"]
    nine = problem.visit_by_id["9"]
    assert [s.qualification for s in nine.services] == ["s1", "s4"]
    assert (nine.min_gap, nine.max_gap) == (51, 102)
    eight = problem.visit_by_id["8"]
    assert (eight.min_gap, eight.max_gap) == (0, 0)
    assert problem.visit_by_id["1"].time_windows[0].start == 345
    assert problem.caregivers[0].qualifications == frozenset({"s1", "s2", "s3"})
    depot = problem.caregivers[0].start
    assert problem.matrix.distance(depot, problem.visit_by_id["1"].location) == pytest.approx(38.470768)
    # both depot rows collapse into one place
    assert problem.caregivers[0].end == depot and len(problem.matrix.locations) == 11


def test_mankowska_block_format_set_e():
    problem = read_mankowska(DATA / "hhcrsp" / "InstanzVNS_HCSRP_100_1.txt")
    assert len(problem.visits) == 100 and len(problem.caregivers) == 20
    assert sum(v.needs_two for v in problem.visits) == 30
    last = problem.visit_by_id["100"]
    assert (last.min_gap, last.max_gap) == (32, 64)
    assert [s.qualification for s in last.services] == ["s1", "s4"]
    # depot (85, 46) to patient 1 (47, 7)
    depot = problem.caregivers[0].start
    assert problem.matrix.distance(depot, problem.visit_by_id["1"].location) == pytest.approx(math.hypot(38, 39))
    assert problem.caregivers[1].qualifications == frozenset({"s2", "s3"})


def test_garbage_is_rejected(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\nworld\n")
    with pytest.raises(FormatError):
        read_solomon(bad)
    with pytest.raises(FormatError):
        read_mankowska(bad)
    truncated = tmp_path / "truncated.txt"
    text = (DATA / "hhcrsp" / "InstanzCPLEX_HCSRP_10_1.txt").read_text()
    truncated.write_text(text.replace("e=[0, 345,", "e=["))
    with pytest.raises(FormatError):
        read_mankowska(truncated)
