"""Reads for the region tree. The tree is reference data every signed-in user may read, but pages
show each user the part of it that is theirs: their region subtree, or their organisation's region."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from carecircle.core.isolation import visible_to
from carecircle.core.roles import has_capability

from .models import Region, RegionKind


def scope_root(user) -> Region | None:
    """The region at the top of what this user works on; None means the whole tree (superusers)."""
    if user.is_superuser:
        return None
    if user.scope_region_id:
        return user.scope_region
    if user.organisation_id:
        return user.organisation.region
    return None


def regions_in_scope(*, user, kinds: list[str] | None = None):
    qs = visible_to(user, Region)
    root = scope_root(user)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    elif not user.is_superuser:
        return qs.none()
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("path")


def region_list(*, user, kind: str = "", parent_code: str = "", search: str = ""):
    qs = visible_to(user, Region).select_related("parent")
    if kind:
        qs = qs.filter(kind=kind)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if search:
        qs = qs.filter(Q(name__icontains=search.strip()) | Q(code__startswith=search.strip()))
    return qs.order_by("path")


@dataclass
class TreeNode:
    region: Region
    children: list["TreeNode"] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _add_up(counts_by_region_id: dict[int, int], regions: list[Region]) -> dict[str, int]:
    """Counts held by communities, added up to every ancestor on the materialised path."""
    by_path: dict[str, int] = defaultdict(int)
    path_of = {r.pk: r.path for r in regions}
    for region_id, n in counts_by_region_id.items():
        path = path_of.get(region_id)
        if path is None:
            continue
        codes = path.strip("/").split("/")
        for depth in range(1, len(codes) + 1):
            by_path["/" + "/".join(codes[:depth]) + "/"] += n
    return by_path


def region_tree(*, user) -> list[TreeNode]:
    """district → street → community for the user's scope, each with the number of child regions and,
    where the user may see them, the elders, organisations and facilities inside it."""
    from carecircle.providers.models import Facility, Organisation

    regions = list(regions_in_scope(user=user))
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    counters = []
    if has_capability(user, "elders.view"):
        from carecircle.elders.models import Elder, ElderStatus

        elders = visible_to(user, Elder).filter(status=ElderStatus.ACTIVE)
        counters.append(("elders", dict(elders.values_list("community").annotate(n=Count("id")))))
    if has_capability(user, "providers.view"):
        counters.append(("organisations", dict(visible_to(user, Organisation).values_list("region")
                                               .annotate(n=Count("id")))))
        counters.append(("facilities", dict(visible_to(user, Facility).values_list("community")
                                            .annotate(n=Count("id")))))
    for name, counts in counters:
        for path, n in _add_up(counts, regions).items():
            totals[path][name] = n
    nodes = {r.path: TreeNode(region=r) for r in regions}
    roots = []
    for region in regions:
        node = nodes[region.path]
        node.counts = {name: totals[region.path].get(name, 0) for name, _ in counters}
        parent_path = region.path[: region.path.rstrip("/").rfind("/") + 1]
        parent = nodes.get(parent_path)
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    for node in nodes.values():
        node.counts["children"] = len(node.children)
    return roots


def region_children(*, user, region: Region):
    return visible_to(user, Region).filter(parent=region).order_by("code")


def kind_choices():
    return RegionKind.choices
