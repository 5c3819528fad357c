"""A contracted agency's inspector on a phone (390 × 844): the checklist fits the screen, and a submission made
while the connection is down is kept on the phone and sent when it comes back."""
import pytest

from carecircle.assessment.tests.test_browser import PASSWORD, audit_rows_cleared, phone  # noqa: F401
from carecircle.inspections import services
from carecircle.inspections.choices import InspectionStatus
from carecircle.inspections.models import Inspection

pytestmark = pytest.mark.browser


def test_the_checklist_on_a_phone_survives_a_dropped_connection(audit_rows_cleared, world, live_server, phone):
    from tests.test_field_phone import MEASURE

    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.station,
                                            agency=world.agency)
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.agency_inspector.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    response = page.goto(f"{live_server.url}/inspections/{inspection.pk}/do/")
    assert response.status == 200
    m = page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["width"], ("horizontal overflow", m["scrollWidth"])
    assert not m["small"], ("tap targets under 44 px", m["small"])

    for code, value in {"S01": "10", "S02": "35", "V01": "280", "M01": "60", "F01": "70"}.items():
        page.fill(f"#points-{code}", value)
    page.check("input[name=hazard][value=H03]")
    page.fill("textarea[name=note-H03]", "二楼活动室为彩钢板搭建")
    page.context.set_offline(True)
    page.click("button[name=action][value=submit]")
    status = page.locator("[data-offline-status]")
    status.wait_for(state="visible")
    assert "网络已断开" in status.inner_text()
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.PLANNED

    page.context.set_offline(False)  # the page sends what it kept as soon as the connection is back
    page.wait_for_url(f"{live_server.url}/inspections/{inspection.pk}/")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SUBMITTED
    assert inspection.hard_stops == ["H03"] and inspection.item_notes["H03"] == "二楼活动室为彩钢板搭建"
    assert inspection.total == 455 and inspection.passed is False
    assert "检查不合格" in page.inner_text("[data-testid=inspection-rules]")
    assert not page.errors, page.errors
