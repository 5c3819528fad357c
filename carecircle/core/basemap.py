"""The base map under every Leaflet map, served from the deployment itself (closed networks reach no outside
map server). Three sources, in this order:

1. a tile server of the district's own network: `CARECIRCLE_TILE_URL` (a Leaflet URL template such as
   `https://tiles.example.gov.cn/{z}/{x}/{y}.png`; its origin is added to the content security policy);
2. an MBTiles file on the server (`CARECIRCLE_MBTILES_PATH`), served by `tile_view` at
   `/system/tiles/<z>/<x>/<y>.<ext>`; MBTiles is SQLite, its `tile_row` counts from the south (TMS), so the
   XYZ row asked for is flipped;
3. neither: pages draw the region and community boundaries with their names from the region tree.

A vector-tile MBTiles file (`pbf`) is served too (for clients that render vector tiles), but Leaflet draws
raster tiles only, so pages then fall back to the boundaries.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.views.decorators.http import require_GET

CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/x-protobuf",
}
RASTER = {"png", "jpg", "jpeg", "webp"}
MAX_ZOOM = 22
# Browsers keep a tile a day; the server keeps recently read tiles in memory.
CACHE_SECONDS = 86400
_local = threading.local()


def tile_url() -> str:
    return (getattr(settings, "CARECIRCLE_TILE_URL", "") or "").strip()


def mbtiles_path() -> str:
    return (getattr(settings, "CARECIRCLE_MBTILES_PATH", "") or "").strip()


def _connection(path: str) -> sqlite3.Connection:
    """A read-only connection per thread and file (SQLite connections are not shared between threads)."""
    cache = getattr(_local, "connections", None)
    if cache is None:
        cache = _local.connections = {}
    key = (path, os.stat(path).st_mtime_ns)
    if key not in cache:
        for old in [k for k in cache if k[0] == path]:
            cache.pop(old).close()
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        cache[key] = sqlite3.connect(uri, uri=True, check_same_thread=False)
    return cache[key]


@lru_cache(maxsize=8)
def _metadata(path: str, mtime_ns: int) -> dict[str, str]:
    rows = _connection(path).execute("SELECT name, value FROM metadata").fetchall()
    return {str(name): str(value) for name, value in rows}


def mbtiles_metadata() -> dict[str, str] | None:
    """The MBTiles file's metadata (format, name, bounds, zooms, attribution), or None when no usable file is
    configured."""
    path = mbtiles_path()
    if not path or not os.path.isfile(path):
        return None
    try:
        return _metadata(path, os.stat(path).st_mtime_ns)
    except sqlite3.Error:
        return None


def mbtiles_format() -> str:
    metadata = mbtiles_metadata() or {}
    fmt = metadata.get("format", "png").lower()
    return "jpg" if fmt == "jpeg" else fmt


@lru_cache(maxsize=2048)
def _tile(path: str, mtime_ns: int, z: int, x: int, y: int) -> bytes | None:
    row = _connection(path).execute(
        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
        (z, x, (1 << z) - 1 - y)).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


def read_tile(z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ (z, x, y) from the configured MBTiles file; None when the file has none there."""
    path = mbtiles_path()
    if not path or not os.path.isfile(path):
        return None
    return _tile(path, os.stat(path).st_mtime_ns, z, x, y)


def client_config() -> dict:
    """What a page's map script needs: the tile layer to use, or that it draws the boundaries itself."""
    url = tile_url()
    attribution = (getattr(settings, "CARECIRCLE_TILE_ATTRIBUTION", "") or "").strip()
    max_zoom = int(getattr(settings, "CARECIRCLE_TILE_MAX_ZOOM", 18) or 18)
    if url:
        return {"source": "url", "url": url, "attribution": attribution, "max_zoom": max_zoom}
    metadata = mbtiles_metadata()
    if metadata is not None and mbtiles_format() in RASTER:
        fmt = mbtiles_format()
        template = reverse("core:tile", kwargs={"z": 0, "x": 0, "y": 0, "ext": fmt})
        template = template.replace("/0/0/0.", "/{z}/{x}/{y}.")
        return {"source": "mbtiles", "url": template,
                "attribution": attribution or metadata.get("attribution", ""),
                "min_zoom": int(metadata.get("minzoom", 0) or 0),
                "max_zoom": int(metadata.get("maxzoom", max_zoom) or max_zoom)}
    return {"source": "boundaries"}


@login_required
@require_GET
def tile_view(request, z: int, x: int, y: int, ext: str):
    """One tile of the MBTiles file, for signed-in users (the pages that draw maps are theirs): 404 when no file is configured, the coordinates cannot exist or the
    extension is not the file's format; 204 when the file has no tile there (the map shows the background)."""
    if not mbtiles_path() or mbtiles_metadata() is None:
        raise Http404("no MBTiles file is configured")
    ext = ext.lower()
    fmt = mbtiles_format()
    if ext not in CONTENT_TYPES or CONTENT_TYPES[ext] != CONTENT_TYPES.get(fmt):
        raise Http404("this tile set is not in that format")
    if not 0 <= z <= MAX_ZOOM or not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        raise Http404("no such tile")
    try:
        data = read_tile(z, x, y)
    except sqlite3.Error:
        raise Http404("the MBTiles file has no readable tiles table") from None
    if data is None:
        response = HttpResponse(status=204)
    else:
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
            if fmt == "pbf" and data[:2] == b"\x1f\x8b":
                response["Content-Encoding"] = "gzip"
        response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    # Tiles hold no personal data: the no-store rule for signed-in users does not apply to them.
    response.cacheable_without_personal_data = True
    return response
