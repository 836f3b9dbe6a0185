"""Demo: this morning's things for staff to see to, made by the ordinary flows.

A till sale takes the Amsterdam store's last free units of a SKU down to its safety stock
(low stock), and a carrier reports that a parcel from yesterday's shift cannot be
delivered (a delivery exception). With the fraud review and the return waiting in the
store from the earlier steps, a fresh demo opens its alerts inbox with work in it. The
alerts themselves are raised by the worker when it dispatches the outbox, as always.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from openoms.customers.model import PostalAddress
from openoms.entrypoints.bootstrap import payment_gateways
from openoms.entrypoints.demo_orders import PAID_BY, _payment
from openoms.fulfillment.model import ShipmentStatus
from openoms.fulfillment.services import shipping, tracking
from openoms.infra.db import Database
from openoms.infra.settings import get_settings
from openoms.inventory import queries as stock_queries
from openoms.orders.placement import LineInput, OrderInput, place_order
from openoms.payments.services import order_payments
from openoms.payments.services.screening import Client
from openoms.shared import clock
from openoms.shared.errors import OmsError

STORE, TILL = "ST-AMS", "POS-AMS"


def load_alerts(db: Database) -> int:
    """Returns how many of the two situations could be made."""
    made = 0
    with suppress(OmsError):
        made += _a_store_sells_out(db)
    with suppress(OmsError):
        made += _a_parcel_cannot_be_delivered(db)
    return made


def _a_store_sells_out(db: Database) -> int:
    """A customer at the till buys what is left of a SKU above its safety stock."""
    levels, _ = stock_queries.list_levels(db.reader(), location=STORE, limit=500)
    kept = [lv for lv in levels if lv.safety_stock > 0 and lv.available > 0]
    if not kept:
        return 0
    level = min(kept, key=lambda lv: (lv.available, lv.sku))  # the one closest to running out
    shop = PostalAddress(
        name="Sanne de Jong",
        line1="Kalverstraat 92",
        city="Amsterdam",
        postal_code="1012 PH",
        country="NL",
    )
    placed = place_order(
        db.uow(),
        OrderInput(
            channel=TILL,
            email="sanne.dejong@example.com",
            currency="EUR",
            lines=[LineInput(level.sku, level.available)],
            billing_address=shop,
            shipping_address=None,
            pickup_location=STORE,
            external_id="DEMO-TILL-LAST-UNITS",
            customer_name=shop.name,
            shipping_amount=0,
            tags=["demo"],
        ),
        actor="system:demo",
    )
    gateways = payment_gateways(get_settings(), db)
    order_payments.after_placement(
        db,
        gateways,
        placed.order,
        _payment(gateways, PAID_BY[TILL], 1),
        Client("198.51.100.200", "demo-till-ams"),
        actor="system:demo",
    )
    return 1


def _a_parcel_cannot_be_delivered(db: Database) -> int:
    """The carrier scans a parcel that left yesterday as an exception at its hub."""
    waiting = shipping.list_shipments(db.reader(), status=ShipmentStatus.LABEL_CREATED, limit=50)
    if not waiting:
        return 0
    parcel = waiting[-1].packages[0].tracking_number  # the oldest one still on its way
    at = clock.now() - timedelta(hours=3)
    tracking.record_scans(
        db.uow(),
        [
            tracking.ScanIn(parcel, ShipmentStatus.ACCEPTED, at, "Rotterdam depot"),
            tracking.ScanIn(
                parcel,
                ShipmentStatus.EXCEPTION,
                at + timedelta(hours=2),
                "Hub Nieuwegein",
                "Address not found: the street number does not exist",
            ),
        ],
        source="demo",
        actor="carrier:demo",
    )
    return 1
