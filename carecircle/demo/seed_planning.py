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
    guide = _guide_entries(rng)
    advisors, consultations = _advisors(rng, as_of)
    return {"populations": len(populations), "candidate_sites": len(sites), "guide_entries": guide,
            "advisors": advisors, "consultations": consultations}


# What the guide says of each type of facility in the demo (synthetic wording and prices).
GUIDE_TEXT = {
    "institution": ("长期入住、短期托养、医养结合护理", "失能、半失能及高龄老人", "按护理等级每月 4500—9000 元"),
    "small_care_home": ("短期托养、喘息服务、康复护理", "本街道失能、半失能老人", "每日 150—260 元"),
    "community_centre": ("助餐、日托、助浴、康复、养老顾问、健康咨询", "本街道 60 周岁及以上老人", "多数项目免费，部分按项目收费"),
    "day_centre": ("日间照护、午餐、文娱活动、康复训练", "本街道生活能自理或半自理的老人", "每月 800—1500 元"),
    "meal_point": ("堂食午餐、送餐上门", "本街道 60 周岁及以上老人", "午餐约 15 元，高龄和困难老人有补贴"),
    "activity_room": ("棋牌、阅读、兴趣小组", "本社区老人", "免费"),
    "nursing_station": ("上门护理、长护险居家护理、健康指导", "长护险评估等级二至六级老人及其他有需要的老人", "长护险按规定支付，个人自付 10%"),
    "advisor_point": ("养老政策咨询、服务申请代办、照护评估预约", "所有老人及家属", "免费"),
}
ADVISOR_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡"
ADVISOR_GIVEN = ("丽", "敏", "静", "军", "强", "芳", "华", "婷", "磊", "燕")


def _guide_entries(rng: random.Random) -> int:
    from carecircle.planning.models import GuideEntry
    from carecircle.providers.models import Facility

    GuideEntry.objects.filter(facility__is_active=True).delete()
    entries = []
    for facility in Facility.objects.filter(is_active=True).order_by("pk"):
        services, eligibility, prices = GUIDE_TEXT.get(facility.kind, ("", "", ""))
        if not services:
            continue
        entries.append(GuideEntry(facility=facility, services=services, eligibility=eligibility, prices=prices,
                                  phone=f"021-6{rng.randrange(1000000, 9999999)}"))
    GuideEntry.objects.bulk_create(entries)
    return len(entries)


def _advisors(rng: random.Random, as_of: dt.date) -> tuple[int, int]:
    """Two advisors a point (Xuhui: 29 points, 60 advisors) and 10–30 consultations each over the last three
    months, none referred (the demo's applications are seeded by the application app itself)."""
    from carecircle.planning.models import Advisor, Consultation, ConsultationTopic
    from carecircle.providers.models import Facility, FacilityKind

    Consultation.objects.all().delete()
    Advisor.objects.all().delete()
    advisors = []
    for point in Facility.objects.filter(kind=FacilityKind.ADVISOR_POINT, is_active=True).order_by("pk"):
        for _i in range(2):
            advisors.append(Advisor(point=point, name=rng.choice(ADVISOR_SURNAMES) + rng.choice(ADVISOR_GIVEN)
                                    + rng.choice(ADVISOR_GIVEN), since=as_of - dt.timedelta(days=rng.randrange(60, 900))))
    Advisor.objects.bulk_create(advisors)
    topics = ConsultationTopic.values
    advice = {"policy": "讲解了本区养老服务补贴和高龄津贴的条件", "subsidy": "说明长护险申请流程和所需材料",
              "assessment": "预约了照护需求评估", "home_service": "介绍了就近的居家养老服务机构",
              "meals": "介绍了就近的长者食堂和送餐服务", "day_care": "介绍了日间照料中心的服务和收费",
              "institution": "说明了机构入住轮候办法", "adaptation": "介绍了适老化改造补贴", "other": "记录了老人的需求并答复"}
    consultations = []
    for advisor in advisors:
        for _i in range(rng.randrange(10, 30)):
            topic = rng.choice(topics)
            consultations.append(Consultation(point_id=advisor.point_id, advisor=advisor, topic=topic,
                                              consulted_on=as_of - dt.timedelta(days=rng.randrange(0, 90)),
                                              advice=advice[topic]))
    Consultation.objects.bulk_create(consultations)
    return len(advisors), len(consultations)
