"""What fulfilment tells the order: units shipped, parcels delivered, units not found.

The fulfilment domain calls these inside its own transactions; the order keeps its line
quantities and status consistent and writes its timeline, as every other change does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from openoms.channels import services as channels
from openoms.customers.model import PostalAddress
from openoms.infra.db import UnitOfWork
from openoms.orders import allocation
from openoms.orders.lifecycle import move, write_event
from openoms.orders.model import IllegalOrderTransition, Order, OrderNotSourceable, OrderStatus
from openoms.orders.orm import order_lines
from openoms.orders.queries import load_order
from openoms.shared.events import Event

_l = order_lines.c
SHIPPABLE = {OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.PARTIALLY_SHIPPED}


def check_shippable(order: Order) -> None:
    """Refuse work on an order that is on hold, cancelled or not yet confirmed.

    Raises: IllegalOrderTransition.
    """
    if order.status not in SHIPPABLE:
        raise IllegalOrderTransition(
            f"Order {order.number} is {order.status.value}; it cannot ship now.",
            current=order.status.value,
        )


def record_shipped(
    uow: UnitOfWork,
    order_id: int,
    shipped: dict[int, int],
    *,
    actor: str,
    shipment: str,
    data: dict[str, Any],
) -> Order:
    """Units of lines left: move them from allocated to shipped and the order to
    partially_shipped or shipped. The stock itself was shipped by the caller.

    Raises: IllegalOrderTransition.
    """
    order = load_order(uow, order_id)
    check_shippable(order)
    for line_no, units in sorted(shipped.items()):
        uow.conn.execute(
            order_lines.update()
            .where(_l.order_id == order_id, _l.line_no == line_no)
            .values(
                quantity_shipped=_l.quantity_shipped + units,
                quantity_allocated=_l.quantity_allocated - units,
            )
        )
    open_units = uow.conn.execute(
        sa.select(
            sa.func.sum(_l.quantity_ordered - _l.quantity_cancelled - _l.quantity_shipped)
        ).where(_l.order_id == order_id)
    ).scalar_one()
    target = OrderStatus.PARTIALLY_SHIPPED if open_units else OrderStatus.SHIPPED
    reason = f"Shipment {shipment} left {data.get('location', '')}".strip()
    if target is order.status:
        write_event(uow, order_id, actor, "shipped", None, None, reason, data)
    else:
        move(uow, order, target, actor=actor, reason=reason, values={}, data=data)
    uow.record(
        Event(
            "order.shipped" if target is OrderStatus.SHIPPED else "order.partially_shipped",
            {"number": order.number, "shipment": shipment, "lines": shipped},
            f"order:{order.number}",
        )
    )
    return load_order(uow, order_id)


def record_delivered(
    uow: UnitOfWork, order_id: int, *, actor: str, shipment: str, everything: bool
) -> None:
    """A parcel arrived. When everything of a fully shipped order has arrived, the order
    is delivered."""
    order = load_order(uow, order_id)
    reason = f"Shipment {shipment} delivered"
    if everything and order.status is OrderStatus.SHIPPED:
        move(
            uow,
            order,
            OrderStatus.DELIVERED,
            actor=actor,
            reason=reason,
            values={},
            data={"shipment": shipment},
        )
    else:
        write_event(uow, order_id, actor, "delivered", None, None, reason, {"shipment": shipment})


def resource_short(
    uow: UnitOfWork,
    order_id: int,
    line_no: int,
    units: int,
    *,
    actor: str,
    location: str,
) -> list[str]:
    """Units of a line were not found at ``location`` (their reservation is already given
    back): source them again from today's stock, else backorder them. Returns the reasons.
    """
    order = load_order(uow, order_id)
    line = next(ln for ln in order.lines if ln.line_no == line_no)
    channel = channels.get_in_transaction(uow, order.channel)
    address = PostalAddress(**(order.shipping_address or order.billing_address))
    wanted = [allocation.Wanted(line_no, line.sku, units)]
    try:
        taken = allocation.source_and_reserve(
            uow,
            channel,
            wanted,
            allocation.Destination(address, order.pickup_location),
            owner=allocation.stock_owner(order_id),
            actor=actor,
        )
        found, explanation = taken.allocated(line_no), taken.explanation
    except OrderNotSourceable:
        found, explanation = 0, ["No location has the units now; they wait for stock."]
    missing = units - found
    uow.conn.execute(
        order_lines.update()
        .where(_l.order_id == order_id, _l.line_no == line_no)
        .values(
            quantity_allocated=_l.quantity_allocated - units + found,
            quantity_backordered=_l.quantity_backordered + missing,
        )
    )
    reasons = [f"{units} × {line.sku} not found at {location}.", *explanation]
    write_event(
        uow,
        order_id,
        actor,
        "short_pick",
        None,
        None,
        " ".join(reasons),
        {"line": line_no, "sku": line.sku, "units": units, "found_elsewhere": found},
    )
    if missing and order.status is OrderStatus.ALLOCATED:
        move(
            uow,
            load_order(uow, order_id),
            OrderStatus.BACKORDERED,
            actor=actor,
            reason="short pick",
            values={},
            data={"line": line_no, "units": missing},
        )
    return reasons
