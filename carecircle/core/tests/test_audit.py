import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from carecircle.core import audit
from carecircle.core.jobs import job_finish, job_progress, job_start
from carecircle.core.models import AppendOnlyError, AuditEvent


def test_events_cannot_be_changed_or_deleted_through_the_model(district, users):
    event = audit.record(actor=users.district_admin, action="regions.update", subject=district.a1)
    event.reason = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_the_database_refuses_update_and_delete(district, users):
    event = audit.record(actor=users.district_admin, action="regions.update", subject=district.a1)
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET action = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "regions.update"


@pytest.fixture
def events(district, users):
    a = audit.record(actor=users.street_staff, action="elders.update", subject=district.elders.a1, reason="核对")
    b = audit.record(actor=users.street_staff_b, action="elders.update", subject=district.elders.b1)
    c = audit.record(actor=users.district_admin, action="providers.organisation_update", subject=district.provider)
    return a, b, c


def test_the_page_filters_and_is_scoped(district, users, events, client):
    client.force_login(users.inspector)
    body = client.get(reverse("core:audit-list")).content.decode()
    assert "street_a" in body and "street_b" in body
    body = client.get(reverse("core:audit-list"), {"action": "providers."}).content.decode()
    assert 'data-audit-action="providers.organisation_update"' in body
    assert 'data-audit-action="elders.update"' not in body
    body = client.get(reverse("core:audit-list"), {"subject_type": "elders.elder",
                                                   "subject_id": district.elders.b1.pk}).content.decode()
    assert "street_b" in body and "核对" not in body
    body = client.get(reverse("core:audit-list"), {"actor": "street_a"}).content.decode()
    assert "核对" in body and 'data-audit-action="providers.organisation_update"' not in body


def test_the_time_range_is_inclusive_whole_days(district, users, events, client):
    client.force_login(users.inspector)
    today = timezone.localdate()
    assert "核对" in client.get(reverse("core:audit-list"), {"since": today, "until": today}).content.decode()
    yesterday = today - dt.timedelta(days=1)
    body = client.get(reverse("core:audit-list"), {"until": yesterday}).content.decode()
    assert "核对" not in body
    bad = client.get(reverse("core:audit-list"), {"since": today, "until": yesterday}).content.decode()
    assert "不能早于" in bad


def test_export_is_csv_of_the_filtered_rows(district, users, events, client):
    client.force_login(users.district_admin)
    response = client.get(reverse("core:audit-export"), {"action": "elders."})
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff") and text.count("elders.update") == 2 and "organisation_update" not in text


def test_only_auditors_open_the_trail(district, users, events, client):
    client.force_login(users.street_staff)
    assert client.get(reverse("core:audit-list")).status_code == 403
    assert client.get(reverse("core:audit-export")).status_code == 403


def test_street_scope_auditors_would_see_only_their_street(district, users, events):
    from carecircle.core.selectors import audit_events

    users.inspector.scope_region = district.street_a
    users.inspector.save()
    seen = {e.actor_repr for e in audit_events(user=users.inspector)}
    assert seen == {"street_a"}


# --- jobs -----------------------------------------------------------------------------------------

def test_a_job_page_is_for_its_creator_and_polls_until_done(district, users, client):
    job = job_start(kind="elders.import", actor=users.street_staff, region=district.street_a)
    job_progress(job, progress=3, total=10)
    client.force_login(users.street_staff)
    body = client.get(reverse("core:job-detail", args=[job.pk])).content.decode()
    assert "3 / 10" in body and 'hx-trigger="every 2s"' in body
    fragment = client.get(reverse("core:job-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="job-progress"') and "<html" not in fragment
    job_finish(job, result={"created": 10})
    done = client.get(reverse("core:job-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "created" in done
    client.force_login(users.district_admin)  # sees the region, but did not start the job
    assert client.get(reverse("core:job-detail", args=[job.pk])).status_code == 404
    client.force_login(users.street_staff_b)
    assert client.get(reverse("core:job-detail", args=[job.pk])).status_code == 404


def test_anonymous_users_are_sent_to_login(district, users, client):
    job = job_start(kind="x", actor=users.street_staff, region=district.street_a)
    response = client.get(reverse("core:job-detail", args=[job.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
