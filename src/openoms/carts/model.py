"""Carts of web shops and kiosks: lines that hold stock for a while, then an order or nothing.

A cart belongs to a channel and sells in one of its currencies. Each line holds its units in
stock (owner ``cart:<token>``) until the cart's time-to-live runs out; any activity pushes the
expiry back. Life cycle::

    open ──checkout──> checked_out
      │  ^
    expire  any change (re-reserves every line, all or nothing)
      v  │
    abandoned ──checkout──> checked_out

An abandoned cart keeps its lines and value for follow-up. Touching it again (a change to its
lines or details) re-opens it: every line is reserved afresh, or the change is refused with
the short lines named and the cart stays abandoned. A checked-out cart never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.lifecycle import IllegalTransition, check_transition

MAX_LINES = 200
MAX_QUANTITY = 1_000_000
MAX_TTL_MINUTES = 7 * 24 * 60


class CartStatus(StrEnum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"
    ABANDONED = "abandoned"


TRANSITIONS: dict[CartStatus, frozenset[CartStatus]] = {
    CartStatus.OPEN: frozenset({CartStatus.CHECKED_OUT, CartStatus.ABANDONED}),
    CartStatus.ABANDONED: frozenset({CartStatus.OPEN, CartStatus.CHECKED_OUT}),
    CartStatus.CHECKED_OUT: frozenset(),
}


class CartNotFound(NotFound):
    code = "cart_not_found"
    title = "Cart not found"


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"
    title = "Cart has no such line"


class CartClosed(IllegalTransition):
    """The cart was checked out: it cannot change any more."""

    code = "cart_closed"
    title = "Cart is checked out"


class CartEmpty(Conflict):
    code = "cart_empty"
    title = "Cart has no lines"


class CartFull(Conflict):
    code = "cart_full"
    title = "Cart has too many lines"


class SkuNotPriced(Conflict):
    code = "sku_not_priced"
    title = "SKU has no price in the cart's currency"


class CartOrderMismatch(Conflict):
    """The external id given at checkout names an order that is not this cart's."""

    code = "cart_order_mismatch"
    title = "External id belongs to another order"


def check_ttl(minutes: int, field_name: str = "ttl_minutes") -> list[FieldError]:
    if isinstance(minutes, bool) or not 1 <= minutes <= MAX_TTL_MINUTES:
        return [FieldError(field_name, f"must be between 1 and {MAX_TTL_MINUTES}")]
    return []


def check_quantity(quantity: int, field_name: str = "quantity") -> None:
    """Raises: ValidationFailed."""
    if isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed.single(field_name, f"must be between 1 and {MAX_QUANTITY}")


@dataclass
class CartLine:
    sku: str
    name: str
    quantity: int
    unit_price_amount: int  # minor units of the cart's currency, from the catalog

    @property
    def total_amount(self) -> int:
        return self.quantity * self.unit_price_amount


@dataclass
class Cart:
    id: int
    token: str
    channel: str
    currency: str
    email: str | None
    status: CartStatus
    ttl_minutes: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    abandoned_at: datetime | None = None
    checked_out_at: datetime | None = None
    order_number: str | None = None
    version: int = 1
    lines: list[CartLine] = field(default_factory=list)

    @property
    def value_amount(self) -> int:
        """What the cart is worth: the sum of its lines, in minor units."""
        return sum(line.total_amount for line in self.lines)

    @property
    def ttl(self) -> timedelta:
        return timedelta(minutes=self.ttl_minutes)

    def quantities(self) -> dict[str, int]:
        return {line.sku: line.quantity for line in self.lines}

    def line(self, sku: str) -> CartLine | None:
        return next((line for line in self.lines if line.sku == sku), None)

    def check_changeable(self) -> None:
        """Raises: CartClosed."""
        if self.status is CartStatus.CHECKED_OUT:
            raise CartClosed(
                f"Cart {self.token} was checked out as order {self.order_number}.",
                order=self.order_number,
            )

    def set_line(self, sku: str, name: str, quantity: int, unit_price_amount: int) -> None:
        """Set a line's quantity at the current price, adding the line if it is new.

        Raises: CartClosed, CartFull, ValidationFailed.
        """
        self.check_changeable()
        check_quantity(quantity)
        current = self.line(sku)
        if current is None:
            if len(self.lines) >= MAX_LINES:
                raise CartFull(f"A cart holds at most {MAX_LINES} lines.", limit=MAX_LINES)
            self.lines.append(CartLine(sku, name, quantity, unit_price_amount))
            return
        current.name, current.quantity = name, quantity
        current.unit_price_amount = unit_price_amount

    def remove_line(self, sku: str) -> None:
        """Raises: CartClosed, CartLineNotFound."""
        self.check_changeable()
        current = self.line(sku)
        if current is None:
            raise CartLineNotFound(f"Cart {self.token} has no line for {sku}.", sku=sku)
        self.lines.remove(current)

    def touch(self, now: datetime) -> None:
        """Activity: the cart lives another time-to-live; an abandoned cart opens again.

        Raises: CartClosed.
        """
        self.check_changeable()
        if self.status is CartStatus.ABANDONED:
            self._move(CartStatus.OPEN)
            self.abandoned_at = None
        self.updated_at = now
        self.expires_at = now + self.ttl

    def is_due(self, now: datetime) -> bool:
        return self.status is CartStatus.OPEN and self.expires_at <= now

    def abandon(self, now: datetime) -> None:
        """Raises: IllegalTransition."""
        self._move(CartStatus.ABANDONED)
        self.abandoned_at = now
        self.updated_at = now

    def check_out(self, order_number: str, now: datetime) -> None:
        """Raises: CartClosed (already checked out), CartEmpty."""
        self.check_changeable()
        if not self.lines:
            raise CartEmpty(f"Cart {self.token} has no lines to order.")
        self._move(CartStatus.CHECKED_OUT)
        self.order_number = order_number
        self.checked_out_at = now
        self.updated_at = now

    def _move(self, target: CartStatus) -> None:
        check_transition(TRANSITIONS, f"Cart {self.token}", self.status, target)
        self.status = target
