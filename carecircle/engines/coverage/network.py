"""Walking distance over a road network read from an OpenStreetMap extract. Pure Python over numpy/scipy and
pyosmium (the OSM reader of libosmium, for .osm XML and .osm.pbf files); imports no Django.

The graph keeps every node of a walkable way and one undirected edge per consecutive pair of nodes, its length
the great-circle distance between them. A person or facility off the network walks straight to the nearest
node (that distance counts); from there the shortest path over the edges. "Within d metres' walk" is
"snap distance + path length + the facility's snap distance ≤ d", computed for every node at once by one
Dijkstra search from a virtual source joined to each facility's node by the facility's snap distance.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from . import EARTH_RADIUS_M, TOLERANCE_M, haversine_m, unit_vectors

# Ways a person may walk along (OSM `highway` values). Motorways, trunk roads and roads not yet built are
# left out; a way tagged foot=no, or closed to the public without a foot right, too.
WALKABLE = frozenset({
    "footway", "pedestrian", "path", "steps", "living_street", "residential", "service", "unclassified",
    "tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link", "track", "cycleway",
    "corridor", "road", "bridleway",
})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
CLOSED = frozenset({"no", "private"})


class NetworkError(ValueError):
    """The file is not a readable OpenStreetMap extract, or holds no walkable way."""


def walkable(tags: dict) -> bool:
    highway = tags.get("highway")
    if highway not in WALKABLE:
        return False
    if tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    if tags.get("access") in CLOSED and foot not in FOOT_ALLOWED:
        return False
    return True


@dataclass
class WalkGraph:
    node_lat: np.ndarray
    node_lng: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_m: np.ndarray
    ways: int = 0

    @property
    def nodes(self) -> int:
        return len(self.node_lat)

    @property
    def edges(self) -> int:
        return len(self.edge_u)

    @property
    def length_m(self) -> float:
        return float(self.edge_m.sum())

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez_compressed(out, node_lat=self.node_lat, node_lng=self.node_lng, edge_u=self.edge_u,
                            edge_v=self.edge_v, edge_m=self.edge_m, ways=np.array([self.ways]))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "WalkGraph":
        with np.load(io.BytesIO(bytes(data))) as z:
            return cls(z["node_lat"], z["node_lng"], z["edge_u"], z["edge_v"], z["edge_m"], int(z["ways"][0]))


def read_osm(path: str, *, progress=None, every: int = 50_000) -> WalkGraph:
    """The walking graph of an OSM file (.osm, .osm.pbf, .osm.gz or .osm.bz2: the name's ending tells the
    format). `progress(ways_read)` is called every `every` ways. Raises NetworkError for a file that is not
    OSM data or holds no walkable way."""
    import osmium

    index: dict[int, int] = {}
    lat: list[float] = []
    lng: list[float] = []
    us: list[int] = []
    vs: list[int] = []
    ways = 0
    try:
        processor = osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in processor:
            if not obj.is_way():
                continue
            tags = {t.k: t.v for t in obj.tags}
            if not walkable(tags):
                continue
            previous = None
            for ref in obj.nodes:
                if not ref.location.valid():
                    previous = None
                    continue
                node = index.get(ref.ref)
                if node is None:
                    node = index[ref.ref] = len(lat)
                    lat.append(ref.location.lat)
                    lng.append(ref.location.lon)
                if previous is not None and previous != node:
                    us.append(previous)
                    vs.append(node)
                previous = node
            ways += 1
            if progress is not None and ways % every == 0:
                progress(ways)
    except (RuntimeError, OSError, ValueError) as exc:
        raise NetworkError(str(exc)) from exc
    if not us:
        raise NetworkError("no walkable way")
    node_lat, node_lng = np.array(lat), np.array(lng)
    u, v = np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)
    length = haversine_m(node_lat[u], node_lng[u], node_lat[v], node_lng[v])
    return WalkGraph(node_lat, node_lng, u, v, length, ways)


def _snap(graph: WalkGraph, lat, lng) -> tuple[np.ndarray, np.ndarray]:
    """(nearest node, straight distance to it in metres) for each point."""
    tree = cKDTree(unit_vectors(graph.node_lat, graph.node_lng))
    chord, node = tree.query(unit_vectors(lat, lng), k=1)
    return np.asarray(node, dtype=np.int64), 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0, 1))


def _distances_from(graph: WalkGraph, site_lat, site_lng, limit_m: float) -> np.ndarray:
    """Walking distance from the nearest of the sites to every node (inf beyond `limit_m`)."""
    n = graph.nodes
    site_lat, site_lng = np.asarray(site_lat, float), np.asarray(site_lng, float)
    if len(site_lat) == 0:
        return np.full(n, np.inf)
    nodes, snap = _snap(graph, site_lat, site_lng)
    source = n  # a virtual node joined to each site's node by the site's walk to it
    rows = np.concatenate([graph.edge_u, graph.edge_v, np.full(len(nodes), source)])
    cols = np.concatenate([graph.edge_v, graph.edge_u, nodes])
    # A zero weight would be read as "no edge" by the sparse matrix: the smallest positive length stands in.
    weights = np.maximum(np.concatenate([graph.edge_m, graph.edge_m, snap]), 1e-9)
    matrix = _min_duplicates(rows, cols, weights, n + 1)  # parallel edges: the shortest, not their sum
    distance = dijkstra(matrix, directed=True, indices=source, limit=limit_m + TOLERANCE_M)
    return np.asarray(distance)[:n]


def _min_duplicates(rows, cols, weights, size) -> csr_matrix:
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((weights[first], (rows[first], cols[first])), shape=(size, size))


def walk_covered_mask(graph: WalkGraph, point_lat, point_lng, site_lat, site_lng, budget_m: float) -> np.ndarray:
    """True for each point whose walk to the nearest site (to and from the network included) ≤ budget_m."""
    point_lat, point_lng = np.asarray(point_lat, float), np.asarray(point_lng, float)
    if len(point_lat) == 0:
        return np.zeros(0, dtype=bool)
    distance = _distances_from(graph, site_lat, site_lng, budget_m)
    nodes, snap = _snap(graph, point_lat, point_lng)
    return distance[nodes] + snap <= budget_m + TOLERANCE_M


def walk_covered_by_kind(graph: WalkGraph, point_lat, point_lng, site_lat, site_lng, site_kind,
                         budget_m: float) -> dict[object, np.ndarray]:
    site_lat, site_lng, site_kind = np.asarray(site_lat, float), np.asarray(site_lng, float), np.asarray(site_kind)
    return {kind: walk_covered_mask(graph, point_lat, point_lng, site_lat[site_kind == kind],
                                    site_lng[site_kind == kind], budget_m)
            for kind in dict.fromkeys(site_kind.tolist())}


def walk_distances(graph: WalkGraph, lat: float, lng: float, site_lat, site_lng) -> np.ndarray:
    """Walking distance in metres from one place to each site (inf where the network does not join them)."""
    site_lat, site_lng = np.asarray(site_lat, float), np.asarray(site_lng, float)
    if len(site_lat) == 0:
        return np.zeros(0)
    distance = _distances_from(graph, [lat], [lng], np.inf)
    nodes, snap = _snap(graph, site_lat, site_lng)
    return distance[nodes] + snap
