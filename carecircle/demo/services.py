"""Writes of the demo app: build the synthetic district (`demo_district_seed`) and wipe it (`demo_data_reset`).

The demo district follows DESIGN.md §5 (Xuhui): 13 streets/towns, about 300 communities, 57 institutions
with 6,829 beds, 13 community comprehensive centres, 28 day centres, 107 meal points, 320,100 residents
aged 60+ at district scale — and proportionally fewer at the smaller scales. Everything drawn at random
comes from `random.Random` seeded with `--seed`, so a seed always gives the same district; only
certificate expiry dates are placed relative to `as_of`, so that "expiring soon" means soon on the day
the demo is shown.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from carecircle.accounts.models import User
from carecircle.core import audit
from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.core.policy_seed import PolicySeedReport, policy_parameters_seed
from carecircle.core.roles import Role
from carecircle.core.sensitive import lookup_hash
from carecircle.elders.models import Elder, ElderAccountLink, EmergencyContact
from carecircle.providers.models import (Certificate, Contract, Facility, FacilityKind, Organisation,
                                         OrganisationKind, Qualification, ServiceArea, StaffMember, StaffPosition)
from carecircle.regions.models import Region, RegionKind

from . import geography, people, population, seed_assessment, seed_careplans, seed_catalog, seed_dispatch
from . import (seed_benefits, seed_billing, seed_hotline, seed_inspections, seed_intake, seed_meals, seed_planning,
               seed_quality, seed_visits)

ELDER_BATCH = 2000
DEMO_PASSWORD_PREFIX = "Demo-2026!"
TIANPING, FENGLIN = "310104003", "310104008"


@dataclass(frozen=True)
class Scale:
    elders: int
    institutions: int  # including the small community care homes
    small_care_homes: int
    total_beds: int | None  # exact district total, or None to let sizes fall where they may
    day_centres: int
    meal_points: int
    nursing_stations: int
    activity_rooms: int
    advisor_points: int
    home_care_providers: int
    canteen_operators: int
    caregivers_per_provider: int
    assessors_per_agency: int
    hotline_operators: int


SCALES = {
    "tiny": Scale(elders=300, institutions=4, small_care_homes=1, total_beds=None, day_centres=3, meal_points=6,
                  nursing_stations=2, activity_rooms=4, advisor_points=2, home_care_providers=6,
                  canteen_operators=2, caregivers_per_provider=3, assessors_per_agency=2, hotline_operators=2),
    "small": Scale(elders=5000, institutions=12, small_care_homes=3, total_beds=None, day_centres=8, meal_points=25,
                   nursing_stations=4, activity_rooms=30, advisor_points=8, home_care_providers=12,
                   canteen_operators=3, caregivers_per_provider=10, assessors_per_agency=6, hotline_operators=6),
    "district": Scale(elders=320_000, institutions=57, small_care_homes=14, total_beds=6829, day_centres=28,
                      meal_points=107, nursing_stations=11, activity_rooms=305, advisor_points=29,
                      home_care_providers=40, canteen_operators=8, caregivers_per_provider=35,
                      assessors_per_agency=30, hotline_operators=20),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope: str

    def as_dict(self) -> dict:
        return {"username": self.username, "password": self.password, "role": self.role, "scope": self.scope}


@dataclass
class DemoSeedReport:
    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)
    policy: PolicySeedReport | None = None


class DemoDataPresent(ValidationError):
    """The database already holds data; seeding again would duplicate it."""


def existing_data_counts() -> dict[str, int]:
    """What would be duplicated or mixed with a new demo district."""
    return {
        "elders": Elder.objects.count(),
        "organisations": Organisation.objects.count(),
        # Accounts retired by a reset are inactive and stay only for the audit trail.
        "users": User.objects.filter(is_superuser=False, is_active=True).count(),
    }


# ------------------------------------------------------------------------------------------ seeding

def demo_district_seed(*, actor=None, scale: str = "small", seed: int = 1, as_of: dt.date,
                       progress: Callable[[int], None] | None = None,
                       stage: Callable[[str], None] | None = None) -> DemoSeedReport:
    """Build the demo district into an empty database, in one transaction, and audit it as one event.

    Refuses (DemoDataPresent) when elders, organisations or non-superuser accounts already exist.
    `progress` is told how many elders were written; `stage` what is being built after them (the steps
    after the elders take as long again, and a bar standing at 100 % would say nothing).
    """
    def announce(what):
        if stage is not None:
            stage(what)

    if scale not in SCALES:
        raise ValidationError({"scale": _("未知的规模“%(scale)s”，应为 %(choices)s")
                               % {"scale": scale, "choices": "/".join(SCALES)}})
    counts = existing_data_counts()
    if any(counts.values()):
        raise DemoDataPresent(
            _("数据库中已有数据（老人 %(elders)d 人、机构 %(organisations)d 家、账号 %(users)d 个），"
              "再次写入会产生重复。如要重建演示数据，请加 --reset（清除演示数据，审计记录保留）。") % counts
        )
    plan = SCALES[scale]
    report = DemoSeedReport(scale=scale, seed=seed)
    with transaction.atomic():
        regions = _ensure_regions()
        report.policy = policy_parameters_seed(actor=actor)
        ids = people.IdNumberAllocator()
        orgs = _seed_organisations(random.Random(f"{seed}:organisations"), plan, regions, ids, as_of)
        elder_refs = _seed_elders(random.Random(f"{seed}:elders"), plan, regions, ids, progress)
        report.accounts = _seed_accounts(orgs, regions, elder_refs)
        announce(_("服务目录与合同价格"))
        seed_catalog.demo_catalogue_seed(actor=actor, rng=random.Random(f"{seed}:catalog"), as_of=as_of)
        announce(_("能力评估与照护等级"))
        seed_assessment.demo_assessment_seed(actor=actor, rng=random.Random(f"{seed}:assessment"), as_of=as_of)
        report.accounts += _assessor_partner_accounts(report.accounts)
        announce(_("照护计划、按需订单与工单"))
        seed_careplans.demo_careplans_seed(rng=random.Random(f"{seed}:careplans"), as_of=as_of)
        announce(_("护理员班次"))
        seed_dispatch.demo_dispatch_seed(rng=random.Random(f"{seed}:dispatch"), as_of=as_of)
        announce(_("申请、公示与轮候"))
        seed_intake.demo_intake_seed(actor=actor, rng=random.Random(f"{seed}:intake"), as_of=as_of)
        seed_visits.demo_visits_seed(rng=random.Random(f"{seed}:visits"), as_of=as_of)
        seed_quality.demo_quality_seed(rng=random.Random(f"{seed}:quality"), as_of=as_of)
        seed_planning.demo_planning_seed(rng=random.Random(f"{seed}:planning"), as_of=as_of)
        seed_inspections.demo_inspections_seed(rng=random.Random(f"{seed}:inspections"), as_of=as_of)
        seed_hotline.demo_hotline_seed(rng=random.Random(f"{seed}:hotline"), as_of=as_of)
        report.accounts += seed_meals.demo_meals_seed(rng=random.Random(f"{seed}:meals"), as_of=as_of)["accounts"]
        seed_benefits.demo_benefits_seed(rng=random.Random(f"{seed}:benefits"), as_of=as_of)
        announce(_("上月结算、申报审核与到账"))
        seed_billing.demo_billing_seed(rng=random.Random(f"{seed}:billing"), as_of=as_of)
        report.counts = {
            "streets": len(geography.STREETS),
            "communities": len(regions.communities),
            "organisations": Organisation.objects.count(),
            "facilities": Facility.objects.count(),
            "beds": sum(Facility.objects.values_list("beds", flat=True)),
            "service_areas": ServiceArea.objects.count(),
            "staff": StaffMember.objects.count(),
            "certificates": Certificate.objects.count(),
            "elders": Elder.objects.count(),
            "emergency_contacts": EmergencyContact.objects.count(),
            "accounts": len(report.accounts),
        }
        audit.record(actor=actor, action="demo.seeded", subject_type="demo.district",
                     subject_id=geography.DISTRICT[0], subject_repr=geography.DISTRICT[1],
                     changes={"scale": scale, "seed": seed, "as_of": as_of, **report.counts},
                     region=regions.district)
    return report


@dataclass
class _Regions:
    city: Region
    district: Region
    streets: dict[str, Region]
    communities: dict[str, Region]
    plans: dict[str, geography.CommunityPlan]


class _RegionWriter:
    """Creates missing regions in bulk, one level at a time, and brings existing ones back to the plan."""

    def __init__(self, codes: list[str]):
        self.existing = {region.code: region for region in Region.objects.filter(code__in=codes)}

    def level(self, rows) -> dict[str, Region]:
        """rows: (code, name, kind, parent, centroid, boundary) of one level of the tree."""
        result, missing = {}, []
        for code, name, kind, parent, centroid, boundary in rows:
            values = {"name": name, "kind": kind, "parent": parent, "boundary": boundary,
                      "centroid_lat": centroid[0] if centroid else None,
                      "centroid_lng": centroid[1] if centroid else None}
            region = self.existing.get(code)
            if region is None:
                region = Region(code=code, **values)
                region.path = region.build_path()  # bulk_create bypasses save(), which sets the path
                missing.append(region)
            elif any(getattr(region, attribute) != value for attribute, value in values.items()):
                for attribute, value in values.items():
                    setattr(region, attribute, value)
                region.save()
            result[code] = region
        Region.objects.bulk_create(missing)
        return result


def _ensure_regions() -> _Regions:
    """The fixed region tree, created or brought back to the demo geography (codes never change)."""
    plans = {plan.code: plan for plan in geography.all_communities()}
    writer = _RegionWriter([geography.CITY[0], geography.DISTRICT[0], *(s.code for s in geography.STREETS), *plans])
    city = writer.level([(*geography.CITY, RegionKind.CITY, None, None, None)])[geography.CITY[0]]
    south, west, north, east = geography.DISTRICT_BOX
    district = writer.level([(*geography.DISTRICT, RegionKind.DISTRICT, city,
                              (Decimal(f"{(south + north) / 2:.6f}"), Decimal(f"{(west + east) / 2:.6f}")),
                              geography.district_boundary())])[geography.DISTRICT[0]]
    streets = writer.level([(street.code, street.name, RegionKind.STREET, district, geography.street_centroid(street),
                             geography.street_boundary(street)) for street in geography.STREETS])
    communities = writer.level([(plan.code, plan.name, RegionKind.COMMUNITY, streets[plan.street_code], plan.centroid,
                                 plan.boundary) for plan in plans.values()])
    return _Regions(city=city, district=district, streets=streets, communities=communities, plans=plans)


# ------------------------------------------------------------------------ organisations and staff

PROVIDER_WORDS = ("福寿", "安康", "乐龄", "颐和", "康悦", "怡养", "仁爱", "馨苑", "长青", "松鹤", "佰仁", "申康",
                  "汇康", "徐乐", "福苑", "家福", "孝亲", "尚善", "静安", "瑞福", "康乃馨", "同乐", "益寿", "永乐",
                  "和睦", "百岁", "银杏", "暖阳", "金秋", "惠民")
PROVIDER_FORMS = (("居家养老服务有限公司", "91"), ("养老服务社", "52"), ("社区助老服务中心", "52"))
INSTITUTION_FORMS = ("养老院", "敬老院", "颐养院", "护理院", "老年公寓", "福利院")
CANTEEN_WORDS = ("味道", "好食", "邻家", "康膳", "福膳", "乐膳", "惠食", "家常")


@dataclass
class _Organisations:
    providers: list[Organisation]
    provider_streets: dict[int, set[str]]
    agencies: list[Organisation]
    hotline: Organisation
    caregivers_by_org: dict[int, list[StaffMember]]


class _Serials:
    def __init__(self):
        self.credit = 0
        self.certificate = 0
        self.contract = 0

    def next_credit(self, prefix: str) -> str:
        self.credit += 1
        return people.credit_code(prefix, "310104", self.credit)


def _unique_names(rng: random.Random, words: tuple[str, ...], forms, count: int) -> list:
    combos = [(w, f) for w in words for f in forms]
    rng.shuffle(combos)
    if count > len(combos):
        raise ValueError("not enough distinct organisation names for this scale")
    return combos[:count]


def _seed_organisations(rng: random.Random, plan: Scale, regions: _Regions, ids: people.IdNumberAllocator,
                        as_of: dt.date) -> _Organisations:
    serials = _Serials()
    street_codes = [s.code for s in geography.STREETS]
    communities_by_street = defaultdict(list)
    for code, community_plan in regions.plans.items():
        communities_by_street[community_plan.street_code].append(code)
    facilities: list[Facility] = []
    staff_plan: list[tuple[Organisation, str, int]] = []  # (organisation, position, how many)

    def organisation(name, kind, prefix, region, address="") -> Organisation:
        return Organisation.objects.create(
            name=name, kind=kind, credit_code=serials.next_credit(prefix), region=region, address=address,
            contact_name=people.younger_name(rng, rng.choice("MF")), contact_phone=people.landline_number(rng),
        )

    def facility(org, name, kind, community_code, **extra) -> Facility:
        community_plan = regions.plans[community_code]
        lat, lng = population.point_inside(rng, community_plan)
        item = Facility(organisation=org, name=name, kind=kind, community=regions.communities[community_code],
                        address=people.street_address(rng, community_plan.roads), lat=lat, lng=lng, **extra)
        facilities.append(item)
        return item

    def short(community_code: str) -> str:
        return regions.plans[community_code].name.removesuffix("居委会")

    # One community comprehensive centre per street; its organisation also runs the street's day
    # centres, activity rooms and advisor points (the chain model Nantong and Xuhui use).
    centre_orgs = {}
    for street_plan in geography.STREETS:
        street = regions.streets[street_plan.code]
        org = organisation(f"{street_plan.name}社区综合为老服务中心", OrganisationKind.COMMUNITY_CENTRE, "52", street)
        centre_orgs[street_plan.code] = org
        home = communities_by_street[street_plan.code][len(communities_by_street[street_plan.code]) // 2]
        facility(org, org.name, FacilityKind.COMMUNITY_CENTRE, home,
                 floor_area_m2=rng.randrange(1500, 3200), opening_hours="08:00-17:00")
        staff_plan += [(org, StaffPosition.MANAGER, 1), (org, StaffPosition.SOCIAL_WORKER, 2),
                       (org, StaffPosition.CAREGIVER, 2)]
    all_communities = list(regions.plans)
    for kind, count, label, area in (
        (FacilityKind.DAY_CENTRE, plan.day_centres, "老年人日间照护中心", (300, 800)),
        (FacilityKind.ACTIVITY_ROOM, plan.activity_rooms, "老年活动室", (50, 200)),
        (FacilityKind.ADVISOR_POINT, plan.advisor_points, "养老顾问点", (20, 60)),
    ):
        placed = Counter()
        for community_code in _spread(rng, all_communities, count):
            org = centre_orgs[regions.plans[community_code].street_code]
            placed[community_code] += 1
            number = "" if placed[community_code] == 1 else f"（{placed[community_code]}）"
            facility(org, f"{short(community_code)}{label}{number}", kind, community_code,
                     floor_area_m2=rng.randrange(*area), opening_hours="08:30-16:30")

    # Institutions and small community care homes: each its own organisation.
    sizes = _bed_sizes(rng, plan)
    for index, beds in enumerate(sizes):
        community_code = rng.choice(all_communities)
        street_code = regions.plans[community_code].street_code
        small_home = index < plan.small_care_homes
        if small_home:
            name = f"{geography.STREETS[street_codes.index(street_code)].name}{short(community_code)}长者照护之家"
        else:
            name = f"徐汇区{short(community_code)}{rng.choice(INSTITUTION_FORMS)}"
        if Organisation.objects.filter(name=name).exists():
            name = f"{name}（{index + 1}部）"
        org = organisation(name, OrganisationKind.INSTITUTION, "52", regions.streets[street_code])
        facility(org, name, FacilityKind.SMALL_CARE_HOME if small_home else FacilityKind.INSTITUTION, community_code,
                 beds=beds, nursing_beds=round(beds * rng.uniform(0.55, 0.75)),
                 floor_area_m2=beds * rng.randrange(28, 45),
                 opening_hours="24小时")
        staff_plan += [(org, StaffPosition.MANAGER, 1), (org, StaffPosition.CAREGIVER, max(2, beds // 8)),
                       (org, StaffPosition.NURSE, max(1, beds // 30)), (org, StaffPosition.COOK, 1 + beds // 100)]

    # Home-care providers: each based in one street and serving its neighbours, 3–5 per community.
    providers, provider_streets = [], {}
    for word, (form, prefix) in _unique_names(rng, PROVIDER_WORDS, PROVIDER_FORMS, plan.home_care_providers):
        base = rng.choice(street_codes)
        org = organisation(f"上海{word}{form}", OrganisationKind.HOME_CARE, prefix, regions.streets[base])
        providers.append(org)
        reach = 2 if plan.home_care_providers >= 30 else 5
        start = street_codes.index(base)
        provider_streets[org.pk] = {street_codes[(start + k) % len(street_codes)] for k in range(reach)}
        staff_plan += [(org, StaffPosition.MANAGER, 1), (org, StaffPosition.CAREGIVER, plan.caregivers_per_provider),
                       (org, StaffPosition.NURSE, max(1, plan.caregivers_per_provider // 10))]
    # Nursing stations deliver LTCI home nursing in their own street.
    nursing_stations = []
    for index in range(plan.nursing_stations):
        community_code = rng.choice(all_communities)
        street_code = regions.plans[community_code].street_code
        org = organisation(f"上海徐汇{short(community_code)}护理站", OrganisationKind.NURSING_STATION, "52",
                           regions.streets[street_code])
        facility(org, org.name, FacilityKind.NURSING_STATION, community_code, floor_area_m2=rng.randrange(100, 300),
                 opening_hours="08:00-18:00")
        nursing_stations.append((org, street_code))
        staff_plan += [(org, StaffPosition.MANAGER, 1),
                       (org, StaffPosition.NURSE, max(2, plan.caregivers_per_provider // 4)),
                       (org, StaffPosition.THERAPIST, 1)]
    # Canteen operators run the meal points (长者食堂 and 助餐点).
    canteen_orgs = [organisation(f"上海{word}餐饮管理有限公司", OrganisationKind.CANTEEN, "91", regions.district)
                    for word in rng.sample(CANTEEN_WORDS, plan.canteen_operators)]
    for index, community_code in enumerate(_spread(rng, all_communities, plan.meal_points)):
        label = "长者食堂" if index % 4 == 0 else "助餐点"
        facility(canteen_orgs[index % len(canteen_orgs)], f"{short(community_code)}{label}", FacilityKind.MEAL_POINT,
                 community_code, floor_area_m2=rng.randrange(80, 300), opening_hours="10:30-13:00")
    for org in canteen_orgs:
        staff_plan.append((org, StaffPosition.COOK, 4))
    agencies = [organisation(name, OrganisationKind.ASSESSMENT_AGENCY, "52", regions.district)
                for name in ("上海明鉴老年照护评估事务所", "上海衡康养老评估中心")]
    staff_plan += [(org, StaffPosition.ASSESSOR, plan.assessors_per_agency) for org in agencies]
    hotline = organisation("徐汇区为老服务呼叫中心", OrganisationKind.HOTLINE_CENTRE, "52", regions.district)
    staff_plan += [(hotline, StaffPosition.OPERATOR, plan.hotline_operators), (hotline, StaffPosition.MANAGER, 1)]
    Facility.objects.bulk_create(facilities)

    service_areas = []
    for community_code, community_plan in regions.plans.items():
        candidates = [p for p in providers if community_plan.street_code in provider_streets[p.pk]]
        if len(candidates) < 5:
            candidates = providers
        for provider in rng.sample(candidates, rng.randint(3, min(5, len(candidates)))):
            service_areas.append(ServiceArea(organisation=provider, community=regions.communities[community_code],
                                             since=dt.date(2024, 1, 1)))
    for org, street_code in nursing_stations:
        service_areas += [ServiceArea(organisation=org, community=regions.communities[code], since=dt.date(2024, 1, 1))
                          for code in communities_by_street[street_code]]
    for street_code, org in centre_orgs.items():
        service_areas += [ServiceArea(organisation=org, community=regions.communities[code], since=dt.date(2024, 1, 1))
                          for code in communities_by_street[street_code]]
    ServiceArea.objects.bulk_create(service_areas)

    contracts = []
    for org in [*providers, *(o for o, _s in nursing_stations)]:
        for programme in ("长护险社区居家照护", "政府购买居家养老服务"):
            serials.contract += 1
            contracts.append(Contract(organisation=org, region=regions.district,
                                      number=f"XH-{as_of.year}-{serials.contract:04d}",
                                      programme=programme, starts_on=dt.date(as_of.year, 1, 1),
                                      ends_on=dt.date(as_of.year + 2, 12, 31)))
    Contract.objects.bulk_create(contracts)

    caregivers_by_org = _seed_staff(rng, staff_plan, ids, serials, as_of)
    return _Organisations(providers=providers, provider_streets=provider_streets, agencies=agencies, hotline=hotline,
                          caregivers_by_org=caregivers_by_org)


def _spread(rng: random.Random, communities: list[str], count: int) -> list[str]:
    """`count` communities in random order, each used once before any is used twice."""
    result = []
    while len(result) < count:
        result += rng.sample(communities, min(len(communities), count - len(result)))
    return result


def _bed_sizes(rng: random.Random, plan: Scale) -> list[int]:
    """Beds per institution: small care homes 20–49, institutions 60–300; exact total at district scale."""
    homes = [rng.randint(20, 49) for _ in range(plan.small_care_homes)]
    others = [rng.randint(60, 300) for _ in range(plan.institutions - plan.small_care_homes)]
    if plan.total_beds is not None and others:
        remaining = plan.total_beds - sum(homes)
        weights = others
        others = [max(30, int(remaining * w / sum(weights))) for w in weights]
        others[-1] += remaining - sum(others)
    return homes + others


# Qualifications by position: (qualification, weight); how long a certificate stays valid (years; None:
# never expires).
QUALIFICATIONS = {
    StaffPosition.CAREGIVER: ((Qualification.CARE_WORKER_5, 40), (Qualification.CARE_WORKER_4, 35),
                              (Qualification.CARE_WORKER_3, 20), (Qualification.CARE_WORKER_2, 5)),
    StaffPosition.NURSE: ((Qualification.REGISTERED_NURSE, 1),),
    StaffPosition.THERAPIST: ((Qualification.REHAB_THERAPIST, 1),),
    StaffPosition.SOCIAL_WORKER: ((Qualification.SOCIAL_WORKER, 1),),
    StaffPosition.ASSESSOR: ((Qualification.ASSESSOR, 1),),
    StaffPosition.COOK: ((Qualification.FOOD_SAFETY, 1),),
    StaffPosition.MANAGER: ((Qualification.HEALTH_MANAGER, 1),),
    StaffPosition.OPERATOR: (),
}
VALIDITY_YEARS = {Qualification.REGISTERED_NURSE: 5, Qualification.ASSESSOR: 3, Qualification.FOOD_SAFETY: 1,
                  Qualification.MEDICAL_CARE: 4, Qualification.CARE_WORKER_5: 4, Qualification.CARE_WORKER_4: 4}
EXPIRED_SHARE, EXPIRING_SHARE = 0.04, 0.06
EXPIRING_WITHIN_DAYS = 59


def _certificate_dates(rng: random.Random, qualification: str, as_of: dt.date) -> tuple[dt.date, dt.date | None]:
    years = VALIDITY_YEARS.get(qualification)
    if years is None:
        return as_of - dt.timedelta(days=rng.randint(100, 3000)), None
    pick = rng.random()
    if pick < EXPIRED_SHARE:
        expires = as_of - dt.timedelta(days=rng.randint(1, 200))
    elif pick < EXPIRED_SHARE + EXPIRING_SHARE:
        expires = as_of + dt.timedelta(days=rng.randint(1, EXPIRING_WITHIN_DAYS))
    else:
        expires = as_of + dt.timedelta(days=rng.randint(EXPIRING_WITHIN_DAYS + 31, years * 365 - 1))
    return expires - dt.timedelta(days=years * 365), expires


def _seed_staff(rng, staff_plan, ids: people.IdNumberAllocator, serials: _Serials, as_of: dt.date):
    members: list[StaffMember] = []
    positions = []
    for org, position, count in staff_plan:
        for _index in range(count):
            women = 0.85 if position in {StaffPosition.CAREGIVER, StaffPosition.NURSE} else 0.5
            gender = "F" if rng.random() < women else "M"
            birth = people.birth_date_for_age(rng, rng.randint(24, 58), population.POPULATION_DATE)
            area = rng.choice(people.OTHER_AREA_CODES) if rng.random() < 0.7 else "310104"
            id_number = ids.allocate(area, birth, gender)
            members.append(StaffMember(
                organisation=org, name=people.younger_name(rng, gender), gender=gender, id_number=id_number,
                id_number_hash=lookup_hash(id_number), phone=people.mobile_number(rng), position=position,
                dialects=rng.choice(("", "", "上海话", "苏北话", "安徽话")),
                hired_on=as_of - dt.timedelta(days=rng.randint(30, 3650)),
            ))
            positions.append(position)
    StaffMember.objects.bulk_create(members, batch_size=1000)
    certificates = []
    for member, position in zip(members, positions):
        options = QUALIFICATIONS[position]
        if not options:
            continue
        held = [rng.choices([q for q, _w in options], weights=[w for _q, w in options])[0]]
        if position == StaffPosition.CAREGIVER and rng.random() < 0.3:
            held.append(Qualification.MEDICAL_CARE)
        for qualification in held:
            issued, expires = _certificate_dates(rng, qualification, as_of)
            serials.certificate += 1
            certificates.append(Certificate(staff=member, qualification=qualification, issued_on=issued,
                                            expires_on=expires,
                                            number=f"{issued.year}{serials.certificate:07d}"))
    Certificate.objects.bulk_create(certificates, batch_size=1000)
    caregivers = defaultdict(list)
    for member in members:
        if member.position == StaffPosition.CAREGIVER:
            caregivers[member.organisation_id].append(member)
    return caregivers


# ----------------------------------------------------------------------------------------- elders

@dataclass
class _ElderRefs:
    """The first elders generated in 天平路街道: the elder and family demo accounts act for them."""
    tianping: list[Elder] = field(default_factory=list)


def _seed_elders(rng: random.Random, plan: Scale, regions: _Regions, ids: people.IdNumberAllocator,
                 progress) -> _ElderRefs:
    refs = _ElderRefs()
    plans = list(regions.plans.values())
    sizes = population.community_sizes(rng, plans, plan.elders)
    pending: list[tuple[Elder, list]] = []

    def flush():
        elders = [elder for elder, _contacts in pending]
        for elder in elders:
            elder.fill_derived()
        Elder.objects.bulk_create(elders)
        EmergencyContact.objects.bulk_create(
            [EmergencyContact(elder=elder, name=c.name, relation=c.relation, phone=c.phone, holds_key=c.holds_key,
                              priority=c.priority) for elder, contacts in pending for c in contacts]
        )
        if progress is not None:
            progress(len(pending))
        pending.clear()

    for community_plan, size in zip(plans, sizes):
        community = regions.communities[community_plan.code]
        for _index in range(size):
            record = population.elder_record(rng, community_plan, ids)
            elder = Elder(
                name=record.name, gender=record.gender, birth_date=record.birth_date, id_number=record.id_number,
                phone=record.phone, community=community, address=record.address, lat=record.lat, lng=record.lng,
                household_type=record.household_type, registration=record.registration,
                economic_category=record.economic_category,
                has_disability_certificate=record.has_disability_certificate,
                chronic_conditions=record.chronic_conditions,
            )
            pending.append((elder, record.contacts))
            at_home = record.household_type != "institution"
            if community_plan.street_code == TIANPING and len(refs.tianping) < 2 and at_home:
                refs.tianping.append(elder)
            if len(pending) >= ELDER_BATCH:
                flush()
    if pending:
        flush()
    return refs


# --------------------------------------------------------------------------------------- accounts

def _assessor_partner_accounts(known: list[DemoAccount]) -> list[DemoAccount]:
    """The second assessor of each agency (two assessors confirm every result), so the printed logins
    hold everyone needed to finish an assessment."""
    names = {account.username for account in known}
    partners = (User.objects.filter(role=Role.ASSESSOR, username__endswith="_partner", is_active=True,
                                    organisation__isnull=False).exclude(username__in=names)
                .select_related("organisation").order_by("username"))
    return [DemoAccount(username=user.username, password=seed_assessment.PARTNER_PASSWORD, role=Role.ASSESSOR,
                        scope=user.organisation.name) for user in partners]


def _seed_accounts(orgs: _Organisations, regions: _Regions, refs: _ElderRefs) -> list[DemoAccount]:
    if len(refs.tianping) < 2:
        raise ValidationError(_("天平路街道没有足够的老人来建立老人和家属演示账号"))
    elder, relative_of = refs.tianping
    home = elder.community
    provider = next(p for p in orgs.providers if ServiceArea.objects.filter(organisation=p, community=home).exists())
    caregiver_staff = orgs.caregivers_by_org[provider.pk][0]
    accounts: list[DemoAccount] = []

    def account(username, role, scope_label, **scope) -> User:
        password = f"{DEMO_PASSWORD_PREFIX}{role}"
        user = User.objects.create_user(username=username, password=password, role=role, **scope,
                                        display_name=_demo_display_name(role, scope_label))
        accounts.append(DemoAccount(username=username, password=password, role=role, scope=scope_label))
        return user

    district = regions.district
    account("district_admin", Role.DISTRICT_ADMIN, district.name, scope_region=district)
    account("street_tianping", Role.STREET_STAFF, regions.streets[TIANPING].name,
            scope_region=regions.streets[TIANPING])
    account("street_fenglin", Role.STREET_STAFF, regions.streets[FENGLIN].name, scope_region=regions.streets[FENGLIN])
    account("community_worker", Role.COMMUNITY_WORKER, home.name, scope_region=home)
    account("assessor", Role.ASSESSOR, orgs.agencies[0].name, organisation=orgs.agencies[0])
    account("provider_admin", Role.PROVIDER_ADMIN, provider.name, organisation=provider)
    caregiver = account("caregiver", Role.CAREGIVER, provider.name, organisation=provider)
    caregiver_staff.user = caregiver
    caregiver_staff.save(update_fields=["user"])
    account("operator", Role.OPERATOR, district.name, scope_region=district)
    account("inspector", Role.INSPECTOR, district.name, scope_region=district)
    elder_user = account("elder", Role.ELDER, elder.name)
    ElderAccountLink.objects.create(user=elder_user, elder=elder, relation=_("本人"))
    family_user = account("family", Role.FAMILY, relative_of.name)
    ElderAccountLink.objects.create(user=family_user, elder=relative_of, relation=_("女儿"))
    return accounts


def _demo_display_name(role: str, scope_label: str) -> str:
    """The elder and family accounts carry a person's name; a staff account is shown by its role and place,
    made when it is shown (accounts.User.shown_name), so it reads in the reader's language."""
    return scope_label[:50] if role in (Role.ELDER, Role.FAMILY) else ""


