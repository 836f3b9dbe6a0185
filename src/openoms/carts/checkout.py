"""Checkout: a cart becomes an order that takes over the cart's reservations.

The order is placed by ``orders.placement.place_order`` with the cart's lines and prices and
``reservations_from=(cart, token)``, so it adopts the units the cart holds instead of
reserving them again, and sources only what they no longer cover (an expired cart). Placing
the order and closing the cart are two transactions (placement owns its own); the order's
``(channel, external id)`` ties them together: the external id is the one given, else
``cart-<token>``, so a checkout that is retried (after a crash between the two, or twice by
the client) finds the same order and closes the cart with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from openoms.carts import services
from openoms.carts.model import Cart, CartEmpty, CartOrderMismatch, CartStatus
from openoms.carts.repository import CartRepository
from openoms.customers.model import PostalAddress, normalize_email
from openoms.infra.db import UnitOfWork
from openoms.inventory.model import OwnerType
from openoms.inventory.services.reservations import release_owner_in_transaction
from openoms.orders import queries as orders
from openoms.orders.model import Order
from openoms.orders.placement import LineInput, OrderInput, place_order
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed


@dataclass
class CheckoutInput:
    """What an order needs that a cart does not have."""

    billing_address: PostalAddress
    shipping_address: PostalAddress | None = None
    pickup_location: str | None = None
    email: str | None = None  # required when the cart has none
    customer_name: str = ""
    locale: str = "en"
    marketing_consent: bool = False
    shipping_amount: int = 0
    shipping_service: str | None = None
    external_id: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class CheckedOut:
    order: Order
    created: bool  # False when the cart had been checked out before


def check_out_cart(uow: UnitOfWork, token: str, data: CheckoutInput, *, actor: str) -> CheckedOut:
    """Turn the cart into an order that keeps the cart's reserved units. A cart checked out
    before answers with its order.

    Raises: CartNotFound, CartEmpty, CartOrderMismatch, ValidationFailed, ChannelInactive,
    SkuNotFound, InactiveSku, OrderNotSourceable (the cart expired and its lines cannot be
    reserved again; names the short lines).
    """
    cart = services.get_cart(uow, token)
    if cart.status is CartStatus.CHECKED_OUT:
        assert cart.order_number is not None
        return CheckedOut(orders.get_order(uow, cart.order_number), created=False)
    placed = place_order(uow, _order_input(cart, data), actor=actor)
    if not placed.created and not _is_order_of(cart, placed.order):
        raise CartOrderMismatch(
            f"Order {placed.order.number} with external id {placed.order.external_id} "
            f"is not the order of cart {token}.",
            order=placed.order.number,
        )
    _close(uow, token, placed.order, actor)
    return CheckedOut(placed.order, created=placed.created)


def _order_input(cart: Cart, data: CheckoutInput) -> OrderInput:
    if not cart.lines:
        raise CartEmpty(f"Cart {cart.token} has no lines to order.")
    email = data.email or cart.email
    if not email:
        raise ValidationFailed.single("email", "the cart has no email: give the customer's")
    return OrderInput(
        channel=cart.channel,
        email=email,
        currency=cart.currency,
        lines=[LineInput(ln.sku, ln.quantity, ln.unit_price_amount) for ln in cart.lines],
        billing_address=data.billing_address,
        shipping_address=data.shipping_address,
        pickup_location=data.pickup_location,
        external_id=data.external_id or f"cart-{cart.token}",
        customer_name=data.customer_name,
        locale=data.locale,
        marketing_consent=data.marketing_consent,
        shipping_amount=data.shipping_amount,
        shipping_service=data.shipping_service,
        notes=data.notes,
        reservations_from=(OwnerType.CART, cart.token),
    )


def _is_order_of(cart: Cart, order: Order) -> bool:
    """An order found by its external id is this cart's when it has the cart's lines."""
    ordered = [(ln.sku, ln.quantity_ordered, ln.unit_price_amount) for ln in order.lines]
    return ordered == [(ln.sku, ln.quantity, ln.unit_price_amount) for ln in cart.lines]


def _close(uow: UnitOfWork, token: str, order: Order, actor: str) -> None:
    """Mark the cart checked out with its order; release anything it still holds (a line
    added while the order was being placed)."""
    with uow:
        repo = CartRepository(uow.conn)
        cart = repo.lock(token)
        assert cart is not None, "carts are never deleted"
        if cart.order_number == order.number:
            return  # a concurrent checkout of the same cart closed it with this order
        cart.email = cart.email or normalize_email(order.email)
        cart.check_out(order.number, clock.now())
        release_owner_in_transaction(uow, OwnerType.CART, token, actor=actor)
        repo.save(cart)
        uow.commit()
