"""A family on a phone finds the nearest meal point to their community on the public service map."""
import pytest

from carecircle.assessment.tests.test_browser import audit_rows_cleared, phone  # noqa: F401 - the shared phone
from carecircle.conftest import seed_policy

pytestmark = pytest.mark.browser


def test_a_family_finds_the_nearest_meal_point_on_a_phone(audit_rows_cleared, district, live_server, phone):
    from carecircle.providers.models import Facility

    seed_policy("planning.elder_walking_speed_m_per_min")
    Facility.objects.create(organisation=district.provider, name="天平长者食堂", kind="meal_point", community=district.a1,
                            address="天平路 100 号", lat="31.206000", lng="121.446000", opening_hours="10:30-13:00")
    Facility.objects.create(organisation=district.provider, name="枫林长者食堂", kind="meal_point", community=district.b1,
                            address="枫林路 8 号", lat="31.190000", lng="121.460000")
    page = phone
    page.goto(f"{live_server.url}/planning/map/")
    page.fill("input[name=q]", "天平路 120 号")  # the family's address: its road is found
    page.select_option("select[name=kind]", "meal_point")
    page.click("button[type=submit].primary")
    first = page.locator("[data-facility]").first
    assert "天平长者食堂" in first.inner_text()
    assert "步行约" in first.inner_text()
    width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
    assert width[1] <= width[0]
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('[data-facility]')).fontSize)")
    assert size >= 18
    assert page.locator(".leaflet-container").count() == 1


def test_an_advisor_records_a_consultation_on_a_phone(audit_rows_cleared, district, users, planning, live_server,
                                                      phone):
    from carecircle.planning.models import Consultation
    from carecircle.planning.tests.test_advisors import make_points

    make_points(district, users, planning)
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", users.community_worker.username)
    page.fill("input[name=password]", "Test-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/planning/advisors/consult/")
    page.select_option("select[name=topic]", "meals")
    page.fill("textarea[name=advice]", "介绍了天平长者食堂")
    width = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
    assert width[1] <= width[0]
    page.click("button[data-action=record]")
    page.wait_for_selector("text=已记录咨询")
    consultation = Consultation.objects.get()
    assert (consultation.topic, consultation.advisor.name) == ("meals", "王顾问")
