import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.core.models import AuditEvent
from carecircle.elders import services
from carecircle.elders.models import Elder, ElderAccountLink, ElderStatus, EmergencyContact
from carecircle.engines.geo import wgs84_to_gcj02

pytestmark = pytest.mark.django_db


def field_errors(exc) -> dict:
    return {k: " ".join(m for e in v for m in e.messages) for k, v in exc.error_dict.items()}


class TestCreate:
    def test_creates_with_derived_birth_date_and_sex_and_audits_masked_values(self, users, elder_data):
        data = elder_data()
        elder = services.elder_create(actor=users.street_staff, data=data)
        assert elder.birth_date == dt.date(1945, 3, 8) and elder.gender == "F"
        assert elder.id_number == data["id_number"] and elder.lat == Decimal("31.205000")
        event = AuditEvent.objects.get(action="elders.create", subject_id=str(elder.pk))
        assert event.changes["id_number"][1] == elder.id_number_masked
        assert data["id_number"] not in str(event.changes) and "13912345678" not in str(event.changes)
        assert event.region == elder.community

    def test_wrong_checksum_names_the_field_and_writes_nothing(self, users, elder_data):
        data = elder_data()
        data["id_number"] = data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1")
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff, data=data)
        assert "校验位" in field_errors(exc.value)["id_number"]
        assert not Elder.objects.filter(name="赵桂兰").exists()

    def test_submitted_birth_date_and_sex_must_match_the_id(self, users, elder_data):
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff,
                                  data=elder_data(birth_date=dt.date(1945, 3, 9), gender="M"))
        errors = field_errors(exc.value)
        assert "1945-03-08" in errors["birth_date"] and "gender" in errors

    def test_matching_birth_date_and_sex_are_accepted(self, users, elder_data):
        elder = services.elder_create(actor=users.street_staff,
                                      data=elder_data(birth_date="1945-03-08", gender="女"))
        assert elder.gender == "F"

    def test_second_record_for_the_same_id_is_refused_with_a_link_to_the_first(self, users, district, elder_data):
        data = elder_data()
        first = services.elder_create(actor=users.street_staff, data=data)
        with pytest.raises(services.DuplicateElderError) as exc:
            services.elder_create(actor=users.district_admin, data={**data, "community": district.b1,
                                                                    "lat": "", "lng": ""})
        message = field_errors(exc.value)["id_number"]
        assert first.name in message and "/elders/" not in message  # words, not a path
        assert exc.value.url == f"/elders/{first.pk}/"  # the page offers the link
        assert Elder.objects.filter(id_number_hash=first.id_number_hash).count() == 1

    def test_duplicate_held_by_another_street_names_neither_the_street_nor_a_link(self, users, district, elder_data):
        data = elder_data()
        data["id_number"] = district.elders.b1.id_number  # registered in street B
        with pytest.raises(services.DuplicateElderError) as exc:
            services.elder_create(actor=users.street_staff, data=data)
        message = field_errors(exc.value)["id_number"]
        assert "管辖范围以外" in message and "/elders/" not in message
        for place in (district.street_b.name, district.b1.name, district.elders.b1.address):
            assert place not in message
        assert exc.value.url == ""

    def test_community_outside_scope_is_refused(self, users, district, elder_data):
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff, data=elder_data(community=district.b1, lat="", lng=""))
        assert "管辖范围" in field_errors(exc.value)["community"]

    def test_community_must_be_a_community(self, users, district, elder_data):
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff, data=elder_data(community=district.street_a))
        assert "社区一级" in field_errors(exc.value)["community"]

    def test_coordinates_outside_the_district_are_refused(self, users, elder_data):
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff, data=elder_data(lat="31.40", lng="121.44"))
        assert "徐汇区" in field_errors(exc.value)["lat"]

    def test_only_one_coordinate_is_refused(self, users, elder_data):
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff, data=elder_data(lng=""))
        assert "同时" in field_errors(exc.value)["lng"]

    def test_gcj02_input_is_stored_as_wgs84(self, users, elder_data):
        gcj_lat, gcj_lng = wgs84_to_gcj02(31.205, 121.445)
        elder = services.elder_create(actor=users.street_staff, data=elder_data(
            lat=str(gcj_lat), lng=str(gcj_lng), coordinate_system="gcj02"))
        assert elder.lat == Decimal("31.205000") and elder.lng == Decimal("121.445000")

    def test_unknown_choice_lists_the_allowed_values(self, users, elder_data):
        with pytest.raises(ValidationError) as exc:
            services.elder_create(actor=users.street_staff, data=elder_data(household_type="合租"))
        assert "独居" in field_errors(exc.value)["household_type"]

    def test_roles_without_change_capability_are_refused(self, users, elder_data):
        with pytest.raises(PermissionDenied):
            services.elder_create(actor=users.operator, data=elder_data())


