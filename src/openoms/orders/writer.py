"""Writing a new order: the order row, its lines, allocations, timeline and event."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openoms.channels.model import Channel
from openoms.infra.db import UnitOfWork
from openoms.orders import pricing
from openoms.orders.model import OrderStatus, priority_of
from openoms.orders.orm import order_allocations, order_events, order_lines, orders
from openoms.shared import clock
from openoms.shared.events import Event
from openoms.sourcing import policy

if TYPE_CHECKING:
    from openoms.catalog.services import PricedSku
    from openoms.orders.placement import LineInput, OrderInput


def insert_order(
    uow: UnitOfWork,
    *,
    number: str,
    channel: Channel,
    data: OrderInput,
    customer_id: int,
    priced: list[tuple[LineInput, int, PricedSku]],
    totals: pricing.Totals,
    tax_rate: Decimal,
    plan: policy.Plan,
    actor: str,
    base: tuple[int | None, Decimal | None],
    reservation_ids: list[int],
) -> int:
    """Write everything and return the order id. The order arrives confirmed and then
    allocated or backordered; the timeline says each step and the sourcing reasons."""
    now = clock.now()
    status = OrderStatus.BACKORDERED if plan.backordered else OrderStatus.ALLOCATED
    order_id = int(
        uow.conn.execute(
            orders.insert()
            .values(
                **_order_values(number, channel, data, customer_id, totals, plan, base, status, now)
            )
            .returning(orders.c.id)
        ).scalar_one()
    )
    uow.conn.execute(order_lines.insert(), _line_rows(order_id, priced, totals, tax_rate, plan))
    if plan.allocations:
        uow.conn.execute(
            order_allocations.insert(),
            [
                {
                    "order_id": order_id,
                    "line_no": int(a.line_key),
                    "sku_code": a.sku,
                    "location_code": a.location,
                    "quantity": a.quantity,
                    "reservation_id": rid,
                }
                for a, rid in zip(plan.allocations, reservation_ids, strict=True)
            ],
        )
    uow.conn.execute(order_events.insert(), _timeline(order_id, status, plan, actor, now))
    uow.record(
        Event(
            "order.created",
            {
                "number": number,
                "channel": channel.code,
                "status": status.value,
                "total_amount": totals.total,
                "currency": data.currency,
            },
            f"order:{number}",
        )
    )
    return order_id


def _order_values(
    number: str,
    channel: Channel,
    data: OrderInput,
    customer_id: int,
    totals: pricing.Totals,
    plan: policy.Plan,
    base: tuple[int | None, Decimal | None],
    status: OrderStatus,
    now: Any,
) -> dict[str, Any]:
    from openoms.infra.settings import get_settings

    return {
        "number": number,
        "channel_id": channel.id,
        "channel_code": channel.code,
        "external_id": data.external_id,
        "customer_id": customer_id,
        "email": data.email.strip().lower(),
        "currency": data.currency,
        "locale": data.locale,
        "status": status.value,
        "priority": priority_of(data.special_codes),
        "special_codes": [c.value for c in data.special_codes],
        "billing_address": asdict(data.billing_address),
        "shipping_address": asdict(data.shipping_address) if data.shipping_address else None,
        "pickup_location": data.pickup_location,
        "shipping_service": data.shipping_service,
        "subtotal_amount": totals.subtotal,
        "discount_amount": totals.discount,
        "shipping_amount": totals.shipping,
        "tax_amount": totals.tax,
        "total_amount": totals.total,
        "prices_include_tax": channel.spec.prices_include_tax,
        "base_currency": get_settings().base_currency,
        "base_total_amount": base[0],
        "fx_rate": str(base[1]) if base[1] is not None else None,
        "sales_rep": data.sales_rep,
        "notes": data.notes,
        "tags": list(data.tags),
        "sourcing": list(plan.explanation),
        "placed_at": now,
        "updated_at": now,
    }


def _line_rows(
    order_id: int,
    priced: list[tuple[LineInput, int, PricedSku]],
    totals: pricing.Totals,
    tax_rate: Decimal,
    plan: policy.Plan,
) -> list[dict[str, Any]]:
    rows = []
    for i, ((line, price, sku), line_totals) in enumerate(zip(priced, totals.lines, strict=True)):
        key = str(i + 1)
        rows.append(
            {
                "order_id": order_id,
                "line_no": i + 1,
                "sku_id": sku.id,
                "sku_code": sku.code,
                "name": sku.name,
                "quantity_ordered": line.quantity,
                "quantity_allocated": plan.allocated(key),
                "quantity_backordered": plan.backordered.get(key, 0),
                "unit_price_amount": price,
                "discount_amount": line_totals.discount,
                "tax_rate": str(tax_rate),
                "tax_amount": line_totals.tax,
                "total_amount": line_totals.total,
            }
        )
    return rows


def _timeline(
    order_id: int, status: OrderStatus, plan: policy.Plan, actor: str, now: Any
) -> list[dict[str, Any]]:
    def event(
        kind: str,
        before: OrderStatus | None,
        after: OrderStatus | None,
        reason: str | None = None,
        **data: Any,
    ) -> dict[str, Any]:
        return {
            "order_id": order_id,
            "at": now,
            "actor": actor,
            "kind": kind,
            "from_status": before.value if before else None,
            "to_status": after.value if after else None,
            "reason": reason,
            "data": data,
        }

    return [
        event("status_changed", None, OrderStatus.PLACED, "order received"),
        event("status_changed", OrderStatus.PLACED, OrderStatus.CONFIRMED, "no hold needed"),
        event(
            "status_changed",
            OrderStatus.CONFIRMED,
            status,
            " ".join(plan.explanation),
            locations=plan.locations,
            backordered=plan.backordered,
        ),
    ]
