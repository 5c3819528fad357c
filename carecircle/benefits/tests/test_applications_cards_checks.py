import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from carecircle.benefits import services
from carecircle.benefits.models import (
    RegistryCheck,
    BenefitApplication,
    CardStatus,
    Enrolment,
    Notice,
    PreferentialCard,
    RegistryFinding,
)
from carecircle.core.models import AuditEvent
from carecircle.core.testing import assert_no_internals
from carecircle.core.workflow import IllegalStep
from carecircle.elders.identity import make_id_number


def test_family_applies_online_for_the_card_and_prints_it_once_issued(roll, users, client):
    elder = roll.elders.a2  # the family account's mother, 91
    client.force_login(users.family)
    page = client.get(reverse("benefits:apply"))
    assert page.status_code == 200 and "李秀英" in page.content.decode()
    response = client.post(reverse("benefits:apply"), {"elder": elder.pk, "programme": "card"})
    assert response.status_code == 302
    application = BenefitApplication.objects.get(elder=elder, programme="card")
    assert application.channel == "portal" and "身份证号核验通过" in application.check_result
    again = client.post(reverse("benefits:apply"), {"elder": elder.pk, "programme": "card"})
    assert again.status_code == 400 and "正在办理" in again.content.decode()
    # another elder's record is not reachable from the family account
    assert client.post(reverse("benefits:apply"), {"elder": roll.elders.b1.pk, "programme": "card"}).status_code == 400
    services.application_decide(actor=users.street_staff, application=application, action="approve")
    card = PreferentialCard.objects.get(elder=elder)
    assert card.kind == "65" and card.status == CardStatus.VALID and card.number.startswith("310104")
    mine = client.get(reverse("benefits:mine"))
    assert card.number in mine.content.decode()
    assert_no_internals(mine, allow=["family"])
    printed = client.post(reverse("benefits:card", args=[card.pk]))
    assert printed.status_code == 200 and card.number in printed.content.decode()
    card.refresh_from_db()
    assert card.printed_times == 1
    assert AuditEvent.objects.filter(action="benefits.card_print").count() == 1
    assert Notice.objects.filter(elder=elder, kind="card_issued").exists()


def test_card_loss_voids_the_number_and_reissues(roll, users, client):
    card = services.card_issue(actor=users.street_staff, elder=roll.elders.a1)
    client.force_login(users.elder)
    response = client.post(reverse("benefits:card-loss", args=[card.pk]), {"reason": "公交上遗失"})
    assert response.status_code == 302
    card.refresh_from_db()
    new = PreferentialCard.objects.get(replaces=card)
    assert card.status == CardStatus.REPLACED and new.status == CardStatus.VALID and new.number != card.number
    assert client.post(reverse("benefits:card-loss", args=[card.pk])).status_code == 409
    assert client.post(reverse("benefits:card", args=[card.pk])).status_code == 409  # the old card no longer prints
    client.force_login(users.family)  # another family's card does not exist for them
    assert client.get(reverse("benefits:card", args=[new.pk])).status_code == 404


def test_window_application_refused_when_not_eligible_and_rejection_needs_a_reason(roll, users):
    with pytest.raises(ValidationError) as error:
        services.application_submit(actor=users.street_staff, elder=roll.extra["visitor"], programme="age_allowance",
                                    channel="window")
    assert "户籍" in " ".join(error.value.messages)
    with pytest.raises(ValidationError):  # already enrolled
        services.application_submit(actor=users.street_staff, elder=roll.elders.a1, programme="age_allowance",
                                    channel="window")
    with pytest.raises(PermissionDenied):  # another street's elder
        services.application_submit(actor=users.street_staff, elder=roll.elders.b1, programme="card", channel="window")
    application = services.application_submit(actor=users.street_staff, elder=roll.extra["visitor"], programme="card",
                                              channel="window")
    with pytest.raises(ValidationError):
        services.application_decide(actor=users.street_staff, application=application, action="reject")
    services.application_decide(actor=users.street_staff, application=application, action="reject", reason="材料不全")
    with pytest.raises(IllegalStep):
        services.application_decide(actor=users.street_staff, application=application, action="approve")


