"""Reads for planning. Elders are read through `visible_to` (a street sees its own elders only) and only as
counts: no page, export or API answer of this app carries one elder's position or record. Facilities are
read whole (active ones, every organisation): where a facility stands is public, and one just across a
street's boundary still serves its elders.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy

from carecircle.core.isolation import visible_to
from carecircle.core.models import PolicyParameter
from carecircle.core.policy import MissingPolicyParameter, policy_value
from carecircle.engines import coverage as engine
from carecircle.providers.models import Facility, FacilityKind
from carecircle.regions.models import Region, RegionKind
from carecircle.regions.selectors import regions_in_scope, scope_root

from .models import CandidateSite, CommunityPopulation, NetworkStatus, RoadNetwork, SiteStudy

ALL_KINDS = "all"
STRAIGHT_LINE = "straight_line"
WALKING_NETWORK = "walking_network"
METHOD_LABELS = {STRAIGHT_LINE: gettext_lazy("直线距离（未导入步行路网）"),
                 WALKING_NETWORK: gettext_lazy("沿步行路网的步行距离")}
MIN_RADIUS_M, MAX_RADIUS_M = 50, 5000


class ElderGroup:
    ALL = ""
    ALONE = "alone"
    AGE_80 = "80plus"
    CARE_LEVEL = "care_level"

    choices = [("", gettext_lazy("全部老人")), ("alone", gettext_lazy("独居老人")),
               ("80plus", gettext_lazy("80 周岁及以上")), ("care_level", gettext_lazy("有照护等级"))]


def kind_choices():
    return [(ALL_KINDS, _("任一类设施")), *FacilityKind.choices]


def kind_label(kind: str) -> str:
    return dict(kind_choices()).get(kind, "")


# --- the region asked for ---------------------------------------------------------------------------

def planning_root(*, user, code: str = "") -> Region:
    """The street or district (or community) the page is about: the code asked for when it lies inside the
    user's scope (else 404), or the top of the user's scope."""
    scope = regions_in_scope(user=user, kinds=[RegionKind.DISTRICT, RegionKind.STREET, RegionKind.COMMUNITY])
    if code:
        region = scope.filter(code=code).first()
        if region is None:
            raise Http404(_("没有找到这个区域，或不在您的工作范围内"))
        return region
    root = scope_root(user)
    if root is not None and root.kind != RegionKind.CITY:
        return root
    region = scope.filter(kind=RegionKind.DISTRICT).first() or scope.first()
    if region is None:
        raise Http404(_("您的账号没有工作区域"))
    return region


def regions_for_filter(*, user):
    return regions_in_scope(user=user, kinds=[RegionKind.DISTRICT, RegionKind.STREET, RegionKind.COMMUNITY])


def service_radius(region: Region, on: dt.date) -> int:
    return int(policy_value("planning.service_radius_m", region=region, on=on))


def default_radius(region: Region) -> int | None:
    """The policy radius, or None where none is in force (a form then asks for it)."""
    value = _optional_policy("planning.service_radius_m", region, timezone.localdate())
    return None if value is None else int(value)


def _optional_policy(key: str, region: Region, on: dt.date):
    try:
        return policy_value(key, region=region, on=on)
    except MissingPolicyParameter:
        return None


# --- the people counted -----------------------------------------------------------------------------

def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _elders(*, user, root: Region, group: str, on: dt.date):
    from carecircle.elders.models import Elder, ElderStatus

    qs = visible_to(user, Elder).filter(status=ElderStatus.ACTIVE, community__path__startswith=root.path)
    if group == ElderGroup.ALONE:
        qs = qs.filter(household_type="alone")
    elif group == ElderGroup.AGE_80:
        qs = qs.filter(birth_date__lte=_years_before(on, 80))
    elif group == ElderGroup.CARE_LEVEL:
        from carecircle.assessment.models import CareLevel

        levels = (visible_to(user, CareLevel).filter(valid_from__lte=on)
                  .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)))
        qs = qs.filter(pk__in=levels.values("elder_id"))
    return qs


@dataclass
class People:
    """Located elders as arrays (never leaving this module as records): community ids and coordinates."""

    community: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    unlocated_by_community: dict[int, int]


def _people(*, user, root: Region, group: str, on: dt.date) -> People:
    rows = list(_elders(user=user, root=root, group=group, on=on).order_by()
                .values_list("community_id", "lat", "lng"))
    located = [(c, float(la), float(ln)) for c, la, ln in rows if la is not None and ln is not None]
    unlocated: dict[int, int] = {}
    for c, la, ln in rows:
        if la is None or ln is None:
            unlocated[c] = unlocated.get(c, 0) + 1
    arr = np.array(located, dtype=float).reshape(-1, 3)
    return People(arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], unlocated)


def active_facilities(kind: str = ALL_KINDS):
    qs = Facility.objects.filter(is_active=True, organisation__is_active=True)
    if kind and kind != ALL_KINDS:
        qs = qs.filter(kind=kind)
    return qs


def _facility_arrays(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rows = list(active_facilities(kind).order_by().values_list("lat", "lng"))
    arr = np.array([(float(a), float(b)) for a, b in rows], dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


# --- how distance is measured: straight line, or walking over a loaded road network -----------------

def road_networks(*, user):
    return visible_to(user, RoadNetwork).select_related("region", "job").defer("graph")


def network_for(region: Region) -> RoadNetwork | None:
    """The newest ready walking network of the region or of a region above it (a district's network serves
    its streets and communities); None where none is loaded."""
    ancestors = [region.path[:i] for i in range(1, len(region.path) + 1)]
    return (RoadNetwork.objects.filter(status=NetworkStatus.READY, region__path__in=ancestors)
            .defer("graph").order_by("-created_at", "-id").first())


_GRAPHS: dict[int, object] = {}


def walk_graph(network: RoadNetwork):
    """The network's graph, read once per process (a network never changes once ready)."""
    from carecircle.engines.coverage.network import WalkGraph

    graph = _GRAPHS.get(network.pk)
    if graph is None:
        data = RoadNetwork.objects.filter(pk=network.pk).values_list("graph", flat=True).first()
        graph = WalkGraph.from_bytes(data)
        if len(_GRAPHS) > 4:
            _GRAPHS.clear()
        _GRAPHS[network.pk] = graph
    return graph


