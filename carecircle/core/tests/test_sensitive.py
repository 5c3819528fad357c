import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from carecircle.core.models import AuditEvent
from carecircle.core.sensitive import lookup_hash, mask_id_number, mask_name, mask_phone
from carecircle.elders.models import Elder


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_values_are_encrypted_at_rest(district):
    elder = district.elders.a1
    stored = raw("elders_elder", "id_number", elder.pk)
    assert elder.id_number not in stored and stored.startswith("gAAAA")
    assert "13800138000" not in raw("elders_elder", "phone", elder.pk)
    assert Elder.objects.get(pk=elder.pk).id_number == elder.id_number


def test_the_lookup_hash_is_normalised_and_not_the_value():
    value = "31010419400506001x"
    assert lookup_hash(value) == lookup_hash(" 31010419400506001X ")
    assert value.upper() not in lookup_hash(value) and len(lookup_hash(value)) == 64


def test_the_lookup_hash_changes_with_its_key(settings):
    first = lookup_hash("310104194005060011")
    settings.CARECIRCLE_LOOKUP_KEY = "another-key"
    assert lookup_hash("310104194005060011") != first


def test_rotation_keeps_old_rows_readable_and_rewrites_them(district, settings):
    old_key = settings.CARECIRCLE_FIELD_KEYS[0]
    elder = district.elders.b1
    before = raw("elders_elder", "id_number", elder.pk)
    new_key = Fernet.generate_key().decode()
    settings.CARECIRCLE_FIELD_KEYS = [new_key, old_key]
    assert Elder.objects.get(pk=elder.pk).id_number == elder.id_number  # old token, decrypted by the old key
    call_command("rotate_field_keys", "--batch-size", "2", stdout=open("/dev/null", "w"))
    after = raw("elders_elder", "id_number", elder.pk)
    assert after != before
    settings.CARECIRCLE_FIELD_KEYS = [new_key]  # the old key is gone: rows still decrypt
    assert Elder.objects.get(pk=elder.pk).id_number == elder.id_number
    assert sorted(Elder.objects.values_list("phone", flat=True)) == ["13800138000"] * 3
    assert AuditEvent.objects.filter(action="sensitive.rotate_keys").exists()


def test_without_the_right_key_decryption_fails_loudly(district, settings):
    settings.CARECIRCLE_FIELD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured):
        Elder.objects.get(pk=district.elders.a1.pk)


def test_an_empty_key_list_refuses_to_encrypt(settings):
    settings.CARECIRCLE_FIELD_KEYS = []
    from carecircle.core.sensitive import encrypt

    with pytest.raises(ImproperlyConfigured):
        encrypt("x")


@pytest.mark.parametrize("value, masked", [
    ("31010419400506001X", "310104********001X"), ("1234567890", "**********"), ("", "")])
def test_id_numbers_show_first_six_and_last_four(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize("value, masked", [("13800138000", "138****8000"), ("1234567", "*******"), ("", "")])
def test_phones_show_first_three_and_last_four(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value, masked", [("张三明", "张*明"), ("李四", "李*"), ("欧阳小明", "欧**明"), ("王", "王")])
def test_names_are_masked_for_public_pages(value, masked):
    assert mask_name(value) == masked


def test_audit_snapshots_never_hold_clear_values(district):
    from carecircle.core.audit import snapshot

    values = snapshot(district.elders.a1)
    assert district.elders.a1.id_number not in str(values)
    assert values["phone"] == "138****8000"