# ------------------------------------------------------------------------------------------ reset

# Never deleted by a reset: the audit trail, the dated policy history, and the region tree (audit events
# point at regions, and the demo geography is the same for every seed).
KEPT_MODELS = (AuditEvent, PolicyParameter, Region)


def demo_data_reset(*, actor=None) -> dict[str, int]:
    """Remove the demo district's people, organisations and accounts (and whatever depends on them).

    Accounts that appear in the audit trail are kept but retired (deactivated and renamed) so the trail
    still names them; every other non-superuser account is deleted.
    """
    deleted: Counter = Counter()
    with transaction.atomic():
        retired = 0
        audited_ids = set(AuditEvent.objects.filter(actor__isnull=False).values_list("actor_id", flat=True))
        for user in User.objects.filter(is_superuser=False, pk__in=audited_ids):
            if not user.username.startswith("retired-"):
                user.username = f"retired-{user.pk}-{user.username}"[:150]
                retired += 1
            user.is_active = False
            user.organisation = None
            user.set_unusable_password()
            user.save()
        deleted.update(_delete_settlements())
        deleted.update(_delete_with_dependants(
            User.objects.filter(is_superuser=False).exclude(pk__in=audited_ids)))
        deleted.update(_delete_with_dependants(Elder.objects.only("pk")))
        deleted.update(_delete_with_dependants(Organisation.objects.only("pk")))
        summary = {label: count for label, count in sorted(deleted.items()) if count}
        summary["retired_accounts"] = retired
        audit.record(actor=actor, action="demo.reset", subject_type="demo.district",
                     subject_id=geography.DISTRICT[0], subject_repr=geography.DISTRICT[1], changes=summary,
                     region=Region.objects.filter(code=geography.DISTRICT[0]).first())
    return summary


