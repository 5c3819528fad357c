"""Who lives in the demo district: the older residents of one community, drawn from a `random.Random`.

Pure generation (no database): the services turn these records into model rows. The mix follows the
Xuhui figures in DESIGN.md §5 — 320,100 residents aged 60+, 59,800 of them 80+ (18.7 %), 13,800 living
alone (4.3 %), 78,300 in elderly-only households (about 24 %) — plus a few per cent on 低保/特困.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from . import people
from .geography import CommunityPlan

# Ages of the generated population hold on this date. It is fixed, not today's date, so that a seed
# always yields the same people; everyone stays 60+ on any later day.
POPULATION_DATE = dt.date(2026, 1, 1)

# (youngest, oldest, share of the 60+ population, share of women in the band)
AGE_BANDS = (
    (60, 69, 0.500, 0.51),
    (70, 79, 0.313, 0.53),
    (80, 89, 0.155, 0.57),
    (90, 99, 0.030, 0.65),
    (100, 104, 0.002, 0.75),
)
# Living alone grows with age; the weighted mean is the district's 4.3 %.
ALONE_SHARE = {60: 0.030, 70: 0.045, 80: 0.070, 90: 0.070, 100: 0.070}
ELDERLY_ONLY_SHARE = 0.24
INSTITUTION_SHARE = {60: 0.005, 70: 0.005, 80: 0.06, 90: 0.08, 100: 0.10}
WITH_OTHERS_SHARE = 0.05
ECONOMIC_SHARES = (("extreme_poverty", 0.003), ("min_living", 0.015), ("near_poverty", 0.008),
                   ("low_income", 0.015))
NON_LOCAL_SHARE = 0.08
CHRONIC_CONDITIONS = (("高血压", 0.45), ("糖尿病", 0.20), ("冠心病", 0.12), ("骨关节病", 0.15), ("慢阻肺", 0.06),
                      ("脑卒中后遗症", 0.05), ("阿尔茨海默病", 0.04), ("帕金森病", 0.02))
CONTACT_RELATIONS = {"child": ("儿子", "女儿", "儿媳", "女婿"), "other": ("侄子", "外甥女", "邻居", "楼组长")}
# Grid coordinates are kept this far (degrees, about 1 m) inside the community boundary.
INSIDE_MARGIN = 0.00001


@dataclass
class ContactRecord:
    name: str
    relation: str
    phone: str
    holds_key: bool
    priority: int


@dataclass
class ElderRecord:
    name: str
    gender: str
    birth_date: dt.date
    id_number: str
    phone: str
    address: str
    lat: str
    lng: str
    household_type: str
    registration: str
    economic_category: str
    has_disability_certificate: bool
    chronic_conditions: list[str]
    contacts: list[ContactRecord] = field(default_factory=list)


def _band(rng: random.Random):
    pick = rng.random()
    total = 0.0
    for band in AGE_BANDS:
        total += band[2]
        if pick < total:
            return band
    return AGE_BANDS[-1]


def _household(rng: random.Random, band_start: int) -> str:
    pick = rng.random()
    for kind, share in (("alone", ALONE_SHARE[band_start]), ("institution", INSTITUTION_SHARE[band_start]),
                        ("elderly_only", ELDERLY_ONLY_SHARE), ("with_others", WITH_OTHERS_SHARE)):
        if pick < share:
            return kind
        pick -= share
    return "with_children"


def _economic(rng: random.Random) -> str:
    pick = rng.random()
    for category, share in ECONOMIC_SHARES:
        if pick < share:
            return category
        pick -= share
    return "general"


def point_inside(rng: random.Random, community: CommunityPlan) -> tuple[str, str]:
    """Latitude and longitude (6 decimals, as strings) strictly inside the community's boundary."""
    ring = community.boundary["coordinates"][0]
    west, south = ring[0]
    east, north = ring[2]
    lat = rng.uniform(south + INSIDE_MARGIN, north - INSIDE_MARGIN)
    lng = rng.uniform(west + INSIDE_MARGIN, east - INSIDE_MARGIN)
    return f"{lat:.6f}", f"{lng:.6f}"


def _contacts(rng: random.Random, elder_family_name: str, elder_gender: str, household: str) -> list[ContactRecord]:
    wants_contact = 0.9 if household == "alone" else 0.5
    if household == "institution" or rng.random() >= wants_contact:
        return []
    result = []
    for priority in range(1, rng.choice((1, 1, 2)) + 1):
        kind = "child" if rng.random() < 0.8 else "other"
        relation = rng.choice(CONTACT_RELATIONS[kind])
        gender = "M" if relation in {"儿子", "女婿", "侄子"} else ("F" if relation != "邻居" and relation != "楼组长"
                                                             else rng.choice("MF"))
        # A son or daughter of a father carries his family name.
        family_name = elder_family_name if relation in {"儿子", "女儿"} and elder_gender == "M" else None
        holds_key = rng.random() < (0.6 if household == "alone" else 0.2)
        result.append(ContactRecord(name=people.younger_name(rng, gender, family_name), relation=relation,
                                    phone=people.mobile_number(rng), holds_key=holds_key, priority=priority))
    return result


def elder_record(rng: random.Random, community: CommunityPlan, ids: people.IdNumberAllocator) -> ElderRecord:
    band_start, band_end, _share, female_share = _band(rng)
    gender = "F" if rng.random() < female_share else "M"
    birth = people.birth_date_for_age(rng, rng.randint(band_start, band_end), POPULATION_DATE)
    family_name = people.surname(rng)
    name = people.elder_name(rng, gender, family_name)
    non_local = rng.random() < NON_LOCAL_SHARE
    area_code = rng.choice(people.OTHER_AREA_CODES) if non_local else "310104"
    household = _household(rng, band_start)
    phone_pick = rng.random()
    if phone_pick < 0.05:
        phone = ""
    else:
        phone = people.landline_number(rng) if phone_pick < 0.30 else people.mobile_number(rng)
    lat, lng = point_inside(rng, community)
    old = band_start >= 80
    return ElderRecord(
        name=name, gender=gender, birth_date=birth, id_number=ids.allocate(area_code, birth, gender), phone=phone,
        address=people.home_address(rng, community.roads), lat=lat, lng=lng, household_type=household,
        registration="resident" if non_local else "local", economic_category=_economic(rng),
        has_disability_certificate=rng.random() < (0.12 if old else 0.05),
        chronic_conditions=[c for c, share in CHRONIC_CONDITIONS if rng.random() < share * (1.3 if old else 1.0)],
        contacts=_contacts(rng, family_name, gender, household),
    )


def community_sizes(rng: random.Random, communities: list[CommunityPlan], total: int) -> list[int]:
    """Split `total` residents over the communities: uneven weights, sizes summing exactly to `total`."""
    weights = [rng.lognormvariate(0, 0.35) for _ in communities]
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    sizes = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - sizes[i], reverse=True)
    for i in by_remainder[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes
