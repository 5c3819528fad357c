"""The names other apps code against (orders, results, care levels, events) behave as promised."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from carecircle.assessment import selectors, services
from carecircle.assessment.models import AssessmentOrder, CareLevel, OrderStatus

from .conftest import full_answers


def _order(district, users, **kw):
    return services.assessment_order_create(elder=district.elders.a1, actor=users.street_staff, programme="ltci",
                                            reason="application", **kw)


def test_order_create_round_robin_and_exclusion(team, district, users):
    first = _order(district, users, application_id=77)
    assert first.application_id == 77 and first.status == OrderStatus.ASSIGNED
    assert first.instrument_code == "gbt42195_2022"
    second = services.assessment_order_create(elder=district.elders.a2, actor=users.street_staff, programme="ltci",
                                              reason="application")
    assert {first.agency_id, second.agency_id} == {district.agency.pk, team.other_agency.pk}
    third = services.assessment_order_create(elder=district.elders.b1, actor=users.street_staff, programme="ltci",
                                             reason="application", exclude_agency_ids=[district.agency.pk])
    assert third.agency_id == team.other_agency.pk


def test_agency_belonging_to_a_provider_serving_the_elder_is_never_chosen(team, district, users):
    district.agency.parent = district.provider  # the provider serving community A1 owns this agency
    district.agency.save()
    order = _order(district, users)
    assert order.agency_id == team.other_agency.pk
    order.status = OrderStatus.CANCELLED
    order.save()
    with pytest.raises(ValidationError) as err:
        _order(district, users, agency=district.agency)
    assert "回避" in str(err.value)


def test_full_path_finalises_emits_events_and_records_a_care_level(team, district, users,
                                                                   django_capture_on_commit_callbacks):
    from carecircle.core.models import OutboxEvent

    order = _order(district, users, application_id=5)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    a = services.assessment_start(order=order, actor=team.first)
    services.assessment_save(assessment=a, actor=team.first, answers=full_answers("gbt42195_2022"),
                             diagnoses=["F03.9"])
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=a, actor=team.first)
        assert not OutboxEvent.objects.filter(name=services.ASSESSMENT_FINALISED).exists()
        a = services.assessment_confirm(assessment=a, actor=team.second)
    a.refresh_from_db()
    assert a.is_final and a.final_level == 1 and a.initial_level == 0
    assert "痴呆" in a.explanation
    assert a.instrument.code == "gbt42195_2022"
    final = OutboxEvent.objects.get(name=services.ASSESSMENT_FINALISED)
    assert final.payload == {"order": order.pk, "assessment": a.pk, "application": 5}
    assert final.actor == team.second and final.region == district.elders.a1.community
    assert final.delivered_at is not None  # delivered on commit (no application 5 to move: nothing to do)
    level = selectors.current_care_level(district.elders.a1, programme="ltci")
    assert level is not None and level.level == a.care_level == 1 and level.assessment_id == a.pk
    changed = OutboxEvent.objects.get(name=services.CARE_LEVEL_CHANGED)
    assert changed.payload["new_level"] == 1 and changed.payload["old_level"] is None
    assert changed.payload["effective"] == a.valid_from.isoformat()


def test_a_failed_result_leaves_nothing_behind_not_even_its_events(team, district, users):
    from carecircle.core.models import OutboxEvent

    order = _order(district, users)
    services.assessment_order_schedule(order=order, actor=team.first, assessors=[team.first, team.second],
                                       appointment_at=dt.datetime(2026, 11, 24, 9, 0))
    a = services.assessment_start(order=order, actor=team.first)
    with pytest.raises(ValidationError):
        services.assessment_submit(assessment=a, actor=team.first)  # incomplete: refused, rolled back
    assert not OutboxEvent.objects.exists()


def test_external_care_level_and_lookup_by_date(district, users):
    elder = district.elders.b1
    old = services.care_level_record_external(elder=elder, programme="ltci", level=3, source="上海市统一需求评估系统 R-1",
                                              valid_from=dt.date(2025, 1, 1), actor=None)
    new = services.care_level_record_external(elder=elder, programme="ltci", level=5, source="上海市统一需求评估系统 R-2",
                                              valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2027, 12, 31),
                                              actor=None)
    old.refresh_from_db()
    assert old.valid_until == dt.date(2025, 12, 31)
    from carecircle.core.models import AuditEvent

    ended = AuditEvent.objects.get(action="assessment.care_level_end", subject_id=str(old.pk))
    assert ended.changes["valid_until"][1] == "2025-12-31"
    assert selectors.current_care_level(elder, on=dt.date(2025, 6, 1)).pk == old.pk
    assert selectors.current_care_level(elder, on=dt.date(2026, 6, 1)).pk == new.pk
    assert selectors.current_care_level(elder, on=dt.date(2028, 1, 1)) is None
    assert selectors.current_care_level(elder, programme="gov_purchase", on=dt.date(2026, 6, 1)) is None
    with pytest.raises(ValidationError) as err:
        services.care_level_record_external(elder=elder, programme="ltci", level=3, source=" ",
                                            valid_from=dt.date(2026, 1, 1), actor=None)
    assert "来源" in str(err.value)
    assert CareLevel.objects.filter(elder=elder).count() == 2


def test_a_death_cancels_open_orders_and_ends_care_levels(team, district, users, django_capture_on_commit_callbacks):
    from carecircle.elders.services import elder_change_status

    elder = district.elders.a2
    order = services.assessment_order_create(elder=elder, actor=users.street_staff, programme="ltci",
                                             reason="application")
    services.care_level_record_external(elder=elder, programme="ltci", level=4, source="市评估系统 R-3",
                                        valid_from=dt.date(2026, 1, 1), actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        elder_change_status(actor=users.street_staff, elder=elder, status="deceased", on=dt.date(2026, 11, 1),
                            reason="死亡证明")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and "去世" in order.cancelled_reason
    assert selectors.current_care_level(elder, on=dt.date(2026, 11, 2)) is None
    assert selectors.current_care_level(elder, on=dt.date(2026, 11, 1)).level == 4