@dataclass
class Reach:
    """How far "within reach" is and how it is measured, for a region on a day."""

    method: str
    radius_m: int
    network: RoadNetwork | None = None
    minutes: int | None = None
    speed_m_per_min: float | None = None

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS[self.method])

    @property
    def description(self) -> str:
        if self.method == STRAIGHT_LINE:
            return _("直线距离 %(radius)d 米以内（未导入步行路网，实际步行路程会更远）") % {"radius": self.radius_m}
        return _("沿步行路网步行 %(radius)d 米以内（约 %(minutes)d 分钟，老年人步速每分钟 %(speed)s 米；"
                 "路网：%(name)s，%(date)s 导入）") % {
            "radius": self.radius_m, "minutes": self.minutes, "speed": f"{self.speed_m_per_min:g}",
            "name": self.network.name, "date": timezone.localtime(self.network.created_at).date().isoformat()}


def reach_for(region: Region, on: dt.date, radius_m: int | None = None) -> Reach:
    """With a walking network loaded for the region: the 15-minute circle (policy minutes × the elders'
    walking speed, both dated policy) over the network, or `radius_m` metres of walking when one is asked
    for. Without one: the policy service radius (or `radius_m`) in a straight line."""
    network = network_for(region)
    if network is None:
        return Reach(STRAIGHT_LINE, int(radius_m or service_radius(region, on)))
    speed = float(policy_value("planning.elder_walking_speed_m_per_min", region=region, on=on))
    if radius_m:
        budget = int(radius_m)
    else:
        budget = int(round(int(policy_value("planning.community_circle_minutes", region=region, on=on)) * speed))
    return Reach(WALKING_NETWORK, budget, network, max(1, round(budget / speed)), speed)


def covered(people: People, kind: str, reach: "Reach | float") -> np.ndarray:
    site_lat, site_lng = _facility_arrays(kind)
    if isinstance(reach, Reach) and reach.method == WALKING_NETWORK:
        from carecircle.engines.coverage import network as walking

        return walking.walk_covered_mask(walk_graph(reach.network), people.lat, people.lng, site_lat, site_lng,
                                         reach.radius_m)
    radius_m = reach.radius_m if isinstance(reach, Reach) else reach
    return engine.covered_mask(people.lat, people.lng, site_lat, site_lng, radius_m)


