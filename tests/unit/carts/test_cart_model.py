"""The cart's own rules: lines, value, time-to-live and its life cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openoms.carts.model import (
    MAX_LINES,
    TRANSITIONS,
    Cart,
    CartClosed,
    CartEmpty,
    CartFull,
    CartLineNotFound,
    CartStatus,
    check_ttl,
)
from openoms.shared.errors import ValidationFailed
from openoms.shared.lifecycle import IllegalTransition

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def cart(status: CartStatus = CartStatus.OPEN, ttl: int = 30) -> Cart:
    return Cart(1, "tok", "WEB", "EUR", None, status, ttl, T0, T0, T0 + timedelta(minutes=ttl))


def test_the_value_is_the_sum_of_the_lines_at_their_prices() -> None:
    c = cart()
    c.set_line("A", "Apple", 3, 250)
    c.set_line("B", "Pear", 1, 1999)
    c.set_line("A", "Apple", 2, 300)  # a line set again takes the current price

    assert c.quantities() == {"A": 2, "B": 1}
    assert c.value_amount == 2 * 300 + 1999


def test_a_line_needs_a_sensible_quantity_and_a_cart_has_a_limit() -> None:
    c = cart()
    with pytest.raises(ValidationFailed):
        c.set_line("A", "Apple", 0, 1)
    for i in range(MAX_LINES):
        c.set_line(f"S{i}", "x", 1, 1)
    with pytest.raises(CartFull):
        c.set_line("ONE-MORE", "x", 1, 1)
    with pytest.raises(CartLineNotFound):
        c.remove_line("NOT-THERE")


def test_activity_moves_the_expiry_and_reopens_an_abandoned_cart() -> None:
    c = cart(ttl=15)
    c.abandon(T0 + timedelta(minutes=16))
    assert (c.status, c.abandoned_at) == (CartStatus.ABANDONED, T0 + timedelta(minutes=16))

    c.touch(T0 + timedelta(hours=1))

    assert (c.status, c.abandoned_at) == (CartStatus.OPEN, None)
    assert c.expires_at == T0 + timedelta(hours=1, minutes=15)
    assert not c.is_due(T0 + timedelta(hours=1, minutes=14))
    assert c.is_due(T0 + timedelta(hours=1, minutes=15))


def test_a_checked_out_cart_never_changes_again() -> None:
    c = cart(CartStatus.ABANDONED)
    c.set_line("A", "Apple", 1, 100)
    c.check_out("SO-000001", T0)

    assert (c.status, c.order_number) == (CartStatus.CHECKED_OUT, "SO-000001")
    for change in (
        lambda: c.set_line("A", "Apple", 2, 100),
        lambda: c.remove_line("A"),
        lambda: c.touch(T0),
        lambda: c.check_out("SO-000002", T0),
    ):
        with pytest.raises(CartClosed):
            change()
    with pytest.raises(IllegalTransition):
        c.abandon(T0)
    assert not c.is_due(T0 + timedelta(days=1))


def test_an_empty_cart_cannot_be_checked_out() -> None:
    with pytest.raises(CartEmpty):
        cart().check_out("SO-1", T0)


def test_every_status_has_its_transitions_declared() -> None:
    assert set(TRANSITIONS) == set(CartStatus)
    assert TRANSITIONS[CartStatus.CHECKED_OUT] == frozenset()


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (1, True), (10080, True), (10081, False)])
def test_the_ttl_is_between_a_minute_and_a_week(minutes: int, ok: bool) -> None:
    assert (check_ttl(minutes) == []) is ok
