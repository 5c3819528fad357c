"""Pages: queues, the application page with its timeline and actions, notices, waiting list, portal, public board."""
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.intake.models import Application, Objection, PublicNotice, State
from carecircle.intake.services import application_act, application_record_assessment, application_submit


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def run(app, steps):
    for actor, action in steps:
        application_act(application=app, action=action, actor=actor)


@pytest.mark.django_db
class TestStaffPages:
    def test_queue_lists_with_tabs_counts_and_overdue_first(self, intake, today):
        u = intake.users
        late = application_submit(elder=intake.district.elders.a1, type_code="call-device", channel="window",
                                  actor=u.street_staff).application
        today.set(today.start + dt.timedelta(days=10))
        fresh = application_submit(elder=intake.district.elders.a2, type_code="call-device", channel="window",
                                   actor=u.street_staff).application
        response = client_for(u.street_staff).get(reverse("intake:queue"))
        assert response.status_code == 200
        body = response.content.decode()
        assert body.index(late.number) < body.index(fresh.number)
        assert "data-overdue-total" in body
        assert 'data-tab="registered"' in body and "(2)" in body
        export = client_for(u.street_staff).get(reverse("intake:export"))
        rows = {line.split(",")[0]: line.split(",") for line in
                b"".join(export.streaming_content).decode("utf-8-sig").splitlines()}
        assert rows[late.number][7] == "是" and rows[fresh.number][7] == ""

    def test_queue_filters_search_and_export(self, intake, today):
        u = intake.users
        a = application_submit(elder=intake.district.elders.a1, type_code="call-device", channel="window",
                               actor=u.street_staff).application
        b = application_submit(elder=intake.district.elders.a2, type_code="age-allowance", channel="window",
                               actor=u.street_staff).application
        client = client_for(u.street_staff)
        body = client.get(reverse("intake:queue"), {"type": "age-allowance"}).content.decode()
        assert b.number in body and a.number not in body
        body = client.get(reverse("intake:queue"), {"q": "李秀"}).content.decode()
        assert b.number in body and a.number not in body
        body = client.get(reverse("intake:queue"), {"q": "不存在的人"}).content.decode()
        assert 'class="empty"' in body
        export = client.get(reverse("intake:export"))
        content = b"".join(export.streaming_content).decode("utf-8")
        assert a.number in content and b.number in content

    def test_register_at_the_window_and_merge_message(self, intake, today):
        u = intake.users
        elder = intake.district.elders.a1
        client = client_for(u.street_staff)
        data = {"id_number": elder.id_number, "type": "call-device", "channel": "window", "documents": ["身份证"]}
        response = client.post(reverse("intake:register"), data)
        assert response.status_code == 302
        app = Application.objects.get()
        assert app.channel == "window" and app.documents_received == ["身份证"]
        response = client.post(reverse("intake:register"), {**data, "channel": "hotline"}, follow=True)
        assert Application.objects.count() == 1
        assert "并入" in response.content.decode()

    def test_register_refuses_an_elder_outside_the_street(self, intake):
        other = intake.district.elders.b1
        response = client_for(intake.users.street_staff).post(
            reverse("intake:register"), {"id_number": other.id_number, "type": "call-device", "channel": "window"})
        assert response.status_code == 200
        assert "没有找到" in response.content.decode()
        assert not Application.objects.exists()

    def test_detail_actions_and_illegal_step_message(self, intake, today):
        u = intake.users
        app = application_submit(elder=intake.district.elders.a1, type_code="call-device", channel="window",
                                 actor=u.street_staff).application
        client = client_for(u.street_staff)
        body = client.get(reverse("intake:detail", args=[app.pk])).content.decode()
        assert 'data-action-form="accept"' in body and 'data-action-form="not_accept"' in body
        response = client.post(reverse("intake:act", args=[app.pk]), {"action": "pass_district_review"}, follow=True)
        assert "不能“区审核通过”" in response.content.decode()
        client.post(reverse("intake:act", args=[app.pk]), {"action": "accept"})
        app.refresh_from_db()
        assert app.state == State.ACCEPTED
        response = client.post(reverse("intake:act", args=[app.pk]), {"action": "return_for_correction"}, follow=True)
        assert "须填写原因" in response.content.decode()

    def test_bulk_accept(self, intake, today):
        u = intake.users
        apps = [application_submit(elder=e, type_code="call-device", channel="window", actor=u.street_staff).application
                for e in (intake.district.elders.a1, intake.district.elders.a2)]
        run(apps[1], [(u.street_staff, "accept")])
        response = client_for(u.street_staff).post(reverse("intake:bulk"), {"action": "accept",
                                                                          "ids": [a.pk for a in apps]}, follow=True)
        body = response.content.decode()
        assert apps[0].number in body
        assert "当前状态为“已受理”" in body
        assert Application.objects.filter(state=State.ACCEPTED).count() == 2

    def test_notice_documents_html_and_pdf(self, intake, today):
        u = intake.users
        app = application_submit(elder=intake.district.elders.a1, type_code="gov-purchase", channel="window",
                                 actor=u.street_staff).application
        run(app, [(u.street_staff, "accept")])
        client = client_for(u.street_staff)
        html = client.get(reverse("intake:notice-document", args=[app.pk, "acceptance"])).content.decode()
        elder = intake.district.elders.a1
        # The notice is handed to the applicant: the elder's full name; the ID number stays masked.
        assert "受理通知书" in html and elder.name in html and "天平路街道" in html
        # No document was received: the notice names what is missing instead of saying "complete".
        assert "材料齐全" not in html and "尚缺以下材料" in html
        for document in app.type.documents:
            assert document in html
        assert intake.district.elders.a1.id_number not in html
        assert intake.district.elders.a1.id_number_masked in html
        pdf = client.get(reverse("intake:notice-document", args=[app.pk, "acceptance"]), {"format": "pdf"})
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert client.get(reverse("intake:notice-document", args=[app.pk, "correction"])).status_code == 404
        assert client.get(reverse("intake:notice-document", args=[app.pk, "nonsense"])).status_code == 404
        application_act(application=app, action="return_for_correction", actor=u.street_staff, reason="缺户口簿")
        html = client.get(reverse("intake:notice-document", args=[app.pk, "correction"])).content.decode()
        assert "补正通知书" in html and "缺户口簿" in html and "户口簿" in html


