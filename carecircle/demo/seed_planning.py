"""Planning data of the demo district: each community's residents and households (about 3.5 residents per
person aged 60+ and 2.4 residents a household, the proportions of Xuhui's figures in DESIGN.md §5; four in
five estates old), and a district pool of candidate sites — spare buildings spread over the streets — for the
site studies. Synthetic: no real building is named."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Count

from carecircle.elders.models import Elder, ElderStatus
from carecircle.planning.models import CandidateSite, CommunityPopulation, EstateType
from carecircle.regions.models import Region, RegionKind

SITE_KINDS = ("社区用房", "原菜场二楼", "闲置校舍", "原居委办公楼", "街道配套用房", "商务楼底层", "原粮油站", "文化站附楼")
SITES_PER_STREET = 8
DEMO = "演示数据"


def _box(region: Region) -> tuple[float, float, float, float] | None:
    from carecircle.regions.geometry import bounding_box

    return bounding_box(region.boundary)


def demo_planning_seed(*, rng: random.Random, as_of: dt.date) -> dict[str, int]:
    # A reset keeps the region tree; earlier demo rows are replaced, not duplicated.
    CommunityPopulation.objects.filter(source=DEMO).delete()
    CandidateSite.objects.filter(note=DEMO).delete()
    elders = dict(Elder.objects.filter(status=ElderStatus.ACTIVE).values_list("community").annotate(n=Count("id")))
    populations = []
    for community in Region.objects.filter(kind=RegionKind.COMMUNITY).order_by("path"):
        older = elders.get(community.pk, 0)
        if not older:
            continue
        residents = int(older * rng.uniform(3.0, 4.0))
        populations.append(CommunityPopulation(
            community=community, as_of=as_of.replace(month=1, day=1), residents=residents,
            households=int(residents / rng.uniform(2.2, 2.6)),
            estate_type=EstateType.NEW if rng.random() < 0.2 else EstateType.OLD, source=DEMO))
    CommunityPopulation.objects.bulk_create(populations)
    district = Region.objects.filter(kind=RegionKind.DISTRICT).order_by("path").first()
    sites = []
    for street in Region.objects.filter(kind=RegionKind.STREET).order_by("path"):
        box = _box(street)
        if box is None or district is None:
            continue
        south, west, north, east = box
        for i in range(SITES_PER_STREET):
            lat = Decimal(f"{rng.uniform(south, north):.6f}")
            lng = Decimal(f"{rng.uniform(west, east):.6f}")
            sites.append(CandidateSite(region=district, name=f"{street.name}{SITE_KINDS[i % len(SITE_KINDS)]}{i + 1}号",
                                       address=f"{street.name}演示路 {rng.randrange(1, 400)} 号", lat=lat, lng=lng,
                                       floor_area_m2=Decimal(rng.randrange(150, 900)), note=DEMO))
    CandidateSite.objects.bulk_create(sites)
    return {"populations": len(populations), "candidate_sites": len(sites)}
