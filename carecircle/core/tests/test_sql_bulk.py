"""The bulk writers behind the imported files: `members` lists ids or text as one parameter, `bulk_insert`
writes rows (COPY on PostgreSQL) and hands back their ids in order, and the audit trail and the outbox written
through them read back exactly as a single write would have written them."""
import pytest
from django.db import transaction
from django.db.models.expressions import RawSQL

from carecircle.core import audit, events
from carecircle.core.models import AuditEvent, OutboxEvent
from carecircle.core.plugins import UndeclaredAuditAction
from carecircle.core.sql import bulk_insert, members
from carecircle.regions.models import Region

pytestmark = pytest.mark.django_db


def test_members_lists_ids_and_text_and_nothing(district):
    regions = [district.street_a, district.street_b, district.a1]
    chosen = Region.objects.filter(pk__in=RawSQL(*members([r.pk for r in regions] + [regions[0].pk])))
    assert set(chosen) == set(regions)
    assert not Region.objects.filter(pk__in=RawSQL(*members([]))).exists()
    by_code = Region.objects.filter(code__in=RawSQL(*members([district.a1.code, "不存在的编码", "it's"], "text")))
    assert list(by_code) == [district.a1]
    assert not Region.objects.filter(code__in=RawSQL(*members([], "text"))).exists()


def test_bulk_insert_returns_the_new_ids_in_order(users, district):
    from django.utils import timezone

    now = timezone.now()
    rows = [("tests.bulk", {"n": i, "words": "老人\t\"引号\"\n换行"}, district.a1.pk, users.district_admin.pk, "admin",
             now, 0, "", None, None) for i in range(5)]
    ids = bulk_insert(OutboxEvent, ["name", "payload", "region", "actor", "actor_repr", "created_at", "attempts",
                                    "last_error", "next_attempt_at", "delivered_at"], rows, returning_ids=True)
    assert len(ids) == 5 and len(set(ids)) == 5
    for i, pk in enumerate(ids):
        event = OutboxEvent.objects.get(pk=pk)
        assert event.payload == {"n": i, "words": "老人\t\"引号\"\n换行"}
        assert event.region_id == district.a1.pk and event.actor_id == users.district_admin.pk
    assert bulk_insert(OutboxEvent, ["name"], [], returning_ids=True) == []
    assert bulk_insert(OutboxEvent, ["name"], []) == 0
    # a later ordinary write does not collide with the ids drawn for the bulk rows
    assert OutboxEvent.objects.create(name="tests.after").pk not in ids


def test_record_many_and_emit_many_read_back_as_single_writes(users, district, django_capture_on_commit_callbacks):
    elders = [district.elders.a1, district.elders.a2]
    before = AuditEvent.objects.count()
    with transaction.atomic():
        written = audit.record_many(actor=users.district_admin, action="elders.status", entries=[
            (elders[0], {"status": ["active", "deceased"]}, "死亡信息比对", elders[0].community),
            (audit.Ref("elders.elder", elders[1].pk, elders[1].name), {"on": elders[1].birth_date}, "",
             elders[1].community_id)])
    assert written == 2 and AuditEvent.objects.count() == before + 2
    first, second = AuditEvent.objects.filter(action="elders.status").order_by("id")
    assert (first.subject_type, first.subject_id, first.subject_repr) == ("elders.elder", str(elders[0].pk),
                                                                          elders[0].name)
    assert first.changes == {"status": ["active", "deceased"]} and first.reason == "死亡信息比对"
    assert first.actor == users.district_admin and first.region_id == elders[0].community_id
    assert first.at is not None
    assert second.changes == {"on": elders[1].birth_date.isoformat()} and second.subject_repr == elders[1].name
    with pytest.raises(UndeclaredAuditAction):  # an action nobody declared is refused before anything is written
        audit.record_many(actor=None, action="tests.undeclared", entries=[(elders[0], {}, "", None)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            count = events.emit_many(name="tests.bulk_event", actor=None, batch_size=2, items=[
                ({"elder": e.pk}, e.community) for e in elders * 2])
    assert count == 4 and len(callbacks) == 2  # delivered after commit, two events a task
    rows = OutboxEvent.objects.filter(name="tests.bulk_event").order_by("id")
    assert [r.payload["elder"] for r in rows] == [e.pk for e in elders * 2]
    assert all(r.actor_repr == "system" and r.next_attempt_at > r.created_at and r.delivered_at is None
               for r in rows)