def _delete_settlements() -> Counter:
    """The months settled from the demo's visits: payments, lines (corrections before the lines they replace),
    held visits, claims and the runs themselves (a run points at the district, which a reset keeps)."""
    from carecircle.billing.models import (Basis, Claim, ClaimLine, Completion, HeldVisit, Payment, Reopening,
                                           SettlementRun)

    deleted: Counter = Counter()
    deleted.update(Payment.objects.all().delete()[1])
    while ClaimLine.objects.exists():  # a line nothing replaces first: a correction protects what it replaces
        deleted.update(ClaimLine.objects.filter(corrections__isnull=True).delete()[1])
    for queryset in (HeldVisit.objects.all(), Claim.objects.all(), Basis.objects.all(), Reopening.objects.all(),
                     SettlementRun.objects.all(), Completion.objects.all()):
        deleted.update(queryset.delete()[1])
    return deleted


def _delete_with_dependants(queryset, depth: int = 0) -> Counter:
    """Delete the rows, first deleting whatever protects them from deletion (other apps' records)."""
    deleted: Counter = Counter()
    for _attempt in range(20):
        try:
            with transaction.atomic():
                _total, per_model = queryset.delete()
            deleted.update(per_model)
            return deleted
        except (ProtectedError, RestrictedError) as exc:
            blockers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", set())
            by_model = defaultdict(set)
            for obj in blockers:
                by_model[type(obj)._meta.concrete_model].add(obj.pk)
            for model, pks in by_model.items():
                if model in KEPT_MODELS or depth > 10:
                    raise ValidationError(_("演示数据被 %(model)s 引用，无法自动清除") % {"model": model._meta.verbose_name})
                deleted.update(_delete_with_dependants(model._default_manager.filter(pk__in=pks), depth + 1))
    raise ValidationError(_("清除演示数据失败：依赖关系过于复杂"))
