"""Field staff on phones: every main page of the field roles (assessor, caregiver, community worker, an operator
on a tablet held upright) works at 390 x 844 in chromium. Measured on each page: no horizontal overflow, a
page height that fits its content (no list cell squeezed to a character per line), a header under 15 % of
the screen, and every tap target at least 44 x 44 px. The elders' own pages: radios and price rules big and
dark."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carecircle.assessment.tests.test_browser import PASSWORD, audit_rows_cleared, phone  # noqa: F401 - the shared phone
from carecircle.conftest import make_elder
from carecircle.dispatch.tests.conftest import make_order, make_staff
from carecircle.intake.tests.conftest import intake  # noqa: F401  (application types, intake policy)
from carecircle.intake.tests.helpers import submit, to_state

WIDTH, HEIGHT = 390, 844

pytestmark = pytest.mark.browser

# Runs in the page: what a person on a phone meets. Tap targets are every visible control; a link inside a
# sentence is exempt (WCAG 2.5.8), as are controls of the visually hidden table head.
MEASURE = """() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const parent = el.parentElement;
    return parent && parent.textContent.trim().length > el.textContent.trim().length;
  };
  const small = [];
  document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary').forEach((el) => {
    if (el.closest('table.list thead')) return;
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox]')) target = el.closest('label') || (el.labels && el.labels[0]) || el;
    if (!visible(target) || inSentence(target)) return;
    const r = target.getBoundingClientRect();
    if (r.width < 44 || r.height < 43.5) small.push(`${el.tagName} ${(el.textContent || el.name || el.type || '').trim().slice(0, 30)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  });
  const narrowCells = Array.from(document.querySelectorAll('table.list td')).filter(visible)
    .filter((td) => td.getBoundingClientRect().width < window.innerWidth * 0.6).length;
  const header = document.querySelector('header.topbar').getBoundingClientRect().height;
  return {
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    header, small, narrowCells,
    rows: document.querySelectorAll('table.list tbody tr, .bigcard, .queue-items li, .elder-timeline li').length,
  };
}"""


def log_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def check_page(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    m = page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["width"], (url, "horizontal overflow", m["scrollWidth"])
    assert m["header"] < 0.15 * HEIGHT, (url, "header", m["header"])
    assert not m["small"], (url, "tap targets under 44 px", m["small"])
    assert m["narrowCells"] == 0, (url, "list cells squeezed", m["narrowCells"])
    # Height in proportion to what is shown: a screen of chrome plus at most ~420 px for each row or card.
    assert m["height"] < 2 * HEIGHT + 420 * m["rows"], (url, "page height", m["height"], m["rows"])
    return m


@pytest.fixture
def field_world(intake, district, users):  # noqa: F811
    """A street with a dozen elders, applications in its queue, an assessment appointment for today and a
    caregiver's visits published for today."""
    for n in range(12):
        make_elder(district.a1, name=f"测试老人{n:02d}", birth=dt.date(1938 + n, 3, 3),
                   address=f"天平路 {n} 号 很长很长的地址用来检验卡片的换行 {n} 弄")
    for elder in (district.elders.a1, district.elders.a2):
        submit(intake, elder=elder)
    application = to_state(intake, submit(intake, elder=district.elders.a1, type_code="ltci-home"),
                           "assessment_ordered")
    from carecircle.assessment import services as assessment

    now = timezone.localtime()
    order = application.assessment_order
    assessment.assessment_order_schedule(order=order, actor=intake.assessors[0], assessors=list(intake.assessors),
                                         appointment_at=now.replace(hour=23, minute=0, second=0, microsecond=0))
    me = make_staff(district.provider, name="周小红", user=users.caregiver)
    for hour in (8, 10, 14):
        make_order(district.provider, district.elders.a1, f"{hour:02d}:00", f"{hour + 1:02d}:00",
                   day=timezone.localdate(), status="published", caregiver=me,
                   planned_start=now.replace(hour=hour, minute=0, second=0, microsecond=0))
    return order


def test_field_roles_main_pages_fit_a_phone(audit_rows_cleared, field_world, district, users, live_server, phone):
    page = phone
    base = live_server.url
    elder = district.elders.a1
    pages = {
        users.assessor.username: ["/", "/assessment/", f"/assessment/orders/{field_world.pk}/", "/elders/",
                                  f"/elders/{elder.pk}/"],
        users.caregiver.username: ["/", "/dispatch/my-day/"],
        users.community_worker.username: ["/", "/elders/", f"/elders/{elder.pk}/", "/intake/",
                                          "/careplans/orders/", "/careplans/orders/new/?q=张三明",
                                          "/planning/advisors/consult/"],
        users.operator.username: ["/", "/elders/", f"/elders/{elder.pk}/", "/intake/", "/careplans/orders/",
                                  "/careplans/orders/new/?q=张三明"],
    }
    for username, urls in pages.items():
        log_in(page, live_server, username)
        for url in urls:
            check_page(page, base + url)
    # The assessor's list is cards now: one card per order, its cells full width, not one character per line.
    log_in(page, live_server, users.assessor.username)
    measured = check_page(page, f"{base}/assessment/")
    assert measured["height"] < 3 * HEIGHT
    # The caregiver's day shows today's numbers to tap.
    log_in(page, live_server, users.caregiver.username)
    page.goto(f"{base}/dispatch/my-day/")
    assert page.locator("a[href^='tel:']").count() >= 3
    assert not [e for e in page.errors if "Content Security Policy" in e]


def test_the_header_folds_into_an_accessible_menu_button(audit_rows_cleared, users, live_server, phone):
    from playwright.sync_api import expect

    page = phone
    log_in(page, live_server, users.community_worker.username)
    toggle = page.locator("[data-menu-toggle]")
    nav = page.locator("nav.mainnav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")
    expect(nav).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    for link in nav.locator("a").all():
        box = link.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    # On a wide screen there is no button: the menu is always there.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(toggle).to_be_hidden()
    expect(nav).to_be_visible()
    assert not [e for e in page.errors if "Content Security Policy" in e]


def test_lists_become_labelled_cards(audit_rows_cleared, field_world, users, live_server, phone):
    page = phone
    log_in(page, live_server, users.community_worker.username)
    page.goto(f"{live_server.url}/elders/")
    first = page.locator("table.list tbody tr").first
    labels = first.locator("td").evaluate_all("tds => tds.map(td => td.dataset.label || '')")
    headings = page.locator("table.list thead th").evaluate_all("ths => ths.map(th => th.textContent.trim())")
    assert [label for label in labels if label] == [h for h in headings if h][:len([x for x in labels if x])]
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"
    before = first.locator("td").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert headings[0] in before


def test_the_elder_s_pages_have_big_radios_and_readable_price_rules(audit_rows_cleared, district, users,
                                                                     live_server, phone):
    from carecircle.careplans.tests.conftest import PRICING_KEYS
    from carecircle.catalog.models import ServiceItem
    from carecircle.catalog.services import catalogue_seed
    from carecircle.core.policy import seed_values
    from carecircle.core.policy_seed import policy_parameters_seed

    policy_parameters_seed(raw_values=[row for row in seed_values() if row["key"].startswith(PRICING_KEYS)])
    if not ServiceItem.objects.filter(code="ltci-home-hour").exists():
        catalogue_seed()
    page = phone
    log_in(page, live_server, users.elder.username)
    home = check_page(page, f"{live_server.url}/")
    assert home["scrollWidth"] <= WIDTH
    buttons = page.locator("[data-quick-order] .quick-order a")
    assert buttons.count() >= 3
    box = buttons.first.bounding_box()
    assert box["height"] >= 60
    # Step 1: every radio at least 18 px, in a label that is a big target.
    page.goto(f"{live_server.url}/careplans/elders/{district.elders.a1.pk}/order/")
    sizes = page.locator("input[type=radio]").evaluate_all(
        "rs => rs.map(r => { const b = r.getBoundingClientRect(); return Math.min(b.width, b.height); })")
    assert sizes and min(sizes) >= 18
    # One tap from home: the price with its rules, in big dark type.
    page.goto(f"{live_server.url}/")
    buttons.first.click()
    page.wait_for_selector("[data-testid=quote]")
    styles = page.locator("[data-testid=quote] small, [data-testid=quote] td, [data-testid=quote] th").evaluate_all(
        """els => els.filter(e => e.getBoundingClientRect().height > 0).map(e => {
             const s = getComputedStyle(e); return [parseFloat(s.fontSize), s.color]; })""")
    assert styles
    for size, color in styles:
        assert size >= 18, (size, color)
        channels = [int(c) for c in color[color.index("(") + 1:color.index(")")].split(",")[:3]]

        def linear(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        luminance = 0.2126 * linear(channels[0]) + 0.7152 * linear(channels[1]) + 0.0722 * linear(channels[2])
        assert (1.05) / (luminance + 0.05) >= 7, color  # AAA contrast on white


def test_the_district_s_trend_chart_draws_without_inline_script(audit_rows_cleared, intake, users,  # noqa: F811
                                                                  live_server, phone):
    from playwright.sync_api import expect

    submit(intake, elder=intake.district.elders.a1)
    page = phone
    log_in(page, live_server, users.district_admin.username)
    chart = page.locator("[data-trends-src]")
    expect(chart).to_have_attribute("data-ready", "true")
    assert chart.locator("canvas").count() >= 1
    box = chart.bounding_box()
    assert box["width"] <= WIDTH and box["height"] >= 200
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e], page.errors
    m = page.evaluate(MEASURE)
    assert m["scrollWidth"] <= m["width"]
