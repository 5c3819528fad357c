"""Command line: `python -m carecircle.engines.routing solve FILE --format ... --seconds N --seed S`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .checker import check, evaluate
from .formats import read_mankowska, read_solomon
from .solver import solve


def solution_json(problem, solution, seconds: float) -> dict:
    figures = evaluate(problem, solution)
    routes = [r for r in solution.routes if r.stops]
    out = {
        "vehicles": figures.vehicles,
        "distance": round(figures.distance, 6),
        "objective": round(figures.objective, 6),
        "routes": [[stop.visit_id for stop in r.stops] for r in routes],
        "seconds": round(seconds, 3),
    }
    if problem.objective == "hhcrsp":
        out["tardiness"] = round(figures.total_tardiness, 6)
        out["max_tardiness"] = round(figures.max_tardiness, 6)
        out["caregivers"] = [r.caregiver_id for r in routes]
        out["starts"] = [
            [
                {
                    "node": stop.visit_id,
                    "service": problem.visit_by_id[stop.visit_id].services[stop.service].qualification,
                    "start": round(stop.start, 6),
                }
                for stop in r.stops
            ]
            for r in routes
        ]
    violations = check(problem, solution)
    out["feasible"] = not violations
    if violations:
        out["violations"] = [v.message for v in violations[:20]]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m carecircle.engines.routing")
    sub = parser.add_subparsers(dest="command", required=True)
    solve_cmd = sub.add_parser("solve", help="solve a benchmark instance and print one JSON object")
    solve_cmd.add_argument("file")
    solve_cmd.add_argument("--format", choices=("solomon", "hhcrsp"), required=True)
    solve_cmd.add_argument("--seconds", type=float, default=None)
    solve_cmd.add_argument("--iterations", type=int, default=None)
    solve_cmd.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    problem = read_solomon(args.file) if args.format == "solomon" else read_mankowska(args.file)
    began = time.monotonic()
    solution = solve(problem, seconds=args.seconds, iterations=args.iterations, seed=args.seed)
    json.dump(solution_json(problem, solution, time.monotonic() - began), sys.stdout)
    sys.stdout.write("\n")
    return 0