# --- coverage by region -----------------------------------------------------------------------------

@dataclass
class Norm:
    label: str
    unit: str
    required: Decimal | None  # m² (or beds) the norm asks for in this region
    actual: Decimal
    per_unit: Decimal | None  # the region's figure in the norm's unit
    target: Decimal | None  # the norm in its unit

    @property
    def shortfall(self) -> Decimal | None:
        if self.required is None:
            return None
        return max(Decimal(0), (self.required - self.actual).quantize(Decimal("0.1")))

    @property
    def met(self) -> bool | None:
        return None if self.required is None else self.actual >= self.required


@dataclass
class RegionRow:
    region: Region
    elders: int = 0
    covered: int = 0
    unlocated: int = 0
    shares: dict[str, float | None] = field(default_factory=dict)
    residents: int | None = None
    households: int | None = None
    area_m2: Decimal = Decimal(0)
    beds: int = 0
    all_elders: int = 0
    norms: list[Norm] = field(default_factory=list)
    children: list["RegionRow"] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return None if self.elders == 0 else self.covered / self.elders

    @property
    def share_text(self) -> str:
        return _percent(self.share)

    @property
    def share_texts(self) -> list[str]:
        return [_percent(v) for v in self.shares.values()]

    @property
    def beds_per_1000(self) -> Decimal | None:
        if not self.all_elders:
            return None
        return (Decimal(self.beds) * 1000 / self.all_elders).quantize(Decimal("0.1"))


@dataclass
class CoverageReport:
    root: Region
    kind: str
    radius_m: int
    group: str
    on: dt.date
    method: str
    rows: list[RegionRow]
    total: RegionRow
    kinds: list[tuple[str, str]]
    reach: Reach | None = None

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS[self.method])


def _population_by_community(community_ids, on: dt.date) -> dict[int, CommunityPopulation]:
    result: dict[int, CommunityPopulation] = {}
    for row in (CommunityPopulation.objects.filter(community_id__in=community_ids, as_of__lte=on)
                .order_by("community_id", "-as_of")):
        result.setdefault(row.community_id, row)
    return result


NORM_KEYS = ("planning.community_facility_m2_per_1000_residents", "planning.facility_m2_per_1000_elders",
             "planning.alternative.m2_per_100_households", "planning.beds_ratio_of_registered_elders")


def _norms(row: RegionRow, region: Region, on: dt.date, estate_households: dict[str, int],
           values: dict | None = None) -> list[Norm]:
    """The norms in force for `region` (or the `values` already read for it) applied to the row's figures."""
    if values is None:
        values = {key: _optional_policy(key, region, on) for key in NORM_KEYS}
    norms = []
    per_1000_residents = values["planning.community_facility_m2_per_1000_residents"]
    if per_1000_residents is not None:
        target = Decimal(str(per_1000_residents))
        required = None if row.residents is None else (target * row.residents / 1000).quantize(Decimal("0.1"))
        per_unit = (None if not row.residents else
                    (row.area_m2 * 1000 / row.residents).quantize(Decimal("0.1")))
        norms.append(Norm(_("每千常住人口设施面积"), _("平方米/千人"), required, row.area_m2, per_unit, target))
    per_1000_elders = values["planning.facility_m2_per_1000_elders"]
    if per_1000_elders is not None:
        target = Decimal(str(per_1000_elders))
        required = (target * row.all_elders / 1000).quantize(Decimal("0.1"))
        per_unit = None if not row.all_elders else (row.area_m2 * 1000 / row.all_elders).quantize(Decimal("0.1"))
        norms.append(Norm(_("每千名老人设施面积"), _("平方米/千名老人"), required, row.area_m2, per_unit, target))
    per_100_households = values["planning.alternative.m2_per_100_households"]
    if per_100_households is not None:
        if row.households:
            required = sum((Decimal(str(per_100_households.get(estate, 0))) * n / 100
                            for estate, n in estate_households.items()), Decimal(0)).quantize(Decimal("0.1"))
            per_unit = (row.area_m2 * 100 / row.households).quantize(Decimal("0.1"))
            target = (required * 100 / row.households).quantize(Decimal("0.1"))
        else:
            required = per_unit = target = None
        norms.append(Norm(_("每百户设施面积（参考标准）"), _("平方米/百户"), required, row.area_m2, per_unit, target))
    beds_ratio = values["planning.beds_ratio_of_registered_elders"]
    if beds_ratio is not None:
        target = (Decimal(str(beds_ratio)) * 1000).quantize(Decimal("0.1"))
        required = (Decimal(str(beds_ratio)) * row.all_elders).quantize(Decimal("0.1"))
        norms.append(Norm(_("每千名老人养老床位"), pgettext("unit of care beds", "张"), required, Decimal(row.beds), row.beds_per_1000, target))
    return norms


