"""On a phone (chromium, 390 x 844): a community worker calls back an elder from the return-visit queue, and the
elder files a complaint on big type and follows it. The pages fit the phone (tests/test_field_phone.py)."""
import pytest

from carecircle.assessment.tests.test_browser import audit_rows_cleared, phone  # noqa: F401 - the shared phone
from carecircle.quality import services
from carecircle.quality.models import Complaint, ReturnVisit
from tests.test_field_phone import check_page, log_in

pytestmark = pytest.mark.browser


def test_a_return_visit_and_a_complaint_on_a_phone(audit_rows_cleared, quality, live_server, phone):  # noqa: F811
    page = phone
    visit = services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="exception",
                                         organisation=quality.d.provider, work_order=quality.visit_a1, visit_id=11)
    log_in(page, live_server, quality.u.community_worker.username)
    check_page(page, f"{live_server.url}/quality/return-visits/")
    page.click(f"a[href='/quality/return-visits/{visit.pk}/']")
    check_page(page, page.url)
    page.check("input[name=outcome][value=reached]")
    page.check("input[name=satisfaction][value='4']")
    page.fill("textarea[name=notes]", "老人说护理员很耐心")
    page.click("form.card button[type=submit]")
    assert page.text_content("[data-testid=return-visit-status]").strip() == "已回访"
    visit.refresh_from_db()
    assert visit.satisfaction == 4

    log_in(page, live_server, quality.u.elder.username)
    check_page(page, f"{live_server.url}/quality/mine/")
    page.click(f"a[href='/quality/complaints/new/{quality.d.elders.a1.pk}/']")
    check_page(page, page.url)
    page.check("input[name=category][value=attitude]")
    page.fill("textarea[name=summary]", "护理员说话很冲")
    page.click("form.card button[type=submit]")
    assert page.text_content("[data-testid=complaint-status]").strip() == "已登记"
    complaint = Complaint.objects.get()
    assert complaint.channel == "portal" and ReturnVisit.objects.count() == 1
    check_page(page, page.url)
