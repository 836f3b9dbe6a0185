"""Checkout on both engines: the order takes over the cart's reservations, an expired cart
reserves again or fails clearly, a second checkout answers with the same order."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openoms.carts.checkout import CheckoutInput, check_out_cart
from openoms.carts.model import CartClosed, CartEmpty, CartOrderMismatch, CartStatus
from openoms.carts.services import (
    add_to_cart,
    get_cart,
    remove_cart_line,
    set_cart_line,
    update_cart,
)
from openoms.customers.model import PostalAddress
from openoms.infra.db import Database
from openoms.inventory.model import MovementKind, OwnerType, ReservationStatus
from openoms.inventory.orm import stock_movements
from openoms.inventory.services.reservations import list_reservations
from openoms.inventory.verify import verify_ledger
from openoms.orders.model import OrderNotSourceable, OrderStatus
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from tests.builders import address, make_channel, random_code
from tests.integration.test_carts import (
    PRICE,
    available,
    drain_expiry,
    held,
    new_cart,
    old_cart,
    stocked,
)


def details(**extra: object) -> CheckoutInput:
    home: PostalAddress = address(latitude=52.09, longitude=5.12)  # type: ignore[assignment]
    values: dict[str, object] = {"billing_address": home, "shipping_address": home}
    values.update(extra)
    return CheckoutInput(**values)  # type: ignore[arg-type]


def reservation_movements(db: Database, reference_like: str) -> int:
    m = stock_movements.c
    with db.reader() as uow:
        return int(
            uow.conn.execute(
                sa.select(sa.func.count()).where(
                    m.kind == MovementKind.RESERVATION.value, m.reference.like(reference_like)
                )
            ).scalar_one()
        )


def test_checkout_hands_the_carts_reservations_to_the_order(db: Database) -> None:
    # given a cart holding 3 + 1 units
    (a, where_a), (b, _) = stocked(db), stocked(db)
    cart = new_cart(db, make_channel(db), (a, 3), (b, 1), email="buyer@example.com")
    # when
    done = check_out_cart(db.uow(), cart.token, details(shipping_amount=495), actor="test")
    # then the order has the cart's lines, prices and units, and nothing was reserved twice
    order = done.order
    assert done.created
    assert order.status is OrderStatus.ALLOCATED
    assert order.email == "buyer@example.com"
    assert [(ln.sku, ln.quantity_ordered, ln.unit_price_amount) for ln in order.lines] == [
        (a, 3, PRICE),
        (b, 1, PRICE),
    ]
    assert order.total_amount == 4 * PRICE + 495
    assert (available(db, a), available(db, b)) == (7, 9)
    assert held(db, cart.token) == []
    assert reservation_movements(db, f"order_line:{order.id}") == 0
    assert reservation_movements(db, f"cart:{cart.token}") == 2  # one per line, when added
    owned = list_reservations(db.reader(), owner_type=OwnerType.ORDER_LINE, owner_ref=str(order.id))
    assert sorted((r.sku, r.quantity, r.status, r.expires_at) for r in owned) == sorted(
        [(a, 3, ReservationStatus.ACTIVE, None), (b, 1, ReservationStatus.ACTIVE, None)]
    )
    assert {(al.sku, al.location) for al in order.allocations} >= {(a, where_a)}
    closed = get_cart(db.reader(), cart.token)
    assert (closed.status, closed.order_number) == (CartStatus.CHECKED_OUT, order.number)
    assert verify_ledger(db.reader()) == []


def test_checking_out_twice_answers_with_the_same_order(db: Database) -> None:
    sku, _ = stocked(db)
    cart = new_cart(db, make_channel(db), (sku, 2), email="twice@example.com")

    first = check_out_cart(db.uow(), cart.token, details(), actor="test")
    second = check_out_cart(db.uow(), cart.token, details(), actor="test")

    assert (first.created, second.created) == (True, False)
    assert second.order.number == first.order.number
    assert available(db, sku) == 8


def test_a_checked_out_cart_cannot_change(db: Database) -> None:
    sku, _ = stocked(db)
    token = new_cart(db, make_channel(db), (sku, 1), email="done@example.com").token
    check_out_cart(db.uow(), token, details(), actor="test")

    for change in (
        lambda: add_to_cart(db.uow(), token, sku, 1, actor="test"),
        lambda: set_cart_line(db.uow(), token, sku, 5, actor="test"),
        lambda: remove_cart_line(db.uow(), token, sku, actor="test"),
        lambda: update_cart(db.uow(), token, email=None, actor="test"),
    ):
        with pytest.raises(CartClosed):
            change()
    assert available(db, sku) == 9


def test_an_expired_cart_reserves_its_lines_again_at_checkout(db: Database) -> None:
    # given a cart abandoned by the expiry job, its stock back on the shelf
    sku, _ = stocked(db)
    cart = old_cart(db, make_channel(db), (sku, 4), email="slow@example.com")
    with clock.frozen(cart.expires_at + timedelta(minutes=1)):
        drain_expiry(db)
        assert available(db, sku) == 10
        # when
        done = check_out_cart(db.uow(), cart.token, details(), actor="test")
    # then
    assert done.order.status is OrderStatus.ALLOCATED
    assert available(db, sku) == 6
    assert get_cart(db.reader(), cart.token).status is CartStatus.CHECKED_OUT
    assert verify_ledger(db.reader()) == []


def test_an_expired_cart_whose_stock_is_gone_fails_clearly_and_stays_abandoned(
    db: Database,
) -> None:
    # given an abandoned cart whose units another cart took
    (short, _), (fine, _) = stocked(db, 3), stocked(db, 5)
    channel = make_channel(db)
    cart = old_cart(db, channel, (fine, 1), (short, 3), email="late@example.com")
    with clock.frozen(cart.expires_at + timedelta(minutes=1)):
        drain_expiry(db)
        new_cart(db, channel, (short, 2))
        # when
        with pytest.raises(OrderNotSourceable) as raised:
            check_out_cart(db.uow(), cart.token, details(), actor="test")
    # then the short line is named and nothing changed
    assert [s["sku"] for s in raised.value.data["shortages"]] == [short]
    assert get_cart(db.reader(), cart.token).status is CartStatus.ABANDONED
    assert (available(db, short), available(db, fine)) == (1, 5)
    assert verify_ledger(db.reader()) == []


def test_checkout_needs_lines_an_email_and_an_address(db: Database) -> None:
    sku, _ = stocked(db)
    channel = make_channel(db)
    empty = new_cart(db, channel, email="empty@example.com").token
    anonymous = new_cart(db, channel, (sku, 1)).token

    with pytest.raises(CartEmpty):
        check_out_cart(db.uow(), empty, details(), actor="test")
    with pytest.raises(ValidationFailed) as no_email:
        check_out_cart(db.uow(), anonymous, details(), actor="test")
    with pytest.raises(ValidationFailed) as no_address:
        check_out_cart(
            db.uow(), anonymous, details(email="a@example.com", shipping_address=None), actor="t"
        )
    assert [e.field for e in no_email.value.errors] == ["email"]
    assert [e.field for e in no_address.value.errors] == ["shipping_address"]
    assert get_cart(db.reader(), anonymous).status is CartStatus.OPEN
    assert available(db, sku) == 9


def test_an_external_id_that_names_another_order_is_refused(db: Database) -> None:
    sku, _ = stocked(db)
    channel = make_channel(db)
    external = random_code("EXT")
    first = new_cart(db, channel, (sku, 1), email="one@example.com").token
    other = new_cart(db, channel, (sku, 2), email="two@example.com").token
    check_out_cart(db.uow(), first, details(external_id=external), actor="test")

    with pytest.raises(CartOrderMismatch):
        check_out_cart(db.uow(), other, details(external_id=external), actor="test")
    assert get_cart(db.reader(), other).status is CartStatus.OPEN
    assert available(db, sku) == 7