class TestUpdateAndStatus:
    def test_id_correction_rederives_birth_and_sex_and_is_audited(self, users, district, new_id):
        elder = district.elders.a1
        corrected = new_id(birth=dt.date(1941, 1, 2), gender="F")
        services.elder_update(actor=users.street_staff, elder=elder, data={"id_number": corrected})
        elder.refresh_from_db()
        assert (elder.birth_date, elder.gender, elder.id_number) == (dt.date(1941, 1, 2), "F", corrected)
        event = AuditEvent.objects.get(action="elders.update", subject_id=str(elder.pk))
        assert set(event.changes) >= {"id_number", "birth_date", "gender"}
        assert corrected not in str(event.changes)

    def test_update_to_someone_elses_id_is_a_duplicate(self, users, district):
        with pytest.raises(services.DuplicateElderError):
            services.elder_update(actor=users.street_staff, elder=district.elders.a1,
                                  data={"id_number": district.elders.a2.id_number})

    def test_update_outside_scope_is_refused(self, users, district):
        with pytest.raises(PermissionDenied):
            services.elder_update(actor=users.street_staff, elder=district.elders.b1, data={"address": "x"})

    def test_status_change_to_deceased_needs_a_reason_and_a_past_date(self, users, district):
        elder = district.elders.a1
        with pytest.raises(ValidationError) as exc:
            services.elder_change_status(actor=users.street_staff, elder=elder, status=ElderStatus.DECEASED,
                                         on=dt.date(2026, 1, 5))
        assert "reason" in exc.value.error_dict
        with pytest.raises(ValidationError) as exc:
            services.elder_change_status(actor=users.street_staff, elder=elder, status=ElderStatus.DECEASED,
                                         on=dt.date(2999, 1, 1), reason="死亡医学证明")
        assert "status_date" in exc.value.error_dict
        services.elder_change_status(actor=users.street_staff, elder=elder, status=ElderStatus.DECEASED,
                                     on=dt.date(2026, 1, 5), reason="死亡医学证明")
        elder.refresh_from_db()
        assert (elder.status, elder.status_date) == ("deceased", dt.date(2026, 1, 5))
        event = AuditEvent.objects.get(action="elders.status")
        assert event.changes["status"] == ["active", "deceased"] and event.reason == "死亡医学证明"

    def test_status_cannot_be_set_to_merged_directly(self, users, district):
        with pytest.raises(ValidationError):
            services.elder_change_status(actor=users.street_staff, elder=district.elders.a1, status="merged",
                                         reason="x")


class TestContacts:
    def test_add_edit_remove_with_key_flag(self, users, district):
        elder = district.elders.a1
        contact = services.emergency_contact_add(actor=users.community_worker, elder=elder, data={
            "name": "张小明", "relation": "儿子", "phone": "139-1234-5678", "holds_key": True, "priority": 1})
        assert contact.phone == "13912345678" and contact.holds_key
        services.emergency_contact_update(actor=users.community_worker, contact=contact, data={
            "name": "张小明", "relation": "儿子", "phone": "13912345679", "holds_key": False, "priority": 2})
        contact.refresh_from_db()
        assert not contact.holds_key and contact.priority == 2
        services.emergency_contact_remove(actor=users.community_worker, contact=contact)
        assert not EmergencyContact.objects.exists()
        actions = list(AuditEvent.objects.filter(subject_id=str(elder.pk)).values_list("action", flat=True))
        assert {"elders.contact_add", "elders.contact_update", "elders.contact_remove"} <= set(actions)

    def test_bad_phone_names_the_field(self, users, district):
        with pytest.raises(ValidationError) as exc:
            services.emergency_contact_add(actor=users.community_worker, elder=district.elders.a1,
                                           data={"name": "甲", "relation": "邻居", "phone": "12ab"})
        assert "phone" in exc.value.error_dict


