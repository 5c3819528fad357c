"""The whole supervision loop on a phone (390 × 844): a contracted agency's inspector, offline, inspects the
community centre assigned to the agency and records a hard-stop hazard with a photo; the centre gets a
rectification notice with a deadline in working days; the provider uploads its evidence; the re-inspection
closes it — the centre's scorecard and the district's overdue queue show each step. Then a station is rated
by the 500-point scheme (the 40 % per-part rule decides) and its subsidy uses the policy's coefficient."""
import datetime as dt
from decimal import Decimal

import pytest

from carecircle.assessment.tests.test_browser import PASSWORD, audit_rows_cleared, phone  # noqa: F401
from carecircle.inspections import services
from carecircle.inspections.choices import InspectionStatus, NoticeStatus, ProblemStatus
from carecircle.inspections.models import Inspection, Problem, RectificationNotice

from .conftest import full_points

pytestmark = pytest.mark.browser


def _login(page, live_server, user):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _open_problems(page, live_server, facility):
    page.goto(f"{live_server.url}/inspections/facilities/{facility.pk}/")
    return page.inner_text("[data-testid=scorecard-open]").strip()


def test_an_agency_inspects_offline_and_the_notice_runs_to_closure(audit_rows_cleared, world, live_server, phone,
                                                                     tmp_path):
    from PIL import Image

    from carecircle.core.workdays import add_working_days

    photo = tmp_path / "hazard.png"
    Image.new("RGB", (16, 16), (200, 30, 30)).save(photo)
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.centre,
                                            agency=world.agency)
    page = phone
    admin, provider, agency = world.users.district_admin, world.users.provider_admin, world.agency_inspector

    # The district sees the centre with nothing open yet.
    _login(page, live_server, admin)
    assert _open_problems(page, live_server, world.centre) == "0"

    # The agency's inspector: a photo of the hazard while online, then the checklist sent while offline.
    _login(page, live_server, agency)
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/do/")
    page.set_input_files("input[name=image]", str(photo))
    page.select_option("select[name=item_code]", "H03")
    page.fill("input[name=caption]", "二楼活动室彩钢板")
    page.click("form[action$='/photos/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inspections/{inspection.pk}/do/")
    for code, value in {"S01": "180", "V01": "450", "M01": "130", "F01": "120"}.items():
        page.fill(f"#points-{code}", value)
    page.check("input[name=hazard][value=H03]")
    page.fill("textarea[name=note-H03]", "二楼活动室为彩钢板搭建")
    page.fill("input[name=manager_name]", "王站长")
    page.context.set_offline(True)
    page.click("button[name=action][value=submit]")
    page.locator("[data-offline-status]").wait_for(state="visible")
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.PLANNED
    page.context.set_offline(False)
    page.wait_for_url(f"{live_server.url}/inspections/{inspection.pk}/")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SUBMITTED and inspection.passed is False
    assert inspection.hard_stops == ["H03"] and [p.item_code for p in inspection.photos.all()] == ["H03"]
    assert "检查不合格" in page.inner_text("[data-testid=inspection-rules]")

    # The notice: the hazard with a deadline of five working days.
    page.fill("fieldset:has(input[value=H03]) input[name=working_days]", "5")
    page.click("form[action$='/notice/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inspections/notices/*/")
    notice = RectificationNotice.objects.get(inspection=inspection)
    problem = notice.problems.get()
    assert problem.hard_stop and problem.due_on == add_working_days(dt.date.today(), 5)
    assert problem.due_on.strftime("%Y-%m-%d") in page.inner_text("[data-testid=problem]")

    # The district: one problem open on the scorecard, not yet overdue; once its deadline has passed it leads
    # the overdue queue.
    _login(page, live_server, admin)
    assert _open_problems(page, live_server, world.centre) == "1"
    page.goto(f"{live_server.url}/inspections/overdue/")
    assert "二楼活动室" not in page.inner_text("main")
    Problem.objects.filter(pk=problem.pk).update(due_on=dt.date.today() - dt.timedelta(days=1))
    page.goto(f"{live_server.url}/inspections/overdue/")
    assert "二楼活动室为彩钢板搭建" in page.inner_text("main")

    # The provider answers with its evidence.
    _login(page, live_server, provider)
    page.goto(f"{live_server.url}/inspections/notices/{notice.pk}/")
    page.fill("textarea[name=response]", "已拆除彩钢板，改为砖混结构")
    page.set_input_files("input[name=evidence]", str(photo))
    page.click("form[action$='/respond/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inspections/notices/{notice.pk}/")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESPONDED and problem.evidence

    # The re-inspection closes it.
    _login(page, live_server, agency)
    page.goto(f"{live_server.url}/inspections/notices/{notice.pk}/")
    page.fill("form[action$='/close/'] input[name=note]", "现场复查已整改")
    page.click("form[action$='/close/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inspections/notices/{notice.pk}/")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED
    assert "已整改销号" in page.inner_text("[data-testid=notice-status]")

    # The district: nothing open, nothing overdue, and the inspection counted on the scorecard.
    _login(page, live_server, admin)
    assert _open_problems(page, live_server, world.centre) == "0"
    assert page.inner_text("[data-testid=scorecard-inspections]").strip() == "1"
    page.goto(f"{live_server.url}/inspections/overdue/")
    assert "二楼活动室" not in page.inner_text("main")
    assert not page.errors, page.errors


