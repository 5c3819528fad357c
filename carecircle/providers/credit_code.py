"""The 18-character unified social credit code (统一社会信用代码, GB 32100-2015).

Pure functions so forms, services, imports and the demo generator share one rule.
"""
from __future__ import annotations

# The standard leaves out I, O, S, V and Z so that codes cannot be misread.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CreditCodeError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalise(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def with_check_character(first17: str) -> str:
    """A complete code from its first 17 characters (used by demo data and tests)."""
    first17 = normalise(first17)
    return first17 + check_character(first17)


def validate_credit_code(value: str) -> str:
    """The normalised code, or CreditCodeError saying exactly what is wrong."""
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    code = normalise(value)
    if len(code) != 18:
        raise CreditCodeError("length", _("统一社会信用代码必须是 18 位（现为 %(n)d 位）") % {"n": len(code)})
    wrong = sorted({char for char in code if char not in CHARSET})
    if wrong:
        raise CreditCodeError(
            "characters",
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）") % {"chars": pgettext("list separator", "、").join(wrong)},
        )
    if not code[2:8].isdigit():
        raise CreditCodeError("area", _("统一社会信用代码第 3–8 位应为登记管理机关行政区划码（6 位数字）"))
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError(
            "checksum", _("统一社会信用代码校验码错误：最后一位应为 %(c)s，请核对是否抄错") % {"c": expected}
        )
    return code
