"""Policy parameters: inheritance down the tree, effective dates, corrections, validation, append-only."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.models import AppendOnlyError, AuditEvent, PolicyParameter
from carecircle.core.policy import MissingPolicyParameter, parameter_in_force, policy_value, specs, validate_value
from carecircle.core.services import policy_parameter_set

JAN, JUL = dt.date(2026, 1, 1), dt.date(2026, 7, 1)


def key_of(kind, item_kind=""):
    """A key of the seeded spec with this kind, so the tests follow the real catalogue."""
    for key, spec in sorted(specs().items()):
        if spec.kind == kind and (not item_kind or spec.item_kind == item_kind):
            return key
    pytest.fail(f"the policy catalogue has no {kind} {item_kind} parameter to test with")


def put(key, region, value, on, *, actor=None, confidence="official", source="沪府规〔2026〕1号"):
    return policy_parameter_set(actor=actor, key=key, region=region, value=value, effective_from=on, source=source,
                                confidence=confidence)


def test_a_city_value_is_inherited_by_every_descendant(district):
    key = key_of("money")
    put(key, district.city, "40.00", JAN)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("40.00")
    assert parameter_in_force(key, region=district.b1, on=JUL).region == district.city


def test_a_nearer_region_overrides_and_siblings_keep_the_inherited_value(district):
    key = key_of("money")
    put(key, district.city, "40.00", JAN)
    put(key, district.street_a, "45.00", JAN)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("45.00")
    assert policy_value(key, region=district.b1, on=JUL) == Decimal("40.00")


def test_a_nearer_region_wins_even_with_an_older_date(district):
    key = key_of("money")
    put(key, district.street_a, "45.00", JAN)
    put(key, district.city, "50.00", JUL)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("45.00")


def test_effective_dates_switch_on_the_day(district):
    key = key_of("money")
    put(key, district.district, "40.00", JAN)
    put(key, district.district, "42.50", JUL)
    assert policy_value(key, region=district.a1, on=JUL - dt.timedelta(days=1)) == Decimal("40.00")
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("42.50")
    with pytest.raises(MissingPolicyParameter):
        policy_value(key, region=district.a1, on=JAN - dt.timedelta(days=1))


def test_a_correction_is_a_newer_row_for_the_same_date(district):
    key = key_of("money")
    first = put(key, district.district, "40.00", JAN)
    correction = put(key, district.district, "41.00", JAN, source="更正通知")
    assert parameter_in_force(key, region=district.a1, on=JUL) == correction
    assert PolicyParameter.objects.filter(pk=first.pk).exists()  # the history keeps the first value


def test_rows_are_append_only(district):
    row = put(key_of("money"), district.district, "40.00", JAN)
    row.value = "1.00"
    with pytest.raises(AppendOnlyError):
        row.save()


@pytest.mark.parametrize("kind, item_kind, good, normalised, bad", [
    ("money", "", "12.5", "12.50", [12.5, "12.555", "-1", "abc", True]),
    ("ratio", "", "0.85", "0.85", ["1.5", "-0.1", "x"]),
    ("integer", "", 60, 60, ["60", 6.5, True]),
    ("number", "", 1.5, 1.5, ["x", True, None]),
    ("boolean", "", True, True, ["true", 1, None]),
    ("text", "", "按月", "按月", ["", "   ", 3]),
])
def test_every_scalar_kind_validates(kind, item_kind, good, normalised, bad):
    key = key_of(kind)
    assert validate_value(key, good) == normalised
    for value in bad:
        with pytest.raises(ValidationError) as error:
            validate_value(key, value)
        assert key in error.value.messages[0]


def test_tables_and_lists_validate_each_item():
    table, listing = key_of("table"), key_of("list")
    item = specs()[table].item_kind
    sample = {"money": "10.00", "integer": 3, "ratio": "0.5", "number": 2, "text": "x", "boolean": True}[item]
    assert validate_value(table, {"2": sample}) == {"2": sample}  # samples are already in normal form
    for bad in ({}, [], "x", {"2": object()}):
        with pytest.raises(ValidationError):
            validate_value(table, bad)
    list_item = specs()[listing].item_kind
    good_item = {"money": "10.00", "integer": 3, "ratio": "0.5", "number": 2, "text": "x", "boolean": True}[list_item]
    assert len(validate_value(listing, [good_item, good_item])) == 2
    for bad in ([], {}, [object()]):
        with pytest.raises(ValidationError):
            validate_value(listing, bad)


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError, match="未知的政策参数"):
        validate_value("no.such.key", 1)


def test_setting_needs_a_source_and_a_known_confidence(district):
    key = key_of("money")
    with pytest.raises(ValidationError) as error:
        put(key, district.district, "40.00", JAN, source="  ")
    assert "source" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        put(key, district.district, "40.00", JAN, confidence="rumour")
    assert "confidence" in error.value.message_dict
    assert not PolicyParameter.objects.filter(key=key).exists()


def test_setting_is_scoped_and_audited(district, users):
    key = key_of("money")
    with pytest.raises(PermissionDenied):
        put(key, district.district, "40.00", JAN, actor=users.street_staff)  # no policy.change
    with pytest.raises(PermissionDenied):
        put(key, district.city, "40.00", JAN, actor=users.district_admin)  # above their district
    row = put(key, district.street_b, "40.00", JAN, actor=users.district_admin)
    event = AuditEvent.objects.get(action="policy.set")
    assert event.subject_id == str(row.pk) and event.region == district.street_b
    assert event.changes["value"] == [None, "40.00"]


def test_values_from_app_data_or_memory_need_confirmation(district):
    key = key_of("money")
    assert put(key, district.district, "1.00", JAN, confidence="app_data").needs_confirmation
    assert put(key, district.district, "1.00", JAN, confidence="recalled").needs_confirmation
    assert not put(key, district.district, "1.00", JAN, confidence="official").needs_confirmation


def test_a_label_is_in_the_page_s_language_even_after_the_other_language_asked(district):
    from django.utils import translation

    from carecircle.core.policy import policy_label

    key = "staff.certificate_expiry_warning_days"
    for _round in range(2):
        with translation.override("zh-hans"):
            assert policy_label(key) == "资质证书到期预警天数"
        with translation.override("en"):
            assert policy_label(key) == "Days before certificate expiry to warn"
    with translation.override("en"):
        assert policy_label("no.such.key") != "no.such.key"


def test_a_parameter_reads_as_its_label_region_and_day_never_its_key(district):
    from django.utils import translation

    row = put("staff.certificate_expiry_warning_days", district.district, 30, JAN)
    with translation.override("zh-hans"):
        assert str(row) == "资质证书到期预警天数 · 徐汇区 · 2026-01-01"
    with translation.override("en"):
        assert "staff.certificate_expiry_warning_days" not in str(row)
        assert str(row).startswith("Days before certificate expiry to warn · ")


# --- the per-process snapshot: never a stale value --------------------------------------------------------------

def _insert_behind_the_orm(key, region, value, on):
    """A row written by another process: no signal reaches this one."""
    import json

    from django.db import connection
    from django.utils import timezone

    table = connection.ops.quote_name(PolicyParameter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (key, region_id, value, effective_from, source, confidence, note, "
                       f"created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                       [key, region.pk, json.dumps(value), on, "沪府规〔2026〕2号", "official", "", timezone.now()])


def test_a_value_written_here_is_read_at_once(district):
    key = key_of("money")
    put(key, district.city, "40.00", JAN)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("40.00")
    put(key, district.city, "41.00", JUL)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("41.00")


def test_a_value_written_by_another_process_is_read_on_the_next_look_up(district):
    key = key_of("money")
    put(key, district.city, "40.00", JAN)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("40.00")
    _insert_behind_the_orm(key, district.street_a, "47.50", JAN)
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("47.50")


def test_a_rolled_back_value_is_never_read(district):
    from django.db import transaction

    key = key_of("money")
    put(key, district.city, "40.00", JAN)
    with pytest.raises(RuntimeError), transaction.atomic():
        put(key, district.city, "99.00", JUL)
        assert policy_value(key, region=district.a1, on=JUL) == Decimal("99.00")
        raise RuntimeError("the request failed")
    assert policy_value(key, region=district.a1, on=JUL) == Decimal("40.00")


def test_within_a_request_the_table_is_asked_once_whatever_the_look_ups(district, django_assert_num_queries):
    from carecircle.core.request_cache import request_scope

    key = key_of("money")
    put(key, district.city, "40.00", JAN)
    policy_value(key, region=district.a1, on=JUL)  # the snapshot holds the key
    with request_scope(), django_assert_num_queries(1):
        for _ in range(5):
            assert policy_value(key, region=district.a1, on=JUL) == Decimal("40.00")
    with request_scope():
        policy_value(key, region=district.a1, on=JUL)
        put(key, district.city, "42.00", JUL)  # written inside the request: read at once, still
        assert policy_value(key, region=district.a1, on=JUL) == Decimal("42.00")