def coverage_report(*, user, root: Region, kind: str = ALL_KINDS, radius_m: int | None = None, group: str = "",
                    on: dt.date | None = None) -> CoverageReport:
    """Coverage of the root's streets (and of the communities of each street) by facilities of `kind` within
    `radius_m` (default: the policy radius), the area and bed norms, all counted from the elders the user may
    see. A district root lists its streets with their communities; a street lists its communities."""
    on = on or timezone.localdate()
    reach = reach_for(root, on, radius_m)
    radius_m = reach.radius_m
    communities = list(Region.objects.filter(path__startswith=root.path, kind=RegionKind.COMMUNITY)
                       .select_related("parent").order_by("path"))
    streets = ([root] if root.kind == RegionKind.STREET else
               [root.parent] if root.kind == RegionKind.COMMUNITY else
               list(Region.objects.filter(path__startswith=root.path, kind=RegionKind.STREET).order_by("path")))
    index = {c.pk: i for i, c in enumerate(communities)}
    people = _people(user=user, root=root, group=group, on=on)
    all_people = people if not group else _people(user=user, root=root, group="", on=on)
    groups = np.array([index.get(int(c), -1) for c in people.community], dtype=np.int64)
    keep = groups >= 0
    kinds = [(ALL_KINDS, _("任一类设施")), *FacilityKind.choices]
    shares_by_kind: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows = list(active_facilities().order_by().values_list("lat", "lng", "kind"))
    site_args = ([float(r[0]) for r in rows], [float(r[1]) for r in rows], [r[2] for r in rows], radius_m)
    if reach.method == WALKING_NETWORK:
        from carecircle.engines.coverage import network as walking

        by_kind = walking.walk_covered_by_kind(walk_graph(reach.network), people.lat, people.lng, *site_args)
    else:
        by_kind = engine.covered_by_kind(people.lat, people.lng, *site_args)
    nobody = np.zeros(len(people.lat), dtype=bool)
    for k, _label in kinds:
        mask = (np.logical_or.reduce([nobody, *by_kind.values()]) if k == ALL_KINDS else by_kind.get(k, nobody))
        shares_by_kind[k] = engine.group_counts(groups[keep], mask[keep], len(communities))
    all_groups = np.array([index.get(int(c), -1) for c in all_people.community], dtype=np.int64)
    all_total = np.bincount(all_groups[all_groups >= 0], minlength=len(communities))

    area_kinds = _optional_policy("planning.norm.community_facility_kinds", root, on) or []
    area = {c: Decimal(0) for c in index}
    beds = {c: 0 for c in index}
    for community_id, fkind, floor_area, n_beds in (active_facilities().filter(community_id__in=index).order_by()
                                                      .values_list("community_id", "kind", "floor_area_m2", "beds")):
        if fkind in area_kinds:
            area[community_id] += floor_area or Decimal(0)
        beds[community_id] += n_beds or 0
    population = _population_by_community(list(index), on)

    def community_row(c: Region) -> RegionRow:
        i = index[c.pk]
        row = RegionRow(region=c)
        total, cov = shares_by_kind[kind]
        row.elders, row.covered = int(total[i]), int(cov[i])
        row.unlocated = all_people.unlocated_by_community.get(c.pk, 0)
        row.all_elders = int(all_total[i]) + row.unlocated
        row.shares = {k: (None if t[i] == 0 else float(v[i] / t[i])) for k, (t, v) in shares_by_kind.items()}
        row.area_m2, row.beds = area[c.pk], beds[c.pk]
        pop = population.get(c.pk)
        if pop is not None:
            row.residents, row.households = pop.residents, pop.households
        return row

    def add_up(region: Region, children: list[RegionRow]) -> RegionRow:
        row = RegionRow(region=region, children=children)
        row.elders = sum(r.elders for r in children)
        row.covered = sum(r.covered for r in children)
        row.unlocated = sum(r.unlocated for r in children)
        row.all_elders = sum(r.all_elders for r in children)
        row.area_m2 = sum((r.area_m2 for r in children), Decimal(0))
        row.beds = sum(r.beds for r in children)
        if children and all(r.residents is not None for r in children):
            row.residents = sum(r.residents for r in children)
            row.households = sum(r.households for r in children)
        positions = [index[r.region.pk] for r in children if r.region.pk in index]
        for k, (t, v) in shares_by_kind.items():
            tt, vv = int(t[positions].sum()) if positions else 0, int(v[positions].sum()) if positions else 0
            row.shares[k] = None if tt == 0 else vv / tt
        return row

    # A community takes the norms of the parameters in force for it: its own rows when it has any, else its
    # street's (read once per street rather than once per community).
    overridden = set(PolicyParameter.objects.filter(key__in=NORM_KEYS, region_id__in=list(index))
                     .values_list("region_id", flat=True))
    norm_values: dict[int, dict] = {}

    def values_for(region: Region) -> dict:
        source = region if region.kind != RegionKind.COMMUNITY or region.pk in overridden else region.parent
        if source.pk not in norm_values:
            norm_values[source.pk] = {key: _optional_policy(key, source, on) for key in NORM_KEYS}
        return norm_values[source.pk]

    def with_norms(row: RegionRow, community_pops: list[CommunityPopulation | None]) -> RegionRow:
        estates: dict[str, int] = {}
        for pop in community_pops:
            if pop is not None:
                estates[pop.estate_type] = estates.get(pop.estate_type, 0) + pop.households
        row.norms = _norms(row, row.region, on, estates, values_for(row.region))
        return row

    rows = []
    for street in streets:
        members = [c for c in communities if c.path.startswith(street.path)]
        children = [with_norms(community_row(c), [population.get(c.pk)]) for c in members]
        rows.append(with_norms(add_up(street, children), [population.get(c.pk) for c in members]))
    total = with_norms(add_up(root, [child for r in rows for child in r.children]),
                       [population.get(c.pk) for c in communities])
    return CoverageReport(root=root, kind=kind, radius_m=radius_m, group=group, on=on, method=reach.method,
                          rows=rows, total=total, kinds=kinds, reach=reach)