@pytest.mark.django_db
class TestPublicBoard:
    def _noticed(self, intake):
        u = intake.users
        app = application_submit(elder=intake.district.elders.a1, type_code="age-allowance", channel="window",
                                 actor=u.street_staff).application
        run(app, [(u.street_staff, "accept"), (u.street_staff, "pass_first_review"),
                  (u.district_admin, "pass_district_review"), (u.street_staff, "publish_notice")])
        return app

    def test_board_shows_masked_names_without_login(self, intake, today):
        self._noticed(intake)
        body = Client().get(reverse("intake:public-board", args=[intake.district.street_a.code])).content.decode()
        assert "张*明" in body and "张三明" not in body and "天平社区" in body
        other = Client().get(reverse("intake:public-board", args=[intake.district.street_b.code])).content.decode()
        assert "张*明" not in other
        assert Client().get(reverse("intake:public-board", args=["999"])).status_code == 404

    def test_lodging_an_objection(self, intake, today):
        app = self._noticed(intake)
        notice = PublicNotice.objects.get()
        url = reverse("intake:public-board", args=[intake.district.street_a.code])
        bad = Client().post(url, {"notice": notice.pk, "lodged_by": "邻居", "text": "短"})
        assert bad.status_code == 400 and not Objection.objects.exists()
        good = Client().post(url, {"notice": notice.pk, "lodged_by": "邻居王某", "phone": "13900001111",
                                   "text": "申请人子女条件很好，并非独居。"})
        assert good.status_code == 302
        objection = Objection.objects.get()
        assert objection.application == app
        assert app.events.filter(action="objection_lodged").exists()
        # A notice of another street cannot be objected to through this street's board.
        wrong = Client().post(reverse("intake:public-board", args=[intake.district.street_b.code]),
                              {"notice": notice.pk, "lodged_by": "某人", "text": "这是一条异议内容"})
        assert wrong.status_code == 400


