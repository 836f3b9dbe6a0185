from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money, decimals, minor_str, validate_currency


@pytest.mark.parametrize(
    ("currency", "places"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3)]
)
def test_each_currency_has_its_own_number_of_decimals(currency: str, places: int) -> None:
    assert decimals(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("19.99", "EUR", 1999), ("1500", "JPY", 1500), ("1.234", "KWD", 1234), ("0", "USD", 0)],
)
def test_parses_major_units_into_exact_minor_units(amount: str, currency: str, minor: int) -> None:
    assert Money.parse(amount, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.5", "JPY"), ("1.999", "EUR"), ("0.0001", "KWD")]
)
def test_refuses_more_decimals_than_the_currency_has(amount: str, currency: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        Money.parse(amount, currency)
    assert e.value.errors[0].field == "amount"
    assert "decimal places" in e.value.errors[0].message


@pytest.mark.parametrize("code", ["XXX", "EURO", "eur", "", "DEM"])
def test_refuses_codes_that_are_not_active_iso_4217(code: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_currency(code)


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", ""])
def test_refuses_amounts_that_are_not_finite_numbers(amount: str) -> None:
    with pytest.raises(ValidationFailed):
        Money.parse(amount, "EUR")


def test_arithmetic_stays_in_minor_units_and_one_currency() -> None:
    price = Money(1999, "EUR")
    assert price * 3 == Money(5997, "EUR")
    assert price + Money(1, "EUR") - Money(1000, "EUR") == Money(1000, "EUR")
    with pytest.raises(ValueError, match="cannot combine"):
        price + Money(1, "USD")


def test_floats_are_refused_as_minor_units() -> None:
    with pytest.raises(TypeError):
        Money(19.99, "EUR")  # type: ignore[arg-type]


def test_formats_for_people_in_their_locale() -> None:
    assert Money(123456, "EUR").format("de_DE") == "1.234,56\xa0€"
    assert Money(1500, "JPY").format("en_US") == "¥1,500"
    assert Money(1234, "KWD").amount == Decimal("1.234")
    assert Money(1234, "KWD").amount_str() == "1.234"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1999, "EUR", "19.99"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (-1999, "EUR", "-19.99"),
        (0, "EUR", "0.00"),
        (1999, "JPY", "1999"),
        (-3, "JPY", "-3"),
        (1, "KWD", "0.001"),
        (10**15 - 1, "KWD", "999999999999.999"),
    ],
)
def test_amounts_as_text_have_the_currencys_decimals(minor: int, currency: str, text: str) -> None:
    assert minor_str(minor, currency) == text
    assert Money(minor, currency).amount_str() == text


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["EUR", "USD", "JPY", "KWD", "BHD", "CLP", "ISK"]),
)
def test_amounts_as_text_are_the_exact_decimal_amount(minor: int, currency: str) -> None:
    text = minor_str(minor, currency)
    assert Decimal(text) == Decimal(minor).scaleb(-decimals(currency))
    assert len(text.partition(".")[2]) == decimals(currency)
