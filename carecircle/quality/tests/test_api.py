"""The API: filing, the steps, isolation, bad input (400), and two answers at once (409)."""
from rest_framework.test import APIClient

from carecircle.core.models import AuditEvent
from carecircle.quality import services
from carecircle.quality.models import Complaint, ComplaintStatus, ReturnVisit


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _complaint(q, elder=None, work_order=None):
    return services.complaint_file(actor=q.u.district_admin, elder=elder or q.d.elders.a1, category="quality",
                                   summary="地没有拖干净", work_order=work_order or q.visit_a1)


def test_a_family_member_files_for_their_elder_and_sees_only_theirs(quality):
    family = _client(quality.u.family)
    answer = family.post("/api/v1/complaints/", {"elder": quality.d.elders.a2.pk, "category": "attitude",
                                                 "summary": "说话不耐烦"}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["channel"] == "portal" and answer.json()["status"] == "received"
    _complaint(quality)  # elder A1's
    listed = family.get("/api/v1/complaints/").json()["results"]
    assert [row["id"] for row in listed] == [answer.json()["id"]]
    refused = family.post("/api/v1/complaints/", {"elder": quality.d.elders.a1.pk, "category": "attitude",
                                                  "summary": "不是我家的老人"}, format="json")
    assert refused.status_code == 403
    assert Complaint.objects.count() == 2


def test_a_provider_sees_only_complaints_about_itself(quality):
    mine = _complaint(quality)
    _complaint(quality, elder=quality.d.elders.b1, work_order=quality.visit_b1)
    listed = _client(quality.u.provider_admin).get("/api/v1/complaints/").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    other = Complaint.objects.exclude(pk=mine.pk).get()
    assert _client(quality.u.provider_admin).get(f"/api/v1/complaints/{other.pk}/").status_code == 404


def test_the_steps_through_the_api_and_what_each_may_do(quality):
    complaint = _complaint(quality)
    provider = _client(quality.u.provider_admin)
    early = provider.post(f"/api/v1/complaints/{complaint.pk}/answer/", {"answer": "好的"}, format="json")
    assert early.status_code == 409 and early.json()["allowed_actions"] == []
    street = _client(quality.u.street_staff)
    accepted = street.post(f"/api/v1/complaints/{complaint.pk}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert provider.post(f"/api/v1/complaints/{complaint.pk}/answer/", {"answer": "已处理"},
                         format="json").status_code == 200
    closed = street.post(f"/api/v1/complaints/{complaint.pk}/close/", {"satisfied": True}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert ReturnVisit.objects.filter(complaint=complaint).count() == 1
    # The street's staff of the other street cannot reach it at all.
    other = _client(quality.u.street_staff_b).post(f"/api/v1/complaints/{complaint.pk}/reopen/",
                                                   {"reason": "不满意"}, format="json")
    assert other.status_code == 404


def test_bad_input_is_a_400_naming_the_field(quality):
    client = _client(quality.u.operator)
    bad = client.post("/api/v1/complaints/", {"elder": quality.d.elders.a1.pk, "category": "nonsense",
                                              "summary": ""}, format="json")
    assert bad.status_code == 400 and {"category", "summary"} <= set(bad.json())
    wrong_visit = client.post("/api/v1/complaints/", {"elder": quality.d.elders.a1.pk, "category": "quality",
                                                      "summary": "不对的工单", "work_order": quality.visit_b1.pk},
                              format="json")
    assert wrong_visit.status_code == 400 and "work_order" in wrong_visit.json()
    assert not Complaint.objects.exists()


def _return_visit(quality):
    return services.return_visit_create(actor=None, elder=quality.d.elders.a1, reason="exception",
                                        organisation=quality.d.provider, work_order=quality.visit_a1, visit_id=5)


def test_satisfaction_bounds_through_the_api(quality):
    visit = _return_visit(quality)
    client = _client(quality.u.community_worker)
    url = f"/api/v1/return-visits/{visit.pk}/record/"
    for value in (0, 6, "abc", None):
        answer = client.post(url, {"outcome": "reached", "satisfaction": value}, format="json")
        assert answer.status_code == 400 and "satisfaction" in answer.json(), (value, answer.content)
    english = client.post(url, {"outcome": "reached", "satisfaction": 9}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert english.json()["satisfaction"] == ["Satisfaction must be a whole number between 1 and 5"]
    assert client.post(url, {"outcome": "maybe"}, format="json").status_code == 400
    done = client.post(url, {"outcome": "reached", "satisfaction": 5, "notes": "很满意"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["satisfaction"] == 5
    assert client.post(url, {"outcome": "reached", "satisfaction": 5}, format="json").status_code == 409


def test_providers_and_families_do_not_make_return_visits(quality):
    visit = _return_visit(quality)
    for user in (quality.u.provider_admin, quality.u.family, quality.u.elder):
        assert _client(user).post(f"/api/v1/return-visits/{visit.pk}/record/", {"outcome": "refused"},
                                  format="json").status_code == 403
        assert _client(user).get("/api/v1/return-visits/").status_code == 403


def _post(user, url, body):
    def call():
        return _client(user).post(url, body, format="json")

    return call


def test_two_answers_at_once_one_wins_the_other_gets_409(quality, race):
    complaint = _complaint(quality)
    services.complaint_accept(actor=quality.u.street_staff, complaint=complaint)
    url = f"/api/v1/complaints/{complaint.pk}/answer/"
    results = race.run(_post(quality.u.provider_admin, url, {"answer": "第一位的答复"}),
                       _post(quality.u.provider_admin, url, {"answer": "第二位的答复"}))
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    loser = next(r for r in results if r.status_code == 409).json()
    assert "已答复" in loser["detail"]
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    assert AuditEvent.objects.filter(action="quality.complaint_answer", subject_id=str(complaint.pk)).count() == 1
    assert complaint.steps.filter(action="answer").count() == 1
