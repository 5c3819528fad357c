import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from carecircle.engines.routing.model import Caregiver, Location, TravelMode
from carecircle.engines.routing.travel import OsrmError, OsrmTableProvider, StraightLineProvider, build_matrix, haversine_m

XUJIAHUI = Location("xjh", 31.1955, 121.4367)
LONGHUA = Location("lh", 31.1760, 121.4540)


def test_haversine_one_degree_of_latitude():
    assert haversine_m(Location("a", 31.0, 121.0), Location("b", 32.0, 121.0)) == pytest.approx(111_195, rel=1e-3)


def test_straight_line_applies_detour_and_mode_speed():
    matrix = StraightLineProvider(detour_factor=1.3).matrix([XUJIAHUI, LONGHUA], [TravelMode.WALKING, TravelMode.EBIKE])
    crow = haversine_m(XUJIAHUI, LONGHUA)
    assert matrix.distance(XUJIAHUI, LONGHUA) == pytest.approx(crow * 1.3)
    walker = Caregiver("w", XUJIAHUI, XUJIAHUI, travel_mode=TravelMode.WALKING)
    rider = Caregiver("r", XUJIAHUI, XUJIAHUI, travel_mode=TravelMode.EBIKE)
    assert matrix.duration(walker, XUJIAHUI, LONGHUA) == pytest.approx(crow * 1.3 / (4000 / 3600))
    assert matrix.duration(rider, XUJIAHUI, LONGHUA) < matrix.duration(walker, XUJIAHUI, LONGHUA)
    slow = Caregiver("s", XUJIAHUI, XUJIAHUI, travel_mode=TravelMode.WALKING, speed=0.5)
    assert matrix.duration(slow, XUJIAHUI, LONGHUA) == pytest.approx(crow * 1.3 / 0.5)
    with pytest.raises(ValueError):
        StraightLineProvider(detour_factor=0.9)


class _Stub(BaseHTTPRequestHandler):
    answer: dict = {}
    paths: list = []

    def do_GET(self):
        type(self).paths.append(self.path)
        body = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm_stub():
    _Stub.paths = []
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Stub
    server.shutdown()
    server.server_close()


def test_osrm_table_adapter(osrm_stub):
    url, stub = osrm_stub
    stub.answer = {"code": "Ok", "durations": [[0, 300.5], [310, 0]], "distances": [[0, 2500], [2600, 0]]}
    provider = OsrmTableProvider({TravelMode.EBIKE: url})
    rider = Caregiver("r", XUJIAHUI, LONGHUA, travel_mode=TravelMode.EBIKE)
    matrix = build_matrix([], [rider], provider)
    assert matrix.duration(rider, XUJIAHUI, LONGHUA) == 300.5
    assert matrix.duration(rider, LONGHUA, XUJIAHUI) == 310
    assert matrix.distance(LONGHUA, XUJIAHUI) == 2600
    # OSRM wants lon,lat and the bike profile for e-bikes
    assert stub.paths == ["/table/v1/bike/121.436700,31.195500;121.454000,31.176000?annotations=duration,distance"]


@pytest.mark.parametrize(
    "answer",
    [
        {"code": "InvalidQuery", "message": "bad coordinates"},
        {"code": "Ok", "durations": [[0, None], [1, 0]], "distances": [[0, 1], [1, 0]]},
        {"code": "Ok", "durations": [[0, 1]], "distances": [[0, 1], [1, 0]]},
    ],
)
def test_osrm_errors_are_reported(osrm_stub, answer):
    url, stub = osrm_stub
    stub.answer = answer
    with pytest.raises(OsrmError):
        OsrmTableProvider({TravelMode.WALKING: url}).matrix([XUJIAHUI, LONGHUA], [TravelMode.WALKING])


def test_osrm_unreachable_server():
    # a port on localhost that nobody listens on
    with pytest.raises(OsrmError):
        OsrmTableProvider({TravelMode.WALKING: "http://127.0.0.1:9"}, timeout=2).matrix([XUJIAHUI, LONGHUA], [TravelMode.WALKING])
