"""What each part of the engine's large neighbourhood search contributes, on Mankowska's HHCRSP sets:
`.venv/bin/python benchmarks/routing_ablation.py [--sets B,C] [--iterations B=3000,C=1500] [--seeds 0] [--jobs 2]
[--variants default,descent] [--section long]`.

Every instance of the sets is solved once per variant and seed: the search as `solve` runs it, then with
one part switched off or changed at a time (`routing.search.SearchParams`). The budget is a number of
iterations, not seconds, so the table is the same on any machine and whatever else the machine is doing
(the wall-clock cost of an iteration differs between variants; the table shows the mean seconds too).
Every plan goes through the engine's independent checker. Reported per variant: the mean objective
relative to the default search over the same instances and seeds (negative = better), how many
instances it does better / the same / worse than the default, and the mean gap to the best published
value. Writes the "hhcrsp-ablation" section of docs/benchmarks-routing.md (`--no-doc` to only print).
"""
from __future__ import annotations

import argparse
import multiprocessing
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_hhcrsp import SETS, _published, instance_file  # noqa: E402

from carecircle.engines.routing.checker import check, evaluate  # noqa: E402
from carecircle.engines.routing.formats import read_mankowska  # noqa: E402
from carecircle.engines.routing.report import machine, now_utc, replace_section  # noqa: E402
from carecircle.engines.routing.schedule import Compiled  # noqa: E402
from carecircle.engines.routing.search import INSERTION_ORDERS, REMOVALS, Search, SearchParams  # noqa: E402

DOC = ROOT / "docs" / "benchmarks-routing.md"
DEFAULT_ITERATIONS = {"A": 3000, "B": 3000, "C": 1500, "D": 1000}

VARIANTS = {
    "default": ("the search as `solve` runs it", SearchParams()),
    "no related removal": ("removal of a visit and its neighbours in place and time switched off",
                           SearchParams(removals=tuple(r for r in REMOVALS if r != "related"))),
    "no worst removal": ("removal of the visits with the largest detour and lateness switched off",
                         SearchParams(removals=tuple(r for r in REMOVALS if r != "worst"))),
    "no route removal": ("removal of one caregiver's whole day switched off",
                         SearchParams(removals=tuple(r for r in REMOVALS if r != "route"))),
    "no random removal": ("removal of visits drawn at random switched off",
                          SearchParams(removals=tuple(r for r in REMOVALS if r != "random"))),
    "one insertion order": ("visits re-inserted in random order within their priority only (no hardest-first, "
                            "no by-window order)", SearchParams(insertion_orders=("priority_only",))),
    "adaptive weights": ("operators drawn by weights learnt in the run (scores 33 / 9 / 13, segments of 100 "
                         "iterations, reaction 0.1) instead of fixed weights",
                         SearchParams(adaptive=True)),
    "descent": ("only plans no worse than the current one accepted (no annealing)", SearchParams(acceptance="descent")),
    "one temperature": ("every anneal starts at the coolest temperature (no alternating hot restarts)",
                        SearchParams(heat_cycle=False)),
    "no restarts": ("one anneal over the whole budget, never restarting from the best plan",
                    SearchParams(restarts=False)),
}


