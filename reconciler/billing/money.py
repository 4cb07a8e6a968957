"""Exact money: sums as fractions, one ROUND_HALF_UP to the currency's minor unit per line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def to_fraction(amount: Decimal) -> Fraction:
    return Fraction(amount)


def round_money(value: Fraction, places: int) -> Decimal:
    """Round half up (away from zero) to ``places`` decimals: 1/3 of 10.00 -> 3.33."""
    # Integer arithmetic on numerator and denominator: this runs once per seat line.
    numerator, denominator = value.numerator * 10**places, value.denominator
    sign = -1 if numerator < 0 else 1
    whole = (2 * abs(numerator) + denominator) // (2 * denominator)  # floor(|x| + 1/2)
    return Decimal(sign * whole).scaleb(-places)


def round_quantity(value: Fraction, places: int = 4) -> Decimal:
    return round_money(value, places)


def fmt(amount: Decimal, places: int) -> str:
    """An amount as a string with exactly the currency's minor digits."""
    return str(amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
