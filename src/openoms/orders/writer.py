"""Writing a new order: the order row, its lines, its timeline and its event.

The row, lines and timeline are written first, from the sourcing plan, before any stock is
reserved (on PostgreSQL by the statement that reserves it, ahead of its stock locks); the
order's number and its ``order.created`` event come last (see ``orders.numbering``). The
order returned is built from what was written, not read back: placing an order is the
hottest write of the system, and every round trip counts (see docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from openoms.channels.model import Channel
from openoms.infra.db import (
    Read,
    UnitOfWork,
)
from openoms.infra.settings import get_settings
from openoms.orders import pricing
from openoms.orders.allocation import Planned
from openoms.orders.model import Allocation, Order, OrderLine, OrderStatus, priority_of
from openoms.orders.orm import order_events, order_lines, orders
from openoms.shared import clock
from openoms.shared.events import Event

if TYPE_CHECKING:
    from openoms.catalog.services import PricedSku
    from openoms.orders.placement import LineInput, OrderInput


@dataclass(frozen=True)
class NewOrder:
    channel: Channel
    data: OrderInput
    customer_id: int
    priced: list[tuple[LineInput, int, PricedSku]]
    totals: pricing.Totals
    tax_rate: Decimal
    planned: Planned
    base: tuple[int | None, Decimal | None]

    @property
    def status(self) -> OrderStatus:
        return OrderStatus.BACKORDERED if self.planned.backordered else OrderStatus.ALLOCATED


# Built once: the values are bound at execute time (statement building was a third of the
# cost of placing an order, see docs/benchmarks.md).
_INSERT_ORDER = orders.insert().returning(orders.c.id)
_INSERT_LINES = order_lines.insert()
_INSERT_EVENTS = order_events.insert()
# The sequence behind orders.id (a SERIAL column, migration 0001).
_NEXT_ORDER_ID = sa.select(sa.func.nextval(sa.literal_column("'orders_id_seq'::regclass")))


@dataclass(frozen=True)
class Written:
    order_id: int
    values: dict[str, Any]
    lines: list[OrderLine]


def next_order_id_read(uow: UnitOfWork) -> Read[int] | None:
    """PostgreSQL: a read that takes the next order's id from the orders' sequence, to run
    with the placement's first reads; None elsewhere (the insert takes one)."""
    if uow.dialect != "postgresql":
        return None
    return Read.of_built(_NEXT_ORDER_ID, {}, _first_int, uow.conn.dialect)


def _first_int(rows: list[tuple[Any, ...]]) -> int:
    return int(rows[0][0])


def write_order(
    uow: UnitOfWork,
    new: NewOrder,
    number: str,
    *,
    actor: str,
    order_id: int | None,
    queue_order: bool = True,
) -> Written:
    """The order (arrived confirmed, then allocated or backordered as planned), its lines
    and its timeline with the sourcing reasons, under ``number`` (which may be
    provisional).

    With its id taken already (``order_id``, PostgreSQL) the rows are queued
    (``UnitOfWork.insert_later``): the statement that holds the order's stock writes them,
    before it locks any stock row (or the commit does, for an order with nothing to hold),
    one round trip for all of it. Else they are inserted now and the insert gives the id.
    Without ``queue_order`` the order row itself is left to the caller: for the hold's
    statement to write it with its number (``numbering.OrderNumber.taken_by``), or to
    :func:`queue_order_row`."""
    now = clock.now()
    values = _order_values(new, number, now)
    lines = _lines(new)
    line_rows = [
        {"sku_id": sku.id, "sku_code": line.sku, **_line_values(line)}
        for line, (_, _, sku) in zip(lines, new.priced, strict=True)
    ]
    events = _timeline(new, actor, now)
    if order_id is not None:
        written = Written(order_id, values, lines)
        if queue_order:
            queue_order_row(uow, written)
        for row in line_rows:
            uow.insert_later(order_lines, {"order_id": order_id, **row})
        for row in events:
            uow.insert_later(order_events, {"order_id": order_id, **row})
        return written
    order_id = int(uow.conn.execute(_INSERT_ORDER, values).scalar_one())
    uow.conn.execute(_INSERT_LINES, [{"order_id": order_id, **row} for row in line_rows])
    uow.conn.execute(_INSERT_EVENTS, [{"order_id": order_id, **row} for row in events])
    return Written(order_id, values, lines)


def order_row(written: Written) -> dict[str, Any]:
    """The order's row as written (its id taken already)."""
    return {"id": written.order_id, **written.values}


def queue_order_row(uow: UnitOfWork, written: Written) -> None:
    uow.insert_later(orders, order_row(written))


def stored_email(email: str) -> str:
    """An order's email as it is stored."""
    return email.strip().lower()


def record_created(uow: UnitOfWork, new: NewOrder, number: str) -> None:
    """The ``order.created`` event (on PostgreSQL the statement that numbers the order
    writes it: ``numbering``)."""
    uow.record(Event("order.created", {"number": number, **created(new)}, f"order:{number}"))


