"""The pages: the staff list (overdue first, filters, CSV), a complaint with its timeline and its steps, the
elder's and family's big-type pages, the return-visit call form, the workbench and the elder's story."""
import datetime as dt

from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals
from carecircle.quality import services
from carecircle.quality.models import Complaint, ComplaintStatus, ReturnVisit

from .conftest import at


def _login(client, user):
    client.force_login(user)
    return client


def _file(q, **extra):
    values = {"elder": q.d.elders.a1, "category": "late_or_missed", "summary": "护理员迟到", "work_order": q.visit_a1}
    values.update(extra)
    return services.complaint_file(actor=q.u.operator, **values)


def test_the_list_shows_overdue_first_and_filters(quality, client):
    recent = _file(quality)
    old = _file(quality, summary="上个月的投诉", now=at(dt.date(2026, 9, 1)))
    _login(client, quality.u.street_staff)
    page = client.get("/quality/complaints/")
    assert page.status_code == 200
    assert_no_internals(page, allow=[quality.u.street_staff.username])
    assert [c.pk for c in page.context["object_list"]] == [old.pk, recent.pk]
    assert "逾期" in page.content.decode()
    overdue = client.get("/quality/complaints/?overdue=on")
    assert [c.pk for c in overdue.context["object_list"]] == [old.pk]
    searched = client.get("/quality/complaints/?q=上个月")
    assert [c.pk for c in searched.context["object_list"]] == [old.pk]
    assert client.get("/quality/complaints/?page=abc").status_code == 400


def test_the_export_is_audited_and_neutralises_formulas(quality, client):
    _file(quality, summary="=HYPERLINK(\"http://x\")")
    _login(client, quality.u.district_admin)
    export = client.get("/quality/complaints/export.csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in body and "张三明" in body
    assert AuditEvent.objects.filter(action="data.export", subject_type="quality.complaint").count() == 1


def test_the_steps_from_the_complaint_page(quality, client):
    complaint = _file(quality)
    _login(client, quality.u.street_staff)
    page = client.get(f"/quality/complaints/{complaint.pk}/")
    assert page.status_code == 200 and "受理" in page.content.decode()
    assert_no_internals(page, allow=[quality.u.street_staff.username])
    client.post(f"/quality/complaints/{complaint.pk}/accept/", {"note": "已联系机构"})
    _login(client, quality.u.provider_admin)
    empty = client.post(f"/quality/complaints/{complaint.pk}/answer/", {"answer": ""}, follow=True)
    assert "请写明答复内容" in empty.content.decode()
    client.post(f"/quality/complaints/{complaint.pk}/answer/", {"answer": "已更换护理员"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    _login(client, quality.u.street_staff)
    client.post(f"/quality/complaints/{complaint.pk}/close/", {"satisfied": "yes"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.complainant_satisfied is True
    page = client.get(f"/quality/complaints/{complaint.pk}/")
    timeline = page.content.decode().split('data-testid="complaint-timeline"')[1]
    for word in ("已登记", "已受理，待机构答复", "已答复", "已办结"):
        assert word in timeline


def test_an_elder_files_and_follows_on_big_type(quality, client):
    _login(client, quality.u.elder)
    portal = client.get("/quality/mine/")
    assert portal.status_code == 200 and "age-friendly" in portal.content.decode()
    form = client.get(f"/quality/complaints/new/{quality.d.elders.a1.pk}/")
    assert form.status_code == 200
    assert_no_internals(form, allow=[quality.u.elder.username])
    bad = client.post(f"/quality/complaints/new/{quality.d.elders.a1.pk}/", {"category": "attitude", "summary": ""})
    assert bad.status_code == 400 and not Complaint.objects.exists()
    done = client.post(f"/quality/complaints/new/{quality.d.elders.a1.pk}/",
                       {"category": "attitude", "summary": "说话很冲", "organisation": quality.d.provider.pk})
    complaint = Complaint.objects.get()
    assert done.status_code == 302 and complaint.channel == "portal" and complaint.filed_by == quality.u.elder
    detail = client.get(f"/quality/complaints/{complaint.pk}/")
    assert detail.status_code == 200 and "age-friendly" in detail.content.decode()
    assert_no_internals(detail, allow=[quality.u.elder.username])
    home = client.get("/")
    assert "投诉和建议" in home.content.decode()
    # Another elder's complaint page does not exist for them; nor does filing for another elder.
    other = _file(quality, elder=quality.d.elders.b1, work_order=quality.visit_b1)
    assert client.get(f"/quality/complaints/{other.pk}/").status_code == 404
    assert client.get(f"/quality/complaints/new/{quality.d.elders.b1.pk}/").status_code == 404


def test_a_return_visit_is_recorded_from_its_page_and_a_complaint_raised(quality, client):
    visit = services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="exception",
                                         organisation=quality.d.provider, work_order=quality.visit_a1, visit_id=3)
    _login(client, quality.u.community_worker)
    queue = client.get("/quality/return-visits/")
    assert [v.pk for v in queue.context["object_list"]] == [visit.pk]
    assert_no_internals(queue, allow=[quality.u.community_worker.username])
    bad = client.post(f"/quality/return-visits/{visit.pk}/", {"outcome": "reached", "satisfaction": "6"})
    assert bad.status_code == 400
    bad = client.post(f"/quality/return-visits/{visit.pk}/", {"outcome": "reached"})
    assert bad.status_code == 400 and "满意度" in bad.content.decode()
    client.post(f"/quality/return-visits/{visit.pk}/", {"outcome": "reached", "satisfaction": "2",
                                                       "notes": "老人说护理员只待了二十分钟"})
    visit.refresh_from_db()
    assert visit.status == "done" and visit.satisfaction == 2
    raise_page = client.get(f"/quality/complaints/new/{visit.elder_id}/?return_visit={visit.pk}")
    assert raise_page.status_code == 200
    client.post(f"/quality/complaints/new/{visit.elder_id}/", {
        "return_visit": visit.pk, "category": "shortened", "summary": "服务只有二十分钟",
        "organisation": quality.d.provider.pk, "work_order": quality.visit_a1.pk, "channel": "community"})
    complaint = Complaint.objects.get()
    assert complaint.return_visit == visit and complaint.channel == "return_visit"


def test_workbench_queues_and_the_elders_story(quality, client):
    complaint = _file(quality)
    ReturnVisit.objects.all().delete()
    services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="manual")
    _login(client, quality.u.street_staff)
    home = client.get("/").content.decode()
    assert "待处理的投诉" in home and "待回访" in home
    services.complaint_accept(actor=quality.u.street_staff, complaint=complaint)
    _login(client, quality.u.provider_admin)
    assert "待处理的投诉" in client.get("/").content.decode()
    _login(client, quality.u.street_staff)
    story = client.get(f"/elders/{quality.d.elders.a1.pk}/").content.decode()
    assert "投诉：迟到或未上门" in story
