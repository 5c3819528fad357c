"""Money is Decimal yuan with two places, rounded half-up at defined points; never float."""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be built from a float; pass a str, int or Decimal")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    return f"{to_money(value):.2f}"
