"""Published scorecards (per provider, facility and consortium, with the visits' and complaints' figures read
through the quality app), the four provider lists with entry and exit on record, consortia, and the
agency's narrowed reach outside this app."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals
from carecircle.core.workflow import IllegalStep
from carecircle.inspections import selectors, services
from carecircle.inspections.models import ProviderListEntry, PublishedScore

from .conftest import full_points

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _visits(world, month, rows):
    """Visits by the centre's operator in `month`: (status, on time, with an exception) each."""
    from carecircle.providers.models import StaffMember
    from carecircle.visits.models import Visit, VisitException
    from carecircle.workorders.models import WorkOrder

    organisation, elder = world.district.provider, world.district.elders.a1
    caregiver = StaffMember.objects.create(organisation=organisation, name="护理员甲", gender="F",
                                           id_number="310104198001010011", position="caregiver",
                                           id_number_hash="inspections-scorecard-test")
    for n, (status, on_time, exception) in enumerate(rows):
        day = month + dt.timedelta(days=n + 1)
        order = WorkOrder.objects.create(organisation=organisation, elder=elder, date=day, window_start=dt.time(9),
                                         window_end=dt.time(10), duration_minutes=60, source="plan", status="done")
        visit = Visit.objects.create(work_order=order, organisation=organisation, elder=elder, caregiver=caregiver,
                                     date=day, status=status, on_time=on_time)
        if exception:
            VisitException.objects.create(visit=visit)


def _rated(world, facility):
    """A full-marks inspection of `facility`, rated at the stars it reached."""
    inspection = services.inspection_create(actor=world.users.district_admin, facility=facility)
    inspection = services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                                            points=full_points(inspection.scheme))
    services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=inspection.stars)
    return inspection


