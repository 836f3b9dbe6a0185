"""The documents of a shipment and an order, as PDFs: a 4x6 label per package, the
packing slip of a fulfilment order, the order's receipt. Drawn on demand from what is
stored, so a reprint is always the same label."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from openoms.fulfillment import documents
from openoms.fulfillment.model import ShipmentNotFound
from openoms.fulfillment.orm import packages, shipments
from openoms.fulfillment.services import shipping, work
from openoms.infra.db import UnitOfWork
from openoms.infra.settings import get_settings
from openoms.locations.orm import locations
from openoms.orders.queries import get_order, load_order
from openoms.payments.services.records import payments_of
from openoms.shared.money import Money


def _party(name: str, address: dict[str, Any]) -> documents.Party:
    city = " ".join(x for x in (address.get("postal_code", ""), address.get("city", "")) if x)
    lines = [
        address.get("company", ""),
        address.get("line1", ""),
        address.get("line2", ""),
        city,
        address.get("region", ""),
        address.get("country", ""),
        address.get("phone", ""),
    ]
    return documents.Party(name or address.get("name", "") or "", tuple(x for x in lines if x))


def _ship_to(address: dict[str, Any]) -> documents.Party:
    name = address.get("name") or " ".join(
        x for x in (address.get("first_name", ""), address.get("last_name", "")) if x
    )
    return _party(str(name), address)


def party_of(address: dict[str, Any]) -> documents.Party:
    """A customer's address as printed on a label."""
    return _ship_to(address)


def location_party(uow: UnitOfWork, code: str, name: str) -> documents.Party:
    """A location's address as printed on a label, under ``name``."""
    row = uow.conn.execute(sa.select(locations).where(locations.c.code == code)).mappings().one()
    return _party(
        name,
        {
            "company": row["name"],
            "line1": row["address_line1"],
            "line2": row["address_line2"],
            "postal_code": row["postal_code"],
            "city": row["city"],
            "country": row["country"],
        },
    )


def _kg(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def label_pdf(uow: UnitOfWork, shipment_number: str, seq: int) -> bytes:
    """Raises: ShipmentNotFound."""
    with uow:
        found = shipping.load_shipment(uow, shipment_number)
        package = next((p for p in found.packages if p.seq == seq), None)
        if package is None:
            raise ShipmentNotFound(
                f"Shipment {shipment_number} has no package {seq}.", number=shipment_number
            )
        origin = location_party(uow, found.location, get_settings().merchant_name)
        bought = uow.conn.execute(
            sa.select(packages.c.label_pdf)
            .join(shipments, shipments.c.id == packages.c.shipment_id)
            .where(shipments.c.number == shipment_number, packages.c.seq == seq)
        ).scalar_one_or_none()
    if bought:
        return bytes(bought)  # the carrier's own label, bought through its API
    return documents.shipping_label_pdf(
        documents.LabelData(
            tracking_number=package.tracking_number,
            carrier=found.carrier_name,
            service=found.service_name,
            ship_from=origin,
            ship_to=_ship_to(found.ship_to),
            weight=f"{_kg(package.weight_g)} (billable {_kg(package.billable_weight_g)})",
            package=f"{package.seq} of {len(found.packages)}",
            order_number=found.order_number,
            ship_date=found.shipped_at.date().isoformat(),
            reference=found.fulfilment_order,
        )
    )


def packing_slip_pdf(uow: UnitOfWork, fo_number: str) -> bytes:
    """Raises: FulfilmentOrderNotFound."""
    with uow:
        fo = work.load(uow, fo_number)
        order = load_order(uow, fo.order_id)
        tracking = list(
            uow.conn.execute(
                sa.select(packages.c.tracking_number, packages.c.weight_g)
                .join(shipments, shipments.c.id == packages.c.shipment_id)
                .where(shipments.c.fulfilment_order_id == fo.id)
                .order_by(packages.c.seq)
            )
        )
    address = order.shipping_address or order.billing_address
    return documents.packing_slip_pdf(
        documents.SlipData(
            merchant=get_settings().merchant_name,
            order_number=order.number,
            order_date=order.placed_at.date().isoformat(),
            ship_to=_ship_to(address),
            bill_to=_ship_to(order.billing_address) if order.shipping_address else None,
            lines=tuple(
                documents.DocLine(ln.sku, ln.name, ln.picked or ln.quantity) for ln in fo.lines
            ),
            packages=tuple(f"{t} — {_kg(w)}" for t, w in tracking)
            or tuple(
                f"Package {i}: {sum(p['items'].values())} items, {_kg(p['weight_g'])}"
                for i, p in enumerate(fo.packages or [], start=1)
            ),
            notes=order.notes,
            gift_message="",
        )
    )


def receipt_pdf(uow: UnitOfWork, order_number: str) -> bytes:
    """Raises: OrderNotFound."""
    order = get_order(uow, order_number)
    with uow:
        paid = payments_of(uow, order.id)
    settings = get_settings()

    def money(amount: int) -> str:
        return Money(amount, order.currency).format(order.locale or "en")

    totals = [("Subtotal", money(order.subtotal_amount))]
    if order.discount_amount:
        totals.append(("Discount", "−" + money(order.discount_amount)))
    totals.append(("Shipping", money(order.shipping_amount)))
    totals.append(
        ("Tax" + (" (included)" if order.prices_include_tax else ""), money(order.tax_amount))
    )
    totals.append(("Total", money(order.total_amount)))
    return documents.receipt_pdf(
        documents.ReceiptData(
            merchant=settings.merchant_name,
            merchant_address=(),
            order_number=order.number,
            order_date=order.placed_at.date().isoformat(),
            bill_to=_ship_to(order.billing_address),
            ship_to=_ship_to(order.shipping_address) if order.shipping_address else None,
            lines=tuple(
                documents.DocLine(
                    ln.sku,
                    ln.name,
                    ln.quantity_ordered - ln.quantity_cancelled,
                    money(ln.unit_price_amount),
                    money(ln.total_amount),
                )
                for ln in order.lines
                if ln.quantity_ordered - ln.quantity_cancelled
            ),
            totals=tuple(totals),
            payments=tuple(
                (
                    f"{p.card_brand or 'Card'} •••• {p.card_last4}"
                    if p.card_last4
                    else p.method.value.replace("_", " ").capitalize()
                )
                + f": captured {money(p.captured)}"
                for p in paid
                if p.captured
            ),
            footer=f"Thank you for your order. {settings.merchant_name}",
        )
    )
