import datetime as dt
import json
import time

import pytest

from carecircle.conftest import seed_policy
from carecircle.engines.hotline import sign

POLICY_KEYS = ("hotline.target.answer_seconds", "hotline.target.first_action_seconds",
               "hotline.care_call.per_week_by_tier", "hotline.care_call.max_attempts", "hotline.silence.days",
               "hotline.care_call.target_min_age", "hotline.no_check_in_alert_hours",
               "hotline.on_site_response_minutes", "hotline.device_fee.district_share",
               "welfare_visit.interval_days", "welfare_visit.after_event_hours", "welfare_visit.monthly_rate_target")


@pytest.fixture
def hotline(district, users):
    """The district with the hotline's policy values and a call terminal at street A's elder (a1)."""
    from carecircle.elders.models import EmergencyContact

    from .. import services

    seed_policy(*POLICY_KEYS)
    EmergencyContact.objects.create(elder=district.elders.a1, name="张小明", relation="儿子", phone="13900139000",
                                    holds_key=True)
    device, secret = services.device_register(actor=users.operator, elder=district.elders.a1,
                                              kind="call_terminal", vendor="安康通", installed_on=dt.date(2026, 1, 5),
                                              device_id="DEV-A1")
    district.device, district.secret = device, secret
    return district


def signed(client, device_id, secret, payload, *, ts=None, signature=None, headers=True, **extra):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    ts = str(int(time.time()) if ts is None else ts)
    meta = {}
    if headers:
        meta = {"HTTP_X_DEVICE_ID": device_id, "HTTP_X_TIMESTAMP": ts,
                "HTTP_X_SIGNATURE": signature if signature is not None else sign(secret, ts, body)}
    meta.update(extra)
    return client.generic("POST", "/api/v1/device-events/", body, content_type="application/json", **meta)


def event(event_id="e-1", code="sos", **more):
    return {"event_id": event_id, "code": code, "at": int(time.time()), **more}
