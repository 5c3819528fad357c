import pytest
from django.urls import reverse

from carecircle.core.models import AuditEvent
from carecircle.core.testing import visible_text
from carecircle.elders.models import Elder, EmergencyContact

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_list_has_search_filters_and_masked_ids(login, users, district):
    page = login(users.street_staff).get(reverse("elders:list"), {"q": "zsm"}).content.decode()
    assert "张三明" in page and "李秀英" not in page
    assert district.elders.a1.id_number_masked in page and district.elders.a1.id_number not in page
    assert 'name="household_type"' in page and 'name="age_min"' in page


def test_list_empty_state(login, users):
    page = login(users.street_staff).get(reverse("elders:list"), {"q": "不存在的人"}).content.decode()
    assert "没有符合条件的老人档案" in page


def test_export_is_masked_filtered_and_scoped(login, users, district):
    response = login(users.street_staff).get(reverse("elders:export"), {"household_type": "alone"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "张三明" in text and "李秀英" not in text and "王建国" not in text
    assert district.elders.a1.id_number_masked in text and district.elders.a1.id_number not in text
    assert "13800138000" not in text and "138****8000" in text


def test_detail_of_another_streets_elder_is_404(login, users, district):
    client = login(users.street_staff)
    assert client.get(reverse("elders:detail", args=[district.elders.a1.pk])).status_code == 200
    for name in ("detail", "edit", "merge"):
        assert client.get(reverse(f"elders:{name}", args=[district.elders.b1.pk])).status_code == 404


def test_roles_without_capability_get_403(login, users, district):
    assert login(users.inspector).get(reverse("elders:create")).status_code == 403
    assert login(users.operator).get(reverse("elders:merge", args=[district.elders.a1.pk])).status_code == 403


def test_detail_masks_and_reveal_needs_a_reason(login, users, district):
    elder = district.elders.a1
    client = login(users.community_worker)
    page = client.get(reverse("elders:detail", args=[elder.pk])).content.decode()
    assert elder.id_number not in page and elder.id_number_masked in page and "查看原因" in page
    refused = client.post(reverse("elders:reveal", args=[elder.pk]), {"field": "id_number", "reason": ""},
                          HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and elder.id_number not in refused.content.decode()
    shown = client.post(reverse("elders:reveal", args=[elder.pk]), {"field": "id_number", "reason": "上门核对"},
                        HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and elder.id_number in shown.content.decode()
    assert AuditEvent.objects.get(action="elders.reveal").reason == "上门核对"


def test_inspector_sees_no_reveal_form_and_is_refused(login, users, district):
    elder = district.elders.a1
    client = login(users.inspector)
    assert "查看原因" not in client.get(reverse("elders:detail", args=[elder.pk])).content.decode()
    assert client.post(reverse("elders:reveal", args=[elder.pk]),
                       {"field": "id_number", "reason": "想看"}).status_code == 403


def test_create_page_refuses_duplicate_with_link(login, users, district):
    client = login(users.street_staff)
    response = client.post(reverse("elders:create"), {
        "name": "张三明", "id_number": district.elders.a1.id_number, "community": district.a1.pk,
        "address": "天平路 1 号", "household_type": "alone", "registration": "local",
        "economic_category": "general", "coordinate_system": "wgs84"})
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("elders:detail", args=[district.elders.a1.pk]) in page and "打开已有档案" in page
    shown = visible_text(page)
    assert "/elders/" not in shown and district.elders.a1.name in shown  # words and a link, never a path


def test_create_page_duplicate_outside_scope_offers_no_link(login, users, district):
    client = login(users.street_staff)
    response = client.post(reverse("elders:create"), {
        "name": "张三明", "id_number": district.elders.b1.id_number, "community": district.a1.pk,
        "address": "天平路 1 号", "household_type": "alone", "registration": "local",
        "economic_category": "general", "coordinate_system": "wgs84"})
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("elders:detail", args=[district.elders.b1.pk]) not in page and "打开已有档案" not in page
    assert "管辖范围以外" in visible_text(page)


def test_create_page_offers_only_communities_in_scope(login, users, district, new_id):
    client = login(users.street_staff)
    page = client.get(reverse("elders:create")).content.decode()
    assert "天平社区" in page and "枫林社区" not in page and "GCJ-02" in page
    response = client.post(reverse("elders:create"), {
        "name": "钱芳", "id_number": new_id(), "community": district.a2.pk, "address": "永嘉路 3 号",
        "household_type": "alone", "registration": "local", "economic_category": "general",
        "coordinate_system": "wgs84"})
    created = Elder.objects.get(name="钱芳")
    assert response.status_code == 302 and response.url == reverse("elders:detail", args=[created.pk])


def test_edit_with_blank_id_keeps_the_number(login, users, district):
    elder = district.elders.a1
    number = elder.id_number
    response = login(users.street_staff).post(reverse("elders:edit", args=[elder.pk]), {
        "name": "张三明", "id_number": "", "phone": "", "community": district.a1.pk, "address": "新地址 1 号",
        "lat": "31.205", "lng": "121.445", "household_type": "alone", "registration": "local",
        "economic_category": "general", "coordinate_system": "wgs84"})
    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.id_number == number and elder.address == "新地址 1 号" and elder.phone == "13800138000"


def test_status_change_and_contacts_through_pages(login, users, district):
    elder = district.elders.a1
    client = login(users.street_staff)
    client.post(reverse("elders:status", args=[elder.pk]),
                {"status": "moved_out", "status_date": "2026-01-02", "reason": "户口迁出"})
    elder.refresh_from_db()
    assert elder.status == "moved_out"
    client.post(reverse("elders:contact-add", args=[elder.pk]),
                {"name": "张小明", "relation": "儿子", "phone": "13912345678", "holds_key": "on", "priority": 1})
    contact = EmergencyContact.objects.get(elder=elder)
    assert contact.holds_key
    client.post(reverse("elders:contact-remove", args=[elder.pk, contact.pk]))
    assert not EmergencyContact.objects.exists()


def test_merge_flow_with_confirmation_step(login, users, district):
    a1, a2 = district.elders.a1, district.elders.a2
    client = login(users.street_staff)
    check = client.get(reverse("elders:merge", args=[a1.pk]), {"other": a2.pk}).content.decode()
    assert "确认合并" in check and "data-confirm" in check and a2.id_number_masked in check
    response = client.post(reverse("elders:merge", args=[a1.pk]),
                           {"other": a2.pk, "keep": "this", "reason": "重复建档", "confirm": "1"})
    assert response.status_code == 302
    a2.refresh_from_db()
    assert a2.status == "merged" and a2.merged_into_id == a1.pk


def test_merge_cannot_reach_another_streets_record(login, users, district):
    page = login(users.street_staff).get(reverse("elders:merge", args=[district.elders.a1.pk]),
                                         {"other": district.elders.b1.pk}).content.decode()
    assert "不在您的管辖范围内" in page and "确认合并" not in page


def test_elder_and_family_get_big_type_pages_of_their_own_elder(login, users, district):
    client = login(users.family)
    page = client.get(reverse("elders:list")).content.decode()
    assert 'class="age-friendly"' in page and "李秀英" in page and "张三明" not in page
    detail = client.get(reverse("elders:detail", args=[district.elders.a2.pk])).content.decode()
    assert 'class="age-friendly"' in detail and district.elders.a2.id_number not in detail
    assert client.get(reverse("elders:detail", args=[district.elders.a1.pk])).status_code == 404


def test_writes_on_another_streets_elder_are_404_even_with_empty_forms(login, users, district):
    client = login(users.street_staff)
    other = district.elders.b1
    for name in ("status", "reveal", "contact-add"):
        assert client.post(reverse(f"elders:{name}", args=[other.pk]), {}).status_code == 404, name


def test_detail_shows_masked_contacts_and_merge_history_with_undo(login, users, district):
    from carecircle.elders import services

    a1, a2 = district.elders.a1, district.elders.a2
    EmergencyContact.objects.create(elder=a1, name="张小明", relation="儿子", phone="13912345678", holds_key=True)
    merge = services.elder_merge(actor=users.street_staff, survivor=a1, duplicate=a2, reason="重复建档")
    client = login(users.street_staff)
    page = client.get(reverse("elders:detail", args=[a1.pk])).content.decode()
    assert "139****5678" in page and "13912345678" not in page and "持有钥匙" in page
    assert reverse("elders:merge-undo", args=[merge.pk]) in page and "data-confirm" in page
    merged_page = client.get(reverse("elders:detail", args=[a2.pk])).content.decode()
    assert "已合并到" in merged_page and reverse("elders:edit", args=[a2.pk]) not in merged_page
    response = client.post(reverse("elders:merge-undo", args=[merge.pk]), {"reason": "合并错了"})
    assert response.status_code == 302
    a2.refresh_from_db()
    assert a2.status == "active"
