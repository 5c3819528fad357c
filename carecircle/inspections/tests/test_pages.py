import pytest
from django.test import Client
from django.urls import reverse

from carecircle.core.testing import assert_no_internals
from carecircle.inspections import services
from carecircle.inspections.choices import InspectionStatus

from .conftest import full_points, png

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_inspector_fills_the_checklist_on_the_page(world):
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.station,
                                            agency=world.agency)
    client = client_for(world.agency_inspector)
    url = reverse("inspections:do", args=[inspection.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "年内无责任事故" in html and "易燃可燃夹芯" in html
    assert_no_internals(html, allow=("S01", "S02", "V01", "M01", "F01", "H01", "H02", "H03", "H04", "H05", "H06",
                                     "H07", "H08", "H09"), where=url)
    # A score above the maximum: refused, the page keeps what was typed, nothing saved.
    body = {f"points-{code}": value for code, value in full_points(inspection.scheme).items()}
    response = client.post(url, {**body, "points-S01": "12", "action": "submit"})
    assert response.status_code == 400
    assert "超过该项满分 10 分" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.PLANNED
    # A photo of the hazard, then the submission with the hazard.
    response = client.post(reverse("inspections:photo-add", args=[inspection.pk]),
                           {"image": png(), "item_code": "H03", "caption": "彩钢板"})
    assert response.status_code == 302 and inspection.photos.count() == 1
    response = client.post(url, {**body, "hazard": ["H03"], "note-H03": "二楼活动室彩钢板", "manager_name": "王主任",
                                 "action": "submit"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SUBMITTED and inspection.hard_stops == ["H03"]
    detail = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert "重大事故隐患：使用易燃可燃夹芯材料的彩钢板搭建有人员活动的建筑——检查不合格" in detail
    photo = inspection.photos.get()
    served = client.get(reverse("inspections:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    # Another agency's inspector does not find it at all.
    other = client_for(world.other_inspector)
    assert other.get(url).status_code == 404
    assert other.get(reverse("inspections:photo", args=[photo.pk])).status_code == 404


def test_the_notice_is_issued_answered_and_closed_through_the_pages(world):
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.centre)
    services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                               points=full_points(inspection.scheme), hard_stops=["H02"])
    inspector = client_for(world.users.inspector)
    response = inspector.post(reverse("inspections:notice-issue", args=[inspection.pk]), {
        "item_code": ["H02", "", ""], "description": ["电气线路私拉乱接", "", ""], "working_days": ["5", "10", "10"]})
    assert response.status_code == 302
    notice = inspection.notice
    pdf = inspector.get(reverse("inspections:notice-pdf", args=[notice.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    problem = notice.problems.get()
    provider = client_for(world.users.provider_admin)
    page = provider.get(reverse("inspections:notice-detail", args=[notice.pk])).content.decode()
    assert "电气线路私拉乱接" in page and "提交整改材料" in page
    provider.post(reverse("inspections:problem-respond", args=[problem.pk]), {"response": "已重新布线",
                                                                              "evidence": png()})
    problem.refresh_from_db()
    assert problem.status == "responded"
    evidence = inspector.get(reverse("inspections:evidence", args=[problem.pk]))
    assert evidence.status_code == 200
    inspector.post(reverse("inspections:problem-close", args=[problem.pk]), {"note": "复查合格"})
    notice.refresh_from_db()
    assert notice.status == "closed"
    card = provider.get(reverse("inspections:scorecard", args=[world.centre.pk])).content.decode()
    assert "天平社区综合为老服务中心" in card


def test_the_public_ratings_page_is_readable_by_family(world):
    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                               points=full_points(inspection.scheme))
    services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)
    page = client_for(world.users.family).get(reverse("inspections:ratings-public"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "枫林睦邻点" in html and "5 星" in html
    assert_no_internals(html, where="ratings-public")
    # Family do not reach the inspections themselves.
    assert client_for(world.users.family).get(reverse("inspections:list")).status_code == 403


def test_plan_page_and_subsidy_table(world):
    admin = client_for(world.users.district_admin)
    assert admin.post(reverse("inspections:plan"), {"year": "2026", "quarter": "9"}).status_code == 302
    assert admin.post(reverse("inspections:plan"), {"year": "x", "quarter": "1"}).status_code == 302
    response = admin.post(reverse("inspections:plan"), {"year": "2026", "quarter": "4"})
    assert response.status_code == 302
    listing = admin.get(reverse("inspections:list")).content.decode()
    assert "天平社区综合为老服务中心" in listing and "季度检查" in listing
    assert admin.get(reverse("inspections:subsidies") + "?year=abc").status_code == 400
    assert admin.get(reverse("inspections:subsidies") + "?year=2027").status_code == 200


def test_overdue_queue_on_the_workbench(world):
    import datetime as dt

    from carecircle.inspections.models import Problem

    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.centre)
    services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                               points=full_points(inspection.scheme))
    notice = services.notice_issue(actor=world.users.inspector, inspection=inspection,
                                   problems=[{"description": "疏散图缺失", "working_days": 3}])
    Problem.objects.filter(notice=notice).update(due_on=dt.date.today() - dt.timedelta(days=2))
    admin = client_for(world.users.district_admin)
    overdue = admin.get(reverse("inspections:overdue")).content.decode()
    assert "疏散图缺失" in overdue
    home = admin.get("/").content.decode()
    assert "整改问题（逾期在前）" in home


def test_the_district_compares_its_facilities_and_drills_down(world):
    import datetime as dt

    from carecircle.inspections.models import Problem

    inspection = services.inspection_create(actor=world.users.district_admin, facility=world.station)
    services.inspection_submit(actor=world.users.inspector, inspection=inspection,
                               points=full_points(inspection.scheme))
    services.rating_decide(actor=world.users.district_admin, inspection=inspection, stars=5)
    notice = services.notice_issue(actor=world.users.inspector, inspection=inspection,
                                   problems=[{"description": "应急照明损坏", "working_days": 3},
                                             {"description": "疏散图缺失", "working_days": 3}])
    Problem.objects.filter(notice=notice, description="疏散图缺失").update(due_on=dt.date.today() - dt.timedelta(days=1))
    from carecircle.inspections import selectors

    rows = {f.name: f for f in selectors.facility_comparison(world.users.district_admin)}
    station = rows["枫林睦邻点"]
    assert (station.stars, station.latest_total, station.open_problems, station.overdue_problems) == (5, 500, 2, 1)
    assert rows["天平社区综合为老服务中心"].stars is None and rows["天平社区综合为老服务中心"].open_problems == 0
    # Street A sees its own centre only; an agency inspector sees only the facilities their agency is assigned,
    # and of those no problem of another agency's inspection.
    assert [f.name for f in selectors.facility_comparison(world.users.street_staff)] == ["天平社区综合为老服务中心"]
    assert list(selectors.facility_comparison(world.agency_inspector)) == []
    mine = services.inspection_create(actor=world.users.district_admin, facility=world.station, agency=world.agency)
    agency_rows = {f.name: f for f in selectors.facility_comparison(world.agency_inspector)}
    assert list(agency_rows) == ["枫林睦邻点"] and agency_rows["枫林睦邻点"].open_problems == 0
    page = client_for(world.agency_inspector).get(reverse("inspections:scorecard", args=[world.station.pk]))
    assert page.status_code == 200
    assert client_for(world.agency_inspector).get(
        reverse("inspections:scorecard", args=[world.centre.pk])).status_code == 404
    services.inspection_cancel(actor=world.users.district_admin, inspection=mine, reason="重复安排")
    page = client_for(world.users.district_admin).get(reverse("inspections:comparison"))
    assert page.status_code == 200 and "枫林睦邻点" in page.content.decode()
    assert client_for(world.users.provider_admin).get(reverse("inspections:comparison")).status_code == 403
