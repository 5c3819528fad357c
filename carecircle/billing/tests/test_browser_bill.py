"""A family member on a phone opens the month's bill from the portal: big type, nothing wider than the screen,
the amount to pay first, and the PDF downloads.

Debian's chromium through Playwright (skipped without /usr/bin/chromium, except in CI, where that fails)."""
import pytest

from carecircle.intake.tests.test_browser import audit_trail_removed, log_in, page  # noqa: F401 - fixtures

from .test_statements import month  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("today_after_november")]

LAYOUT = """() => ({
  overflow: document.documentElement.scrollWidth > window.innerWidth,
  smallest: Math.min(...[...document.querySelectorAll('main *')]
    .filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .filter(e => e.getClientRects().length > 0)
    .map(e => parseFloat(getComputedStyle(e).fontSize))),
})"""


def test_a_family_member_reads_the_bill_on_a_phone(audit_trail_removed, users, district, month,  # noqa: F811
                                                    live_server, page):  # noqa: F811
    from carecircle.billing.models import ClaimLine

    a2 = district.elders.a2
    self_pay = sum(line.self_pay for line in ClaimLine.objects.filter(elder=a2, status="counted"))
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, users.family.username)
    page.click("[data-testid=billing-portal] a.bigcard")
    page.wait_for_selector("[data-testid=bill-total]")
    assert page.url.endswith(f"/billing/bill/{a2.pk}/2026-11/")
    assert page.locator("[data-testid=bill-self-pay]").inner_text() == f"{self_pay:.2f} 元"
    assert page.locator("[data-testid=bill-line]").count() == 4
    layout = page.evaluate(LAYOUT)
    assert not layout["overflow"] and layout["smallest"] >= 18, layout
    page.locator("[data-testid=bill-line] details summary").first.click()
    assert "个人自付" in page.locator("[data-testid=bill-line] details[open]").first.inner_text()
    with page.expect_download() as download:
        page.click("[data-testid=bill-pdf]")
    assert download.value.suggested_filename == f"bill-{a2.pk}-2026-11.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
