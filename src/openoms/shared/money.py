"""Money as an integer count of minor units plus an ISO 4217 code. Never a float.

The number of decimals per currency comes from the Unicode CLDR data shipped with babel
(JPY 0, EUR 2, KWD 3), the same data used to format amounts for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision

from openoms.shared.errors import ValidationFailed

# Far beyond any real price or total, well inside a 64-bit column.
MAX_MINOR = 10**15


@cache
def active_currencies() -> frozenset[str]:
    """ISO 4217 codes that are legal tender in some territory today."""
    codes: set[str] = set()
    for entries in get_global("territory_currencies").values():
        for code, _start, end, is_tender in entries:
            if end is None and is_tender:
                codes.add(code)
    return frozenset(codes)


def validate_currency(code: str, field: str = "currency") -> str:
    """Return the code if it is an active ISO 4217 currency, else raise ValidationFailed."""
    if not isinstance(code, str) or code not in active_currencies():
        raise ValidationFailed.single(field, f"'{code}' is not an active ISO 4217 currency code")
    return code


@cache
def decimals(currency: str) -> int:
    return int(get_currency_precision(currency))


def minor_str(amount_minor: int, currency: str) -> str:
    """Minor units as the decimal string of the major amount (1999 EUR -> "19.99", -5 EUR
    -> "-0.05", 1999 JPY -> "1999", 1999 KWD -> "1.999"), in integers, so exactly."""
    places = decimals(currency)
    if places == 0:
        return str(amount_minor)
    whole, part = divmod(abs(amount_minor), 10**places)
    return f"{'-' if amount_minor < 0 else ''}{whole}.{part:0{places}d}"


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise TypeError("Money.amount_minor must be an int (minor units)")
        validate_currency(self.currency)

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str, field: str = "amount") -> Money:
        """Build Money from a decimal amount in major units ("19.99" EUR -> 1999).

        Refuses more decimals than the currency has (JPY "1.5", EUR "1.999").
        """
        validate_currency(currency, "currency")
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            raise ValidationFailed.single(field, f"'{amount}' is not a number") from None
        if not value.is_finite():
            raise ValidationFailed.single(field, "amount must be a finite number")
        places = decimals(currency)
        minor = value.scaleb(places)
        if abs(minor) >= MAX_MINOR:
            raise ValidationFailed.single(field, f"'{amount}' is too large an amount")
        if minor != minor.to_integral_value():
            raise ValidationFailed.single(
                field, f"{currency} amounts have {places} decimal places at most, got '{amount}'"
            )
        return cls(int(minor), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.amount_minor).scaleb(-decimals(self.currency))

    def amount_str(self) -> str:
        return minor_str(self.amount_minor, self.currency)

    def format(self, locale: str = "en") -> str:
        return str(format_currency(self.amount, self.currency, locale=locale))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return NotImplemented
        return Money(self.amount_minor * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
