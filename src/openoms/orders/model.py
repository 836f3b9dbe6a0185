"""The order: its lifecycle, its lines' quantities, and the facts its timeline records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from openoms.shared.errors import Conflict, NotFound, OmsError
from openoms.shared.lifecycle import IllegalTransition, check_transition


class OrderStatus(StrEnum):
    PLACED = "placed"
    ON_HOLD = "on_hold"
    CONFIRMED = "confirmed"
    ALLOCATED = "allocated"
    BACKORDERED = "backordered"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = OrderStatus
# The one declared state machine. on_hold returns to where it came from on release.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PLACED: frozenset({S.ON_HOLD, S.CONFIRMED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.PLACED, S.CONFIRMED, S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.ON_HOLD, S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.ON_HOLD, S.ALLOCATED, S.PARTIALLY_SHIPPED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.ON_HOLD, S.BACKORDERED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


class HoldReason(StrEnum):
    PAYMENT = "payment"
    FRAUD = "fraud"
    CREDIT = "credit"
    MANUAL = "manual"


# Holds that only someone with this permission may release: a fraud hold is released by
# approving the order in the fraud review, a credit hold by finance.
RELEASED_BY: dict[HoldReason, str] = {
    HoldReason.FRAUD: "fraud.review",
    HoldReason.CREDIT: "invoices.manage",
}


class HoldNotReleasable(OmsError):
    code = "hold_not_releasable"
    kind = "forbidden"
    title = "Not yours to release"


class SpecialCode(StrEnum):
    RUSH = "rush"
    VIP = "vip"
    REPLACEMENT = "replacement"
    GIFT = "gift"


# What the warehouse sees: higher goes first.
PRIORITY = {
    SpecialCode.RUSH: 100,
    SpecialCode.VIP: 80,
    SpecialCode.REPLACEMENT: 60,
    SpecialCode.GIFT: 10,
}


def priority_of(codes: list[SpecialCode]) -> int:
    return max((PRIORITY[c] for c in codes), default=0)


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "Order not found"


class IllegalOrderTransition(IllegalTransition):
    pass


class CurrencyNotSold(Conflict):
    code = "currency_not_sold"
    title = "Channel does not sell in this currency"


class InactiveSku(Conflict):
    code = "sku_inactive"
    title = "SKU is not sold any more"


class OrderNotSourceable(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"


def check_order_transition(number: str, current: OrderStatus, target: OrderStatus) -> None:
    """Raises: IllegalOrderTransition."""
    check_transition(TRANSITIONS, f"Order {number}", current, target, IllegalOrderTransition)


# The quantities a line keeps consistent: ordered = allocated + backordered + shipped +
# cancelled while open; returned counts shipped units that came back.
LINE_QUANTITIES = (
    "quantity_ordered",
    "quantity_allocated",
    "quantity_backordered",
    "quantity_shipped",
    "quantity_cancelled",
    "quantity_returned",
)


@dataclass
class OrderLine:
    line_no: int
    sku: str
    name: str
    quantity_ordered: int
    unit_price_amount: int
    discount_amount: int
    tax_rate: str
    tax_amount: int
    total_amount: int
    quantity_allocated: int = 0
    quantity_backordered: int = 0
    quantity_shipped: int = 0
    quantity_cancelled: int = 0
    quantity_returned: int = 0

    @property
    def quantity_open(self) -> int:
        """Still to ship: ordered less shipped and cancelled."""
        return self.quantity_ordered - self.quantity_shipped - self.quantity_cancelled


@dataclass(frozen=True)
class Allocation:
    line_no: int
    sku: str
    location: str
    quantity: int
    reservation_id: int


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]


@dataclass
class Order:
    id: int
    number: str
    channel: str
    external_id: str | None
    customer_id: int
    email: str
    currency: str
    locale: str
    status: OrderStatus
    hold_reason: str | None
    priority: int
    special_codes: list[str]
    billing_address: dict[str, Any]
    shipping_address: dict[str, Any] | None
    pickup_location: str | None
    shipping_service: str | None
    subtotal_amount: int
    discount_amount: int
    shipping_amount: int
    tax_amount: int
    total_amount: int
    prices_include_tax: bool
    base_currency: str
    base_total_amount: int | None
    fx_rate: str | None
    sales_rep: str | None
    notes: str
    tags: list[str]
    sourcing: list[str]
    placed_at: datetime
    updated_at: datetime
    version: int
    lines: list[OrderLine] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    payment_status: str = "unpaid"  # derived from the payments (payments.model)
