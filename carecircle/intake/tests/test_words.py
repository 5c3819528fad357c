"""What intake shows a person is words in their language; the workflow's pages say what the rules allow.

Covers: no keys, codes, ids or dicts on the pages (zh and en); the care level and the ability level named apart;
the district returning an application for correction and choosing the agency; "close the notice" offered only
after the notice period, as allowed_actions says; an objection's outcome chosen, never preselected; the
acceptance notice naming missing documents and the elder in full; admission by capacity with a confirmation
step; a mistyped ID number named as such.
"""
import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carecircle.conftest import make_elder
from carecircle.core.testing import assert_no_internals, visible_text
from carecircle.intake import services
from carecircle.intake.models import Application, Objection, State, WaitlistEntry
from carecircle.intake.services import allowed_actions, objection_lodge

from .helpers import act, submit, to_state

pytestmark = pytest.mark.django_db
LANGUAGES = ["zh-hans", "en"]


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def names(intake):
    """Login names may look like codes; they are the accounts' own names."""
    return [u.username for u in vars(intake.users).values()] + ["assessor_two"]


def page(client, url, intake, *, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.content.decode()
    assert_no_internals(html, allow=names(intake), where=url)
    return html


# --- no internals, both languages -------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_application_pages_show_words_only(intake, today, language):
    u = intake.users
    noticed = to_state(intake, submit(intake, elder=intake.district.elders.a1), "public_notice", today=None)
    objection_lodge(notice=noticed.notices.get(), lodged_by="邻居", phone="", text="老人能自己买菜做饭，评估偏重。")
    waiting = to_state(intake, submit(intake, elder=intake.district.elders.a2, type_code="institution"),
                       "waitlisted", today=today)
    street, district = client_for(u.street_staff, language), client_for(u.district_admin, language)
    for url in (reverse("intake:detail", args=[noticed.pk]), reverse("intake:detail", args=[waiting.pk]),
                reverse("intake:queue"), reverse("intake:waitlist") + "?type=institution",
                reverse("intake:register")):
        page(street, url, intake)
    page(district, reverse("intake:queue"), intake)
    page(district, reverse("intake:detail", args=[noticed.pk]), intake)
    for kind in ("acceptance", "assessment_task"):
        page(street, reverse("intake:notice-document", args=[noticed.pk, kind]), intake)
    board = Client(HTTP_ACCEPT_LANGUAGE=language)
    board.cookies["django_language"] = language
    page(board, reverse("intake:public-board", args=[intake.district.street_a.code]), intake)


def test_scanner_would_catch_what_the_pages_used_to_show():
    """The helper the page tests rely on flags exactly the kinds of text these pages once showed."""
    from carecircle.core.testing import find_internal_tokens

    shown = ("<p>单价 15.00 元：政策参数 catalog.price.item[gb-meal]</p><td>registered_nurse</td>"
             "<small>{'state': ['accepted', 'street_passed']}</small><p>A1：single＝多条同时满足只提高一级</p>"
             "<p>由 4 级调整为 4 级（依据：fall=2）</p>")
    kinds = {kind for kind, _token, _context in find_internal_tokens(shown)}
    assert {"policy key", "snake_case code", "python dict", "setting text"} <= kinds
    assert find_internal_tokens("<p>张三明 · 310104********1234 · 天平社区</p><p>Care level 4; 2026-03-09</p>") == []
    # Scripts, styles and what a person is typing into a textarea are not what a page shows.
    assert find_internal_tokens("<script>var a_b = {'x': 1}</script><textarea>{\"default\": 2}</textarea>") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_care_level_and_ability_level_are_named_apart(intake, today, language):
    app = to_state(intake, submit(intake), "assessed")
    with translation.override(language):
        html = page(client_for(intake.users.street_staff, language), reverse("intake:detail", args=[app.pk]), intake)
    text = visible_text(html)
    kind = re.search(r'data-level-kind="(\w+)"', html).group(1)
    assessment = app.assessment_order.assessment
    assert kind == ("care" if assessment.care_level is not None else "ability")
    care, ability = ("照护等级", "能力等级") if language == "zh-hans" else ("Care level", "Ability level")
    if kind == "care":
        assert care in text and str(assessment.care_level) in text
    else:
        assert ability in text
    assert ("能力评估" if language == "zh-hans" else "Ability assessment") in text or kind == "ability"


# --- the district returns for correction and chooses the agency -------------------------------------------

def test_district_review_can_return_for_correction(intake, today):
    u = intake.users
    app = to_state(intake, submit(intake), "street_passed")
    assert "district_return_for_correction" in allowed_actions(app, u.district_admin)
    assert "district_return_for_correction" not in allowed_actions(app, u.street_staff)
    with pytest.raises(ValidationError):
        act(app, "district_return_for_correction", u.district_admin, reason=" ")
    assert app.state == State.STREET_PASSED
    act(app, "district_return_for_correction", u.district_admin, reason="缺收入证明")
    assert app.state == State.CORRECTION
    # The street (or the applicant) resubmits; the application goes through the street again.
    act(app, "resubmit", u.street_staff, documents=[app.type.documents[0]])
    assert app.state == State.ACCEPTED
    html = client_for(u.street_staff).get(reverse("intake:notice-document", args=[app.pk, "correction"]))
    assert "缺收入证明" in html.content.decode()


def test_district_chooses_the_agency_or_keeps_round_robin(intake, today):
    from carecircle.providers.models import Organisation

    u = intake.users
    second = Organisation.objects.create(name="公信评估中心", kind="assessment_agency", credit_code="91310104MA1FL0099X",
                                         region=intake.district.district)
    app = to_state(intake, submit(intake), "district_passed")
    client = client_for(u.district_admin)
    html = client.get(reverse("intake:detail", args=[app.pk])).content.decode()
    assert 'name="agency"' in html and second.name in html and intake.district.agency.name in html
    # An agency that may not assess this elder (not an agency at all) is refused with words; nothing changes.
    response = client.post(reverse("intake:act", args=[app.pk]), {"action": "order_assessment",
                                                                  "agency": intake.district.provider.pk})
    app.refresh_from_db()
    assert response.status_code == 302 and app.state == State.DISTRICT_PASSED
    assert "所选评估机构不能承接" in client.get(reverse("intake:detail", args=[app.pk])).content.decode()
    client.post(reverse("intake:act", args=[app.pk]), {"action": "order_assessment", "agency": second.pk})
    app.refresh_from_db()
    assert app.state == State.ASSESSMENT_ORDERED and app.assessment_agency == second
    assert app.assessment_order.assignment_method == "manual"
    other = to_state(intake, submit(intake, elder=intake.district.elders.a2), "district_passed")
    client.post(reverse("intake:act", args=[other.pk]), {"action": "order_assessment", "agency": ""})
    other.refresh_from_db()
    assert other.state == State.ASSESSMENT_ORDERED and other.assessment_order.assignment_method == "round_robin"


# --- the public notice ---------------------------------------------------------------------------------------

def test_close_notice_is_offered_only_after_the_period(intake, today):
    u = intake.users
    app = to_state(intake, submit(intake), "public_notice")
    notice = app.notices.get()
    client = client_for(u.street_staff)
    assert "close_notice" not in allowed_actions(app, u.street_staff)
    assert 'data-action-form="close_notice"' not in client.get(reverse("intake:detail", args=[app.pk])).content.decode()
    with pytest.raises(services.IllegalStep) as refused:
        act(app, "close_notice", u.street_staff)
    assert notice.ends_on.isoformat() in refused.value.message
    assert "close_notice" not in refused.value.allowed  # the refusal lists what the page offers
    # The last day of the period is still inside it.
    today.set(dt.datetime.combine(notice.ends_on, dt.time(17), tzinfo=today.start.tzinfo))
    assert "close_notice" not in allowed_actions(app, u.street_staff)
    today.set(dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(9), tzinfo=today.start.tzinfo))
    assert "close_notice" in allowed_actions(app, u.street_staff)
    client = client_for(u.street_staff)  # a new session: the clock moved past the old one's idle limit
    assert 'data-action-form="close_notice"' in client.get(reverse("intake:detail", args=[app.pk])).content.decode()


