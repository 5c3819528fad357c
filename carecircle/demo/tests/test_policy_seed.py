"""The policy-parameter seed file and `carecircle seed_policy`."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from carecircle.conftest import make_region
from carecircle.core.models import AuditEvent, Confidence, PolicyParameter
from carecircle.core.policy import SPEC_FILE, policy_value, seed_values, specs, validate_value
from carecircle.core.policy_seed import policy_parameters_seed


def test_every_seed_value_is_valid_for_its_spec():
    for row in seed_values():
        validate_value(row["key"], row["value"])


def test_every_spec_has_a_value_and_every_value_a_spec():
    assert set(specs()) == {row["key"] for row in seed_values()}


def test_seed_rows_carry_region_date_source_and_a_known_confidence():
    for row in seed_values():
        assert row["region"] in {"310000", "310104"}, row["key"]
        dt.date.fromisoformat(row["effective_from"])
        assert row["source"].strip(), row["key"]
        assert row["confidence"] in Confidence.values, row["key"]


def test_money_is_written_as_strings_with_two_decimals():
    raw = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    kinds = {spec["key"]: (spec["kind"], spec["item_kind"]) for spec in raw["specs"]}
    checked = 0
    for row in raw["values"]:
        kind, item_kind = kinds[row["key"]]
        if kind == "money" or item_kind == "money":
            amounts = row["value"].values() if kind == "table" else [row["value"]]
            for amount in amounts:
                assert isinstance(amount, str) and Decimal(amount).as_tuple().exponent == -2, row["key"]
                checked += 1
    assert checked > 10


def test_unverified_values_are_flagged_for_confirmation():
    by_key = {row["key"]: row for row in seed_values()}
    assert by_key["ltci.institution.fund_share"]["confidence"] == "recalled"
    assert by_key["benefits.age_allowance.monthly"]["confidence"] == "app_data"
    assert by_key["ltci.home.fund_share"]["confidence"] == "page"
    assert by_key["staff.certificate_expiry_warning_days"] == {**by_key["staff.certificate_expiry_warning_days"],
                                                               "region": "310104", "value": 60, "confidence": "local"}


@pytest.fixture
def shanghai(db):
    city = make_region("310000", "上海市", "city")
    district = make_region("310104", "徐汇区", "district", city)
    street = make_region("310104003", "天平路街道", "street", district)
    return city, district, street


def test_seed_policy_refuses_clearly_when_the_regions_are_missing(db):
    with pytest.raises(CommandError, match="310000"):
        call_command("seed_policy")
    assert PolicyParameter.objects.count() == 0


def test_seed_policy_adds_every_value_once_and_is_idempotent(shanghai):
    call_command("seed_policy")
    total = len(seed_values())
    assert PolicyParameter.objects.count() == total
    assert AuditEvent.objects.filter(action="policy.set").count() == total
    call_command("seed_policy")
    assert PolicyParameter.objects.count() == total
    assert AuditEvent.objects.filter(action="policy.set").count() == total


def test_seeded_values_are_read_back_with_district_overriding_city(shanghai):
    city, district, street = shanghai
    policy_parameters_seed(actor=None)
    on = dt.date(2026, 6, 1)
    assert policy_value("ltci.home.visits_per_week", region=street, on=on) == {"2": 3, "3": 3, "4": 5, "5": 7, "6": 7}
    assert policy_value("ltci.home.fund_share", region=street, on=on) == Decimal("0.90")
    assert policy_value("planning.beds_ratio_of_registered_elders", region=city, on=on) == Decimal("0.035")
    assert policy_value("planning.beds_ratio_of_registered_elders", region=street, on=on) == Decimal("0.025")
    assert policy_value("benefits.age_allowance.monthly", region=street, on=on)["100"] == Decimal("600.00")
    assert policy_value("staff.certificate_expiry_warning_days", region=street, on=on) == 60


def _row(**overrides):
    row = {"key": "staff.certificate_expiry_warning_days", "region": "310104", "value": 60,
           "effective_from": "2024-01-01", "source": "本地决定", "confidence": "local", "note": ""}
    return {**row, **overrides}


def test_a_changed_value_is_added_as_a_new_dated_row(shanghai):
    _city, district, _street = shanghai
    assert policy_parameters_seed(raw_values=[_row()]).added == 1
    report = policy_parameters_seed(raw_values=[_row(), _row(value=45)])
    assert (report.added, report.skipped) == (1, 1)
    assert policy_value("staff.certificate_expiry_warning_days", region=district, on=dt.date(2026, 1, 1)) == 45


@pytest.mark.parametrize("bad, message", [
    ({"value": 60.5}, "整数"),
    ({"key": "no.such.key"}, "未知的政策参数"),
    ({"effective_from": "2024-13-01"}, "生效日期"),
    ({"source": " "}, "来源"),
    ({"confidence": "sure"}, "可信度"),
])
def test_bad_seed_rows_are_refused_and_nothing_is_written(shanghai, bad, message):
    with pytest.raises(ValidationError) as caught:
        policy_parameters_seed(raw_values=[_row(key="ltci.home.hours_per_visit", value=1),
                                           _row(**bad)])
    assert any(message in text for text in caught.value.messages)
    assert PolicyParameter.objects.count() == 0


def test_money_as_a_float_is_refused_with_the_key_named(shanghai):
    with pytest.raises(ValidationError) as caught:
        policy_parameters_seed(raw_values=[_row(key="meals.dine_in.min_spend", value=15.0)])
    assert "meals.dine_in.min_spend" in caught.value.messages[0]


def test_the_seed_file_must_give_every_spec_a_value():
    from carecircle.core.policy_seed import _checked_rows

    without_one = [row for row in seed_values() if row["key"] != "hotline.number"]
    with pytest.raises(ValidationError, match="hotline.number"):
        _checked_rows(without_one, every_spec=True)
