"""403 and 404 answer with the project's own page, in the reader's language, with the navigation; a 403
is logged as one line without a traceback; htmx does not inject an inline style the CSP would block."""
import logging

import pytest
from django.urls import reverse

from carecircle.core.middleware import ForbiddenWithoutTracebackFilter


@pytest.mark.django_db
def test_forbidden_page_is_styled_and_translated(client, users):
    client.force_login(users.caregiver)
    url = reverse("core:audit-list")
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "您没有权限打开这个页面" in page and 'class="mainnav"' in page and "app.css" in page
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 403
    assert "You do not have permission to open this page" in page and "您没有权限" not in page


@pytest.mark.django_db
def test_not_found_page_is_styled_and_translated(client, users):
    client.force_login(users.street_staff)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert "This page cannot be found" in response.content.decode()


def test_a_forbidden_request_is_logged_without_its_traceback():
    try:
        raise PermissionError("refused")
    except PermissionError:
        import sys

        info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x/",), info)
    record.status_code = 403
    assert ForbiddenWithoutTracebackFilter().filter(record) and record.exc_info is None
    error = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Error: %s", ("/x/",), info)
    error.status_code = 500
    assert ForbiddenWithoutTracebackFilter().filter(error) and error.exc_info is not None


@pytest.mark.django_db
def test_htmx_is_told_not_to_inject_its_indicator_style(client, users):
    client.force_login(users.street_staff)
    page = client.get(reverse("accounts:home")).content.decode()
    assert '"includeIndicatorStyles": false' in page
    assert page.index("htmx-config") < page.index("htmx.min.js")