def coverage_figures(*, user, region: Region, kind: str, radius_m: int | None = None, group: str = "",
                     on: dt.date | None = None) -> dict:
    """The API's answer for one region: located active elders, those covered, the share and the method
    (`radius_m` is the walking distance when a network is loaded, else the straight-line radius)."""
    on = on or timezone.localdate()
    reach = reach_for(region, on, radius_m)
    people = _people(user=user, root=region, group=group, on=on)
    mask = covered(people, kind, reach)
    elders, n = int(len(mask)), int(mask.sum())
    return {"region": region.code, "facility_kind": kind, "radius_m": reach.radius_m, "elders": elders,
            "covered": n, "share": None if elders == 0 else round(n / elders, 4), "method": reach.method}


# --- the gap map ------------------------------------------------------------------------------------

@dataclass
class GapMap:
    cells: list[engine.HexCell]
    suppressed: int
    min_elders: int
    resolution: int
    uncovered: int


def gap_map(*, user, root: Region, kind: str, radius_m: int | None = None, group: str = "",
            on: dt.date | None = None) -> GapMap:
    """Elders not covered (measured as the coverage table measures), counted on the H3 hexagon grid; no cell
    with fewer than the policy's threshold."""
    on = on or timezone.localdate()
    people = _people(user=user, root=root, group=group, on=on)
    mask = covered(people, kind, reach_for(root, on, radius_m))
    k = int(policy_value("planning.gap_map.min_elders", region=root, on=on))
    resolution = int(policy_value("planning.gap_map.h3_resolution", region=root, on=on))
    cells, suppressed = engine.hex_cells(people.lat[~mask], people.lng[~mask], resolution=resolution, min_count=k)
    return GapMap(cells, suppressed, k, resolution, int((~mask).sum()))


