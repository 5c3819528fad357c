"""The base map the deployment serves itself: a configured tile server, else the MBTiles file's tiles at
/system/tiles/, else (the pages draw) the region boundaries."""
import gzip
import sqlite3

import pytest
from django.test import override_settings

from carecircle.core import basemap
from carecircle.settings.base import _tile_origin

PNG = b"\x89PNG\r\n\x1a\n" + b"tile-0-0-0"
JPG = b"\xff\xd8\xff\xe0" + b"jpeg-tile"


def make_mbtiles(path, fmt="png", tiles=()):
    """A minimal MBTiles file: metadata and tiles tables; `tiles` is [(z, x, xyz_y, data)], stored TMS-flipped."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "徐汇"), ("format", fmt), ("minzoom", "0"),
                                                             ("maxzoom", "16"), ("attribution", "区测绘院")])
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       [(z, x, (1 << z) - 1 - y, data) for z, x, y, data in tiles])
    return str(path)


@pytest.fixture
def png_tiles(tmp_path):
    # z1: the north-west tile (XYZ y=0, TMS row 1) exists; the south-west one (XYZ y=1) does not.
    return make_mbtiles(tmp_path / "xuhui.mbtiles", tiles=[(1, 0, 0, PNG), (0, 0, 0, PNG + b"z0")])


pytestmark = pytest.mark.django_db


def test_a_tile_is_read_at_the_flipped_row_with_its_type_and_cached(client, png_tiles, users):
    with override_settings(CARECIRCLE_MBTILES_PATH=png_tiles, CARECIRCLE_TILE_URL=""):
        client.force_login(users.provider_admin)
        response = client.get("/system/tiles/1/0/0.png")
        assert response.status_code == 200 and response.content == PNG
        assert response["Content-Type"] == "image/png"
        # Tiles hold no personal data: cacheable even for a signed-in user.
        assert "public" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
        again = client.get("/system/tiles/1/0/0.png", HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304 and again.content == b""


@pytest.fixture
def signed_in(client, users):
    client.force_login(users.caregiver)
    return client


def test_tiles_are_for_signed_in_users(client, png_tiles):
    with override_settings(CARECIRCLE_MBTILES_PATH=png_tiles, CARECIRCLE_TILE_URL=""):
        response = client.get("/system/tiles/1/0/0.png")
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_missing_and_impossible_tiles(signed_in, png_tiles):
    client = signed_in
    with override_settings(CARECIRCLE_MBTILES_PATH=png_tiles, CARECIRCLE_TILE_URL=""):
        assert client.get("/system/tiles/1/0/1.png").status_code == 204  # inside the world, not in the file
        assert client.get("/system/tiles/1/2/0.png").status_code == 404  # column beyond the zoom level
        assert client.get("/system/tiles/1/0/2.png").status_code == 404
        assert client.get("/system/tiles/23/0/0.png").status_code == 404
        assert client.get("/system/tiles/1/0/0.jpg").status_code == 404  # not the file's format
        assert client.get("/system/tiles/1/0/0.html").status_code == 404
        assert client.post("/system/tiles/1/0/0.png").status_code == 405


def test_no_file_or_a_broken_file_is_a_404_not_an_error(signed_in, tmp_path):
    client = signed_in
    with override_settings(CARECIRCLE_MBTILES_PATH=""):
        assert client.get("/system/tiles/0/0/0.png").status_code == 404
    with override_settings(CARECIRCLE_MBTILES_PATH=str(tmp_path / "missing.mbtiles")):
        assert client.get("/system/tiles/0/0/0.png").status_code == 404
    broken = tmp_path / "broken.mbtiles"
    broken.write_bytes(b"not a database at all")
    with override_settings(CARECIRCLE_MBTILES_PATH=str(broken)):
        assert client.get("/system/tiles/0/0/0.png").status_code == 404
        assert basemap.client_config() == {"source": "boundaries"}
    no_tiles = tmp_path / "metadata-only.mbtiles"
    with sqlite3.connect(no_tiles) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("INSERT INTO metadata VALUES ('format', 'png')")
    with override_settings(CARECIRCLE_MBTILES_PATH=str(no_tiles)):
        assert client.get("/system/tiles/0/0/0.png").status_code == 404


def test_jpeg_and_vector_tiles_have_their_content_types(signed_in, tmp_path):
    client = signed_in
    jpg = make_mbtiles(tmp_path / "jpg.mbtiles", fmt="jpg", tiles=[(0, 0, 0, JPG)])
    with override_settings(CARECIRCLE_MBTILES_PATH=jpg, CARECIRCLE_TILE_URL=""):
        response = client.get("/system/tiles/0/0/0.jpg")
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert basemap.client_config()["url"] == "/system/tiles/{z}/{x}/{y}.jpg"
    pbf = make_mbtiles(tmp_path / "pbf.mbtiles", fmt="pbf", tiles=[(0, 0, 0, gzip.compress(b"vector"))])
    with override_settings(CARECIRCLE_MBTILES_PATH=pbf, CARECIRCLE_TILE_URL=""):
        response = client.get("/system/tiles/0/0/0.pbf")
        assert response.status_code == 200 and response["Content-Type"] == "application/x-protobuf"
        assert response["Content-Encoding"] == "gzip"
        # Leaflet draws raster tiles only: the pages fall back to the boundaries.
        assert basemap.client_config() == {"source": "boundaries"}


def test_the_order_of_preference(png_tiles):
    url = "https://tiles.xuhui.gov.cn/{z}/{x}/{y}.png"
    with override_settings(CARECIRCLE_TILE_URL=url, CARECIRCLE_MBTILES_PATH=png_tiles,
                           CARECIRCLE_TILE_ATTRIBUTION="徐汇区测绘"):
        assert basemap.client_config() == {"source": "url", "url": url, "attribution": "徐汇区测绘", "max_zoom": 18}
    with override_settings(CARECIRCLE_TILE_URL="", CARECIRCLE_MBTILES_PATH=png_tiles, CARECIRCLE_TILE_ATTRIBUTION=""):
        assert basemap.client_config() == {"source": "mbtiles", "url": "/system/tiles/{z}/{x}/{y}.png",
                                           "attribution": "区测绘院", "min_zoom": 0, "max_zoom": 16}
    with override_settings(CARECIRCLE_TILE_URL="", CARECIRCLE_MBTILES_PATH=""):
        assert basemap.client_config() == {"source": "boundaries"}


def test_a_tile_server_is_allowed_by_the_content_security_policy_by_its_origin_only():
    assert _tile_origin("https://tiles.xuhui.gov.cn/osm/{z}/{x}/{y}.png") == "https://tiles.xuhui.gov.cn"
    assert _tile_origin("http://10.1.2.3:8080/{z}/{x}/{y}.png") == "http://10.1.2.3:8080"
    assert _tile_origin("https://{s}.tiles.gov.cn/{z}/{x}/{y}.png") == "https://*.tiles.gov.cn"
    assert _tile_origin("/local/tiles/{z}/{x}/{y}.png") == ""
    assert _tile_origin("javascript:alert(1)") == ""