def test_an_unanswered_objection_keeps_the_notice_open_and_the_outcome_is_chosen(intake, today):
    u = intake.users
    app = to_state(intake, submit(intake), "public_notice")
    notice = app.notices.get()
    assert "answer_objection" not in allowed_actions(app, u.street_staff)  # nothing to answer yet
    objection_lodge(notice=notice, lodged_by="王某", phone="", text="家中有子女同住，并非独居。")
    today.set(dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(9), tzinfo=today.start.tzinfo))
    assert "close_notice" not in allowed_actions(app, u.street_staff)
    assert "answer_objection" in allowed_actions(app, u.street_staff)
    client = client_for(u.street_staff)
    html = client.get(reverse("intake:detail", args=[app.pk])).content.decode()
    select = re.search(r'<select name="outcome"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"( selected)?', select)
    assert options[0] == ("", " selected")  # the reviewer must choose
    assert [value for value, _selected in options[1:]] == ["review", "reassess", "dismiss"]
    assert all(not selected for _value, selected in options[1:])
    client.post(reverse("intake:act", args=[app.pk]), {"action": "answer_objection", "reason": "已核实", "outcome": ""})
    assert Objection.objects.get().outcome == ""  # nothing was decided for them
    client.post(reverse("intake:act", args=[app.pk]),
                {"action": "answer_objection", "reason": "经核实不属实", "outcome": "dismiss"})
    assert Objection.objects.get().outcome == "dismiss"
    assert "close_notice" in allowed_actions(app, u.street_staff)


