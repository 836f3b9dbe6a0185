"""Cart use cases: create a cart, change its lines and details, read it.

Every change runs in one transaction that locks the cart, applies the change, and brings the
cart's reservations (owner ``cart:<token>``) in line with its lines: more units are reserved
at once, fewer are released, and every reservation's expiry moves to now + the cart's TTL.
If a line cannot be reserved, one ``InsufficientStock`` names every short line and nothing
changes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from openoms.carts.model import Cart, CartNotFound, CartStatus, SkuNotPriced, check_quantity
from openoms.carts.model import check_ttl as ttl_errors
from openoms.carts.repository import CartRepository
from openoms.catalog import services as catalog
from openoms.catalog.model import SkuNotFound
from openoms.channels import services as channels
from openoms.channels.model import Channel
from openoms.customers.model import check_email, normalize_email
from openoms.infra.db import UnitOfWork
from openoms.inventory.model import InsufficientStock, OwnerType, Shortage
from openoms.inventory.services import owners
from openoms.orders.model import CurrencyNotSold, InactiveSku
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import validate_currency

CART = OwnerType.CART


@dataclass(frozen=True)
class LineIn:
    sku: str
    quantity: int


@dataclass
class CartInput:
    channel: str
    currency: str
    email: str | None = None
    ttl_minutes: int | None = None  # None: the channel's cart_ttl_minutes
    lines: list[LineIn] = field(default_factory=list)


def create_cart(uow: UnitOfWork, data: CartInput, *, actor: str) -> Cart:
    """Open a cart on a channel, reserving its first lines at once.

    Raises: ValidationFailed, ChannelNotFound, ChannelInactive, CurrencyNotSold, SkuNotFound,
    InactiveSku, SkuNotPriced, CartFull, InsufficientStock.
    """
    _check_input(data)
    with uow:
        channel = channels.active_channel(uow, data.channel)
        if not channel.sells_in(data.currency):
            raise CurrencyNotSold(
                f"Channel {channel.code} sells in {', '.join(channel.spec.currencies)}, "
                f"not {data.currency}.",
                currency=data.currency,
            )
        cart = _new_cart(channel, data)
        _set_lines(uow, cart, _merged(data.lines))
        _sync_stock(uow, cart, channel, {}, actor)
        CartRepository(uow.conn).add(cart, channel.id)
        uow.commit()
    return cart


def _new_cart(channel: Channel, data: CartInput) -> Cart:
    now = clock.now()
    cart = Cart(
        id=0,
        token=secrets.token_urlsafe(24),  # 192 random bits: the cart's only credential
        channel=channel.code,
        currency=data.currency,
        email=normalize_email(data.email) if data.email else None,
        status=CartStatus.OPEN,
        ttl_minutes=data.ttl_minutes or channel.spec.cart_ttl_minutes,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )
    cart.touch(now)
    return cart


def get_cart(uow: UnitOfWork, token: str) -> Cart:
    """Raises: CartNotFound."""
    with uow:
        return get_in_transaction(uow, token)


def get_in_transaction(uow: UnitOfWork, token: str) -> Cart:
    """Raises: CartNotFound."""
    cart = CartRepository(uow.conn).get(token)
    if cart is None:
        raise CartNotFound(f"No cart {token}.", token=token)
    return cart


def add_to_cart(uow: UnitOfWork, token: str, sku: str, quantity: int, *, actor: str) -> Cart:
    """Add units of a SKU (a new line, or more of a line) and reserve them at once.

    Raises: CartNotFound, CartClosed, ValidationFailed, ChannelInactive, SkuNotFound,
    InactiveSku, SkuNotPriced, CartFull, InsufficientStock.
    """
    check_quantity(quantity)

    def add(uow: UnitOfWork, cart: Cart) -> None:
        current = cart.line(sku)
        _set_lines(uow, cart, {sku: quantity + (current.quantity if current else 0)})

    return _change(uow, token, add, actor=actor)


def set_cart_line(uow: UnitOfWork, token: str, sku: str, quantity: int, *, actor: str) -> Cart:
    """Make a line hold ``quantity`` units (adding it if new): more are reserved, fewer
    released.

    Raises: CartNotFound, CartClosed, ValidationFailed, ChannelInactive, SkuNotFound,
    InactiveSku, SkuNotPriced, CartFull, InsufficientStock.
    """
    check_quantity(quantity)
    return _change(
        uow, token, lambda uow, cart: _set_lines(uow, cart, {sku: quantity}), actor=actor
    )


def remove_cart_line(uow: UnitOfWork, token: str, sku: str, *, actor: str) -> Cart:
    """Take a line out of the cart and release its units.

    Raises: CartNotFound, CartClosed, CartLineNotFound, ChannelInactive, InsufficientStock
    (only when an abandoned cart re-opens and its other lines cannot be reserved again).
    """
    return _change(uow, token, lambda _uow, cart: cart.remove_line(sku), actor=actor)


def update_cart(uow: UnitOfWork, token: str, *, email: str | None, actor: str) -> Cart:
    """Set the customer's email (when given) and keep the cart alive another TTL.

    Raises: CartNotFound, CartClosed, ValidationFailed, ChannelInactive, InsufficientStock
    (only when an abandoned cart re-opens and its lines cannot be reserved again).
    """
    if email is not None:
        errors = check_email(email, "email")
        if errors:
            raise ValidationFailed(errors)

    def update(_uow: UnitOfWork, cart: Cart) -> None:
        if email is not None:
            cart.email = normalize_email(email)

    return _change(uow, token, update, actor=actor)


def _change(
    uow: UnitOfWork, token: str, change: Callable[[UnitOfWork, Cart], None], *, actor: str
) -> Cart:
    """Load and lock, check, change, bring the reservations in line, commit."""
    with uow:
        repo = CartRepository(uow.conn)
        cart = repo.lock(token)
        if cart is None:
            raise CartNotFound(f"No cart {token}.", token=token)
        cart.check_changeable()
        channel = channels.active_channel(uow, cart.channel)
        held = owners.held_units(uow, CART, token)
        change(uow, cart)
        cart.touch(clock.now())
        _sync_stock(uow, cart, channel, held, actor)
        repo.save(cart)
        uow.commit()
    return cart


def _set_lines(uow: UnitOfWork, cart: Cart, quantities: dict[str, int]) -> None:
    """Set each SKU's line to a quantity at its catalog price in the cart's currency."""
    if not quantities:
        return
    priced = catalog.priced_skus(uow, list(quantities), cart.currency)
    missing = sorted(s for s in quantities if s not in priced)
    if missing:
        raise SkuNotFound(f"Unknown SKU: {', '.join(missing)}.", skus=missing)
    inactive = sorted(s for s in quantities if not priced[s].is_active)
    if inactive:
        raise InactiveSku(f"No longer sold: {', '.join(inactive)}.", skus=inactive)
    unpriced = sorted(s for s in quantities if priced[s].price is None)
    if unpriced:
        raise SkuNotPriced(f"No {cart.currency} price for {', '.join(unpriced)}.", skus=unpriced)
    for sku, quantity in quantities.items():
        price = priced[sku].price
        assert price is not None
        cart.set_line(sku, priced[sku].name, quantity, price)


def _sync_stock(
    uow: UnitOfWork, cart: Cart, channel: Channel, held: dict[str, int], actor: str
) -> None:
    """Reserve what the lines need beyond what the cart holds, release what they no longer
    need, and move every reservation's expiry to the cart's. Raises: InsufficientStock."""
    wanted = cart.quantities()
    shortages: list[Shortage] = []
    for sku in sorted(wanted.keys() | held.keys()):  # the fixed lock order: SKU code first
        more = wanted.get(sku, 0) - held.get(sku, 0)
        if more < 0:
            owners.release_units(
                uow, sku, -more, owner_type=CART, owner_ref=cart.token, actor=actor
            )
        elif more > 0:
            try:
                owners.hold_units(
                    uow,
                    sku,
                    more,
                    owner_type=CART,
                    owner_ref=cart.token,
                    actor=actor,
                    expires_at=cart.expires_at,
                    locations=channel.spec.locations or None,
                )
            except InsufficientStock as e:
                could = held.get(sku, 0) + e.shortages[0].available
                shortages.append(Shortage(sku, None, wanted[sku], could))
    if shortages:
        raise InsufficientStock(shortages)
    owners.extend_in_transaction(uow, CART, cart.token, cart.expires_at)


def _check_input(data: CartInput) -> None:
    errors: list[FieldError] = []
    try:
        validate_currency(data.currency)
    except ValidationFailed as e:
        errors += e.errors
    if data.email is not None:
        errors += check_email(data.email, "email")
    if data.ttl_minutes is not None:
        errors += ttl_errors(data.ttl_minutes)
    for i, line in enumerate(data.lines):
        try:
            check_quantity(line.quantity, f"lines[{i}].quantity")
        except ValidationFailed as e:
            errors += e.errors
    if errors:
        raise ValidationFailed(errors)


def _merged(lines: list[LineIn]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        out[line.sku] = out.get(line.sku, 0) + line.quantity
    return out
