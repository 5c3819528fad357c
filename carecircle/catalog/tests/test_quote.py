"""Worked examples of prices and splits on an on-demand order, for each economic category; contract prices,
packages, policy values changing on a date, and bad input."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from carecircle.catalog.models import ContractPrice
from carecircle.catalog.services import contract_price_set, quote
from carecircle.conftest import make_elder
from carecircle.core.models import AuditEvent, PolicyParameter
from carecircle.core.policy import policy_label
from carecircle.core.services import policy_parameter_set

ON = dt.date(2026, 11, 20)


def _parts_add_up(q):
    for line in q.lines:
        assert line.fund + line.subsidy + line.self_pay == line.amount
        for value in (line.amount, line.fund, line.subsidy, line.self_pay, line.unit_price):
            assert value.as_tuple().exponent == -2
    assert q.total == sum(line.amount for line in q.lines)
    assert q.fund + q.subsidy + q.self_pay == q.total


@pytest.fixture
def elders(policy, catalogue):
    def elder(index, category, name):
        return make_elder(policy.a1, name=name, economic_category=category, birth=dt.date(1940, 1, 1 + index))

    return {c: elder(i, c, n) for i, (c, n) in enumerate([("general", "周一般"), ("min_living", "吴低保"), ("low_income", "郑低收"),
                                          ("near_poverty", "冯边缘"), ("extreme_poverty", "陈特困")])}


def test_general_elder_pays_the_whole_order(elders):
    q = quote(elder=elders["general"], on=ON, lines=[("gb-bathing", 1)])
    [line] = q.lines
    assert (line.unit_price, line.amount, line.fund, line.subsidy, line.self_pay) == (
        D("80.00"), D("80.00"), D("0.00"), D("0.00"), D("80.00"))
    assert any("服务项目单价（按项目编码）：助浴服务" in rule for rule in line.rules)
    assert any("不享受政府购买服务补贴" in rule for rule in line.rules)
    _parts_add_up(q)


@pytest.mark.parametrize("category,subsidy,self_pay", [
    ("min_living", "80.00", "0.00"),       # share 100 %, budget 400/month
    ("extreme_poverty", "80.00", "0.00"),  # share 100 %, budget 400/month
    ("low_income", "80.00", "0.00"),       # share 100 %, budget 300/month
    ("near_poverty", "40.00", "40.00"),    # share 50 %, budget 300/month
    ("general", "0.00", "80.00"),          # no subsidy
])
def test_subsidy_by_economic_category(elders, category, subsidy, self_pay):
    q = quote(elder=elders[category], on=ON, lines=[("gb-cleaning", 2)])  # 2 h × 40.00
    [line] = q.lines
    assert line.amount == D("80.00")
    assert (line.subsidy, line.self_pay) == (D(subsidy), D(self_pay))
    _parts_add_up(q)


def test_monthly_subsidy_budget_runs_out(elders):
    q = quote(elder=elders["min_living"], on=ON, lines=[("gb-cleaning", 2), ("gb-meal", 10)], subsidy_used=D("350"))
    cleaning, meals = q.lines
    assert (cleaning.subsidy, cleaning.self_pay) == (D("50.00"), D("30.00"))
    assert (meals.subsidy, meals.self_pay) == (D("0.00"), D("150.00"))
    assert any("额度不足" in rule for rule in cleaning.rules)
    assert q.subsidy == D("50.00") and q.self_pay == D("180.00")
    _parts_add_up(q)


def test_ltci_items_priced_from_the_hourly_rate_and_not_funded_on_an_order(elders):
    q = quote(elder=elders["general"], on=ON, lines=[("ltci-b06", 1), ("ltci-c01", 2), ("ltci-home-hour", D("1.5"))])
    bath, enema, hours = q.lines
    assert bath.unit_price == D("30.00")  # 45.00/h × 40 min
    assert enema.unit_price == D("18.75") and enema.amount == D("37.50")  # nurse 75.00/h × 15 min
    assert hours.amount == D("67.50")
    assert all(line.fund == D("0.00") for line in q.lines)
    assert any("按需下单" in rule for rule in bath.rules)
    _parts_add_up(q)


def test_plan_basis_without_a_care_level_has_no_fund(elders):
    q = quote(elder=elders["general"], on=ON, lines=[("ltci-home-hour", 1)], basis="plan")
    assert q.lines[0].fund == D("0.00") and q.lines[0].self_pay == D("45.00")
    assert any("没有可享受长护险待遇的照护等级" in rule for rule in q.lines[0].rules)
    assert q.entitlement is None


def test_package_priced_from_the_package_table(elders):
    q = quote(elder=elders["near_poverty"], on=ON, lines=[("pkg-housekeeping", 1)])
    [line] = q.lines
    assert line.is_package and line.amount == D("160.00") and line.subsidy == D("80.00")
    assert any(policy_label("catalog.package.price[pkg-housekeeping]") in rule for rule in line.rules)
    assert not any("catalog.package.price" in rule for rule in line.rules)  # a label, not the key


def test_contract_price_wins_for_that_provider_from_its_date(elders, users, policy, catalogue):
    row = contract_price_set(actor=users.district_admin, organisation=policy.provider, item=catalogue["gb-bathing"],
                             unit_price="70", effective_from=dt.date(2026, 11, 1), note="2026 年服务协议")
    assert AuditEvent.objects.filter(action="catalog.contract_price_create", subject_id=str(row.pk)).exists()
    elder = elders["general"]
    assert quote(elder=elder, on=ON, lines=[("gb-bathing", 1)], provider=policy.provider).total == D("70.00")
    assert quote(elder=elder, on=dt.date(2026, 10, 31), lines=[("gb-bathing", 1)],
                 provider=policy.provider).total == D("80.00")
    assert quote(elder=elder, on=ON, lines=[("gb-bathing", 1)], provider=policy.other_provider).total == D("80.00")


def test_contract_price_bad_input(users, policy, catalogue):
    for kwargs, field in [({"unit_price": "-1"}, "unit_price"), ({"unit_price": "abc"}, "unit_price"),
                          ({"unit_price": "10", "effective_until": dt.date(2026, 1, 1)}, "effective_until")]:
        with pytest.raises(ValidationError) as error:
            contract_price_set(actor=users.district_admin, organisation=policy.provider,
                               item=catalogue["gb-bathing"], effective_from=dt.date(2026, 2, 1), **kwargs)
        assert field in error.value.message_dict
    assert not ContractPrice.objects.exists()


def test_policy_values_changing_on_a_date(elders, users, policy):
    table = PolicyParameter.objects.filter(key="catalog.price.item").latest("effective_from").value
    policy_parameter_set(actor=users.district_admin, key="catalog.price.item", region=policy.district,
                         value={**table, "gb-bathing": "90.00"}, effective_from=dt.date(2026, 12, 1),
                         source="区民政局 2026 年价格调整通知", confidence="official")
    policy_parameter_set(actor=users.district_admin, key="gov_purchase.subsidy_share", region=policy.district,
                         value={"near_poverty": "0.80"}, effective_from=dt.date(2026, 12, 1),
                         source="区民政局 2026 年价格调整通知", confidence="official")
    elder = elders["near_poverty"]
    before = quote(elder=elder, on=dt.date(2026, 11, 30), lines=[("gb-bathing", 1)]).lines[0]
    after = quote(elder=elder, on=dt.date(2026, 12, 1), lines=[("gb-bathing", 1)]).lines[0]
    assert (before.amount, before.subsidy, before.self_pay) == (D("80.00"), D("40.00"), D("40.00"))
    assert (after.amount, after.subsidy, after.self_pay) == (D("90.00"), D("72.00"), D("18.00"))
    assert any("2026-12-01" in rule for rule in after.rules)


@pytest.mark.parametrize("lines,kwargs,message", [
    ([("no-such-item", 1)], {}, "no-such-item"),
    ([("gb-meal", 0)], {}, "大于 0"),
    ([("gb-meal", D("1.5"))], {}, "整数"),
    ([("gb-cleaning", D("1.005"))], {}, "两位小数"),
    ([("gb-cleaning", "abc")], {}, "不是数字"),
    ([], {}, "至少"),
    ([("gb-meal", 1)], {"basis": "whatever"}, "whatever"),
    ([("gb-meal", 1)], {"setting": "moon"}, "moon"),
    ([("gb-meal", 1)], {"subsidy_used": "-5"}, "负数"),
])
def test_bad_input_is_named(elders, lines, kwargs, message):
    with pytest.raises(ValidationError) as error:
        quote(elder=elders["general"], on=ON, lines=lines, **kwargs)
    assert message in " ".join(error.value.messages)


def test_inactive_items_and_inactive_elders_are_refused(elders, catalogue):
    item = catalogue["gb-adapt-special"]
    item.is_active = False
    item.save()
    with pytest.raises(ValidationError, match="gb-adapt-special"):
        quote(elder=elders["general"], on=ON, lines=[("gb-adapt-special", 1)])
    elder = elders["general"]
    elder.status = "deceased"
    elder.save()
    with pytest.raises(ValidationError, match="死亡"):
        quote(elder=elder, on=ON, lines=[("gb-meal", 1)])


def test_missing_policy_value_is_named(elders):
    PolicyParameter.objects.filter(key="catalog.price.hourly_by_qualification").delete()
    with pytest.raises(ValidationError, match="上门服务小时单价"):
        quote(elder=elders["general"], on=ON, lines=[("ltci-b01", 1)])
    with pytest.raises(ValidationError, match="服务项目单价"):
        PolicyParameter.objects.filter(key="catalog.price.item").delete()
        quote(elder=elders["general"], on=ON, lines=[("gb-meal", 1)])


def test_catalogue_writes_need_the_change_capability_in_the_service_itself(users, policy, catalogue):
    from django.core.exceptions import PermissionDenied

    from carecircle.catalog.services import service_item_create, service_item_update

    with pytest.raises(PermissionDenied):
        contract_price_set(actor=users.provider_admin, organisation=policy.provider, item=catalogue["gb-bathing"],
                           unit_price="70", effective_from=dt.date(2026, 11, 1))
    with pytest.raises(PermissionDenied):
        service_item_update(item=catalogue["gb-bathing"], actor=users.provider_admin, reason="改名", name="洗澡")
    with pytest.raises(PermissionDenied):
        service_item_create(actor=users.caregiver, code="x-new", name="新项目", category="life", unit="time")
    assert not ContractPrice.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="catalog.").exclude(actor=None).exists()