def uncovered_demand(*, user, root: Region, kind: str, radius_m: int, on: dt.date | None = None):
    """Uncovered elders as demand points for a site study: distinct positions with the number of elders at
    each and the community each belongs to (arrays, for the engine only). Site studies measure in a straight
    line (the candidates' reach is a radius), so the uncovered are counted the same way."""
    on = on or timezone.localdate()
    people = _people(user=user, root=root, group="", on=on)
    mask = covered(people, kind, radius_m)
    keys: dict[tuple, int] = {}
    for c, la, ln in zip(people.community[~mask], people.lat[~mask], people.lng[~mask]):
        key = (int(c), round(float(la), 6), round(float(ln), 6))
        keys[key] = keys.get(key, 0) + 1
    arr = np.array([(*k, n) for k, n in keys.items()], dtype=float).reshape(-1, 4)
    return arr[:, 1], arr[:, 2], arr[:, 3].astype(np.int64), arr[:, 0].astype(np.int64)


# --- the map's layers -------------------------------------------------------------------------------

def region_features(report: CoverageReport) -> dict:
    """Street and community boundaries with their coverage share (no people)."""
    features = []
    for row in report.rows:
        for r in [row, *row.children]:
            region = r.region
            geometry = region.boundary
            if not geometry and region.centroid_lat is not None:
                geometry = {"type": "Point", "coordinates": [float(region.centroid_lng), float(region.centroid_lat)]}
            if not geometry:
                continue
            features.append({"type": "Feature", "geometry": geometry, "properties": {
                "name": region.name, "kind": region.kind,
                "share": None if r.share is None else round(r.share, 3),
                "label": (_("%(name)s：覆盖 %(share)s") % {"name": region.name, "share": _percent(r.share)})}})
    return {"type": "FeatureCollection", "features": features}


def _percent(share) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def facility_points(kind: str = ALL_KINDS) -> list[dict]:
    return [{"lat": float(f.lat), "lng": float(f.lng), "name": f.name, "kind": f.get_kind_display()}
            for f in active_facilities(kind).order_by("pk")]


def gap_features(gaps: GapMap) -> dict:
    features = [{"type": "Feature", "properties": {"count": c.count,
                                                   "label": _("未覆盖老人 %(n)d 人") % {"n": c.count}},
                 "geometry": {"type": "Polygon",
                              "coordinates": [[[lng, lat] for lat, lng in (*c.boundary, c.boundary[0])]]}}
                for c in gaps.cells]
    return {"type": "FeatureCollection", "features": features}


# --- candidate sites and studies -------------------------------------------------------------------

def candidate_sites(*, user, root: Region):
    return visible_to(user, CandidateSite).filter(region__path__startswith=root.path).order_by("name", "id")


def site_studies(*, user):
    return visible_to(user, SiteStudy).select_related("region", "job")


# --- the public service map (no login, no personal data) -------------------------------------------

PUBLIC_LIMIT = 20


@dataclass
class PublicFacility:
    name: str
    kind: str
    address: str
    opening_hours: str
    community: str
    lat: float
    lng: float
    distance_m: int | None = None
    speed_m_per_min: float | None = None
    by_walk: bool = False  # distance_m is the walk over the road network, not a straight line
    stars: int | None = None  # the star rating in force (public), if any

    @property
    def walk_minutes(self) -> int | None:
        if self.distance_m is None or not self.speed_m_per_min:
            return None
        return max(1, round(self.distance_m / self.speed_m_per_min))

    @property
    def route_url(self) -> str:
        return f"geo:{self.lat:.6f},{self.lng:.6f}?q={self.lat:.6f},{self.lng:.6f}"


_ROAD = __import__("re").compile(r"^(.{1,30}?(?:路|街|大道|道|弄|巷|里|村|苑|坊))")


def star_ratings() -> dict[int, int]:
    """Facility → stars of the rating in force today (ratings are public information)."""
    from carecircle.inspections.selectors import published_ratings

    return dict(published_ratings().values_list("facility_id", "stars"))


def public_origin(q: str) -> tuple[float, float, str] | None:
    """Where "near me" starts for a typed place: a community (by name) or a facility (by name or address);
    for a full address not found as typed ("天平路 120 号"), its road ("天平路")."""
    q = (q or "").strip()
    if not q:
        return None
    found = _public_place(q)
    if found is None:
        road = _ROAD.match(q.replace(" ", ""))
        if road and road.group(1) != q:
            found = _public_place(road.group(1))
    return found


