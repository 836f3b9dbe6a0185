"""A delivered, card-paid order to return: a warehouse and a store (both accept returns), a
carrier to send labels with, two SKUs, and the order picked, packed, shipped, captured and
delivered."""

from __future__ import annotations

from dataclasses import dataclass

from openoms.fulfillment.model import ShipmentStatus
from openoms.fulfillment.services import picking, shipping, tracking, work
from openoms.infra.db import Database
from openoms.locations.model import LocationKind
from openoms.orders.placement import LineInput, place_order
from openoms.payments.gateways import Gateways
from openoms.payments.services import order_payments
from openoms.shared import clock
from tests.builders import make_carrier_service, make_channel, make_location, make_sku, stock
from tests.integration.payment_setup import card, gateways_for
from tests.integration.test_orders import _order


@dataclass
class Delivered:
    number: str
    channel: str
    warehouse: str
    store: str
    skus: list[str]  # line 1, line 2
    gateways: Gateways
    service: str


def return_carrier(db: Database) -> str:
    return make_carrier_service(
        db,
        countries=("NL",),
        breaks=[{"zone": "NL", "up_to_g": 20000, "base": 595}],
        carrier_name="Return Parcel",
        service_name="Return Standard",
        prefix="RP",
    )


def delivered_order(
    db: Database,
    *,
    quantities: tuple[int, int] = (2, 1),
    prices: tuple[int, int] = (2500, 4000),
    shipping_amount: int = 495,
    deliver: bool = True,
    locale: str = "en",
    cancel: dict[int, int] | None = None,
    prices_include_tax: bool = True,
) -> Delivered:
    """Paid by test card; ``prices`` tax included (the channel's default) unless
    ``prices_include_tax`` is False (then NL VAT of 21 % is added); ``cancel``: units per
    line cancelled before picking; the customer reads ``locale``."""
    gateways = gateways_for(db)
    service = return_carrier(db)
    warehouse = make_location(db).code
    store = make_location(db, kind=LocationKind.STORE).code
    skus = [make_sku(db), make_sku(db)]
    for sku in skus:
        stock(db, sku, warehouse, 20)
    channel = make_channel(db, locations=(warehouse,), prices_include_tax=prices_include_tax)
    if not prices_include_tax:
        from openoms.accounting import services as accounting

        accounting.set_tax_rate(db.uow(), "NL", "", "0.21", "BTW")
    number = place_order(
        db.uow(),
        _order(
            channel,
            LineInput(skus[0], quantities[0], prices[0]),
            LineInput(skus[1], quantities[1], prices[1]),
            shipping_amount=shipping_amount,
            locale=locale,
        ),
        actor="shop",
    ).order.number
    order_payments.pay_order(db, gateways, number, card(gateways), actor="shop")
    if cancel:
        from openoms.orders.changes import cancel_lines

        cancel_lines(db.uow(), number, cancel, actor="shop", reason="out of the customer's mind")
    fo = work.list_fulfilment_orders(db.uow(), work.FulfilmentFilter(order_number=number))[0]
    wave = picking.release_wave(
        db.uow(), warehouse, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    for pick_list in wave.pick_lists:
        for pick in pick_list.picks:
            for _ in range(pick.quantity):
                picking.scan(db.uow(), pick_list.number, pick.sku, actor="picker")
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=300, width_mm=200, height_mm=100, weight_g=1500)],
        actor="packer",
    )
    shipped = shipping.ship_and_capture(db, gateways, fo.number, actor="packer")
    if deliver:
        tracking.record_scans(
            db.uow(),
            [
                tracking.ScanIn(
                    shipped.packages[0].tracking_number, ShipmentStatus.DELIVERED, clock.now()
                )
            ],
            source="carrier",
            actor="carrier",
        )
    return Delivered(number, channel, warehouse, store, skus, gateways, service)
