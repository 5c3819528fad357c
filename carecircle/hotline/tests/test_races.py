"""The same device event sent twice at the same moment (a device retrying while the first is still being
stored): one event, one alarm; both answers are the first answer."""
import json
import time

import pytest
from django.test import Client

from carecircle.engines.hotline import sign

from ..models import Alarm, DeviceEvent


def _send(device_id, secret, body):
    def call():
        ts = str(int(time.time()))
        return Client().generic("POST", "/api/v1/device-events/", body, content_type="application/json",
                                HTTP_X_DEVICE_ID=device_id, HTTP_X_TIMESTAMP=ts,
                                HTTP_X_SIGNATURE=sign(secret, ts, body))

    return call


@pytest.mark.parametrize("ordered", [True, False])
def test_one_event_sent_twice_at_once_makes_one_alarm(hotline, race, ordered):
    body = json.dumps({"event_id": "storm-1", "code": "sos", "at": int(time.time())}).encode()
    results = race.run(_send("DEV-A1", hotline.secret, body), _send("DEV-A1", hotline.secret, body),
                       ordered=ordered)
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    assert sorted(r.status_code for r in results) == [200, 201], [r.content for r in results]
    assert results[0].json() == results[1].json()
    assert Alarm.objects.count() == 1 and DeviceEvent.objects.count() == 1
