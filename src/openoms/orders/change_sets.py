"""Adding lines to an order, or changing how many units a line wants, before it ships.

One call is one versioned change set: the stock it reserves or releases, the new amounts,
and a timeline entry with the order's new version, the changes, and the balance (what the
customer still owes, or is owed).
"""

from __future__ import annotations

from dataclasses import dataclass

from openoms.catalog import services as catalog
from openoms.channels import services as channels
from openoms.customers.model import PostalAddress
from openoms.infra.db import UnitOfWork
from openoms.orders import allocation
from openoms.orders.changes import cancel_units, changeable_order, settle_status
from openoms.orders.lifecycle import write_event
from openoms.orders.model import InactiveSku, Order
from openoms.orders.orm import order_lines, orders
from openoms.orders.queries import load_order
from openoms.orders.repricing import reprice
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.events import Event

_l = order_lines.c


@dataclass(frozen=True)
class LineChange:
    """``line``: an existing line's number, or None for a new line (then ``sku``).
    ``quantity``: the units the line should come to (not counting cancelled ones)."""

    quantity: int
    line: int | None = None
    sku: str | None = None
    unit_price: int | None = None  # a new line's price; None: the catalog's


@dataclass(frozen=True)
class ChangeSet:
    order: Order
    version: int
    total_before: int
    total_after: int

    @property
    def balance(self) -> int:
        return self.total_after - self.total_before


def change_lines(
    uow: UnitOfWork, number: str, changes: list[LineChange], *, actor: str
) -> ChangeSet:
    """Apply a change set: more units are sourced and reserved, fewer are released.

    Raises: OrderNotFound, IllegalOrderTransition, ValidationFailed, SkuNotFound,
    InactiveSku, OrderNotSourceable (more units than there is stock, without backorders).
    """
    with uow:
        order = changeable_order(uow, number)
        _check(order, changes)
        wanted = _grow(uow, order, changes)
        for change in changes:
            line = next((ln for ln in order.lines if ln.line_no == change.line), None)
            if (
                line is not None
                and change.quantity < line.quantity_ordered - line.quantity_cancelled
            ):
                cancel_units(
                    uow,
                    order,
                    line,
                    line.quantity_ordered - line.quantity_cancelled - change.quantity,
                    actor,
                )
        if wanted:
            _reserve(uow, order, wanted, actor)
        repriced = reprice(uow, order)
        version = _bump(uow, order)
        write_event(
            uow,
            order.id,
            actor,
            "lines_changed",
            None,
            None,
            "lines changed",
            {
                "version": version,
                "changes": [c.__dict__ for c in changes],
                "total_before": repriced.total_before,
                "total_after": repriced.total_after,
                "balance": repriced.balance,
            },
        )
        uow.record(
            Event(
                "order.lines_changed",
                {
                    "number": number,
                    "version": version,
                    "balance": repriced.balance,
                    "currency": order.currency,
                },
                f"order:{number}",
            )
        )
        settle_status(uow, order, actor, "lines changed")
        found = load_order(uow, order.id)
        uow.commit()
    return ChangeSet(found, version, repriced.total_before, repriced.total_after)


def _check(order: Order, changes: list[LineChange]) -> None:
    lines = {ln.line_no: ln for ln in order.lines}
    errors = []
    if not changes:
        errors.append(FieldError("changes", "give at least one change"))
    seen: set[int] = set()
    for i, c in enumerate(changes):
        where = f"changes[{i}]"
        if c.line is None and not c.sku:
            errors.append(FieldError(f"{where}.sku", "a new line needs a SKU"))
        if c.line is not None and c.line not in lines:
            errors.append(FieldError(f"{where}.line", f"order {order.number} has no line {c.line}"))
        if c.line is not None and c.line in seen:
            errors.append(FieldError(f"{where}.line", "the same line is changed twice"))
        minimum = 0 if c.line is not None else 1
        if c.quantity < minimum:
            errors.append(FieldError(f"{where}.quantity", f"must be at least {minimum}"))
        if c.line is not None:
            seen.add(c.line)
    if errors:
        raise ValidationFailed(errors)


def _grow(uow: UnitOfWork, order: Order, changes: list[LineChange]) -> list[allocation.Wanted]:
    """Add the new lines and the extra units of grown lines; what now needs stock."""
    wanted = []
    next_no = max((ln.line_no for ln in order.lines), default=0) + 1
    new = [c for c in changes if c.line is None]
    priced = catalog.priced_skus(uow, [c.sku for c in new if c.sku], order.currency) if new else {}
    for i, c in enumerate(new):
        wanted.append(allocation.Wanted(next_no, c.sku or "", c.quantity))
        _insert_line(uow, order, next_no, c, priced, i)
        next_no += 1
    for c in changes:
        line = next((ln for ln in order.lines if ln.line_no == c.line), None)
        if line is None:
            continue
        extra = c.quantity - (line.quantity_ordered - line.quantity_cancelled)
        if extra > 0:
            uow.conn.execute(
                order_lines.update()
                .where(_l.order_id == order.id, _l.line_no == line.line_no)
                .values(quantity_ordered=_l.quantity_ordered + extra)
            )
            wanted.append(allocation.Wanted(line.line_no, line.sku, extra))
    return wanted


def _insert_line(
    uow: UnitOfWork,
    order: Order,
    line_no: int,
    change: LineChange,
    priced: dict[str, catalog.PricedSku],
    index: int,
) -> None:
    sku = priced.get(change.sku or "")
    if sku is None:
        from openoms.catalog.model import SkuNotFound

        raise SkuNotFound(f"Unknown SKU: {change.sku}.", skus=[change.sku])
    if not sku.is_active:
        raise InactiveSku(f"No longer sold: {sku.code}.", skus=[sku.code])
    price = change.unit_price if change.unit_price is not None else sku.price
    if price is None:
        raise ValidationFailed.single(
            f"changes[{index}].unit_price", f"{sku.code} has no {order.currency} price; give one"
        )
    rate = order.lines[0].tax_rate if order.lines else "0"
    uow.conn.execute(
        order_lines.insert().values(
            order_id=order.id,
            line_no=line_no,
            sku_id=sku.id,
            sku_code=sku.code,
            name=sku.name,
            quantity_ordered=change.quantity,
            unit_price_amount=price,
            discount_amount=0,
            tax_rate=rate,
            tax_amount=0,
            total_amount=0,
        )
    )


def _reserve(uow: UnitOfWork, order: Order, wanted: list[allocation.Wanted], actor: str) -> None:
    channel = channels.get_in_transaction(uow, order.channel)
    address = PostalAddress(**(order.shipping_address or order.billing_address))
    taken = allocation.source_and_reserve(
        uow,
        channel,
        wanted,
        allocation.Destination(address, order.pickup_location),
        owner=allocation.stock_owner(order.id),
        actor=actor,
    )
    for w in wanted:
        uow.conn.execute(
            order_lines.update()
            .where(_l.order_id == order.id, _l.line_no == w.line)
            .values(
                quantity_allocated=_l.quantity_allocated + taken.allocated(w.line),
                quantity_backordered=_l.quantity_backordered + taken.backordered.get(w.line, 0),
            )
        )


def _bump(uow: UnitOfWork, order: Order) -> int:
    return int(
        uow.conn.execute(
            orders.update()
            .where(orders.c.id == order.id)
            .values(version=orders.c.version + 1)
            .returning(orders.c.version)
        ).scalar_one()
    )
