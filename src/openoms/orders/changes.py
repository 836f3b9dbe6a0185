"""Changing an order after placement: cancel some units, ship somewhere else.

Allowed only while nothing has shipped; every change releases or reserves stock in the same
transaction as the order change, is written on the timeline, and is refused with 409 once
it no longer makes sense.
"""

from __future__ import annotations

from dataclasses import asdict

import sqlalchemy as sa

from openoms.channels import services as channels
from openoms.customers.model import PostalAddress
from openoms.infra.db import UnitOfWork
from openoms.inventory.services import reservations as inventory
from openoms.orders import allocation
from openoms.orders.lifecycle import load_by_number, move, write_event
from openoms.orders.model import (
    IllegalOrderTransition,
    Order,
    OrderLine,
    OrderStatus,
)
from openoms.orders.orm import order_lines, orders
from openoms.orders.queries import load_order
from openoms.orders.repricing import reprice
from openoms.shared.errors import FieldError, ValidationFailed

CHANGEABLE = {
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.ON_HOLD,
}
_l = order_lines.c


def cancel_lines(
    uow: UnitOfWork, number: str, quantities: dict[int, int], *, actor: str, reason: str
) -> Order:
    """Cancel some units of some lines; backordered units go first, then reserved ones,
    whose stock is released. Cancelling everything left cancels the order.

    Raises: OrderNotFound, IllegalOrderTransition, ValidationFailed.
    """
    with uow:
        order = changeable_order(uow, number)
        lines = {ln.line_no: ln for ln in order.lines}
        errors = [
            FieldError(f"lines.{n}", "no such line") for n in quantities if n not in lines
        ] + [
            FieldError(f"lines.{n}", f"must be 1 to {lines[n].quantity_open} (still open)")
            for n, q in quantities.items()
            if n in lines and not 0 < q <= lines[n].quantity_open
        ]
        if errors or not quantities:
            raise ValidationFailed(errors or [FieldError("lines", "name at least one line")])
        for n, q in sorted(quantities.items()):
            cancel_units(uow, order, lines[n], q, actor)
        repriced = reprice(uow, order)
        write_event(
            uow,
            order.id,
            actor,
            "lines_cancelled",
            None,
            None,
            reason,
            {
                "lines": {str(k): v for k, v in quantities.items()},
                "total_before": repriced.total_before,
                "total_after": repriced.total_after,
                "balance": repriced.balance,
            },
        )
        settle_status(uow, order, actor, reason)
        found = load_order(uow, order.id)
        uow.commit()
    return found


def cancel_units(uow: UnitOfWork, order: Order, line: OrderLine, units: int, actor: str) -> None:
    """Cancel units of a line: backordered ones first, then reserved ones (released)."""
    from_backorder = min(units, line.quantity_backordered)
    released = inventory.release_line(
        uow,
        allocation.stock_owner(order.id),
        line.line_no,
        units - from_backorder,
        actor=actor,
        reason="cancelled",
    )
    uow.conn.execute(
        order_lines.update()
        .where(_l.order_id == order.id, _l.line_no == line.line_no)
        .values(
            quantity_cancelled=_l.quantity_cancelled + units,
            quantity_backordered=_l.quantity_backordered - from_backorder,
            quantity_allocated=_l.quantity_allocated - released,
        )
    )


def change_shipping_address(
    uow: UnitOfWork, number: str, address: PostalAddress, *, actor: str
) -> Order:
    """Ship somewhere else: the reservations are given back and the order is sourced again
    for the new destination (it may come from other locations now).

    Raises: OrderNotFound, IllegalOrderTransition, ValidationFailed, OrderNotSourceable.
    """
    errors = address.check("address")
    if errors:
        raise ValidationFailed(errors)
    with uow:
        order = changeable_order(uow, number)
        if order.pickup_location:
            raise IllegalOrderTransition(
                f"Order {number} is collected in store; it has no shipping address.",
                current=order.status.value,
            )
        taken = _source_again(uow, order, allocation.Destination(address, None), actor)
        uow.conn.execute(
            orders.update()
            .where(orders.c.id == order.id)
            .values(shipping_address=asdict(address), sourcing=taken.explanation)
        )
        write_event(
            uow,
            order.id,
            actor,
            "address_changed",
            None,
            None,
            "Shipping address changed. " + " ".join(taken.explanation),
            {"city": address.city, "country": address.country},
        )
        settle_status(uow, order, actor, "re-sourced for the new address")
        found = load_order(uow, order.id)
        uow.commit()
    return found


