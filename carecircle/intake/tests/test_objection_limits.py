"""Anonymous objections on the public notice board are limited per network address and per notice by dated
policy values; beyond a limit the board answers 429 with a sentence in the reader's language."""
import pytest
from django.test import Client
from django.urls import reverse

from carecircle.core.models import PolicyParameter
from carecircle.intake import services
from carecircle.intake.models import Objection, PublicNotice
from carecircle.intake.services import application_act, application_submit

pytestmark = pytest.mark.django_db


def run(app, steps):
    for actor, action in steps:
        application_act(application=app, action=action, actor=actor)


@pytest.fixture
def board(intake, today):
    u = intake.users
    app = application_submit(elder=intake.district.elders.a1, type_code="age-allowance", channel="window",
                             actor=u.street_staff).application
    run(app, [(u.street_staff, "accept"), (u.street_staff, "pass_first_review"),
              (u.district_admin, "pass_district_review"), (u.street_staff, "publish_notice")])
    return reverse("intake:public-board", args=[intake.district.street_a.code]), PublicNotice.objects.get()


def _limit(key):
    return PolicyParameter.objects.get(key=key).value


def _post(url, notice, address, **extra):
    return Client(REMOTE_ADDR=address).post(url, {"notice": notice.pk, "lodged_by": "邻居王某",
                                                  "text": "申请人子女条件很好，并非独居。"}, **extra)


def test_the_seeded_limits(board):
    assert _limit(services.OBJECTIONS_PER_ADDRESS_KEY) == 5
    assert _limit(services.OBJECTIONS_PER_NOTICE_KEY) == 30


def test_one_address_may_send_exactly_its_limit_and_no_more(board):
    url, notice = board
    limit = _limit(services.OBJECTIONS_PER_ADDRESS_KEY)
    for _ in range(limit):
        assert _post(url, notice, "203.0.113.7").status_code == 302
    refused = _post(url, notice, "203.0.113.7")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    page = refused.content.decode()
    assert "提交过于频繁" in page and "天平路街道受理窗口" in page
    assert Objection.objects.count() == limit
    english = _post(url, notice, "203.0.113.7", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429 and "Too many objections" in english.content.decode()
    # Another address is not affected.
    assert _post(url, notice, "198.51.100.1").status_code == 302


def test_a_notice_takes_exactly_its_limit_per_hour_from_all_addresses_together(board, intake):
    url, notice = board
    PolicyParameter.objects.filter(key=services.OBJECTIONS_PER_NOTICE_KEY).update(value=3)
    for n in range(3):
        assert _post(url, notice, f"192.0.2.{n}").status_code == 302
    refused = _post(url, notice, "192.0.2.99")
    assert refused.status_code == 429 and "提交过于频繁" in refused.content.decode()
    assert Objection.objects.count() == 3


def test_the_window_ends_after_the_hour(board, monkeypatch):
    import time

    url, notice = board
    PolicyParameter.objects.filter(key=services.OBJECTIONS_PER_ADDRESS_KEY).update(value=1)
    start = 1_800_000_000.0  # the start of an hour
    monkeypatch.setattr(time, "time", lambda: start)
    assert _post(url, notice, "203.0.113.9").status_code == 302
    assert _post(url, notice, "203.0.113.9").status_code == 429
    monkeypatch.setattr(time, "time", lambda: start + 3600)
    assert _post(url, notice, "203.0.113.9").status_code == 302


def test_invalid_objections_are_refused_before_they_are_counted(board):
    url, notice = board
    PolicyParameter.objects.filter(key=services.OBJECTIONS_PER_ADDRESS_KEY).update(value=1)
    bad = Client(REMOTE_ADDR="203.0.113.20").post(url, {"notice": notice.pk, "lodged_by": "邻\u202e居",
                                                         "text": "申请人子女条件很好，并非独居。"})
    assert bad.status_code == 400 and "U+202E" in bad.content.decode()
    assert _post(url, notice, "203.0.113.20").status_code == 302


def test_without_the_policy_values_objections_are_taken_at_the_window_only(board):
    url, notice = board
    PolicyParameter.objects.filter(key=services.OBJECTIONS_PER_NOTICE_KEY).delete()
    refused = _post(url, notice, "203.0.113.30")
    assert refused.status_code == 429 and "当面提出" in refused.content.decode()
    assert not Objection.objects.exists()


def test_objection_text_length_edges(board):
    url, notice = board
    exactly = "理" * services.OBJECTION_TEXT_MAX_LENGTH
    ok = Client(REMOTE_ADDR="203.0.113.40").post(url, {"notice": notice.pk, "lodged_by": "王某", "text": exactly})
    assert ok.status_code == 302
    over = Client(REMOTE_ADDR="203.0.113.41").post(url, {"notice": notice.pk, "lodged_by": "王某",
                                                          "text": exactly + "理"})
    assert over.status_code == 400 and Objection.objects.count() == 1


def test_a_notice_number_beyond_64_bits_is_a_form_error(board):
    url, _notice = board
    response = Client().post(url, {"notice": "99999999999999999999", "lodged_by": "王某", "text": "这是一条异议内容"})
    assert response.status_code == 400 and not Objection.objects.exists()


def test_applicant_names_and_document_lists_are_checked(intake):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        application_submit(elder=intake.district.elders.a1, type_code="age-allowance", channel="window",
                           actor=intake.users.street_staff, applicant_name="李\u2067四")
    assert "applicant_name" in refused.value.message_dict