# --- notices handed to the applicant -------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_acceptance_notice_reflects_the_documents(intake, today, language):
    u = intake.users
    kind = intake.types["gov-purchase"]
    complete = submit(intake, documents=list(kind.documents))
    partial = submit(intake, elder=intake.district.elders.a2, documents=list(kind.documents[:1]))
    for app in (complete, partial):
        act(app, "accept", u.street_staff)
    client = client_for(u.street_staff, language)
    full = visible_text(page(client, reverse("intake:notice-document", args=[complete.pk, "acceptance"]), intake))
    short = visible_text(page(client, reverse("intake:notice-document", args=[partial.pk, "acceptance"]), intake))
    complete_words = "材料齐全" if language == "zh-hans" else "is complete and meets"
    missing_words = "尚缺以下材料" if language == "zh-hans" else "still missing"
    assert complete_words in full and missing_words not in full
    assert complete_words not in short and missing_words in short
    with translation.override(language):
        assert translation.gettext(kind.documents[1]) in short
    # The notice is for the applicant: the elder's full name, the ID number masked.
    assert intake.district.elders.a1.name in full and intake.district.elders.a1.id_number not in full


# --- admission by capacity -----------------------------------------------------------------------------------

def _queue(intake, today, n):
    elders = [make_elder(intake.district.a1 if i % 2 else intake.district.a2, name=f"轮候{i}号",
                         birth=dt.date(1940, 1, 1 + i)) for i in range(n)]
    return [to_state(intake, submit(intake, elder=e, type_code="institution"), "waitlisted", today=today)
            for e in elders]


@pytest.mark.parametrize("language", LANGUAGES)
def test_waitlist_states_the_rule_once_and_offers_admission_by_capacity(intake, today, language):
    _queue(intake, today, 3)
    kind = intake.types["institution"]
    kind.capacity = 200
    kind.save()
    client = client_for(intake.users.street_staff, language)
    html = page(client, reverse("intake:waitlist") + "?type=institution", intake)
    text = visible_text(html)
    rule = "排序规则" if language == "zh-hans" else "Ordering rule"
    assert text.count(rule) == 1  # above the list, not on every row
    assert ("空余 200 个名额" if language == "zh-hans" else "200 places free") in text
    assert "data-admit-form" in html and 'name="count"' in html and 'value="3"' in html


def test_admission_by_capacity_confirms_who_then_admits_in_order(intake, today):
    _queue(intake, today, 4)
    kind = intake.types["institution"]
    kind.capacity = 2
    kind.save()
    client = client_for(intake.users.street_staff)
    preview = client.get(reverse("intake:waitlist-admit"), {"type": "institution", "count": "3"})
    html = preview.content.decode()
    order = list(WaitlistEntry.objects.filter(type=kind, status="waiting").order_by("position")
                 .values_list("application_id", flat=True))
    assert preview.status_code == 200 and "data-admit-list" in html
    listed = re.findall(r'name="applications" value="(\d+)"', html)
    assert [int(i) for i in listed] == order[:2]  # only as many as there are places, in waiting order
    assert "本次可安排 2 人" in html
    assert Application.objects.filter(state=State.IN_SERVICE).count() == 0  # looking admits nobody
    # The queue moved since the list was shown: nothing is done.
    response = client.post(reverse("intake:waitlist-admit"),
                           {"type": "institution", "count": "2", "applications": [order[1], order[0]]})
    assert response.status_code == 302 and Application.objects.filter(state=State.IN_SERVICE).count() == 0
    client.post(reverse("intake:waitlist-admit"), {"type": "institution", "count": "2", "applications": order[:2]})
    admitted = set(Application.objects.filter(state=State.IN_SERVICE).values_list("pk", flat=True))
    assert admitted == set(order[:2])
    assert list(WaitlistEntry.objects.filter(type=kind, status="waiting").order_by("position")
                .values_list("application_id", "position")) == [(order[2], 1), (order[3], 2)]
    # Full now: the page says so and the service refuses.
    html = client.get(reverse("intake:waitlist") + "?type=institution").content.decode()
    assert "data-admit-form" not in html and "名额已满" in html
    with pytest.raises(ValidationError):
        services.waitlist_admit_next(kind=kind, actor=intake.users.street_staff, count=1)
    for bad in ("0", "-1", "abc", "", "99999999"):
        response = client.get(reverse("intake:waitlist-admit"), {"type": "institution", "count": bad})
        assert response.status_code == 302
    assert client.get(reverse("intake:waitlist-admit"), {"type": "nonsense", "count": "1"}).status_code == 404
    # Without a count: as many as there are free places (none now).
    assert "名额已满" in client.get(reverse("intake:waitlist-admit"), {"type": "institution"}).content.decode()
    assert client_for(intake.users.community_worker).get(reverse("intake:waitlist-admit")).status_code == 403


