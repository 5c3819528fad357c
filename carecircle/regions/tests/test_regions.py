import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from carecircle.conftest import square
from carecircle.core.models import AuditEvent
from carecircle.regions import services
from carecircle.regions.models import Region

HEADER = "code,name,kind,parent_code,centroid_lat,centroid_lng,boundary\n"


def csv_text(*rows):
    return HEADER + "".join(rows)


def boundary_cell(geometry):
    return '"' + json.dumps(geometry).replace('"', '""') + '"'


GOOD = csv_text(
    "310104003003,建国社区,community,310104003,31.21,121.45," + boundary_cell(square(31.21, 121.45, 0.003)) + "\n",
    "310104020,新街道,street,310104,31.22,121.42,\n",
    "310104020001,新一社区,community,310104020,,,\n",
)


# --- import ---------------------------------------------------------------------------------------

def test_a_good_file_imports_children_after_parents_and_is_audited(district, users):
    report = services.regions_import_csv(actor=users.district_admin, text=GOOD)
    assert report.errors == [] and report.created == 3
    assert Region.objects.get(code="310104020001").path == "/310000/310104/310104020/310104020001/"
    assert AuditEvent.objects.filter(action="regions.import").count() == 1


def test_a_dry_run_reports_and_stores_nothing(district, users):
    before = Region.objects.count()
    report = services.regions_import_csv(actor=users.district_admin, text=GOOD, dry_run=True)
    assert report.created == 3 and report.errors == []
    assert Region.objects.count() == before
    assert not AuditEvent.objects.filter(action="regions.import").exists()


