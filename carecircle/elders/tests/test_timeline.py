"""The elder's whole story on the record page: applications, notices, assessments and levels, care plans,
orders, visits and absences, newest first, from every app's plugin; each entry links only where its reader
may go, and the page shows a page at a time with "more"."""
import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from carecircle.core.plugins import registry
from carecircle.elders.selectors import TIMELINE_PAGE, elder_timeline
from carecircle.intake.tests.conftest import intake  # noqa: F401  (application types and intake policy)
from carecircle.intake.tests.helpers import submit, to_state

ROLES = ["district_admin", "street_staff", "street_staff_b", "community_worker", "operator", "inspector",
         "provider_admin", "assessor", "caregiver", "elder", "family"]


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def story(intake, district, users):  # noqa: F811
    """Elder a1's story: an application up to its assessment order (with its notices), a care level, a care
    plan, an on-demand order, an absence and a visit."""
    from carecircle.assessment.models import CareLevel
    from carecircle.careplans.models import CarePlan, ElderAbsence, ServiceOrder
    from carecircle.workorders.models import WorkOrder

    elder = district.elders.a1
    application = to_state(intake, submit(intake, elder=elder, type_code="ltci-home"), "assessment_ordered")
    CareLevel.objects.create(elder=elder, programme="ltci", level=4, source="external",
                             valid_from=dt.date(2026, 1, 5))
    CarePlan.objects.create(elder=elder, organisation=district.provider, care_level=4, visits_per_week_entitled=5,
                            minutes_per_visit_entitled=60, weekly_minutes_cap=300, valid_from=dt.date(2026, 1, 12))
    ServiceOrder.objects.create(elder=elder, organisation=district.provider, channel="portal",
                                service_date=dt.date(2026, 2, 1), window_start=dt.time(8), window_end=dt.time(12),
                                total=0, fund=0, subsidy=0, self_pay=0,
                                quote_lines=[{"name": "助浴服务"}])
    ElderAbsence.objects.create(elder=elder, kind="hospital", starts_on=dt.date(2026, 2, 10),
                                ends_on=dt.date(2026, 2, 20))
    WorkOrder.objects.create(organisation=district.provider, elder=elder, date=dt.date(2026, 1, 20),
                             window_start=dt.time(9), window_end=dt.time(10), duration_minutes=60, source="plan",
                             status="done")
    return application


def links_in_story(body: str) -> list[str]:
    section = body[body.index('id="story"'):]
    section = section[:section.index("</section>")]
    return re.findall(r'href="([^"#]+)"', section)


def test_the_story_holds_every_kind_newest_first(story, users, district):
    entries, more = registry.timeline(users.district_admin, district.elders.a1, limit=50)
    kinds = {str(entry.kind) for entry in entries}
    assert {"申请", "通知书", "评估", "照护等级", "照护计划", "订单", "住院或外出", "上门服务"} <= kinds
    assert not more

    def moment(entry):
        at = entry.at
        if isinstance(at, dt.datetime):
            return at
        return timezone.make_aware(dt.datetime.combine(at, dt.time.min))

    moments = [moment(entry) for entry in entries]
    assert moments == sorted(moments, reverse=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_the_story_opens_for_its_reader(story, users, district, role):
    user = getattr(users, role)
    client = client_for(user)
    response = client.get(f"/elders/{district.elders.a1.pk}/")
    if response.status_code == 404:
        assert role in ("street_staff_b", "caregiver", "family")  # the record itself is out of their reach
        return
    links = links_in_story(response.content.decode())
    for url in links:
        assert client.get(url).status_code == 200, (role, url)
    entries, _ = registry.timeline(user, district.elders.a1, limit=50)
    assert len([entry for entry in entries if entry.url]) == len(links)


def test_what_each_reader_sees_of_the_story(story, users, district):
    def kinds(user):
        return {str(entry.kind) for entry in registry.timeline(user, district.elders.a1, limit=50)[0]}

    # Street staff see the application side and the services; the elder sees their own story.
    assert {"申请", "通知书", "评估", "照护计划", "订单", "上门服务"} <= kinds(users.street_staff)
    assert {"申请", "照护计划", "订单", "照护等级", "上门服务"} <= kinds(users.elder)
    assert "评估" not in kinds(users.elder)  # assessment orders are agency and office business
    # Street B's staff and the family of another elder see none of it.
    assert kinds(users.street_staff_b) == set()
    assert kinds(users.family) == set()
    # The elder's record page links nothing an elder cannot open: no assessment pages, no staff lists.
    body = client_for(users.elder).get(f"/elders/{district.elders.a1.pk}/").content.decode()
    assert not any(url.startswith(("/assessment/", "/careplans/work-orders/")) for url in links_in_story(body))


def test_more_shows_the_next_page_and_bad_values_fall_back(intake, district, users):  # noqa: F811
    from carecircle.workorders.models import WorkOrder

    elder = district.elders.a1
    for n in range(TIMELINE_PAGE + 5):
        WorkOrder.objects.create(organisation=district.provider, elder=elder, date=dt.date(2026, 1, 1)
                                 + dt.timedelta(days=n), window_start=dt.time(9), window_end=dt.time(10),
                                 duration_minutes=60, source="plan")
    user = users.street_staff
    first = elder_timeline(user, elder)
    assert len(first["timeline"]) == TIMELINE_PAGE and first["timeline_more"]
    assert first["timeline"][0].at == dt.date(2026, 1, 1) + dt.timedelta(days=TIMELINE_PAGE + 4)  # newest first
    second = elder_timeline(user, elder, shown=first["timeline_next"])
    assert len(second["timeline"]) == TIMELINE_PAGE + 5 and not second["timeline_more"]
    for bad in ("abc", "-5", "0", "", None, "1e9"):
        assert len(elder_timeline(user, elder, shown=bad)["timeline"]) == TIMELINE_PAGE
    assert len(elder_timeline(user, elder, shown="999999")["timeline"]) == TIMELINE_PAGE + 5
    client = client_for(user)
    body = client.get(f"/elders/{elder.pk}/").content.decode()
    assert f'href="?story={TIMELINE_PAGE * 2}#story"' in body
    assert client.get(f"/elders/{elder.pk}/", {"story": "<x>"}).status_code == 200
    assert "data-more" not in client.get(f"/elders/{elder.pk}/", {"story": "40"}).content.decode()


def test_an_elder_without_any_story_says_so_in_both_languages(district, users):
    elder = district.elders.a2
    assert "还没有申请、评估、服务或通知的记录。" in client_for(users.street_staff).get(f"/elders/{elder.pk}/") \
        .content.decode()
    english = client_for(users.street_staff, "en").get(f"/elders/{elder.pk}/").content.decode()
    assert "No applications, assessments, services or notices yet." in english
