"""The 18-digit resident identity number (GB 11643-1999): checksum, birth date, sex.

Pure functions: no database, so imports, forms, the API and the demo generator share one rule.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """Carries a message a person understands (Chinese first; translated by the caller's gettext)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumberFacts:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F"
    area_code: str


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdNumberFacts:
    from django.utils.translation import gettext as _

    number = normalise(value)
    if len(number) != 18:
        raise IdNumberError("length", _("身份证号必须是 18 位（现为 %(n)d 位）") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("characters", _("身份证号前 17 位必须是数字，最后一位是数字或 X"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("birth_date", _("身份证号中的出生日期 %(d)s 不存在") % {"d": number[6:14]})
    today = today or dt.date.today()
    if birth > today or birth.year < 1890:
        raise IdNumberError("birth_date", _("身份证号中的出生日期 %(d)s 不可能") % {"d": birth.isoformat()})
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError("checksum", _("身份证号校验位错误：最后一位应为 %(c)s，请核对号码是否抄错") % {"c": expected})
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberFacts(number=number, birth_date=birth, gender=gender, area_code=number[:6])


def make_id_number(area_code: str, birth: dt.date, sequence: int, gender: str) -> str:
    """A valid number for demo data and tests: the sequence's last digit carries the sex."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (gender == "M"):
        seq = (seq + 1) % 1000
    first17 = f"{area_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