def created(new: NewOrder) -> dict[str, Any]:
    """The ``order.created`` event's payload but the order's number."""
    return {
        "channel": new.channel.code,
        "status": new.status.value,
        "total_amount": new.totals.total,
        "currency": new.data.currency,
    }


def _order_values(new: NewOrder, number: str, now: datetime) -> dict[str, Any]:
    data, totals = new.data, new.totals
    return {
        "number": number,
        "channel_id": new.channel.id,
        "channel_code": new.channel.code,
        "external_id": data.external_id,
        "customer_id": new.customer_id,
        "email": stored_email(data.email),
        "currency": data.currency,
        "locale": data.locale,
        "status": new.status.value,
        "priority": priority_of(data.special_codes),
        "special_codes": [c.value for c in data.special_codes],
        "billing_address": data.billing_address.as_dict(),
        "shipping_address": data.shipping_address.as_dict() if data.shipping_address else None,
        "pickup_location": data.pickup_location,
        "shipping_service": data.shipping_service,
        "subtotal_amount": totals.subtotal,
        "discount_amount": totals.discount,
        "shipping_amount": totals.shipping,
        "tax_amount": totals.tax,
        "total_amount": totals.total,
        "prices_include_tax": new.channel.spec.prices_include_tax,
        "base_currency": get_settings().base_currency,
        "base_total_amount": new.base[0],
        "fx_rate": str(new.base[1]) if new.base[1] is not None else None,
        "sales_rep": data.sales_rep,
        "notes": data.notes,
        "tags": list(data.tags),
        "sourcing": list(new.planned.explanation),
        "placed_at": now,
        "updated_at": now,
    }


def _lines(new: NewOrder) -> list[OrderLine]:
    out = []
    for i, ((line, price, sku), totals) in enumerate(
        zip(new.priced, new.totals.lines, strict=True), start=1
    ):
        out.append(
            OrderLine(
                line_no=i,
                sku=sku.code,
                name=sku.name,
                quantity_ordered=line.quantity,
                unit_price_amount=price,
                discount_amount=totals.discount,
                tax_rate=str(new.tax_rate),
                tax_amount=totals.tax,
                total_amount=totals.total,
                quantity_allocated=new.planned.allocated(i),
                quantity_backordered=new.planned.backordered.get(i, 0),
            )
        )
    return out


def _line_values(line: OrderLine) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "name": line.name,
        "quantity_ordered": line.quantity_ordered,
        "quantity_allocated": line.quantity_allocated,
        "quantity_backordered": line.quantity_backordered,
        "unit_price_amount": line.unit_price_amount,
        "discount_amount": line.discount_amount,
        "tax_rate": line.tax_rate,
        "tax_amount": line.tax_amount,
        "total_amount": line.total_amount,
    }


def _timeline(new: NewOrder, actor: str, now: datetime) -> list[dict[str, Any]]:
    def event(
        before: OrderStatus | None, after: OrderStatus, reason: str, **data: Any
    ) -> dict[str, Any]:
        return {
            "at": now,
            "actor": actor,
            "kind": "status_changed",
            "from_status": before.value if before else None,
            "to_status": after.value,
            "reason": reason,
            "data": data,
        }

    return [
        event(None, OrderStatus.PLACED, "order received"),
        event(OrderStatus.PLACED, OrderStatus.CONFIRMED, "no hold needed"),
        event(
            OrderStatus.CONFIRMED,
            new.status,
            " ".join(new.planned.explanation),
            locations=new.planned.locations,
            backordered={str(k): v for k, v in new.planned.backordered.items()},
        ),
    ]


def as_order(written: Written, number: str, new: NewOrder, allocations: list[Allocation]) -> Order:
    """The order as written, without reading it back."""
    v = written.values
    return Order(
        id=written.order_id,
        number=number,
        channel=v["channel_code"],
        external_id=v["external_id"],
        customer_id=v["customer_id"],
        email=v["email"],
        currency=v["currency"],
        locale=v["locale"],
        status=new.status,
        hold_reason=None,
        priority=v["priority"],
        special_codes=v["special_codes"],
        billing_address=v["billing_address"],
        shipping_address=v["shipping_address"],
        pickup_location=v["pickup_location"],
        shipping_service=v["shipping_service"],
        subtotal_amount=v["subtotal_amount"],
        discount_amount=v["discount_amount"],
        shipping_amount=v["shipping_amount"],
        tax_amount=v["tax_amount"],
        total_amount=v["total_amount"],
        prices_include_tax=v["prices_include_tax"],
        base_currency=v["base_currency"],
        base_total_amount=v["base_total_amount"],
        fx_rate=v["fx_rate"],
        sales_rep=v["sales_rep"],
        notes=v["notes"],
        tags=v["tags"],
        sourcing=v["sourcing"],
        placed_at=v["placed_at"],
        updated_at=v["updated_at"],
        version=1,
        lines=written.lines,
        allocations=sorted(allocations, key=lambda a: (a.line_no, a.location)),
    )
