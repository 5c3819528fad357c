import datetime as dt

import pytest

from carecircle.conftest import make_elder
from carecircle.elders.models import ElderStatus
from carecircle.elders.selectors import ElderFilters, bounded_count, elder_search

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(e.name for e in qs)


class TestText:
    def test_name_prefix(self, users, district):
        make_elder(district.a1, name="张秀兰")
        assert names(elder_search(users.district_admin, "张")) == ["张三明", "张秀兰"]
        assert names(elder_search(users.district_admin, "张三")) == ["张三明"]

    def test_name_is_a_prefix_not_a_substring(self, users, district):
        assert names(elder_search(users.district_admin, "三明")) == []

    @pytest.mark.parametrize("q", ["zsm", "ZSM", "zs", "zhangsanming", "zhangsan", "Zhang"])
    def test_pinyin_initials_and_full_pinyin(self, users, district, q):
        assert names(elder_search(users.district_admin, q)) == ["张三明"]

    def test_full_id_number_exact_including_lower_case_x(self, users, district):
        elder = make_elder(district.a1, name="刘德", id_number="11010519491231002X")
        assert list(elder_search(users.district_admin, "11010519491231002x")) == [elder]
        assert list(elder_search(users.district_admin, "11010519491231002")) == []

    def test_last_four_of_id(self, users, district):
        elder = district.elders.a2
        found = list(elder_search(users.district_admin, elder.id_number[-4:]))
        assert elder in found and all(e.id_number.endswith(elder.id_number[-4:]) for e in found)

    def test_phone_exact_with_separators(self, users, district):
        elder = make_elder(district.a1, name="周萍", phone="13611112222")
        assert list(elder_search(users.district_admin, "136-1111-2222")) == [elder]
        assert list(elder_search(users.district_admin, "1361111222")) == []

    def test_nonsense_finds_nothing(self, users, district):
        assert list(elder_search(users.district_admin, "!!")) == []


class TestScope:
    def test_street_worker_never_finds_another_streets_elder(self, users, district):
        other = district.elders.b1
        for q in ["王", "wjg", other.id_number, other.id_number[-4:], "13800138000", ""]:
            assert other not in list(elder_search(users.street_staff, q)), q
        assert other in list(elder_search(users.street_staff_b, other.id_number))

    def test_region_filter_cannot_widen_scope(self, users, district):
        assert list(elder_search(users.street_staff, "", ElderFilters(region=district.street_b.code))) == []

    def test_family_sees_only_linked_elder(self, users, district):
        assert list(elder_search(users.family, "")) == [district.elders.a2]

    def test_caregiver_sees_none(self, users, district):
        assert list(elder_search(users.caregiver, "")) == []


class TestFilters:
    def test_region_street_and_community(self, users, district):
        assert names(elder_search(users.district_admin, "", ElderFilters(region=district.street_a.code))) == [
            "张三明", "李秀英"]
        assert names(elder_search(users.district_admin, "", ElderFilters(region=district.a2.code))) == ["李秀英"]
        assert names(elder_search(users.district_admin, "", ElderFilters(region="nope"))) == []

    def test_age_band_edges(self, users, district):
        today = dt.date.today()
        exactly_80 = today.replace(year=today.year - 80) if not (today.month == 2 and today.day == 29) \
            else dt.date(today.year - 80, 2, 28)
        make_elder(district.a1, name="整八十", birth=exactly_80)
        make_elder(district.a1, name="差一天", birth=exactly_80 + dt.timedelta(days=1))
        found = names(elder_search(users.district_admin, "", ElderFilters(age_min=80, age_max=80)))
        assert "整八十" in found and "差一天" not in found
        assert "差一天" in names(elder_search(users.district_admin, "", ElderFilters(age_max=79)))

    def test_household_economic_status(self, users, district):
        make_elder(district.a1, name="钱低保", economic_category="min_living", household_type="alone")
        assert names(elder_search(users.district_admin, "", ElderFilters(household_type="alone"))) == [
            "张三明", "钱低保"]
        assert names(elder_search(users.district_admin, "", ElderFilters(economic_category="min_living"))) == [
            "钱低保"]

    def test_merged_records_are_hidden_unless_asked(self, users, district):
        a2 = district.elders.a2
        a2.status = ElderStatus.MERGED
        a2.merged_into = district.elders.a1
        a2.save()
        assert a2 not in list(elder_search(users.district_admin, ""))
        assert a2 in list(elder_search(users.district_admin, "", ElderFilters(status="all")))
        assert list(elder_search(users.district_admin, "", ElderFilters(status="merged"))) == [a2]

    def test_filters_from_query_params_ignore_garbage(self):
        filters = ElderFilters.from_params({"age_min": "abc", "age_max": "500", "region": " 310104 "})
        assert (filters.age_min, filters.age_max, filters.region) == (None, None, "310104")


def test_bounded_count(users, district):
    qs = elder_search(users.district_admin, "")
    assert bounded_count(qs) == (3, True)
    assert bounded_count(qs, limit=2) == (2, False)


@pytest.mark.parametrize("ids_limit", [0, 1, 2_000])
def test_filters_give_the_same_ordered_rows_whichever_way_they_are_fetched(users, district, monkeypatch, ids_limit):
    """Few matches are collected by id and sorted; many are read in name order with unindexed filters."""
    from carecircle.elders import selectors

    monkeypatch.setattr(selectors, "SORT_BY_IDS_LIMIT", ids_limit)
    for day, name in enumerate(("阿强", "包芳", "蔡明"), start=1):
        make_elder(district.a1, name=name, household_type="alone", birth=dt.date(1930, 1, day))
    make_elder(district.b1, name="艾华", household_type="alone", birth=dt.date(1930, 2, 1))
    filters = ElderFilters(household_type="alone", age_min=90, region=district.street_a.code)
    qs = elder_search(users.street_staff, "", filters)
    assert [e.name for e in qs] == sorted(["阿强", "包芳", "蔡明"], key=lambda n: n.encode())
    assert bounded_count(qs) == (3, True)
    assert list(elder_search(users.street_staff_b, "", filters)) == []
