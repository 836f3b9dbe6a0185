"""Backordered lines get stock as soon as it arrives, oldest and highest priority first.

The worker runs :func:`resource_backorders` every round: it takes backordered orders in
priority order (rush and VIP first, then the oldest), sources what each still lacks against
the stock there is now, reserves it and records why on the timeline. An order whose lines
are all covered becomes allocated. Each order is its own savepoint, so one that loses a race
is simply tried again next round; on PostgreSQL, orders another worker holds are skipped.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog

from openoms.channels import services as channels
from openoms.customers.model import PostalAddress
from openoms.infra.db import UnitOfWork
from openoms.inventory.services import reservations as inventory
from openoms.orders import allocation
from openoms.orders.model import OrderNotSourceable, OrderStatus, check_order_transition
from openoms.orders.orm import order_events, order_lines, orders
from openoms.shared import clock
from openoms.shared.events import Event

log = structlog.get_logger()
_o = orders.c
_l = order_lines.c


def resource_backorders(
    uow: UnitOfWork, *, limit: int = 50, actor: str = "system:backorders"
) -> int:
    """Give backordered orders the stock that has arrived. Returns how many got units."""
    with uow:
        query = (
            sa.select(orders)
            .where(
                sa.or_(
                    _o.status == OrderStatus.BACKORDERED.value,
                    # shipped in part, the rest still waiting for stock
                    sa.and_(
                        _o.status == OrderStatus.PARTIALLY_SHIPPED.value,
                        sa.exists().where(_l.order_id == _o.id, _l.quantity_backordered > 0),
                    ),
                )
            )
            .order_by(_o.priority.desc(), _o.placed_at, _o.id)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=orders)
        helped = 0
        for row in uow.conn.execute(query).mappings().all():
            try:
                with uow.conn.begin_nested():
                    helped += _resource(uow, dict(row), actor)
            except (inventory.StockMoved, OrderNotSourceable):
                log.info("orders.backorder_retry_later", number=row["number"])
        uow.commit()
    return helped


def _resource(uow: UnitOfWork, order: dict[str, Any], actor: str) -> int:
    lines = uow.conn.execute(
        sa.select(_l.line_no, _l.sku_code, _l.quantity_backordered).where(
            _l.order_id == order["id"], _l.quantity_backordered > 0
        )
    ).all()
    wanted = [allocation.Wanted(n, sku, q) for n, sku, q in lines]
    if not wanted:
        return 0
    stock = inventory.stock_for_sourcing(uow, sorted({w.sku for w in wanted}))
    if not any(r.sku in {w.sku for w in wanted} and r.available > 0 for r in stock):
        return 0  # nothing arrived for this order: no need to plan
    channel = channels.get_in_transaction(uow, order["channel_code"])
    address = PostalAddress(**(order["shipping_address"] or order["billing_address"]))
    taken = allocation.source_and_reserve(
        uow,
        channel,
        wanted,
        allocation.Destination(address, order["pickup_location"]),
        owner=allocation.stock_owner(order["id"]),
        actor=actor,
    )
    if not taken.allocations:
        return 0
    _apply(uow, order, taken, actor)
    return 1


def _apply(uow: UnitOfWork, order: dict[str, Any], taken: allocation.Allocated, actor: str) -> None:
    for line_no, units in _per_line(taken).items():
        uow.conn.execute(
            order_lines.update()
            .where(_l.order_id == order["id"], _l.line_no == line_no)
            .values(
                quantity_allocated=_l.quantity_allocated + units,
                quantity_backordered=_l.quantity_backordered - units,
            )
        )
    still_short = bool(taken.backordered)
    before = OrderStatus(order["status"])
    after = OrderStatus.BACKORDERED if still_short else OrderStatus.ALLOCATED
    if before is OrderStatus.PARTIALLY_SHIPPED:
        after = before  # it stays partially shipped until the rest leaves
    if after is not before:
        check_order_transition(order["number"], before, after)
    uow.conn.execute(
        orders.update()
        .where(_o.id == order["id"])
        .values(status=after.value, version=_o.version + 1, updated_at=clock.now())
    )
    uow.conn.execute(
        order_events.insert().values(
            order_id=order["id"],
            at=clock.now(),
            actor=actor,
            kind="status_changed" if after is not before else "resourced",
            from_status=before.value,
            to_status=after.value if after is not before else None,
            reason="Stock arrived. " + " ".join(taken.explanation),
            data={"locations": taken.locations},
        )
    )
    uow.record(
        Event(
            "order.resourced",
            {"number": order["number"], "status": after.value},
            f"order:{order['number']}",
        )
    )
    if after is not before:
        uow.record(
            Event(
                "order.status_changed",
                {
                    "number": order["number"],
                    "from": before.value,
                    "to": after.value,
                    "reason": "stock arrived",
                },
                f"order:{order['number']}",
            )
        )


def _per_line(taken: allocation.Allocated) -> dict[int, int]:
    out: dict[int, int] = {}
    for a in taken.allocations:
        out[a.line_no] = out.get(a.line_no, 0) + a.quantity
    return out
