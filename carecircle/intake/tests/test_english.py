"""The intake pages in English: labels, states, actions and notices come out translated."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from .helpers import submit, to_state

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]+")
LANGUAGE_MENU = ["简体中文"]  # the language switcher names each language in itself


def english(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def chinese_outside_data(html, data):
    """Chinese runs on the page that are not names, places or offices from the database."""
    text = re.sub(r"<[^>]+>", " ", html)
    return sorted({run for run in CJK.findall(text) if not any(run in d for d in [*data, *LANGUAGE_MENU])})


def test_staff_pages_in_english(intake, today):
    u = intake.users
    app = to_state(intake, submit(intake, elder=intake.district.elders.a1), "public_notice")
    d = intake.district
    data = [d.elders.a1.name, d.a1.name, d.street_a.name, d.district.name, d.agency.name, "张*明",
            u.street_staff.display_name, u.district_admin.display_name, "评估员乙", "政府购买居家养老服务"]
    app.refresh_from_db()
    client = english(u.street_staff)
    for url in (reverse("intake:queue"), reverse("intake:detail", args=[app.pk]), reverse("intake:waitlist"),
                reverse("intake:notice-document", args=[app.pk, "acceptance"]), reverse("intake:register")):
        html = client.get(url).content.decode()
        assert 'lang="en"' in html, url
        assert chinese_outside_data(html, data) == [], (url, chinese_outside_data(html, data))


def test_portal_and_public_board_in_english(intake, today):
    u = intake.users
    app = submit(intake, elder=intake.district.elders.a2, actor=u.family, channel="portal")
    d = intake.district
    data = [d.elders.a2.name, d.a2.name, d.street_a.name, u.family.display_name, "family", "天平路街道"]
    client = english(u.family)
    for url in (reverse("intake:portal"), reverse("intake:portal-apply"), reverse("intake:detail", args=[app.pk])):
        html = client.get(url).content.decode()
        assert chinese_outside_data(html, data) == [], (url, chinese_outside_data(html, data))
    board = Client(HTTP_ACCEPT_LANGUAGE="en")
    board.cookies["django_language"] = "en"
    html = board.get(reverse("intake:public-board", args=[d.street_a.code])).content.decode()
    assert chinese_outside_data(html, data) == []
