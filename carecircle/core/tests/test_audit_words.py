"""The audit trail page reads as words: what was done, to which kind of record, and a table of field, old value
and new value; never action names, model labels, record ids or a Python dictionary."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.core import audit
from carecircle.core.audit_display import action_label, change_rows
from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals, visible_text

pytestmark = pytest.mark.django_db


def client_for(user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def events(district, users):
    elder = district.elders.a1
    audit.record(actor=users.street_staff, action="elders.update", subject=elder,
                 changes={"household_type": ["alone", "elderly_only"], "community": [district.a1.pk, district.a2.pk],
                          "has_disability_certificate": [False, True], "hash": "0f3a"}, reason="入户核实")
    audit.record(actor=users.street_staff, action="elders.status", subject=district.elders.b1,
                 changes={"status": ["active", "deceased"]})
    return elder


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_audit_page_shows_a_table_of_field_old_and_new_in_words(district, users, events, language):
    html = client_for(users.district_admin, language).get(reverse("core:audit-list")).content.decode()
    assert_no_internals(html, allow=[users.district_admin.username, users.street_staff.username], where="audit")
    text = visible_text(html)
    assert "elders.update" not in text and "elders.elder" not in text and "{'" not in html
    assert "0f3a" not in text  # a keyed hash says nothing to a reader
    rows = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", html)
    if language == "zh-hans":
        assert ("家庭类型", "独居", "纯老家庭") in rows or any(o == "独居" and n == "纯老家庭" for _f, o, n in rows)
        assert any(old == "否" and new == "是" for _f, old, new in rows)
        assert any(old == district.a1.name and new == district.a2.name for _f, old, new in rows)
        assert "老人档案" in text
    else:
        assert any(old == "No" and new == "Yes" for _f, old, new in rows)
        assert not any(old in {"alone", "active"} for _f, old, _new in rows)


def test_change_rows_use_verbose_names_and_choice_labels(district, users, events):
    event = AuditEvent.objects.get(action="elders.update")
    rows = {row.field: (row.old, row.new) for row in change_rows(event, users.district_admin)}
    from carecircle.elders.models import Elder

    household = str(Elder._meta.get_field("household_type").verbose_name)
    assert rows[household] == ("独居", "纯老家庭")
    assert rows[str(Elder._meta.get_field("community").verbose_name)] == (district.a1.name, district.a2.name)
    assert all("hash" not in field for field in rows)
    # A reference to a record that is gone says so; a reference the reader may not see is not named.
    gone = audit.record(actor=users.street_staff, action="elders.update", subject=district.elders.a1,
                        changes={"community": [987654, district.a2.pk]})
    assert change_rows(gone, users.district_admin)[0].old == "（已删除的记录）"
    merged = audit.record(actor=users.street_staff_b, action="elders.merge", subject=district.elders.b1,
                          changes={"merged_into": [None, district.elders.b1.pk]})
    assert district.elders.b1.name not in [r.new for r in change_rows(merged, users.street_staff)]


def test_actions_read_as_their_declared_label_or_in_words():
    assert action_label("intake.accept") == "受理"
    label = action_label("elders.update")
    assert "elders" not in label and "update" not in label and "修改" in label
