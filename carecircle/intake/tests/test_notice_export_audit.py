"""A written notice printed or taken as PDF carries an elder's data out of the platform: it is audited."""
import pytest
from django.test import Client
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.intake.services import application_act, application_submit

pytestmark = pytest.mark.django_db


def test_printing_and_downloading_a_notice_are_audited(intake, today):
    staff = intake.users.street_staff
    app = application_submit(elder=intake.district.elders.a1, type_code="gov-purchase", channel="window",
                             actor=staff).application
    application_act(application=app, action="accept", actor=staff)
    client = Client()
    client.force_login(staff)
    url = reverse("intake:notice-document", args=[app.pk, "acceptance"])
    assert client.get(url).status_code == 200
    pdf = client.get(url, {"format": "pdf"})
    assert pdf.status_code == 200 and "no-store" in pdf["Cache-Control"]
    events = list(AuditEvent.objects.filter(action="export").order_by("id"))
    assert [e.changes["format"] for e in events] == ["print", "pdf"]
    assert all(e.actor == staff and e.subject_id == str(app.pk) and e.changes["rows"] == 1 for e in events)
    assert events[0].changes["what"] == "intake.notice.acceptance"
    # A notice that does not exist yet is not recorded as taken.
    assert client.get(reverse("intake:notice-document", args=[app.pk, "correction"])).status_code == 404
    assert AuditEvent.objects.filter(action="export").count() == 2