def test_the_facility_scorecard_reads_its_operators_service_figures_through_the_quality_app(world):
    month = selectors.last_month()
    _visits(world, month, [("verified", True, False), ("held", False, True), ("verified", True, False),
                           ("verified", False, False)])
    card = selectors.facility_scorecard(world.users.district_admin, world.centre, month)
    service = card["service"]
    assert service["visits"] == 4
    assert (service["on_time_rate"], service["verified_share"], service["exception_rate"]) == (
        Decimal("50.0"), Decimal("75.0"), Decimal("25.0"))
    assert service["complaints"] == 0 and service["complaints_per_1000"] == Decimal("0.0")
    assert service["satisfaction"] is None
    # The other provider's station has no visits: no figures rather than zeros.
    assert selectors.facility_scorecard(world.users.district_admin, world.station, month)["service"] is None
    # An agency's inspector reads no service figures; a provider reads its own.
    assert selectors.service_figures(world.agency_inspector, month=month) == {}
    assert set(selectors.service_figures(world.users.provider_admin, month=month)) == {world.district.provider.pk}
    page = client_for(world.users.district_admin).get(reverse("inspections:scorecard", args=[world.centre.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "50.0%" in body and "75.0%" in body
    compare = client_for(world.users.district_admin).get(reverse("inspections:comparison")).content.decode()
    assert "50.0%" in compare and "25.0%" in compare


def test_the_district_publishes_a_finished_month_and_a_family_reads_it(world):
    month = selectors.last_month()
    _visits(world, month, [("verified", True, False), ("held", False, True)])
    _rated(world, world.station)
    publication = services.scorecards_publish(actor=world.users.district_admin, month=f"{month:%Y-%m}")
    rows = {(row.name, row.facility_id is None): row for row in PublishedScore.objects.filter(publication=publication)}
    station = rows[("枫林睦邻点", False)]
    assert station.stars == 5 and station.inspections == 1 and station.visits == 0
    centre = rows[("天平社区综合为老服务中心", False)]
    assert centre.stars is None and centre.visits == 2 and centre.on_time_rate == Decimal("50.0")
    provider = rows[(world.district.provider.name, True)]
    assert provider.exception_rate == Decimal("50.0")
    assert AuditEvent.objects.filter(action="inspections.scorecard_publish").count() == 1
    # Frozen: a later rating does not change what was published.
    _rated(world, world.centre)
    assert PublishedScore.objects.get(pk=centre.pk).stars is None
    # A family reads the publication; internal words never show.
    page = client_for(world.users.family).get(reverse("inspections:scorecards-public"))
    body = page.content.decode()
    assert page.status_code == 200 and "枫林睦邻点" in body and "50.0%" in body
    assert "发布这个月的服务评价" not in body
    assert_no_internals(body)
    # The same month twice is a conflict; the current month and nonsense are refused; only the district publishes.
    with pytest.raises(IllegalStep, match="已经发布过"):
        services.scorecards_publish(actor=world.users.district_admin, month=month)
    with pytest.raises(ValidationError, match="尚未结束"):
        services.scorecards_publish(actor=world.users.district_admin, month=dt.date.today())
    for nonsense in ("2026-13", "0001-01", "", None, "十一月"):
        with pytest.raises(ValidationError, match="YYYY-MM"):
            services.scorecards_publish(actor=world.users.district_admin, month=nonsense)
    for user in (world.users.provider_admin, world.users.street_staff, world.agency_inspector):
        with pytest.raises(PermissionDenied):
            services.scorecards_publish(actor=user, month=month - dt.timedelta(days=40))
    response = client_for(world.users.district_admin).post(reverse("inspections:scorecards-public"),
                                                           {"month": f"{month:%Y-%m}"}, follow=True)
    assert "已经发布过" in response.content.decode()
    assert client_for(world.users.family).post(reverse("inspections:scorecards-public"),
                                               {"month": "2020-01"}).status_code == 403
    assert client_for(world.users.family).get(reverse("inspections:scorecards-public"),
                                              {"publication": "999999"}).status_code == 404


def test_a_provider_enters_and_exits_a_list_with_the_reason_on_record(world):
    admin, provider = world.users.district_admin, world.district.provider
    entry = services.provider_list_enter(actor=admin, organisation=provider, list_code="basic",
                                         reason="承接政府购买的居家照护")
    with pytest.raises(IllegalStep, match="已在基本养老服务清单中"):
        services.provider_list_enter(actor=admin, organisation=provider, list_code="basic", reason="再次列入")
    # Another positive list is fine; the negative list is refused while the provider is on a positive one.
    services.provider_list_enter(actor=admin, organisation=provider, list_code="market", reason="开展助浴市场服务")
    with pytest.raises(ValidationError, match="请先移出"):
        services.provider_list_enter(actor=admin, organisation=provider, list_code="negative", reason="整改不力")
    with pytest.raises(ValidationError, match="请填写理由"):
        services.provider_list_enter(actor=admin, organisation=provider, list_code="guided", reason="  ")
    with pytest.raises(ValidationError, match="没有这个清单"):
        services.provider_list_enter(actor=admin, organisation=provider, list_code="gold", reason="x")
    with pytest.raises(PermissionDenied):
        services.provider_list_enter(actor=world.users.street_staff, organisation=provider, list_code="guided",
                                     reason="x")
    with pytest.raises(ValidationError, match="移出日期不能早于"):
        services.provider_list_exit(actor=admin, entry=entry, reason="合同到期", on=entry.entered_on - dt.timedelta(1))
    services.provider_list_exit(actor=admin, entry=entry, reason="合同到期")
    with pytest.raises(IllegalStep, match="已于"):
        services.provider_list_exit(actor=admin, entry=entry, reason="再次移出")
    # Entering again after the exit keeps the first stay as history.
    services.provider_list_enter(actor=admin, organisation=provider, list_code="basic", reason="重新中标")
    stays = ProviderListEntry.objects.filter(organisation=provider, list_code="basic").order_by("pk")
    assert [(s.exit_reason, s.exited_on is None) for s in stays] == [("合同到期", False), ("", True)]
    assert AuditEvent.objects.filter(action="inspections.list_exit", reason="合同到期").exists()
    # The provider sees its own entries; an agency's inspector sees none.
    assert selectors.list_entries(world.users.provider_admin).count() == 3
    assert not selectors.list_entries(world.agency_inspector).exists()
    page = client_for(admin).get(reverse("inspections:lists")).content.decode()
    assert "合同到期" in page and "负面清单" in page
    # The centre's scorecard names the lists its operator is on today.
    scorecard = client_for(admin).get(reverse("inspections:scorecard", args=[world.centre.pk]))
    assert [item["code"] for item in scorecard.context["card"]["lists"]] == ["basic", "market"]
    response = client_for(admin).post(reverse("inspections:lists"), {"organisation": "", "list_code": "basic",
                                                                     "reason": "x"}, follow=True)
    assert "请选择服务机构" in response.content.decode()
    assert client_for(world.users.street_staff).post(reverse("inspections:lists"), {}).status_code == 403


def test_a_consortium_is_one_scorecard_for_its_chain(world):
    from carecircle.providers.models import Facility

    admin = world.users.district_admin
    institution = Facility.objects.create(organisation=world.district.provider, name="福寿护理院", kind="institution",
                                          community=world.district.a1, lat="31.205", lng="121.445")
    unifications = {"brand": "福寿连锁", "building": "按区标准建设", "service": "同一服务规范",
                    "operations": "统一排班和采购", "supervision": "总部季度考核"}
    with pytest.raises(ValidationError, match="不是养老机构"):
        services.consortium_create(actor=admin, name="福寿联合体", institution=world.centre, unifications=unifications)
    with pytest.raises(ValidationError, match="统一监督考核"):
        services.consortium_create(actor=admin, name="福寿联合体", institution=institution,
                                   unifications={**unifications, "supervision": ""})
    consortium = services.consortium_create(actor=admin, name="福寿联合体", institution=institution,
                                            unifications=unifications)
    services.consortium_member_add(actor=admin, consortium=consortium, facility=world.centre)
    with pytest.raises(ValidationError, match="已属于"):
        services.consortium_member_add(actor=admin, consortium=consortium, facility=world.centre)
    with pytest.raises(ValidationError, match="不由牵头机构"):
        services.consortium_member_add(actor=admin, consortium=consortium, facility=world.station)
    inspection = services.inspection_create(actor=admin, facility=world.centre)
    services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                               points=full_points(inspection.scheme))
    services.notice_issue(actor=world.users.inspector, inspection=inspection,
                          problems=[{"description": "消防通道堆物", "working_days": 3}])
    card = selectors.consortium_scorecard(admin, consortium)
    assert [m["facility"].name for m in card["members"]] == ["天平社区综合为老服务中心", "福寿护理院"]
    assert card["inspection_count"] == 1 and card["open_problems"] == 1 and card["lowest_stars"] == 0
    page = client_for(admin).get(reverse("inspections:consortium", args=[consortium.pk])).content.decode()
    for text in ("统一品牌", "福寿连锁", "统一监督考核", "总部季度考核", "天平社区综合为老服务中心"):
        assert text in page
    scorecard = client_for(admin).get(reverse("inspections:scorecard", args=[world.centre.pk])).content.decode()
    assert "福寿联合体" in scorecard and "消防通道堆物" in scorecard
    publication = services.scorecards_publish(actor=admin, month=selectors.last_month())
    chain = PublishedScore.objects.get(publication=publication, consortium=consortium)
    assert chain.inspections == 1 and chain.open_problems == 1 and chain.stars == 0
    # Another street's staff do not reach the consortium.
    assert client_for(world.users.street_staff_b).get(
        reverse("inspections:consortium", args=[consortium.pk])).status_code == 404


def test_an_agency_inspector_reads_nothing_of_other_apps_in_the_region(world):
    """The agency's staff hold role INSPECTOR, whose capabilities read elders, visits and complaints region-wide;
    as contracted staff they reach none of those rows, while the district's own inspector still does."""
    from carecircle.core.isolation import visible_to
    from carecircle.elders.models import Elder
    from carecircle.providers.models import Facility
    from carecircle.quality.models import Complaint

    for model in (Elder, Facility, Complaint):
        assert not visible_to(world.agency_inspector, model).exists()
    assert visible_to(world.users.inspector, Elder).exists()
    page = client_for(world.agency_inspector).get(reverse("elders:list"))
    assert page.status_code == 200 and world.district.elders.a1.name not in page.content.decode()
    assert client_for(world.agency_inspector).get(
        reverse("elders:detail", args=[world.district.elders.a1.pk])).status_code == 404
    # Assigned an inspection, the agency reaches that inspection and its facility's scorecard, nothing more.
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.centre,
                                            agency=world.agency)
    assert list(selectors.inspections_for(world.agency_inspector)) == [inspection]
    assert not visible_to(world.agency_inspector, Facility).exists()
    assert client_for(world.agency_inspector).get(
        reverse("inspections:scorecard", args=[world.centre.pk])).status_code == 200


def test_the_new_pages_speak_english_with_only_the_datas_names_in_chinese(world):
    import re

    from django.utils import translation

    from carecircle.core.testing import visible_text
    from carecircle.providers.models import Facility

    admin = world.users.district_admin
    institution = Facility.objects.create(organisation=world.district.provider, name="福寿护理院", kind="institution",
                                          community=world.district.a1, lat="31.205", lng="121.445")
    consortium = services.consortium_create(actor=admin, name="福寿联合体", institution=institution, unifications={
        "brand": "福寿连锁", "building": "区标准", "service": "同一规范", "operations": "统一排班", "supervision": "季度考核"})
    services.provider_list_enter(actor=admin, organisation=world.district.provider, list_code="basic", reason="中标")
    services.scorecards_publish(actor=admin, month=selectors.last_month())
    names = {"福寿护理院", "福寿联合体", "福寿连锁", "区标准", "同一规范", "统一排班", "季度考核", "中标", "天平社区综合为老服务中心",
             "枫林睦邻点", world.district.provider.name, world.district.other_provider.name, world.district.a1.name,
             world.district.b1.name, world.district.district.name, admin.display_name, "简体中文", "中文"}
    from carecircle.providers.models import Organisation

    names |= set(Organisation.objects.values_list("name", flat=True))
    client = client_for(admin)
    with translation.override("en"):
        for url in (reverse("inspections:scorecards-public"), reverse("inspections:lists"),
                    reverse("inspections:consortia"), reverse("inspections:consortium", args=[consortium.pk]),
                    reverse("inspections:scorecard", args=[world.centre.pk]), reverse("inspections:comparison")):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 200, url
            html = response.content.decode()
            assert_no_internals(html, allow=(admin.display_name,), where=url)
            text = visible_text(html, without_lang="zh-Hans")
            for name in sorted(names, key=len, reverse=True):
                text = text.replace(name, "")
            leftover = re.findall(r"[\u3400-\u9fff]+", text)
            assert not leftover, (url, leftover)