@pytest.mark.parametrize("row, words", [
    ("310104099001,孤儿社区,community,310104099,,,\n", "未知的上级区划代码 310104099"),
    ("310104003009,错层社区,community,310104,,,\n", "community 的上级必须是 street"),
    ("310104030,某街道,town,310104,,,\n", "层级“town”无效"),
    ("310104003001,重复社区,community,310104003,,,\n310104003001,重复社区,community,310104003,,,\n", "与第 3 行重复"),
    ("310104003009,坐标社区,community,310104003,131.2,121.4,\n", "centroid_lat 超出范围"),
    ("310104003009,坐标社区,community,310104003,abc,121.4,\n", "“abc”不是数字"),
    ("310104003009,边界社区,community,310104003,,,{not json\n", "不是有效的 JSON"),
    ("310104003009,边界社区,community,310104003,,," + boundary_cell({"type": "Point", "coordinates": [1, 2]}) + "\n",
     "Polygon 或 MultiPolygon"),
    ("310104003009,边界社区,community,310104003,,," + boundary_cell(
        {"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.5, 31.2], [121.5, 31.3], [121.41, 31.2]]]}) + "\n",
     "没有闭合"),
    ("310104003009,边界社区,community,310104003,,," + boundary_cell(
        {"type": "Polygon", "coordinates": [[[31.2, 121.4], [31.3, 121.4], [31.3, 121.5], [31.2, 121.4]]]}) + "\n",
     "先经度后纬度"),
    ("310104003009,边界社区,community,310104003,,," + boundary_cell(
        {"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.5, 31.2], [121.4, 31.2]]]}) + "\n", "至少要有 4 个点"),
    ("ABC,字母代码,community,310104003,,,\n", "必须是数字"),
    ("310104003009,,community,310104003,,,\n", "名称不能为空"),
    ("310001,又一个市,city,310000,,,\n", "市级区域不能填写上级"),
])
def test_bad_rows_are_named_and_nothing_is_stored(district, users, row, words):
    before = set(Region.objects.values_list("code", "path", "name"))
    # A good row in the same file must not be stored either: all or nothing.
    text = csv_text("310104003008,好社区,community,310104003,,,\n", row)
    report = services.regions_import_csv(actor=users.district_admin, text=text)
    assert any(words in error for error in report.errors), report.errors
    assert set(Region.objects.values_list("code", "path", "name")) == before


def test_missing_columns_and_empty_files_are_explained(district, users):
    assert "缺少必需的列" in services.regions_import_csv(actor=users.district_admin, text="code,name\n").errors[0]
    assert "没有数据行" in services.regions_import_csv(actor=users.district_admin, text=HEADER).errors[0]


def test_a_region_with_children_cannot_change_its_kind(district, users):
    report = services.regions_import_csv(actor=users.district_admin,
                                         text=csv_text("310104003,天平路街道,community,310104003,,,\n"))
    assert any("已有下级区域" in e for e in report.errors)


def test_only_region_editors_import(district, users):
    with pytest.raises(PermissionDenied):
        services.regions_import_csv(actor=users.street_staff, text=GOOD)


def test_moving_a_street_by_import_rewrites_its_communities_paths(district, users):
    text = csv_text("310105,长宁区,district,310000,,,\n", "310104003,天平路街道,street,310105,,,\n")
    assert services.regions_import_csv(actor=users.district_admin, text=text).errors == []
    district.a1.refresh_from_db()
    assert district.a1.path == "/310000/310105/310104003/310104003001/"


def test_the_management_command_imports_and_fails_clearly(district, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("\ufeff" + GOOD, encoding="utf-8")
    call_command("import_regions", str(good))
    assert Region.objects.filter(code="310104020001").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text("310104099001,孤儿社区,community,310104099,,,\n"), encoding="utf-8")
    with pytest.raises(CommandError, match="未保存任何数据"):
        call_command("import_regions", str(bad))
    assert "未知的上级区划代码" in capsys.readouterr().err
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_regions", str(tmp_path / "missing.csv"))


# --- moving regions -------------------------------------------------------------------------------

def test_reparenting_a_street_rewrites_every_descendant_path(district, users):
    services.region_update(actor=users.district_admin, region=district.street_a, parent=district.district)
    other_district = Region.objects.create(code="310105", name="长宁区", kind="district", parent=district.city)
    services.region_update(actor=None, region=district.street_a, parent=other_district, reason="区划调整")
    for community in (district.a1, district.a2):
        community.refresh_from_db()
        assert community.path.startswith("/310000/310105/310104003/")
    district.b1.refresh_from_db()
    assert district.b1.path == "/310000/310104/310104011/310104011001/"
    event = AuditEvent.objects.get(action="regions.update")
    assert event.changes["path"] == ["/310000/310104/310104003/", "/310000/310105/310104003/"]


def test_changing_a_code_rewrites_descendants_too(district):
    district.street_b.code = "310104012"
    district.street_b.save()
    district.b1.refresh_from_db()
    assert district.b1.path == "/310000/310104/310104012/310104011001/"


def test_a_region_cannot_move_below_itself_or_to_a_wrong_level(district, users):
    with pytest.raises(ValidationError) as error:
        services.region_update(actor=users.district_admin, region=district.street_a, parent=district.street_b)
    assert "上级必须是" in error.value.message_dict["parent"][0]
    district.district.parent = district.a1
    with pytest.raises(ValueError):
        district.district.save()


def test_street_staff_cannot_move_regions(district, users):
    with pytest.raises(PermissionDenied):
        services.region_update(actor=users.street_staff, region=district.a1, name="改名")


# --- pages and API --------------------------------------------------------------------------------

@pytest.fixture
def client_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_tree_shows_the_users_scope_with_counts(district, users, client_as):
    body = client_as(users.street_staff).get(reverse("regions:list")).content.decode()
    assert "天平路街道" in body and "天平社区" in body and "永嘉社区" in body
    assert "枫林社区" not in body and "老人 2" in body
    body = client_as(users.district_admin).get(reverse("regions:list")).content.decode()
    assert "枫林社区" in body and "老人 3" in body


def test_detail_draws_the_map_without_inline_script_or_tile_server(district, users, client_as):
    response = client_as(users.street_staff).get(reverse("regions:detail", args=[district.street_a.pk]))
    body = response.content.decode()
    assert 'data-region-map="region-geojson"' in body and 'type="application/json"' in body
    assert "region_map.js" in body and "tile" not in body.lower() and "http://" not in body.split("<body")[1]
    assert "<script>" not in body


def test_the_import_page_previews_then_imports(district, users, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_as(users.district_admin)
    upload = SimpleUploadedFile("regions.csv", GOOD.encode("utf-8-sig"), content_type="text/csv")
    preview = client.post(reverse("regions:import"), {"file": upload})
    assert "将新增 3 个" in preview.content.decode()
    assert not Region.objects.filter(code="310104020").exists()
    done = client.post(reverse("regions:import"), {"text": GOOD, "confirm": "True"})
    assert done.status_code == 302 and Region.objects.filter(code="310104020").exists()
    bad = SimpleUploadedFile("bad.csv", csv_text("1,x,community,9,,,\n").encode(), content_type="text/csv")
    assert "未知的上级区划代码" in client.post(reverse("regions:import"), {"file": bad}).content.decode()


def test_the_import_page_is_for_region_editors_only(district, users, client_as):
    assert client_as(users.street_staff).get(reverse("regions:import")).status_code == 403


def test_api_lists_by_kind_and_parent(district, users, api_as):
    client = api_as(users.community_worker)
    data = client.get("/api/v1/regions/", {"kind": "community", "parent": "310104003"}).json()
    assert [r["code"] for r in data["results"]] == ["310104003001", "310104003002"]
    detail = client.get(f"/api/v1/regions/{district.b1.pk}/").json()
    assert detail["parent_code"] == "310104011"
    assert api_as(users.caregiver).get("/api/v1/regions/").status_code == 403