def _public_place(q: str) -> tuple[float, float, str] | None:
    community = (Region.objects.filter(kind=RegionKind.COMMUNITY, name__icontains=q, centroid_lat__isnull=False)
                 .order_by("path").first())
    if community is not None:
        return float(community.centroid_lat), float(community.centroid_lng), community.name
    facility = active_facilities().filter(Q(address__icontains=q) | Q(name__icontains=q)).order_by("pk").first()
    if facility is not None:
        return float(facility.lat), float(facility.lng), facility.address or facility.name
    street = (Region.objects.filter(kind=RegionKind.STREET, name__icontains=q, centroid_lat__isnull=False)
              .order_by("path").first())
    if street is not None:
        return float(street.centroid_lat), float(street.centroid_lng), street.name
    return None


def public_facilities(*, kind: str = "", origin: tuple[float, float] | None = None,
                      limit: int = PUBLIC_LIMIT) -> list[PublicFacility]:
    """Active facilities for the public map: public fields only, nearest first when there is an origin."""
    qs = active_facilities(kind or ALL_KINDS).select_related("community")
    facilities = list(qs.order_by("name", "pk"))
    stars = star_ratings()
    items = [PublicFacility(f.name, f.get_kind_display(), f.address, f.opening_hours, f.community.name,
                            float(f.lat), float(f.lng), stars=stars.get(f.pk)) for f in facilities]
    if origin is not None and items:
        on = timezone.localdate()
        speeds: dict[int, float | None] = {}
        for facility, item in zip(facilities, items):
            if facility.community_id not in speeds:
                speed = _optional_policy("planning.elder_walking_speed_m_per_min", facility.community, on)
                speeds[facility.community_id] = None if speed is None else float(speed)
            item.speed_m_per_min = speeds[facility.community_id]
        d = engine.haversine_m(origin[0], origin[1], np.array([i.lat for i in items]), np.array([i.lng for i in items]))
        for item, metres in zip(items, d):
            item.distance_m = int(round(float(metres)))
        nearest = facilities[int(np.argmin(d))]
        network = network_for(nearest.community)
        if network is not None:
            from carecircle.engines.coverage import network as walking

            served = [i for i, f in enumerate(facilities) if f.community.path.startswith(network.region.path)]
            walks = walking.walk_distances(walk_graph(network), origin[0], origin[1],
                                           [items[i].lat for i in served], [items[i].lng for i in served])
            for i, metres in zip(served, walks):
                if np.isfinite(metres):
                    items[i].distance_m, items[i].by_walk = int(round(float(metres))), True
        items.sort(key=lambda i: (i.distance_m, i.name))
    return items[:limit]


# --- the yearly service guide (public facts only) ----------------------------------------------------

@dataclass
class GuideFacility:
    pk: int
    name: str
    kind: str
    address: str
    opening_hours: str
    services: str
    phone: str
    eligibility: str
    prices: str
    stars: int | None = None


@dataclass
class GuideSection:
    street: Region
    kinds: list[tuple[str, list[GuideFacility]]]

    @property
    def count(self) -> int:
        return sum(len(items) for _label, items in self.kinds)


def guide_streets():
    return Region.objects.filter(kind=RegionKind.STREET).order_by("path")


def service_guide(*, street: Region | None = None, kind: str = "", q: str = "") -> list[GuideSection]:
    """Per street and facility type, the active facilities with address, hours and what the district's guide
    says of them (services, public phone, who may use them, prices); `q` searches names, addresses and
    services. Streets without a facility are left out."""
    from .models import GuideEntry

    qs = active_facilities(kind or ALL_KINDS).select_related("community__parent")
    if street is not None:
        qs = qs.filter(community__path__startswith=street.path)
    entries = {e.facility_id: e for e in GuideEntry.objects.filter(facility__in=qs)}
    stars = star_ratings()
    q = (q or "").strip().lower()
    labels = dict(FacilityKind.choices)
    grouped: dict[int, dict[str, list[GuideFacility]]] = {}
    streets: dict[int, Region] = {}
    for f in qs.order_by("community__path", "name", "pk"):
        entry = entries.get(f.pk)
        item = GuideFacility(f.pk, f.name, str(labels.get(f.kind, "")), f.address, f.opening_hours,
                             entry.services if entry else "", entry.phone if entry else "",
                             entry.eligibility if entry else "", entry.prices if entry else "", stars.get(f.pk))
        if q and not any(q in (text or "").lower() for text in (item.name, item.address, item.services)):
            continue
        parent = f.community.parent if f.community.kind == RegionKind.COMMUNITY else f.community
        streets[parent.pk] = parent
        grouped.setdefault(parent.pk, {}).setdefault(f.kind, []).append(item)
    order = [k for k, _label in FacilityKind.choices]
    sections = []
    for pk, by_kind in grouped.items():
        kinds = [(str(labels[k]), by_kind[k]) for k in order if k in by_kind]
        sections.append(GuideSection(streets[pk], kinds))
    sections.sort(key=lambda s: s.street.path)
    return sections