@pytest.mark.django_db
class TestPortal:
    def test_family_applies_and_follows_progress(self, intake, today):
        u = intake.users
        client = client_for(u.family)
        assert client.get(reverse("intake:portal")).status_code == 200
        page = client.get(reverse("intake:portal-apply")).content.decode()
        assert "李秀英" in page and "张三明" not in page
        response = client.post(reverse("intake:portal-apply"), {"elder": intake.district.elders.a2.pk,
                                                                "type": "gov-purchase"})
        app = Application.objects.get()
        assert response.status_code == 302 and app.channel == "portal" and app.applicant_relation == "家属"
        body = client.get(reverse("intake:detail", args=[app.pk])).content.decode()
        assert "age-friendly" in body and "已登记" in body and 'name="action" value="withdraw"' in body
        assert client.get(reverse("intake:queue")).status_code == 403

    def test_family_cannot_apply_for_someone_else(self, intake):
        response = client_for(intake.users.family).post(
            reverse("intake:portal-apply"), {"elder": intake.district.elders.a1.pk, "type": "gov-purchase"})
        assert response.status_code == 200
        assert not Application.objects.exists()


@pytest.mark.django_db
def test_workbench_counts_open_and_overdue_applications(intake, today):
    u = intake.users
    application_submit(elder=intake.district.elders.a1, type_code="call-device", channel="window", actor=u.street_staff)
    today.set(today.start + dt.timedelta(days=10))
    body = client_for(u.street_staff).get("/").content.decode()
    def card(html, name):
        import re

        return int(re.search(rf'data-card="{name}">\s*<span class="num">(\d+)<', html).group(1))

    assert card(body, "applications_open") == 1 and card(body, "applications_overdue") == 1
    other = client_for(u.street_staff_b).get("/").content.decode()
    assert card(other, "applications_open") == 0 and card(other, "applications_overdue") == 0
    person = client_for(u.family).get("/").content.decode()
    assert reverse("intake:portal") in person and 'data-card="applications_open"' not in person


@pytest.mark.django_db
def test_waitlist_page_states_the_order_the_policy_sets(intake, today):
    from carecircle.core.models import PolicyParameter

    client = client_for(intake.users.street_staff)
    body = client.get(reverse("intake:waitlist"), {"type": "gov-purchase"}).content.decode()
    assert "排序规则：依次比较优先类别" in body
    PolicyParameter.objects.create(key="intake.waitlist.order", region=intake.district.district,
                                   value=["level", "applied"], effective_from=today.start.date() - dt.timedelta(days=1),
                                   source="测试", confidence="local")
    body = client.get(reverse("intake:waitlist"), {"type": "gov-purchase"}).content.decode()
    assert "排序规则：依次比较评估等级（高者在前）、申请日期（早者在前）" in body and "依次比较优先类别" not in body


@pytest.mark.django_db
class TestWhoIsThisFor:
    def test_the_only_elder_is_chosen_already(self, intake):
        page = client_for(intake.users.family).get(reverse("intake:portal-apply")).content.decode()
        elder = intake.district.elders.a2
        assert f'value="{elder.pk}"' in page
        radio = page[page.index(f'value="{elder.pk}"') - 200: page.index(f'value="{elder.pk}"') + 200]
        assert "checked" in radio

    def test_with_two_elders_nothing_is_chosen_for_the_person(self, intake):
        from carecircle.elders.models import ElderAccountLink

        ElderAccountLink.objects.create(user=intake.users.family, elder=intake.district.elders.a1, relation="女儿")
        page = client_for(intake.users.family).get(reverse("intake:portal-apply")).content.decode()
        fieldset = page[page.index("<fieldset>"):page.index("</fieldset>")]
        assert fieldset.count('type="radio"') == 2 and "checked" not in fieldset