class TestMerge:
    def test_merge_moves_contacts_and_links_and_undo_restores_them(self, users, district, new_id):
        from carecircle.conftest import make_elder

        survivor = district.elders.a1
        duplicate = make_elder(district.a1, name="张三明", id_number=new_id(birth=dt.date(1940, 5, 6), gender="M"))
        contact = EmergencyContact.objects.create(elder=duplicate, name="张小明", relation="儿子", phone="13900000000")
        moved_link = ElderAccountLink.objects.create(user=users.family, elder=duplicate, relation="女儿")
        ElderAccountLink.objects.create(user=users.elder, elder=duplicate, relation="本人")  # survivor has it too

        merge = services.elder_merge(actor=users.street_staff, survivor=survivor, duplicate=duplicate,
                                     reason="身份证号录错后重复建档")
        duplicate.refresh_from_db()
        contact.refresh_from_db()
        moved_link.refresh_from_db()
        assert (duplicate.status, duplicate.merged_into_id) == ("merged", survivor.pk)
        assert contact.elder_id == survivor.pk and moved_link.elder_id == survivor.pk
        assert merge.dropped_account_links == [{"user_id": users.elder.pk, "relation": "本人"}]
        assert AuditEvent.objects.filter(action="elders.merge", subject_id=str(survivor.pk)).exists()
        assert AuditEvent.objects.filter(action="elders.merged_into", subject_id=str(duplicate.pk)).exists()

        services.elder_merge_undo(actor=users.street_staff, merge=merge, reason="合并错了")
        duplicate.refresh_from_db()
        contact.refresh_from_db()
        assert (duplicate.status, duplicate.merged_into_id) == ("active", None)
        assert contact.elder_id == duplicate.pk
        assert set(duplicate.account_links.values_list("user_id", flat=True)) == {users.family.pk, users.elder.pk}
        with pytest.raises(ValidationError):
            services.elder_merge_undo(actor=users.street_staff, merge=merge, reason="再来一次")

    def test_merge_needs_reason_and_two_distinct_live_records(self, users, district):
        a1, a2 = district.elders.a1, district.elders.a2
        with pytest.raises(ValidationError):
            services.elder_merge(actor=users.street_staff, survivor=a1, duplicate=a2, reason="")
        with pytest.raises(ValidationError):
            services.elder_merge(actor=users.street_staff, survivor=a1, duplicate=a1, reason="重复")
        services.elder_merge(actor=users.street_staff, survivor=a1, duplicate=a2, reason="重复建档")
        a2.refresh_from_db()
        with pytest.raises(ValidationError):
            services.elder_merge(actor=users.street_staff, survivor=a1, duplicate=a2, reason="重复建档")

    def test_merge_across_scopes_and_without_capability_is_refused(self, users, district):
        with pytest.raises(PermissionDenied):
            services.elder_merge(actor=users.street_staff, survivor=district.elders.a1,
                                 duplicate=district.elders.b1, reason="重复建档")
        with pytest.raises(PermissionDenied):
            services.elder_merge(actor=users.community_worker, survivor=district.elders.a1,
                                 duplicate=district.elders.a1, reason="重复建档")

    def test_undo_refused_when_the_id_is_now_used_by_another_record(self, users, district, elder_data):
        a1, a2 = district.elders.a1, district.elders.a2
        merge = services.elder_merge(actor=users.street_staff, survivor=a1, duplicate=a2, reason="重复建档")
        services.elder_create(actor=users.street_staff, data=elder_data(id_number=a2.id_number, lat="", lng=""))
        with pytest.raises(ValidationError) as exc:
            services.elder_merge_undo(actor=users.street_staff, merge=merge, reason="撤销")
        assert "/elders/" in " ".join(exc.value.messages)


class TestReveal:
    def test_reveal_returns_clear_value_and_is_audited_with_reason(self, users, district):
        elder = district.elders.a1
        value = services.elder_reveal(actor=users.street_staff, elder=elder, field="id_number", reason="办理长护险")
        assert value == elder.id_number and len(value) == 18
        event = AuditEvent.objects.get(action="elders.reveal")
        assert event.reason == "办理长护险" and event.changes == {"field": "id_number"}
        assert event.actor == users.street_staff

    def test_reveal_needs_a_reason(self, users, district):
        with pytest.raises(ValidationError) as exc:
            services.elder_reveal(actor=users.street_staff, elder=district.elders.a1, field="phone", reason=" ")
        assert "reason" in exc.value.error_dict
        assert not AuditEvent.objects.filter(action="elders.reveal").exists()

    @pytest.mark.parametrize("role", ["inspector", "provider_admin", "elder"])
    def test_roles_without_the_capability_are_refused(self, users, district, role):
        with pytest.raises(PermissionDenied):
            services.elder_reveal(actor=getattr(users, role), elder=district.elders.a1, field="id_number",
                                  reason="想看看")
        assert not AuditEvent.objects.filter(action="elders.reveal").exists()

    def test_reveal_outside_scope_is_refused(self, users, district):
        with pytest.raises(PermissionDenied):
            services.elder_reveal(actor=users.street_staff, elder=district.elders.b1, field="id_number",
                                  reason="核对身份")