def guide_entry(facility_id: int):
    from .models import GuideEntry

    return GuideEntry.objects.filter(facility_id=facility_id).first()


def editable_facilities(*, user):
    """Facilities whose guide entry the user may keep: those in the user's regions."""
    return visible_to(user, Facility).filter(is_active=True).select_related("community")


# --- care advisors ---------------------------------------------------------------------------------

def advisor_points(*, user):
    return (visible_to(user, Facility).filter(kind=FacilityKind.ADVISOR_POINT, is_active=True)
            .select_related("community").order_by("community__path", "name"))


def advisors(*, user):
    from .models import Advisor

    return visible_to(user, Advisor).select_related("point", "point__community")


def consultations(*, user):
    from .models import Consultation

    return visible_to(user, Consultation).select_related("point", "advisor")


def _month_start(day: dt.date, back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


@dataclass
class MonthRow:
    month: dt.date
    total: int
    referrals: int
    by_topic: list[int]


def consultation_months(*, user, months: int = 12, today: dt.date | None = None) -> tuple[list, list[MonthRow]]:
    """Consultations per month (the last `months`, newest first) in the user's scope: the total, the referrals
    to an application, and the count of each topic. Returns (topic labels, rows)."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from .models import ConsultationTopic

    today = today or timezone.localdate()
    first = _month_start(today, months - 1)
    counts: dict[tuple[dt.date, str], int] = {}
    referred: dict[dt.date, int] = {}
    rows = (consultations(user=user).filter(consulted_on__gte=first, consulted_on__lte=today).order_by()
            .annotate(month=TruncMonth("consulted_on")).values("month", "topic")
            .annotate(n=Count("id"), referred=Count("id", filter=~Q(referral=""))))
    for row in rows:
        month = row["month"] if isinstance(row["month"], dt.date) else row["month"].date()
        month = dt.date(month.year, month.month, 1)
        counts[(month, row["topic"])] = row["n"]
        referred[month] = referred.get(month, 0) + row["referred"]
    topics = ConsultationTopic.choices
    result = []
    for back in range(months):
        month = _month_start(today, back)
        by_topic = [counts.get((month, value), 0) for value, _label in topics]
        result.append(MonthRow(month, sum(by_topic), referred.get(month, 0), by_topic))
    return [label for _value, label in topics], result


def referral_types(*, user) -> list[tuple[str, str]]:
    """The application types a consultation may be referred to where the user works."""
    from carecircle.intake.services import types_for_region
    from carecircle.regions.selectors import scope_root

    root = scope_root(user)
    if root is None:
        return []
    return [(t.code, t.name) for t in types_for_region(root)]


def orderable_items(*, user) -> list[tuple[str, str]]:
    """The catalogue's active items an elder may order on demand (government-purchase or market services)."""
    from carecircle.catalog.selectors import service_items

    items = service_items(user).filter(Q(programme__contains="gov_purchase") | Q(programme__contains="market"))
    return [(item.code, item.display_name) for item in items.order_by("category", "sort_order", "code")]


def population_rows(*, street: Region, on: dt.date | None = None):
    """Each community of the street with its figures in force on the day (None where none is recorded)."""
    on = on or timezone.localdate()
    communities = list(Region.objects.filter(path__startswith=street.path, kind=RegionKind.COMMUNITY).order_by("path"))
    latest = _population_by_community([c.pk for c in communities], on)
    return [(c, latest.get(c.pk)) for c in communities]


def streets_in_scope(*, user):
    return regions_in_scope(user=user, kinds=[RegionKind.STREET])
