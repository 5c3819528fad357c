"""The demo district's hotline: a device from var/demo_devices.json sends a signed SOS that raises an alarm;
the silent-elder list, today's care calls and the monthly visit rates come out of the seeded data."""
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.elders.models import Elder
from carecircle.engines.hotline import sign

from .. import selectors
from ..models import Alarm, CareCall, Device, WelfareTask, WelfareVisit


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--scale", "tiny", "--seed", "3", "--no-progress",
                 "--accounts-file", str(tmp_path / "accounts.json"), stdout=StringIO())
    return json.loads((tmp_path / "demo_devices.json").read_text(encoding="utf-8"))


def test_the_demo_hotline(demo, client):
    """One seeding (it takes a while): the devices file, then the lists."""
    assert 1 <= len(demo) <= 5 and {"device_id", "secret", "elder"} <= set(demo[0])
    device = Device.objects.get(device_id=demo[0]["device_id"])
    assert device.elder.name == demo[0]["elder"] and device.secret == demo[0]["secret"]
    body = json.dumps({"event_id": "demo-sos", "code": "sos", "at": int(time.time())}).encode()
    ts = str(int(time.time()))
    response = client.generic("POST", "/api/v1/device-events/", body, content_type="application/json",
                              HTTP_X_DEVICE_ID=device.device_id, HTTP_X_TIMESTAMP=ts,
                              HTTP_X_SIGNATURE=sign(device.secret, ts, body))
    assert response.status_code == 201, response.content
    operator = User.objects.get(username="operator")
    assert selectors.alarm_queue(operator).filter(elder=device.elder, code="sos").exists()
    district = User.objects.get(username="district_admin")
    assert Alarm.objects.filter(status="closed", callback_at__isnull=False).exists()
    silent = selectors.silent_elders(operator)
    quiet = Device.objects.filter(last_heartbeat_at__lt=timezone.now() - timezone.timedelta(hours=24))
    assert quiet.count() == 2
    assert {d.elder_id for d in quiet} <= {e.pk for e, _r in silent}
    for elder, reasons in silent:
        assert elder.household_type == "alone" and reasons
    assert CareCall.objects.filter(status="unreached").count() == 2
    assert WelfareTask.objects.filter(done_at__isnull=True, source="unanswered").count() == 2
    communities, streets = selectors.visit_rates(district, timezone.localdate().replace(day=1))
    assert streets and all(0 <= s.rate <= 1 for s in streets)
    start, end = selectors.month_bounds(timezone.localdate())
    last_day = (end - timezone.timedelta(days=1)).date()
    # The rate counts elders in special difficulty still active at the month's end, seen in person (other demo
    # data may have recorded a death or a move meanwhile).
    eligible = Elder.objects.filter(status="active").filter(selectors.special_difficulty_condition(last_day, 80))
    visited = WelfareVisit.objects.filter(visited_at__gte=start, visited_at__lt=end, seen_in_person=True,
                                          elder__in=eligible).values("elder").distinct().count()
    assert sum(s.visited for s in streets) == visited
