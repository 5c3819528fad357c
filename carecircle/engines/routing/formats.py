"""Readers for the public benchmark formats.

* Solomon (1987) VRPTW text files.
* Mankowska, Meisel & Bierwirth (2014) HHCRSP: the OPL `.dat` style of sets A-D
  (`InstanzCPLEX_HCSRP_*`) and the block format of sets E-G (`InstanzVNS_HCSRP_*`).

Node ids in the returned problems are the instance's own node numbers, as strings.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .model import (
    INFINITY,
    Caregiver,
    Location,
    Objective,
    Problem,
    Service,
    TimeWindow,
    TravelMatrix,
    TravelMode,
    Visit,
)


class FormatError(ValueError):
    pass


def _euclidean_matrix(xs, ys):
    return [[math.hypot(xa - xb, ya - yb) for xb, yb in zip(xs, ys)] for xa, ya in zip(xs, ys)]


# --------------------------------------------------------------------------- Solomon


def read_solomon(path: str | Path) -> Problem:
    text = Path(path).read_text()
    lines = [line.split() for line in text.splitlines()]
    name = lines[0][0] if lines and lines[0] else Path(path).stem
    vehicles = capacity = None
    rows = []
    for i, parts in enumerate(lines):
        if parts[:1] == ["VEHICLE"]:
            # the line after the "NUMBER CAPACITY" header holds the two integers
            for follow in lines[i + 1 :]:
                if len(follow) == 2 and all(p.isdigit() for p in follow):
                    vehicles, capacity = int(follow[0]), int(follow[1])
                    break
        if len(parts) == 7 and all(re.fullmatch(r"-?\d+(\.\d+)?", p) for p in parts):
            rows.append([float(p) for p in parts])
    if vehicles is None or not rows:
        raise FormatError(f"{path}: not a Solomon instance")
    ids = [str(int(r[0])) for r in rows]
    if ids[0] != "0":
        raise FormatError(f"{path}: the first node must be the depot 0")
    xs, ys = [r[1] for r in rows], [r[2] for r in rows]
    dist = _euclidean_matrix(xs, ys)
    locations = [Location(node) for node in ids]
    matrix = TravelMatrix(locations, dist, {TravelMode.MATRIX: dist})
    depot = rows[0]
    visits = [
        Visit(
            id=ids[k],
            location=locations[k],
            services=(Service(duration=r[6]),),
            time_windows=(TimeWindow(r[4], r[5]),),
            demand=r[3],
        )
        for k, r in enumerate(rows)
        if k > 0
    ]
    caregivers = [
        Caregiver(
            id=f"v{k + 1}",
            start=locations[0],
            end=locations[0],
            shift=TimeWindow(depot[4], depot[5]),
            travel_mode=TravelMode.MATRIX,
            capacity=float(capacity),
        )
        for k in range(vehicles)
    ]
    return Problem(visits, caregivers, matrix, objective=Objective.VRPTW, name=name)


# --------------------------------------------------------------------------- Mankowska


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)]


def _opl_value(text: str, name: str) -> str:
    match = re.search(rf"(?m)^\s*{name}\s*=(.*?);", text, re.S)
    if not match:
        raise FormatError(f"missing {name!r}")
    return match.group(1)


def _chunks(values, size):
    if len(values) % size:
        raise FormatError(f"{len(values)} values do not split into rows of {size}")
    return [values[i : i + size] for i in range(0, len(values), size)]


def _hhcrsp_problem(name, coords_or_dist, req, qual, proc, mind, maxd, e, l, depot_nodes, patient_nodes):
    """Build a Problem from the common content of both Mankowska formats.

    `proc[node][vehicle][service]`; `req[node][service]` is 0/1.
    """
    n_services = len(qual[0])
    dist = coords_or_dist
    ids = [str(i) for i in range(len(dist))]
    locations = [Location(node) for node in ids]
    # Both depot rows sit at the same place; give them one location so routes start and end
    # there without a phantom leg.
    depot_location = locations[depot_nodes[0]]
    keep = [i for i in range(len(dist)) if i not in depot_nodes[1:]]
    matrix = TravelMatrix(
        [locations[i] for i in keep],
        [[dist[i][j] for j in keep] for i in keep],
        {TravelMode.MATRIX: [[dist[i][j] for j in keep] for i in keep]},
    )
    caregiver_ids = [str(v + 1) for v in range(len(qual))]
    caregivers = [
        Caregiver(
            id=caregiver_ids[v],
            start=depot_location,
            end=depot_location,
            shift=TimeWindow(e[depot_nodes[0]], INFINITY),
            qualifications=frozenset(f"s{s + 1}" for s in range(n_services) if qual[v][s]),
            travel_mode=TravelMode.MATRIX,
        )
        for v in range(len(qual))
    ]
    visits = []
    for i in patient_nodes:
        needed = [s for s in range(n_services) if req[i][s]]
        if len(needed) not in (1, 2):
            raise FormatError(f"{name}: node {i} requires {len(needed)} services")
        services = []
        for s in needed:
            by_caregiver = {caregiver_ids[v]: proc[i][v][s] for v in range(len(qual))}
            durations = set(by_caregiver.values())
            services.append(
                Service(
                    duration=max(durations),
                    qualification=f"s{s + 1}",
                    duration_by_caregiver=None if len(durations) == 1 else by_caregiver,
                )
            )
        two = len(services) == 2
        visits.append(
            Visit(
                id=ids[i],
                location=locations[i],
                services=tuple(services),
                time_windows=(TimeWindow(e[i], l[i]),),
                min_gap=mind[i] if two else 0.0,
                max_gap=maxd[i] if two else 0.0,
            )
        )
    return Problem(visits, caregivers, matrix, objective=Objective.HHCRSP, name=name)


def read_mankowska_opl(path: str | Path) -> Problem:
    """Sets A-D. Node 0 and the last node are the depot."""
    raw = Path(path).read_text()
    text = re.sub(r"//[^\n]*", "", raw)
    n_nodes = int(_numbers(_opl_value(text, "nbNodes"))[0])
    n_vehicles = int(_numbers(_opl_value(text, "nbVehi"))[0])
    n_services = int(_numbers(_opl_value(text, "nbServi"))[0])
    req = _chunks([int(x) for x in _numbers(_opl_value(text, "r"))], n_services)
    qual = _chunks([int(x) for x in _numbers(_opl_value(text, "a"))], n_services)
    dist = _chunks(_numbers(_opl_value(text, "d")), n_nodes)
    proc_flat = _numbers(_opl_value(text, "p"))
    proc = _chunks(_chunks(proc_flat, n_services), n_vehicles)
    mind = _numbers(_opl_value(text, "mind"))
    maxd = _numbers(_opl_value(text, "maxd"))
    e = _numbers(_opl_value(text, "e"))
    l = _numbers(_opl_value(text, "l"))
    if not (len(req) == len(dist) == len(proc) == len(mind) == len(maxd) == len(e) == len(l) == n_nodes):
        raise FormatError(f"{path}: array lengths disagree with nbNodes={n_nodes}")
    if len(qual) != n_vehicles:
        raise FormatError(f"{path}: qualification rows disagree with nbVehi={n_vehicles}")
    return _hhcrsp_problem(
        Path(path).stem, dist, req, qual, proc, mind, maxd, e, l,
        depot_nodes=[0, n_nodes - 1], patient_nodes=range(1, n_nodes - 1),
    )


def read_mankowska_blocks(path: str | Path) -> Problem:
    """Sets E-G. Node 0 is the depot; travel is Euclidean between (cx, cy)."""
    text = Path(path).read_text()
    header = dict(re.findall(r"(?m)^\s*(nb\w+)\s*=\s*(\d+)", text))
    try:
        n_services, n_vehicles = int(header["nbServi"]), int(header["nbVehi"])
        n_patients = int(header["nbCust"]) + int(header["nbSynch"])
    except KeyError as exc:
        raise FormatError(f"{path}: missing header {exc}") from None
    blocks = {}
    for match in re.finditer(r"(?m)^(e|l|cx|cy|s|delta|p|att)\s*$", text):
        blocks[match.group(1)] = match.end()
    order = sorted(blocks.items(), key=lambda kv: kv[1])
    values = {}
    for k, (name, begin) in enumerate(order):
        # header names contain no digits, so reading up to the next header's end is safe
        end = order[k + 1][1] if k + 1 < len(order) else len(text)
        values[name] = _numbers(text[begin:end])
    n_nodes = n_patients + 1
    for name in ("e", "l", "cx", "cy"):
        if len(values.get(name, ())) != n_nodes:
            raise FormatError(f"{path}: block {name} has {len(values.get(name, ()))} values, expected {n_nodes}")
    req = _chunks([int(x) for x in values["s"]], n_services)
    delta = _chunks(values["delta"], 2)
    proc = _chunks(_chunks(values["p"], n_services), n_vehicles)
    qual = _chunks([int(x) for x in values["att"]], n_services)
    if len(req) != n_nodes or len(delta) != n_nodes or len(proc) != n_nodes or len(qual) != n_vehicles:
        raise FormatError(f"{path}: block sizes disagree with the header")
    dist = _euclidean_matrix(values["cx"], values["cy"])
    return _hhcrsp_problem(
        Path(path).stem, dist, req, qual, proc,
        [d[0] for d in delta], [d[1] for d in delta], values["e"], values["l"],
        depot_nodes=[0], patient_nodes=range(1, n_nodes),
    )


def read_mankowska(path: str | Path) -> Problem:
    text = Path(path).read_text()
    if re.search(r"(?m)^\s*nbNodes\s*=", text):
        return read_mankowska_opl(path)
    if re.search(r"(?m)^\s*nbCust\s*=", text):
        return read_mankowska_blocks(path)
    raise FormatError(f"{path}: neither Mankowska format")
