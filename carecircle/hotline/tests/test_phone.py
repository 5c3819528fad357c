"""The community worker's welfare visits on a 390 px phone: the due list and the visit form fit, and a visit is
recorded with big radios; the operator's console fits too (measured as the field pages are)."""
import pytest
from django.utils import timezone

from carecircle.assessment.tests.test_browser import audit_rows_cleared, phone  # noqa: F401 - the shared phone
from tests.test_field_phone import check_page, log_in

from ..models import WelfareTask, WelfareVisit

pytestmark = pytest.mark.browser


def test_welfare_visit_on_a_phone(audit_rows_cleared, hotline, users, live_server, phone):  # noqa: F811
    from .. import services

    services.welfare_task_raise(elder=hotline.elders.a1, source="silent", reason="长时间无音讯", now=timezone.now())
    page = phone
    log_in(page, live_server, users.community_worker.username)
    check_page(page, f"{live_server.url}/hotline/welfare/")
    page.get_by_role("link", name="记录探访").first.click()
    check_page(page, page.url)
    page.locator("input[name=seen_in_person][value='1']").check()
    page.locator("input[name=health][value=good]").check()
    page.locator("input[name=home_safe][value='1']").check()
    page.get_by_role("button", name="提交探访记录").click()
    page.wait_for_url(f"{live_server.url}/hotline/welfare/")
    assert WelfareVisit.objects.filter(elder=hotline.elders.a1, seen_in_person=True).exists()
    assert not WelfareTask.objects.filter(done_at__isnull=True).exists()
    log_in(page, live_server, users.operator.username)
    check_page(page, f"{live_server.url}/hotline/")
