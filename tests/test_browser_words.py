"""A person at a 1366 px screen: the menu fits on one row in both languages, and an assessment is ordered for an
elder found by typing part of a name (htmx search), never by a record number.

Debian's chromium through Playwright (skipped without /usr/bin/chromium, except in CI, where that fails)."""
from __future__ import annotations

import pytest

from carecircle.core.testing import find_internal_tokens
from carecircle.intake.tests.test_browser import audit_trail_removed, log_in, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

NAV_ROWS = """() => {
  const nav = document.querySelector('nav.mainnav');
  // The links on the row (those moved under "More" are in a closed list and not laid out).
  const links = [...nav.querySelectorAll('a')].filter(a => a.getClientRects().length > 0);
  return {rows: new Set(links.map(a => Math.round(a.getBoundingClientRect().top))).size, count: links.length,
          overflow: document.documentElement.scrollWidth > window.innerWidth,
          wrapped: links.filter(a => a.getClientRects().length > 1).length};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_menu_fits_one_row_at_1366_px(audit_trail_removed, users, live_server, page, language):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 800})
    for user in (users.district_admin, users.street_staff, users.provider_admin, users.operator):
        log_in(page, live_server, user.username)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}/")
        assert page.locator("html").get_attribute("lang") == language
        layout = page.evaluate(NAV_ROWS)
        assert layout["count"] >= 5, (user.username, layout)
        assert layout == {**layout, "rows": 1, "overflow": False, "wrapped": 0}, (user.username, language, layout)


def test_an_assessment_is_ordered_for_an_elder_found_by_search(audit_trail_removed, district, users, live_server,
                                                               page):  # noqa: F811
    from playwright.sync_api import expect

    from carecircle.assessment.models import AssessmentOrder
    from carecircle.core.policy import seed_values
    from carecircle.core.policy_seed import policy_parameters_seed

    policy_parameters_seed(raw_values=[r for r in seed_values() if r["key"].startswith("assessment.")])
    ours, theirs = district.elders.a1, district.elders.b1
    log_in(page, live_server, users.street_staff.username)
    page.goto(f"{live_server.url}/assessment/new/")
    assert page.locator("input[name=elder]").count() == 0  # no number to type
    page.fill("input[name=elder_q]", ours.name[:2])
    choice = page.locator(f"[data-elder-pick] input[value='{ours.pk}']")
    expect(choice).to_be_visible()
    expect(page.locator("[data-elder-pick]")).not_to_contain_text(theirs.name)  # another street's elder
    choice.check()
    page.click("form button.primary")
    page.wait_for_url("**/assessment/orders/*/")
    order = AssessmentOrder.objects.get()
    assert order.elder == ours
    leaks = [token for kind, token, _context in find_internal_tokens(page.content())
             if token not in {users.street_staff.username, users.assessor.username}]
    assert leaks == []