def run_one(task):
    name, variant, iterations, seed = task
    problem = read_mankowska(instance_file(name))
    began = time.monotonic()
    compiled = Compiled(problem)
    search = Search(compiled, seed=seed, params=VARIANTS[variant][1])
    state = search.run(search.initial(), iterations=iterations, seconds=None)
    solution = compiled.to_solution(state.routes, {v: "unscheduled" for v in state.unassigned})
    return {"instance": name, "variant": variant, "seed": seed, "objective": evaluate(problem, solution).objective,
            "feasible": not check(problem, solution) and not solution.unscheduled,
            "seconds": time.monotonic() - began}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="B,C", help="comma-separated sets (default B,C)")
    parser.add_argument("--iterations", help="per set, e.g. B=3000,C=1500 (default: A/B 3000, C 1500, D 1000)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--variants", help="comma-separated variant names (default: all)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--section", default="", help="suffix of the report's section, to keep runs with other "
                        "budgets side by side (e.g. long: section hhcrsp-ablation-long)")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    sets = args.sets.split(",")
    if set(sets) - set(SETS):
        parser.error(f"unknown sets: {sorted(set(sets) - set(SETS))}")
    iterations = dict(DEFAULT_ITERATIONS)
    if args.iterations:
        try:
            iterations.update({k: int(v) for k, v in (part.split("=") for part in args.iterations.split(","))})
        except ValueError:
            parser.error("--iterations: give SET=N pairs, e.g. B=3000,C=1500")
    if any(iterations.get(s, 0) < 1 for s in sets):
        parser.error("every set run needs a positive number of iterations (--iterations)")
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",") if args.variants else list(VARIANTS)
    if "default" not in variants or set(variants) - set(VARIANTS):
        parser.error(f"variants must include 'default' and be among {list(VARIANTS)}")
    names = [f"{s}{k}" for s in sets for k in range(1, 11)]
    tasks = [(n, v, iterations[n[0]], seed) for n in names for seed in seeds for v in variants]
    began = time.monotonic()
    rows = []
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for row in pool.imap_unordered(run_one, tasks):
            rows.append(row)
            print(f"{row['instance']} seed {row['seed']} {row['variant']}: {row['objective']:.2f} "
                  f"({row['seconds']:.1f} s){'' if row['feasible'] else ' NOT FEASIBLE'}", flush=True)
    body = report(rows, sets, iterations, seeds, variants, args, time.monotonic() - began)
    print(body)
    if not args.no_doc:
        section = "hhcrsp-ablation" + (f"-{args.section}" if args.section else "")
        replace_section(DOC, section, body, "Routing engine benchmarks")
    return 0


def report(rows, sets, iterations, seeds, variants, args, wall) -> str:
    published, _ = _published()
    by = {(r["instance"], r["seed"], r["variant"]): r for r in rows}
    keys = sorted({(r["instance"], r["seed"]) for r in rows})
    command = "python benchmarks/routing_ablation.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [
        f"## HHCRSP ablation: what each part of the search contributes (sets {', '.join(sets)})",
        "",
        f"- Command: `{command.strip()}`",
        f"- Date: {now_utc()}; wall time {wall / 60:.1f} min with {args.jobs} job(s); machine: {machine()}",
        "- Budget: " + ", ".join(f"set {s} {iterations[s]:,} iterations" for s in sets)
        + f" per instance, seeds {', '.join(map(str, seeds))}; an iteration budget makes the figures the same on "
        "any machine. Each row changes one part of the default search; everything else stays as in `solve`.",
        "- \"vs default\": mean of (objective / default's objective − 1) over the same instances and seeds "
        "(negative = better). Better / same / worse: instances (and seeds) where the variant's objective is "
        "lower / equal to 0.01 / higher. \"gap to best\": mean gap to the best published value.",
        "",
        "| variant | what changes | vs default | better / same / worse | gap to best | mean s per run | feasible |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant in variants:
        ratios, better, same, worse, gaps, seconds, feasible = [], 0, 0, 0, [], [], 0
        for key in keys:
            base, row = by.get((*key, "default")), by.get((*key, variant))
            if base is None or row is None:
                continue
            ratios.append(row["objective"] / base["objective"] - 1)
            diff = round(row["objective"] - base["objective"], 2)
            better += diff < 0
            same += diff == 0
            worse += diff > 0
            best = min(float(v) for v in published[key[0]].values())
            gaps.append(100 * (row["objective"] - best) / best)
            seconds.append(row["seconds"])
            feasible += row["feasible"]
        if not ratios:
            continue
        change = "—" if variant == "default" else f"{100 * statistics.mean(ratios):+.2f} %"
        lines.append(f"| {variant} | {VARIANTS[variant][0]} | {change} | {better} / {same} / {worse} | "
                     f"{statistics.mean(gaps):+.2f} % | {statistics.mean(seconds):.1f} | {feasible}/{len(ratios)} |")
    lines += ["", "| instance | seed | " + " | ".join(variants) + " |", "|---|---|" + "---|" * len(variants)]
    for key in keys:
        cells = [f"{by[(*key, v)]['objective']:.2f}" if (*key, v) in by else "" for v in variants]
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