def test_a_station_is_rated_by_the_500_point_scheme_and_paid_by_the_policys_coefficient(
        audit_rows_cleared, world, live_server, phone):
    from carecircle.core.money import to_money
    from carecircle.core.policy import policy_value

    page = phone
    points = full_points(services.scheme_for_facility(world.station))
    # Safety 19 of 50: under 40 % of the part, so no star whatever the total.
    below = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    below = services.inspection_submit(actor=world.users.inspector, inspection=below,
                                       points={**points, "S01": 0, "S02": 19})
    # Safety 20 of 50: exactly 40 %, the total (470) keeps its band.
    exact = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    exact = services.inspection_submit(actor=world.users.inspector, inspection=exact,
                                       points={**points, "S01": 0, "S02": 20})
    assert (below.stars, exact.stars) == (0, 5)

    _login(page, live_server, world.users.district_admin)
    page.goto(f"{live_server.url}/inspections/{below.pk}/")
    assert "不评星级" in page.inner_text("[data-testid=inspection-stars]")
    assert "低于该部分最低要求 20" in page.inner_text("[data-testid=inspection-rules]")
    page.goto(f"{live_server.url}/inspections/{exact.pk}/")
    assert "5 星" in page.inner_text("[data-testid=inspection-stars]")
    page.select_option("form[action$='/rate/'] select[name=stars]", "5")
    page.click("form[action$='/rate/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inspections/{exact.pk}/")

    today = dt.date.today()
    page.goto(f"{live_server.url}/inspections/subsidies/?year={today.year}")
    region = world.station.community
    base = policy_value("inspections.subsidy.annual_base", region=region, on=today)
    coefficient = Decimal(str(policy_value("inspections.subsidy.coefficient", region=region, on=today)["5"]))
    days_in_year = (dt.date(today.year, 12, 31) - dt.date(today.year, 1, 1)).days + 1
    days = (dt.date(today.year, 12, 31) - today).days + 1
    expected = to_money(base * coefficient * days / days_in_year)
    assert page.inner_text("[data-testid=subsidy-amount]").strip() == str(expected)
    assert coefficient == Decimal("1.5")  # the policy's value for five stars in this district
    page.goto(f"{live_server.url}/inspections/facilities/{world.station.pk}/")
    assert "5 星" in page.inner_text("[data-testid=scorecard-rating]")
    assert not page.errors, page.errors