def _death_file(rows, header=("姓名", "身份证号", "去世时间", "火化时间", "火化单位")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("deaths.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


def test_population_data_lists_the_eligible_not_enrolled(roll, users, client):
    from carecircle.benefits.models import Enrolment as Roll

    a1 = roll.elders.a1
    Roll.objects.filter(elder=a1).delete()
    newcomer = make_id_number("310104", dt.date(1940, 4, 4), 778, "F")
    young = make_id_number("310104", dt.date(1975, 4, 4), 779, "F")
    outsider = make_id_number("310104", dt.date(1941, 5, 5), 780, "M")
    client.force_login(users.street_staff)
    upload = _death_file([[a1.name, a1.id_number, "本市户籍"], ["新来者", newcomer, "户籍"], ["年轻人", young, "户籍"],
                          ["外来者", outsider, "居住证"], ["写错", newcomer[:-1] + "0", "火星"]],
                         header=("姓名", "公民身份号码", "户籍类型"))
    response = client.post(reverse("benefits:checks"), {"kind": "population", "file": upload})
    check = RegistryCheck.objects.get()
    assert check.preview["invalid"] >= 1 and check.preview["outcomes"]["eligible"] == 2
    response = client.post(response["Location"], {"action": "apply", "mode": "valid_rows"})
    assert response.status_code == 302
    eligible = RegistryFinding.objects.filter(outcome="eligible").order_by("row_number")
    assert [(f.name, f.elder_id) for f in eligible] == [(a1.name, a1.pk), ("新来者", None)]


def test_death_records_import_matches_on_the_id_number_and_lists_mismatches(roll, users, client,
                                                                             django_capture_on_commit_callbacks):
    a1, a2 = roll.elders.a1, roll.elders.a2
    stranger = make_id_number("310104", dt.date(1938, 4, 4), 777, "M")
    client.force_login(users.street_staff)
    url = reverse("benefits:checks")
    bad_checksum = a1.id_number[:17] + ("0" if a1.id_number[17] != "0" else "1")
    bad = _death_file([[a1.name, bad_checksum, "2026-03-01", "", ""],
                       [a2.name, a2.id_number, "2099-01-01", "", ""],
                       [a2.name, a2.id_number, "2026-03-02", "", ""],
                       [a2.name, a2.id_number, "2026-03-03", "", ""]])
    response = client.post(url, {"kind": "death", "file": bad})
    assert response.status_code == 302  # to the preview: nothing changed yet
    check = RegistryCheck.objects.get()
    preview = client.get(response["Location"]).content.decode()
    assert "早于出生日期" in preview and "与第 4 行是同一个身份证号" in preview and "火化时间" in preview
    refused = client.post(response["Location"], {"action": "apply", "mode": "all_or_nothing"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "<li>第 2 行" in body and "<li>第 3 行" in body and "<li>第 5 行：与第 4 行" in body
    assert "<li>第 4 行" not in body
    assert client.post(response["Location"], {"action": "discard"}).status_code == 302
    check.refresh_from_db()
    assert check.status == "discarded" and check.rows == ""
    unknown = _death_file([[a1.name, a1.id_number, "2026-03-01"]], header=("姓名", "编号", "死亡时间", "籍贯"))
    response = client.post(url, {"kind": "death", "file": unknown})
    remap = RegistryCheck.objects.latest("pk")
    assert remap.preview["missing"] and "籍贯" in remap.preview["ignored"]
    assert client.post(response["Location"], {"action": "apply"}).status_code == 400
    client.post(response["Location"], {"action": "columns", "column_name": "姓名", "column_id_number": "编号",
                                       "column_date": "死亡时间"})
    remap.refresh_from_db()
    assert not remap.preview["missing"] and remap.preview["valid"] == 1
    assert client.post(response["Location"], {"action": "discard"}).status_code == 302
    assert not RegistryFinding.objects.exists()
    a1.refresh_from_db()
    assert a1.status == "active"
    good = _death_file([[a1.name, a1.id_number, "2026-03-31", "2026-04-02", "龙华殡仪馆"],
                        ["李秀云", a2.id_number, "2026-03-15", "", ""],
                        ["吴不在", stranger, "2026-03-20", "", ""],
                        ["坏行", "123", "2026-03-20", "", ""]])
    response = client.post(url, {"kind": "death", "file": good})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response["Location"], {"action": "apply", "mode": "valid_rows"})
    assert response.status_code == 302
    assert RegistryCheck.objects.latest("pk").summary["skipped"] == 1
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert a1.status == "deceased" and a1.status_date == dt.date(2026, 3, 31)
    assert a2.status == "active"  # the name disagrees: a person decides
    assert Enrolment.objects.get(elder=a1).status == "stopped"
    outcomes = sorted(RegistryFinding.objects.values_list("outcome", "row_number"))
    assert outcomes == [("conflict", 3), ("not_found", 4)]
    page = client.get(reverse("benefits:findings"))
    assert "李秀云" in page.content.decode()
    assert_no_internals(page, allow=["street_a"])
    finding = RegistryFinding.objects.get(outcome="conflict")
    assert client.post(reverse("benefits:finding-resolve", args=[finding.pk]), {"resolution": ""}).status_code == 400
    assert client.post(reverse("benefits:finding-resolve", args=[finding.pk]),
                       {"resolution": "户籍核实为同一人，姓名登记有误"}).status_code == 302
    client.force_login(users.street_staff_b)
    assert "李秀云" not in client.get(reverse("benefits:findings")).content.decode()
