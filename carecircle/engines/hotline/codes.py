"""Device event codes. Each device vendor numbers its alarms its own way; the platform names them once.

Vendor numbers seen in practice (a wristband's 01 SOS … 13 diastolic low, a bed monitor's 3001 left bed …)
are accepted as aliases. Priority 1 is the most urgent; a heartbeat is no alarm at all, it only says the
device is alive (and its battery)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlarmCode:
    code: str
    priority: int  # 1 urgent (life), 2 soon (health, safety), 3 routine (device care)
    emergency: bool
    heartbeat: bool = False


CODES: dict[str, AlarmCode] = {c.code: c for c in (
    AlarmCode("heartbeat", 9, False, heartbeat=True),
    AlarmCode("sos", 1, True),
    AlarmCode("pull_cord", 1, True),
    AlarmCode("fall", 1, True),
    AlarmCode("smoke", 1, True),
    AlarmCode("gas", 1, True),
    AlarmCode("breathing", 1, True),
    AlarmCode("heart_rate", 2, True),
    AlarmCode("heart_rate_high", 2, True),
    AlarmCode("heart_rate_low", 2, True),
    AlarmCode("blood_pressure", 2, False),
    AlarmCode("water", 2, False),
    AlarmCode("no_movement", 2, True),
    AlarmCode("left_bed", 2, False),
    AlarmCode("removed", 3, False),
    AlarmCode("cut_off", 2, False),
    AlarmCode("wear_reminder", 3, False),
    AlarmCode("low_battery", 3, False),
)}

ALIASES = {
    # wristband / watch
    "00": "heartbeat", "01": "sos", "02": "low_battery", "03": "removed", "04": "wear_reminder", "05": "cut_off",
    "06": "fall", "07": "heart_rate", "08": "heart_rate_high", "09": "heart_rate_low", "10": "blood_pressure",
    "11": "blood_pressure", "12": "blood_pressure", "13": "blood_pressure",
    # bed / sleep monitor
    "3001": "left_bed", "3006": "breathing", "3007": "heart_rate", "3008": "pull_cord",
}


def resolve_code(value) -> AlarmCode | None:
    """The platform's code for what a device sent (its name or a vendor number), or None when unknown."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    text = str(value).strip().lower()
    return CODES.get(ALIASES.get(text, text))
