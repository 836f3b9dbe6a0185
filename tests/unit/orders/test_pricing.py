from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openoms.orders.pricing import PriceLine, compute, spread
from openoms.shared.errors import ValidationFailed


def test_tax_inclusive_prices_extract_the_tax_per_line_and_on_shipping() -> None:
    # 2 x 12.10 EUR and shipping 4.84 EUR at 21 %, prices include tax
    totals = compute([PriceLine(1210, 2)], shipping=484, tax_rate=Decimal("0.21"))
    assert totals.lines[0].tax == 420
    assert totals.shipping_tax == 84
    assert (totals.subtotal, totals.tax, totals.total) == (2420, 504, 2904)


def test_tax_exclusive_prices_add_the_tax() -> None:
    totals = compute(
        [PriceLine(1000, 3)], shipping=500, tax_rate=Decimal("0.0825"), prices_include_tax=False
    )
    assert totals.lines[0].tax == 248  # 30.00 x 8.25 % = 2.475 -> 2.48 (half up)
    assert totals.shipping_tax == 41  # 5.00 x 8.25 % = 0.4125 -> 0.41
    assert totals.total == 3000 + 248 + 500 + 41


def test_jpy_has_no_minor_unit_and_rounds_to_whole_yen() -> None:
    totals = compute([PriceLine(1980, 1)], tax_rate=Decimal("0.10"))
    assert totals.lines[0].tax == 180  # 1980 / 1.1 * 0.1 = 180
    assert totals.total == 1980


def test_kwd_keeps_three_decimals_in_fils() -> None:
    totals = compute([PriceLine(12345, 1)], tax_rate=Decimal("0.05"), prices_include_tax=False)
    assert totals.lines[0].tax == 617  # 12.345 KWD x 5 % = 0.61725 -> 0.617
    assert totals.total == 12962


def test_an_order_discount_is_spread_in_proportion_and_adds_up_exactly() -> None:
    totals = compute([PriceLine(1000, 1), PriceLine(2000, 1)], order_discount=100)
    assert [ln.discount for ln in totals.lines] == [33, 67]
    assert totals.discount == 100
    assert totals.total == 2900


def test_discounts_larger_than_what_they_discount_are_refused() -> None:
    with pytest.raises(ValidationFailed) as e:
        compute([PriceLine(100, 1, discount=101)])
    assert e.value.errors[0].field == "lines[0].discount"
    with pytest.raises(ValidationFailed):
        compute([PriceLine(100, 1)], order_discount=101)


@given(
    amount=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=20),
)
def test_spread_parts_always_sum_to_the_amount(amount: int, weights: list[int]) -> None:
    parts = spread(amount, weights)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
    else:
        assert sum(parts) == amount
        assert all(p >= 0 for p in parts)
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


@given(
    lines=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 50)), min_size=1, max_size=10),
    rate=st.sampled_from([Decimal(0), Decimal("0.07"), Decimal("0.19"), Decimal("0.21")]),
    included=st.booleans(),
)
def test_totals_are_the_sum_of_their_parts(
    lines: list[tuple[int, int]], rate: Decimal, included: bool
) -> None:
    totals = compute(
        [PriceLine(p, q) for p, q in lines], tax_rate=rate, prices_include_tax=included
    )
    assert totals.subtotal == sum(p * q for p, q in lines)
    assert totals.total == sum(ln.total for ln in totals.lines)
    assert totals.tax == sum(ln.tax for ln in totals.lines)
    if included:
        assert totals.total == totals.subtotal
    else:
        assert totals.total == totals.subtotal + totals.tax