def resource_order(uow: UnitOfWork, number: str, *, actor: str) -> Order:
    """Source the order's open units again from today's stock, as if it arrived now: its
    reservations are given back and the channel's policy chooses again (stock may have
    arrived nearer, or a location filled up). Backordered units are sourced too.

    Raises: OrderNotFound, IllegalOrderTransition, OrderNotSourceable.
    """
    with uow:
        order = changeable_order(uow, number)
        address = PostalAddress(**(order.shipping_address or order.billing_address))
        before = sorted((a.location, a.sku, a.quantity) for a in order.allocations)
        taken = _source_again(
            uow, order, allocation.Destination(address, order.pickup_location), actor
        )
        uow.conn.execute(
            orders.update().where(orders.c.id == order.id).values(sourcing=taken.explanation)
        )
        after = sorted((a.location, a.sku, a.quantity) for a in taken.allocations)
        write_event(
            uow,
            order.id,
            actor,
            "re_sourced",
            None,
            None,
            ("Sourced again: the same locations. " if before == after else "Sourced again. ")
            + " ".join(taken.explanation),
            {"locations": taken.locations},
        )
        settle_status(uow, order, actor, "sourced again")
        found = load_order(uow, order.id)
        uow.commit()
    return found


def _source_again(
    uow: UnitOfWork, order: Order, destination: allocation.Destination, actor: str
) -> allocation.Allocated:
    """Give back the order's reservations and source its open units for ``destination``."""
    owner = allocation.stock_owner(order.id)
    inventory.release_owner_in_transaction(uow, *owner, actor=actor)
    channel = channels.get_in_transaction(uow, order.channel)
    wanted = [
        allocation.Wanted(ln.line_no, ln.sku, ln.quantity_open)
        for ln in order.lines
        if ln.quantity_open
    ]
    taken = allocation.source_and_reserve(
        uow, channel, wanted, destination, owner=owner, actor=actor
    )
    for w in wanted:
        uow.conn.execute(
            order_lines.update()
            .where(_l.order_id == order.id, _l.line_no == w.line)
            .values(
                quantity_allocated=taken.allocated(w.line),
                quantity_backordered=taken.backordered.get(w.line, 0),
            )
        )
    return taken


def changeable_order(uow: UnitOfWork, number: str) -> Order:
    order = load_by_number(uow, number)
    shipped = any(ln.quantity_shipped for ln in order.lines)
    if order.status not in CHANGEABLE or shipped:
        raise IllegalOrderTransition(
            f"Order {number} is {order.status.value}; it can no longer be changed.",
            current=order.status.value,
        )
    return order


def settle_status(uow: UnitOfWork, order: Order, actor: str, reason: str) -> None:
    """Move the order to the status its lines now call for (while it is not on hold)."""
    row = uow.conn.execute(
        sa.select(
            sa.func.sum(_l.quantity_ordered - _l.quantity_cancelled - _l.quantity_shipped),
            sa.func.sum(_l.quantity_backordered),
        ).where(_l.order_id == order.id)
    ).one()
    open_units, backordered = int(row[0] or 0), int(row[1] or 0)
    settled = OrderStatus.BACKORDERED if backordered else OrderStatus.ALLOCATED
    if open_units == 0:
        target = OrderStatus.CANCELLED
    elif order.status is OrderStatus.ON_HOLD:
        # still held; on release it goes on as its lines now call for
        uow.conn.execute(
            orders.update().where(orders.c.id == order.id).values(status_before_hold=settled.value)
        )
        return
    else:
        target = settled
    if target is not order.status:
        fresh = load_order(uow, order.id)
        move(uow, fresh, target, actor=actor, reason=reason, values={}, data={})
