"""Money arithmetic: always Decimal, always rounded explicitly."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """Round an amount to cents, half away from zero (the commercial convention)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
