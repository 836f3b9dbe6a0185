"""Reading orders: one order whole, lists with filters, the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from openoms.customers import services as customers
from openoms.infra.db import UnitOfWork
from openoms.inventory.model import OwnerType, ReservationStatus
from openoms.inventory.services import reservations as inventory
from openoms.orders.model import (
    LINE_QUANTITIES,
    Allocation,
    Order,
    OrderLine,
    OrderNotFound,
    OrderStatus,
    TimelineEvent,
)
from openoms.orders.orm import order_events, order_lines, orders
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor
from openoms.shared.scope import EVERYWHERE, Scope

_o = orders.c


def load_order(uow: UnitOfWork, order_id: int) -> Order:
    """Inside the caller's transaction. Raises: OrderNotFound."""
    row = uow.conn.execute(sa.select(orders).where(_o.id == order_id)).first()
    if row is None:
        raise OrderNotFound(f"No order with id {order_id}.", id=order_id)
    return _order(uow, row)


def find_by_external_id(uow: UnitOfWork, channel_id: int, external_id: str) -> Order | None:
    row = uow.conn.execute(
        sa.select(orders).where(_o.channel_id == channel_id, _o.external_id == external_id)
    ).first()
    return _order(uow, row) if row else None


def order_id_of(uow: UnitOfWork, number: str) -> int:
    """Raises: OrderNotFound."""
    found = uow.conn.execute(sa.select(_o.id).where(_o.number == number)).scalar()
    if found is None:
        raise OrderNotFound(f"No order {number}.", number=number)
    return int(found)


def get_order(uow: UnitOfWork, number: str) -> Order:
    """Raises: OrderNotFound."""
    with uow:
        return load_order(uow, order_id_of(uow, number))


def timeline(uow: UnitOfWork, number: str) -> list[TimelineEvent]:
    """Every transition and note, oldest first. Raises: OrderNotFound."""
    with uow:
        order_id = order_id_of(uow, number)
        rows = uow.conn.execute(
            sa.select(order_events)
            .where(order_events.c.order_id == order_id)
            .order_by(order_events.c.id)
        )
        return [
            TimelineEvent(r.at, r.actor, r.kind, r.from_status, r.to_status, r.reason, dict(r.data))
            for r in rows
        ]


@dataclass(frozen=True)
class OrderFilter:
    status: list[OrderStatus] | None = None
    channel: str | None = None
    customer_id: int | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    tag: str | None = None
    min_priority: int | None = None
    text: str | None = None  # number, email or external id
    scope: Scope = EVERYWHERE  # only the orders of these channels / locations


@dataclass(frozen=True)
class OrderSummary:
    number: str
    channel: str
    external_id: str | None
    email: str
    status: str
    priority: int
    currency: str
    total_amount: int
    placed_at: datetime
    tags: list[str]
    payment_status: str = "unpaid"