def test_admission_of_someone_outside_the_scope_is_refused_whole(intake, today):
    from carecircle.accounts.models import User
    from carecircle.core.roles import Role

    ours = _queue(intake, today, 2)  # street A's elders
    kind = intake.types["institution"]
    street_b = User.objects.create_user(username="street_b_staff", password="x", role=Role.STREET_STAFF,
                                        scope_region=intake.district.street_b)
    with pytest.raises(PermissionDenied):
        services.waitlist_admit_next(kind=kind, actor=street_b, count=2)
    assert not Application.objects.filter(state=State.IN_SERVICE).exists()
    plan = services.admission_plan(kind=kind, actor=street_b, count=2)
    assert plan.blocked == [1, 2]
    html = client_for(street_b).get(reverse("intake:waitlist-admit"), {"type": "institution", "count": "2"})
    html = html.content.decode()
    assert "不在您辖区的轮候者" in html and 'name="applications"' not in html
    assert not any(a.elder.name in html or a.number in html for a in ours)  # names outside the scope stay hidden
    # The district runs the whole queue.
    services.waitlist_admit_next(kind=kind, actor=intake.users.district_admin, count=2)
    assert set(Application.objects.filter(state=State.IN_SERVICE)) == set(ours)


# --- registering: the ID number ------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("number", ["31010419400506", "3101041940050612345", "31010419400506123Y"])
def test_a_mistyped_id_number_is_named_with_its_format(intake, language, number):
    client = client_for(intake.users.street_staff, language)
    response = client.post(reverse("intake:register"), {"id_number": number, "type": "gov-purchase",
                                                         "channel": "window"})
    text = visible_text(response.content.decode())
    assert response.status_code == 200 and not Application.objects.exists()
    if language == "zh-hans":
        assert "18 位" in text and "X" in text and "没有找到该身份证号的老人档案" not in text
    else:
        assert "18 characters" in text and "check digit" in text and "no elder" not in text.lower()


def test_a_wrong_check_digit_is_named_and_a_valid_unknown_number_is_not_found(intake):
    from carecircle.elders.identity import check_digit

    client = client_for(intake.users.street_staff)
    body = "31010419400506123"
    wrong = "0" if check_digit(body) != "0" else "1"
    text = visible_text(client.post(reverse("intake:register"), {"id_number": body + wrong, "type": "gov-purchase",
                                                                 "channel": "window"}).content.decode())
    assert "校验位" in text and check_digit(body) in text
    text = visible_text(client.post(reverse("intake:register"), {"id_number": body + check_digit(body),
                                                                 "type": "gov-purchase",
                                                                 "channel": "window"}).content.decode())
    assert "没有找到该身份证号的老人档案" in text


# --- stored sentences read in the reader's language ----------------------------------------------------------

def test_waitlist_reasons_read_in_english_though_written_in_chinese(intake, today):
    entries = _queue(intake, today, 2)
    second = WaitlistEntry.objects.get(type=intake.types["institution"], position=2).application
    assert "轮候" in second.events.filter(action="position_changed").last().reason  # stored as written
    client = client_for(intake.users.street_staff, "en")
    text = visible_text(client.get(reverse("intake:detail", args=[second.pk])).content.decode())
    assert "Waiting position" in text and "轮候位次" not in text and "优先类别" not in text
    assert "Priority category" in text
    assert len(entries) == 2


def test_public_notice_result_reads_in_english(intake, today):
    app = to_state(intake, submit(intake), "public_notice")
    board = Client(HTTP_ACCEPT_LANGUAGE="en")
    board.cookies["django_language"] = "en"
    text = visible_text(board.get(reverse("intake:public-board", args=[intake.district.street_a.code]))
                        .content.decode())
    assert "proposed" in text and "拟予以" not in text and str(app.assessed_level) in text
    assert app.notices.get().level == app.assessed_level



@pytest.mark.parametrize("language", LANGUAGES)
def test_an_account_without_a_person_s_name_is_named_by_role_and_place(intake, today, language):
    """A staff account without a display name reads as its role and place in the reader's language, on the
    timeline too, never as its login name."""
    staff = intake.users.street_staff
    staff.display_name = ""
    staff.save()
    app = submit(intake)
    act(app, "accept", staff)
    text = visible_text(client_for(staff, language).get(reverse("intake:detail", args=[app.pk])).content.decode())
    role = "街镇工作人员" if language == "zh-hans" else "Street staff"
    assert f"{role}（天平路街道）" in text if language == "zh-hans" else f"{role} (天平路街道)" in text
    assert app.events.get(action="accept").actor_repr == "街镇工作人员（天平路街道）"  # the record keeps words
