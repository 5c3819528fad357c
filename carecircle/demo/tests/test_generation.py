"""Pure parts of the demo generator: geography, people, population mix (no database)."""
import datetime as dt
import random
from collections import Counter

from carecircle.demo import geography, people, population
from carecircle.demo.services import SCALES, _bed_sizes
from carecircle.elders.identity import age_on, parse_id_number

XUHUI_STREETS = {"天平路街道", "湖南路街道", "斜土路街道", "枫林路街道", "长桥街道", "田林街道", "虹梅路街道",
                 "康健新村街道", "徐家汇街道", "凌云路街道", "龙华街道", "漕河泾街道", "华泾镇"}


def _inside(inner, outer):
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_thirteen_real_streets_with_district_codes_inside_the_district_box():
    assert {s.name for s in geography.STREETS} == XUHUI_STREETS
    codes = [s.code for s in geography.STREETS]
    assert len(set(codes)) == 13 and all(c.startswith("310104") and len(c) == 9 for c in codes)
    for street in geography.STREETS:
        assert _inside((street.south, street.west, street.north, street.east), geography.DISTRICT_BOX)


def test_about_300_communities_with_unique_codes_and_names_inside_their_street():
    communities = geography.all_communities()
    assert 290 <= len(communities) <= 310
    assert len({c.code for c in communities}) == len(communities)
    assert len({c.name for c in communities}) == len(communities)
    streets = {s.code: s for s in geography.STREETS}
    for community in communities:
        street = streets[community.street_code]
        assert community.code.startswith(street.code) and len(community.code) == 12
        assert community.name.endswith("居委会")
        assert _inside((community.south, community.west, community.north, community.east),
                       (street.south, street.west, street.north, street.east))


def test_community_boundaries_do_not_overlap():
    boxes = [(c.south, c.west, c.north, c.east) for c in geography.all_communities()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_id_numbers_are_distinct_valid_and_carry_birth_date_and_sex():
    ids = people.IdNumberAllocator()
    rng = random.Random(3)
    seen = set()
    for _ in range(3000):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30))  # crowd few birth dates
        gender = rng.choice("MF")
        number = ids.allocate("310104", birth, gender)
        facts = parse_id_number(number)
        assert (facts.birth_date, facts.gender, facts.area_code) == (birth, gender, "310104")
        seen.add(number)
    assert len(seen) == 3000


def test_birth_date_gives_exactly_the_asked_age():
    rng = random.Random(5)
    on = dt.date(2028, 2, 29)
    for age in (60, 79, 80, 100):
        for _ in range(50):
            assert age_on(people.birth_date_for_age(rng, age, on), on) == age


def test_credit_codes_pass_the_gb32100_checksum():
    # A published example code, to check the checksum arithmetic against something outside this module.
    body = "91350100M000100Y4"
    total = sum(people.CREDIT_ALPHABET.index(ch) * w for ch, w in zip(body, people.CREDIT_WEIGHTS))
    assert people.CREDIT_ALPHABET[(31 - total % 31) % 31] == "3"
    code = people.credit_code("91", "310104", 12)
    assert len(code) == 18 and code.startswith("91310104")
    assert len({people.credit_code("52", "310104", n) for n in range(1, 500)}) == 499


def test_population_mix_follows_the_xuhui_figures():
    rng = random.Random(11)
    community = geography.all_communities()[0]
    records = [population.elder_record(rng, community, people.IdNumberAllocator()) for _ in range(20000)]
    ages = [age_on(r.birth_date, population.POPULATION_DATE) for r in records]
    share = lambda n: n / len(records)  # noqa: E731
    assert min(ages) >= 60
    assert abs(share(sum(a >= 80 for a in ages)) - 0.187) < 0.01
    households = Counter(r.household_type for r in records)
    assert abs(share(households["alone"]) - 0.043) < 0.006
    assert abs(share(households["elderly_only"]) - 0.24) < 0.02
    poor = sum(r.economic_category in {"min_living", "extreme_poverty"} for r in records)
    assert 0.01 < share(poor) < 0.03
    assert 0.3 < share(sum(bool(r.contacts) for r in records)) < 0.7
    assert any(c.holds_key for r in records for c in r.contacts)


def test_contacts_of_a_father_share_his_family_name():
    rng = random.Random(2)
    community = geography.all_communities()[0]
    for _ in range(500):
        record = population.elder_record(rng, community, people.IdNumberAllocator())
        for contact in record.contacts:
            if record.gender == "M" and contact.relation in {"儿子", "女儿"}:
                assert contact.name[0] == record.name[0]


def test_generation_is_a_function_of_the_seed():
    community = geography.all_communities()[5]

    def names(seed):
        rng = random.Random(f"{seed}:elders")
        ids = people.IdNumberAllocator()
        return [(r.name, r.id_number, r.lat) for r in (population.elder_record(rng, community, ids) for _ in range(50))]

    assert names(1) == names(1)
    assert names(1) != names(2)


def test_community_sizes_sum_exactly_to_the_total():
    communities = geography.all_communities()
    for total in (300, 5000, 320_000):
        sizes = population.community_sizes(random.Random(1), communities, total)
        assert sum(sizes) == total and min(sizes) >= 0


def test_district_scale_has_57_institutions_with_6829_beds():
    plan = SCALES["district"]
    sizes = _bed_sizes(random.Random(1), plan)
    assert len(sizes) == 57 and sum(sizes) == 6829
    assert all(20 <= beds <= 49 for beds in sizes[: plan.small_care_homes])
    assert plan.elders == 320_000 and plan.day_centres == 28 and plan.meal_points == 107