def list_orders(
    uow: UnitOfWork, f: OrderFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[OrderSummary], str | None]:
    """Newest first, filtered, one page at a time. Raises: ValidationFailed (bad cursor)."""
    query = sa.select(orders).where(*_conditions(f)).order_by(_o.id.desc()).limit(limit + 1)
    if cursor:
        before = decode_cursor(cursor).get("before")
        if not isinstance(before, int) or not 0 < before < 2**63:
            raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
        query = query.where(_o.id < before)
    with uow:
        rows = uow.conn.execute(query).all()
    items = [
        OrderSummary(
            r.number,
            r.channel_code,
            r.external_id,
            r.email,
            r.status,
            r.priority,
            r.currency,
            r.total_amount,
            r.placed_at,
            list(r.tags),
            r.payment_status,
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return items, (encode_cursor({"before": rows[limit - 1].id}) if more else None)


def in_scope(scope: Scope) -> sa.ColumnElement[bool]:
    """The orders a caller limited to some channels and/or locations works on: those of
    its channels, and those picked up at or reserved at its locations."""
    either: list[sa.ColumnElement[bool]] = []
    if scope.channels is not None:
        either.append(_o.channel_code.in_(sorted(scope.channels)))
    if scope.locations is not None:
        owners = inventory.owners_at(OwnerType.ORDER_LINE, scope.locations)
        either.append(_o.pickup_location.in_(sorted(scope.locations)))
        either.append(sa.cast(_o.id, sa.String).in_(owners.scalar_subquery()))
    return sa.or_(*either) if either else sa.true()


def is_visible(uow: UnitOfWork, number: str, scope: Scope) -> bool:
    """Whether the order exists and lies within the scope."""
    with uow:
        found = uow.conn.execute(
            sa.select(_o.id).where(_o.number == number, in_scope(scope))
        ).first()
    return found is not None


def _conditions(f: OrderFilter) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if f.scope.is_limited:
        out.append(in_scope(f.scope))
    if f.status:
        out.append(_o.status.in_([s.value for s in f.status]))
    if f.channel:
        out.append(_o.channel_code == f.channel)
    if f.customer_id is not None:
        out.append(_o.customer_id == f.customer_id)
    if f.placed_from:
        out.append(_o.placed_at >= f.placed_from)
    if f.placed_to:
        out.append(_o.placed_at < f.placed_to)
    if f.min_priority is not None:
        out.append(_o.priority >= f.min_priority)
        if f.min_priority > 0:  # said outright, so a prepared plan may use ix_orders_priority
            out.append(_o.priority > 0)
    if f.tag:
        tag = f.tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out.append(sa.cast(_o.tags, sa.Text).like(f'%"{tag}"%', escape="\\"))
    if f.text:
        text = f.text.strip()
        out.append(
            sa.or_(_o.number == text.upper(), _o.email == text.lower(), _o.external_id == text)
        )
    return out


def _order(uow: UnitOfWork, row: Row[Any]) -> Order:
    lines = uow.conn.execute(
        sa.select(order_lines)
        .where(order_lines.c.order_id == row.id)
        .order_by(order_lines.c.line_no)
    )
    owned = inventory.owned_by(uow, OwnerType.ORDER_LINE, str(row.id))
    return Order(
        id=row.id,
        number=row.number,
        channel=row.channel_code,
        external_id=row.external_id,
        customer_id=row.customer_id,
        email=row.email,
        currency=row.currency,
        locale=row.locale,
        status=OrderStatus(row.status),
        hold_reason=row.hold_reason,
        priority=row.priority,
        special_codes=list(row.special_codes),
        billing_address=dict(row.billing_address),
        shipping_address=dict(row.shipping_address) if row.shipping_address else None,
        pickup_location=row.pickup_location,
        shipping_service=row.shipping_service,
        subtotal_amount=row.subtotal_amount,
        discount_amount=row.discount_amount,
        shipping_amount=row.shipping_amount,
        tax_amount=row.tax_amount,
        total_amount=row.total_amount,
        prices_include_tax=row.prices_include_tax,
        base_currency=row.base_currency,
        base_total_amount=row.base_total_amount,
        fx_rate=row.fx_rate,
        sales_rep=row.sales_rep,
        notes=row.notes,
        tags=list(row.tags),
        sourcing=list(row.sourcing),
        placed_at=row.placed_at,
        updated_at=row.updated_at,
        version=row.version,
        payment_status=row.payment_status,
        lines=[
            OrderLine(
                line_no=ln.line_no,
                sku=ln.sku_code,
                name=ln.name,
                unit_price_amount=ln.unit_price_amount,
                discount_amount=ln.discount_amount,
                tax_rate=ln.tax_rate,
                tax_amount=ln.tax_amount,
                total_amount=ln.total_amount,
                **{q: getattr(ln, q) for q in LINE_QUANTITIES},
            )
            for ln in lines
        ],
        allocations=[
            Allocation(u.line or 0, u.sku, u.location, u.quantity, u.reservation_id)
            for u in owned
            if u.status is ReservationStatus.ACTIVE
        ],
    )


def history_of(count: Any, average: Any) -> tuple[int, int | None]:
    """The customer's orders before this one, not cancelled, from the two values of
    :data:`HISTORY_BEFORE` or :data:`HISTORY`: how many, and their average total in the base
    currency (None when there are none with a base total)."""
    return int(count or 0), (int(average) if average is not None else None)


def _history(
    *before: sa.ColumnElement[bool], customer: sa.ColumnElement[Any] | None = None
) -> tuple[sa.ScalarSelect[Any], ...]:
    customer = sa.bindparam("customer_id") if customer is None else customer
    history = (
        sa.select(
            sa.func.count().label("orders"),
            sa.func.avg(_o.base_total_amount).label("average"),
        )
        .where(
            _o.customer_id == customer,
            _o.status != OrderStatus.CANCELLED.value,
            *before,
        )
        .cte("customer_history")
    )
    return (
        sa.select(history.c.orders).scalar_subquery(),
        sa.select(history.c.average).scalar_subquery(),
    )


# The customer's history as two scalar subqueries (bound to ``customer_id`` and
# ``order_id``), for a query that reads it with other facts in one round trip. Both read
# one CTE, so the customer's orders are read once, not once for each value.
HISTORY_BEFORE = _history(_o.id < sa.bindparam("order_id"))
# The same for an order not written yet, of the customer known by the email bound to
# ``customer_email`` (none for an email nobody is known by): every order of the customer's
# the query sees.
HISTORY_OF_EMAIL = _history(customer=customers.id_by_email("customer_email"))
