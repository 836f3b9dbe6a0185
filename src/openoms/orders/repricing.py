"""Pricing an order again after its lines changed, and saying what the customer owes.

Unit prices and each line's tax rate stay as they were at placement. A line's discount stays
the same amount when the line grows, and shrinks in proportion when it shrinks. Shipping is
unchanged. The difference between the new and the old total is the balance: positive is
still owed, negative is to be refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.orders import pricing
from openoms.orders.model import Order, OrderLine
from openoms.orders.orm import order_lines, orders
from openoms.shared import clock

_l = order_lines.c


@dataclass(frozen=True)
class Repriced:
    total_before: int
    total_after: int

    @property
    def balance(self) -> int:
        """Positive: the customer owes it; negative: it is to be refunded."""
        return self.total_after - self.total_before


def reprice(uow: UnitOfWork, before: Order) -> Repriced:
    """Write new line and order amounts from the lines as they are now."""
    old = {ln.line_no: ln for ln in before.lines}
    rows = uow.conn.execute(
        sa.select(
            _l.line_no,
            _l.quantity_ordered,
            _l.quantity_cancelled,
            _l.unit_price_amount,
            _l.tax_rate,
            _l.discount_amount,
        )
        .where(_l.order_id == before.id)
        .order_by(_l.line_no)
    ).all()
    shipping_tax = before.tax_amount - sum(ln.tax_amount for ln in before.lines)
    sums = {"subtotal": 0, "discount": 0, "tax": shipping_tax, "lines": 0}
    for line_no, ordered, cancelled, unit, rate, discount in rows:
        units = ordered - cancelled
        discount = _discount(old.get(line_no), discount, units)
        line = pricing.compute(
            [pricing.PriceLine(unit, units, discount)],
            tax_rate=Decimal(rate),
            prices_include_tax=before.prices_include_tax,
        ).lines[0]
        uow.conn.execute(
            order_lines.update()
            .where(_l.order_id == before.id, _l.line_no == line_no)
            .values(discount_amount=discount, tax_amount=line.tax, total_amount=line.total)
        )
        sums["subtotal"] += line.gross
        sums["discount"] += discount
        sums["tax"] += line.tax
        sums["lines"] += line.total
    shipping_total = before.shipping_amount + (0 if before.prices_include_tax else shipping_tax)
    total = sums["lines"] + shipping_total
    uow.conn.execute(
        orders.update()
        .where(orders.c.id == before.id)
        .values(
            subtotal_amount=sums["subtotal"],
            discount_amount=sums["discount"],
            tax_amount=sums["tax"],
            total_amount=total,
            updated_at=clock.now(),
        )
    )
    return Repriced(before.total_amount, total)


def _discount(old_line: OrderLine | None, discount: int, units: int) -> int:
    if old_line is None:
        return discount
    old_units = old_line.quantity_ordered - old_line.quantity_cancelled
    if units >= old_units or old_units == 0:
        return discount
    return int(Decimal(discount) * units / old_units)
