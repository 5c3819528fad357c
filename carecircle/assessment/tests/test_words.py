"""What the assessment pages say: words, not codes; an elder picked by search; explanations that say what happened."""
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carecircle.assessment import services
from carecircle.assessment.explain import adjustment_lines, decision_words, evidence_text
from carecircle.assessment.models import AssessmentOrder
from carecircle.core.testing import assert_no_internals, visible_text

from .conftest import full_answers

LANGUAGES = ["zh-hans", "en"]


def client_for(user, language="zh-hans"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _submitted(team, district, users, elder, *, application_id=None):
    """A result entered by the first assessor and waiting for the second one's confirmation."""
    order = services.assessment_order_create(elder=elder, actor=users.street_staff, programme="ltci",
                                             reason="application", agency=district.agency,
                                             application_id=application_id)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    a = services.assessment_start(order=order, actor=team.first)
    services.assessment_save(assessment=a, actor=team.first, answers=full_answers("gbt42195_2022"))
    services.assessment_submit(assessment=a, actor=team.first)
    return order


def _application(district, users):
    from carecircle.intake.defaults import application_types_seed
    from carecircle.intake.services import application_submit
    from carecircle.intake.tests.conftest import seed_intake_policy

    seed_intake_policy()
    application_types_seed(region=district.district)
    return application_submit(elder=district.elders.a1, type_code="gov-purchase", channel="window",
                              actor=users.street_staff).application


@pytest.mark.parametrize("language", LANGUAGES)
def test_order_page_names_the_instrument_the_application_and_the_pending_level(team, district, users, language):
    application = _application(district, users)
    order = _submitted(team, district, users, district.elders.a1, application_id=application.pk)
    html = client_for(users.street_staff, language).get(reverse("assessment:order", args=[order.pk])).content.decode()
    assert_no_internals(html, allow=[users.street_staff.username, users.assessor.username, "assessor2"],
                        where="order page")
    text = visible_text(html)
    assert application.number in text  # the application's number, linked, never its record id
    assert reverse("intake:detail", args=[application.pk]) in html
    if language == "zh-hans":
        assert "GB/T 42195" in text and "待第二评估员确认" in text
        assert "能力等级 0 级：能力完好" in text  # never "0 级：" with an empty name
    else:
        assert "Awaiting the second assessor's confirmation" in text and "Ability level 0: " in text


def test_explanations_say_what_happened_in_words():
    result = {"adjustments": [
        {"rule": "dementia", "from": 1, "to": 2, "evidence": ["F03"]},
        {"rule": "risk_events", "from": 2, "to": 2, "evidence": ["fall=2", "wander=1"]},
        {"rule": "risk_events", "from": 4, "to": 4, "evidence": ["choke=3"], "note": "coma"},
    ]}
    lines = adjustment_lines(result)
    assert "由 1 级提高到 2 级" in lines[0] and "F03" in lines[0]
    assert "维持 2 级" in lines[1] and "跌倒 2 次、走失 1 次" in lines[1] and "fall=2" not in lines[1]
    assert "调整为" not in "".join(lines)
    assert "维持 4 级" in lines[2] and "噎食 3 次" in lines[2]
    with translation.override("en"):
        lines = adjustment_lines(result)
        assert "raised from level 1 to level 2" in lines[0]
        assert "stays at level 2" in lines[1] and "fall=2" not in lines[1] and "、" not in lines[1]
    assert evidence_text("coma") == "昏迷" and evidence_text("F01") == "F01"


def test_a_setting_reads_as_its_title_and_chosen_words():
    decision = {"setting": "stacking", "value": "per_clause", "affected": True,
                "label": "A1 变更条款叠加：single＝多条同时满足只提高一级；per_clause＝每条各提高一级",
                "label_en": "A1 stacking of raises: single = one level up even when several clauses apply; "
                            "per_clause = one level per clause"}
    assert decision_words(decision) == {"title": "A1 变更条款叠加", "value": "每条各提高一级"}
    with translation.override("en"):
        assert decision_words(decision) == {"title": "A1 stacking of raises", "value": "one level per clause"}
    plain = {"value": 4, "label": "A4 提高等级的上限", "label_en": "A4 highest level a raise can reach"}
    assert decision_words(plain) == {"title": "A4 提高等级的上限", "value": "4"}


# --- the elder is picked by search ------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_new_order_picks_the_elder_by_search(team, district, users, language):
    client = client_for(users.street_staff, language)
    html = client.get(reverse("assessment:create")).content.decode()
    assert 'name="elder_q"' in html and "hx-get" in html and reverse("elders:pick") in html
    assert "档案编号" not in html and 'type="number"' not in html
    assert_no_internals(html, allow=[users.street_staff.username], where="new order")
    ours, theirs = district.elders.a1, district.elders.b1
    fragment = client.get(reverse("elders:pick"), {"field": "elder", "elder_q": ours.name[:2]}).content.decode()
    assert ours.name in fragment and f'value="{ours.pk}"' in fragment
    fragment = client.get(reverse("elders:pick"), {"elder_q": theirs.name}).content.decode()
    assert theirs.name not in fragment  # another street's elder is not offered
    # Without JavaScript, "search" shows the results on the form itself and submits nothing.
    found = client.post(reverse("assessment:create"), {"elder_q": ours.name, "find": "1", "programme": "ltci",
                                                       "reason": "application"})
    assert found.status_code == 200 and f'value="{ours.pk}"' in found.content.decode()
    assert not AssessmentOrder.objects.exists()


def test_new_order_refuses_an_elder_outside_the_scope_and_takes_one_inside(team, district, users):
    client = client_for(users.street_staff)
    data = {"programme": "ltci", "reason": "application", "reason_note": ""}
    refused = client.post(reverse("assessment:create"), {**data, "elder": district.elders.b1.pk})
    assert refused.status_code == 200 and "不在您的管辖范围内" in refused.content.decode()
    missing = client.post(reverse("assessment:create"), data)
    assert "请查找并选中一位老人" in missing.content.decode()
    assert not AssessmentOrder.objects.exists()
    done = client.post(reverse("assessment:create"), {**data, "elder": district.elders.a1.pk})
    assert done.status_code == 302 and AssessmentOrder.objects.get().elder == district.elders.a1
    # A link from an elder's page arrives with the elder chosen.
    html = client.get(reverse("assessment:create"), {"elder": district.elders.a2.pk}).content.decode()
    assert f'value="{district.elders.a2.pk}" checked' in html


def test_pick_needs_a_sign_in_and_stays_in_scope(team, district, users):
    anonymous = Client().get(reverse("elders:pick"), {"elder_q": district.elders.a1.name})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    other_street = client_for(users.street_staff_b).get(reverse("elders:pick"), {"elder_q": district.elders.a1.name})
    assert other_street.status_code == 200 and district.elders.a1.name not in other_street.content.decode()
