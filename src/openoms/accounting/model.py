"""Tax and currency rules: exact decimal rates, rounding per currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from openoms.shared.errors import FieldError, NotFound
from openoms.shared.money import Money, decimals


class FxRateMissing(NotFound):
    code = "fx_rate_missing"
    title = "No exchange rate"


@dataclass(frozen=True)
class TaxRate:
    country: str
    region: str
    rate: Decimal
    name: str


def parse_rate(text: str, field: str, maximum: Decimal) -> tuple[Decimal | None, list[FieldError]]:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None, [FieldError(field, f"'{text}' is not a decimal number")]
    if not value.is_finite() or value < 0 or value > maximum:
        return None, [FieldError(field, f"must be a decimal from 0 to {maximum}")]
    return value, []


def to_base(amount: Money, base_currency: str, rate_to_base: Decimal) -> Money:
    """Convert with an exact rate, rounding half-up to the base currency's minor unit."""
    exponent = decimals(base_currency) - decimals(amount.currency)
    value = (Decimal(amount.amount_minor) * rate_to_base).scaleb(exponent)
    return Money(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), base_currency)
