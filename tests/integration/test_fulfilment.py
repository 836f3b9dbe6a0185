"""Fulfilment end to end on both engines: fulfilment orders from reservations, waves and
pick lists by strategy, scan-to-pick, short picks, packing, shipping (stock out, payment
captured, order shipped), tracking to the door, and pickup in store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from openoms.fulfillment.carrier_api import (
    CarrierMisconfigured,
    CarrierRate,
    CarrierUnavailable,
    Parcel,
    ParcelAddress,
    PurchasedLabel,
    TrackingUpdate,
)
from openoms.fulfillment.model import (
    FulfilmentStatus,
    IllegalFulfilmentTransition,
    NothingToRelease,
    OverPick,
    PickStrategy,
    ShipmentNotFound,
    ShipmentStatus,
    WrongPickupCode,
    WrongScan,
)
from openoms.fulfillment.services import paperwork, picking, setup, shipping, tracking, work
from openoms.fulfillment.tracking_numbers import is_valid_s10
from openoms.infra.db import Database
from openoms.inventory.orm import stock_levels, stock_movements
from openoms.inventory.verify import verify_ledger
from openoms.locations.model import LocationKind
from openoms.orders.model import IllegalOrderTransition, OrderStatus
from openoms.orders.placement import LineInput, place_order
from openoms.orders.queries import get_order, timeline
from openoms.payments.services import order_payments
from openoms.payments.services.records import payments_of
from openoms.shared.errors import ValidationFailed
from tests.builders import (
    add_bins,
    make_carrier_service,
    make_channel,
    make_location,
    make_sku,
    random_code,
    stock,
)
from tests.integration.payment_setup import card, gateways_for
from tests.integration.test_orders import _order


def _carrier(db: Database) -> str:
    """A carrier with one service to NL and DE; returns the service code."""
    return make_carrier_service(
        db,
        countries=("NL", "DE"),
        breaks=[
            {"zone": "NL", "up_to_g": 2000, "base": 495},
            {"zone": "NL", "up_to_g": 10000, "base": 695, "per_kg": 50},
            {"zone": "DE", "up_to_g": 10000, "base": 995},
        ],
        transit_days={"NL": 1, "DE": 2},
    )


def shipped_order(db: Database) -> tuple[str, str, str, str]:
    """An order of one unit picked, packed and shipped: (order, location, shipment,
    tracking number)."""
    service = _carrier(db)
    loc, (bell, _tyre) = _warehouse(db)
    number = _place(db, make_channel(db, locations=(loc,)), LineInput(bell, 1, 1500))
    fo = _fo_of(db, number)
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, bell, actor="picker")
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=100, width_mm=100, height_mm=100, weight_g=300)],
        actor="packer",
    )
    shipped = shipping.ship_and_capture(
        db, gateways_for(db), fo.number, actor="packer", service=service
    )
    return number, loc, shipped.number, shipped.packages[0].tracking_number


def _warehouse(db: Database) -> tuple[str, list[str]]:
    """A warehouse with zones A and B and two SKUs with dimensions, stocked in bins."""
    loc = make_location(db).code
    add_bins(db, loc, ["A-01-01", "A-02-01"], zone="A")
    add_bins(db, loc, ["B-01-01"], zone="B")
    bell, tyre = make_skus_with_size(db)
    stock(db, bell, loc, 5, "A-02-01")
    stock(db, bell, loc, 5, "A-01-01")
    stock(db, tyre, loc, 10, "B-01-01")
    return loc, [bell, tyre]


def make_skus_with_size(db: Database) -> tuple[str, str]:
    from openoms.catalog import services as catalog
    from openoms.catalog.model import Dimensions
    from openoms.catalog.services import ProductSpec
    from tests.builders import sku_spec

    bell = sku_spec(weight_g=200, dimensions=Dimensions(80, 80, 60))
    tyre = sku_spec(weight_g=900, dimensions=Dimensions(600, 600, 50))
    catalog.create_product(
        db.uow(), ProductSpec(code=random_code("P"), name="Bike parts", skus=[bell, tyre])
    )
    return bell.code, tyre.code


def _place(db: Database, channel: str, *lines: LineInput, **extra: object) -> str:
    return place_order(db.uow(), _order(channel, *lines, **extra), actor="test").order.number


def _fo_of(db: Database, number: str) -> work.FulfilmentOrder:
    found = work.list_fulfilment_orders(db.uow(), work.FulfilmentFilter(order_number=number))
    assert len(found) == 1
    return found[0]


def test_an_order_is_picked_by_scanning_packed_shipped_and_tracked_to_the_door(
    db: Database,
) -> None:
    gateways = gateways_for(db)
    service = _carrier(db)
    loc, (bell, tyre) = _warehouse(db)
    channel = make_channel(db, locations=(loc,))
    number = _place(db, channel, LineInput(bell, 2, 1500), LineInput(tyre, 1, 4000))
    order_payments.pay_order(db, gateways, number, card(gateways), actor="shop")

    for code, size, cost in (("S", (250, 200, 150), 60), ("L", (700, 700, 160), 250)):
        setup.save_box(
            db.uow(),
            setup.BoxSpec(random_code(code), f"Box {code}", *size, 300, 20_000, cost, "EUR"),
        )
    fo = _fo_of(db, number)
    assert fo.status is FulfilmentStatus.PENDING
    assert fo.location == loc
    assert {ln.sku: ln.quantity for ln in fo.lines} == {bell: 2, tyre: 1}
    assert fo.ship_by is not None
    assert fo.deliver_by is not None
    assert "cut-off" in fo.promise

    wave = picking.release_wave(
        db.uow(),
        loc,
        picking.WaveCriteria(fulfilment_orders=(fo.number,), strategy=PickStrategy.SINGLE),
        actor="lead",
    )
    assert len(wave.pick_lists) == 1
    plist = wave.pick_lists[0]
    assert [(p.sku, p.bin_code, p.quantity) for p in plist.picks] == [
        (bell, "A-01-01", 2),  # the nearest bin holding the whole line
        (tyre, "B-01-01", 1),
    ]
    first, second = plist.picks
    with pytest.raises(WrongScan, match=f"asks for {bell}"):
        picking.scan(db.uow(), plist.number, tyre, actor="picker", pick_id=first.id)
    with pytest.raises(WrongScan, match="Unknown code"):
        picking.scan(db.uow(), plist.number, "NO-SUCH-CODE", actor="picker")
    barcode = first.barcode
    assert barcode is not None
    done = picking.scan(db.uow(), plist.number, barcode, actor="picker", pick_id=first.id)
    assert done.pick.picked == 1
    assert "1 more to pick here" in done.message
    assert _fo_of(db, number).status is FulfilmentStatus.PICKING
    picking.scan(db.uow(), plist.number, bell, actor="picker")
    with pytest.raises(OverPick):
        picking.scan(db.uow(), plist.number, bell, actor="picker")
    last = picking.scan(db.uow(), plist.number, tyre, actor="picker", pick_id=second.id)
    assert "complete" in last.message
    assert _fo_of(db, number).status is FulfilmentStatus.PICKED

    proposal = shipping.propose_packages(db.uow(), fo.number)
    assert sum(sum(p["items"].values()) for p in proposal.packages) == 3
    with pytest.raises(ValidationFailed, match="input"):
        shipping.pack(
            db.uow(),
            fo.number,
            [shipping.PackageIn(length_mm=700, width_mm=700, height_mm=100, items={bell: 1})],
            actor="packer",
        )
    packed = shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=650, width_mm=650, height_mm=120, weight_g=1500)],
        actor="packer",
    )
    assert packed.status is FulfilmentStatus.PACKED

    options = shipping.rate_options(db.uow(), fo.number)
    assert any(o.service == service for o in options.options)
    shipped = shipping.ship_and_capture(db, gateways, fo.number, actor="packer", service=service)
    (package,) = shipped.packages
    assert is_valid_s10(package.tracking_number)
    assert package.tracking_number.startswith("JD")
    # 650 x 650 x 120 mm / 5000 = 10,140 g dimensional, heavier than the 1.5 kg on the scale
    assert (package.dim_weight_g, package.billable_weight_g) == (10140, 10140)
    assert shipped.rate_amount == 695 + 50 * 1  # one started kg beyond the 10 kg break

    order = get_order(db.uow(), number)
    assert order.status is OrderStatus.SHIPPED
    assert [ln.quantity_shipped for ln in order.lines] == [2, 1]
    assert shipped.value_amount == order.total_amount
    with db.reader() as uow:
        (payment,) = payments_of(uow, order.id)
        assert payment.captured == order.total_amount
        levels = dict(
            uow.conn.execute(
                sa.select(stock_levels.c.sku_code, stock_levels.c.on_hand).where(
                    stock_levels.c.location_code == loc
                )
            ).all()
        )
        assert levels == {bell: 8, tyre: 9}
        kinds = uow.conn.execute(
            sa.select(sa.func.count()).where(stock_movements.c.reference == f"shipment:{fo.number}")
        ).scalar_one()
        assert kinds == 2
        assert verify_ledger(uow) == []

    when = datetime.now(UTC)
    tracking.record_scans(
        db.uow(),
        [
            tracking.ScanIn(package.tracking_number, ShipmentStatus.IN_TRANSIT, when, "Hub"),
            tracking.ScanIn(package.tracking_number, ShipmentStatus.IN_TRANSIT, when, "Hub"),
        ],
        source="carrier",
        actor="carrier",
    )
    with db.reader() as uow:
        assert len(tracking.tracking_history(uow, shipped.number)) == 1  # the same scan twice
    after = tracking.record_scans(
        db.uow(),
        [
            tracking.ScanIn(
                package.tracking_number,
                ShipmentStatus.DELIVERED,
                when + timedelta(hours=5),
                "Utrecht",
            )
        ],
        source="carrier",
        actor="carrier",
    )
    assert after[0].status is ShipmentStatus.DELIVERED
    assert get_order(db.uow(), number).status is OrderStatus.DELIVERED
    kinds = [e.kind for e in timeline(db.uow(), number)]
    assert "status_changed" in kinds
    with pytest.raises(ShipmentNotFound):
        tracking.record_scans(
            db.uow(),
            [tracking.ScanIn("XX000000000NL", ShipmentStatus.IN_TRANSIT, when)],
            source="carrier",
            actor="carrier",
        )


def test_a_batch_wave_sums_units_per_bin_across_orders(db: Database) -> None:
    loc, (bell, tyre) = _warehouse(db)
    channel = make_channel(db, locations=(loc,))
    first = _place(db, channel, LineInput(bell, 1, 1500))
    second = _place(db, channel, LineInput(bell, 2, 1500), LineInput(tyre, 1, 4000))
    fos = (_fo_of(db, first).number, _fo_of(db, second).number)
    wave = picking.release_wave(
        db.uow(),
        loc,
        picking.WaveCriteria(fulfilment_orders=fos, strategy=PickStrategy.BATCH, batch_size=5),
        actor="lead",
    )
    (plist,) = wave.pick_lists
    assert [(p.sku, p.bin_code, p.quantity) for p in plist.picks] == [
        (bell, "A-01-01", 3),
        (tyre, "B-01-01", 1),
    ]
    assert [pt.fulfilment_order for pt in plist.picks[0].parts] == list(fos)
    with pytest.raises(NothingToRelease):
        picking.release_wave(db.uow(), loc, picking.WaveCriteria(fulfilment_orders=fos), actor="x")


def test_a_wave_makes_one_list_per_zone(db: Database) -> None:
    loc, (bell, tyre) = _warehouse(db)
    channel = make_channel(db, locations=(loc,))
    numbers = [
        _place(db, channel, LineInput(bell, 1, 1500), LineInput(tyre, 1, 4000)) for _ in "ab"
    ]
    fos = tuple(_fo_of(db, n).number for n in numbers)
    wave = picking.release_wave(
        db.uow(),
        loc,
        picking.WaveCriteria(fulfilment_orders=fos, strategy=PickStrategy.WAVE),
        actor="lead",
    )
    assert [(pl.zone, pl.units) for pl in wave.pick_lists] == [("A", 2), ("B", 2)]


def test_a_short_pick_writes_off_the_bin_and_sources_the_rest_elsewhere(db: Database) -> None:
    loc, (bell, _tyre) = _warehouse(db)
    other = make_location(db, lat=52.1, lon=5.1).code
    stock(db, bell, other, 3)
    channel = make_channel(db, locations=(loc, other))
    number = _place(db, channel, LineInput(bell, 4, 1500))
    fo = _fo_of(db, number)
    assert fo.location == loc
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    plist = wave.pick_lists[0]
    pick = plist.picks[0]
    picking.scan(db.uow(), plist.number, bell, actor="picker", quantity=1, pick_id=pick.id)
    result = picking.short_pick(db.uow(), plist.number, pick.id, 3, actor="picker")
    assert result.pick.short == 3
    order = get_order(db.uow(), number)
    assert {a.location: a.quantity for a in order.allocations if a.quantity} == {loc: 1, other: 3}
    events = timeline(db.uow(), number)
    assert any(e.kind == "short_pick" for e in events)
    with db.reader() as uow:
        moved = uow.conn.execute(
            sa.select(stock_movements.c.reason, sa.func.sum(stock_movements.c.on_hand_delta))
            .where(stock_movements.c.reference == f"pick:{plist.number}")
            .group_by(stock_movements.c.reason)
        ).all()
        assert ("short_pick", -3) in [tuple(r) for r in moved]
        assert verify_ledger(uow) == []
    assert _fo_of_status(db, fo.number) is FulfilmentStatus.PICKED
    new_work = [
        f
        for f in work.list_fulfilment_orders(db.uow(), work.FulfilmentFilter(order_number=number))
        if f.location == other
    ]
    assert len(new_work) == 1
    assert new_work[0].units == 3


def _fo_of_status(db: Database, fo_number: str) -> FulfilmentStatus:
    return work.get_fulfilment_order(db.uow(), fo_number).status


def test_a_pickup_order_is_handed_over_with_its_code(db: Database) -> None:
    store = make_location(db, kind=LocationKind.STORE).code
    from openoms.locations import services as locations

    locations.update_location(db.uow(), store, {"can_pickup": True})
    bell = make_sku(db)
    stock(db, bell, store, 3)
    channel = make_channel(db, locations=(store,))
    number = _place(db, channel, LineInput(bell, 1, 1500), pickup_location=store)
    fo = _fo_of(db, number)
    assert fo.pickup
    wave = picking.release_wave(
        db.uow(), store, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="store"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, bell, actor="store")
    with pytest.raises(IllegalFulfilmentTransition):
        tracking.collect(db.uow(), fo.number, "000000", actor="store")
    ready = tracking.ready_for_pickup(db.uow(), fo.number, actor="store")
    assert ready.status is FulfilmentStatus.READY_FOR_PICKUP
    assert ready.pickup_code
    wrong = "000000" if ready.pickup_code != "000000" else "111111"
    with pytest.raises(WrongPickupCode):
        tracking.collect(db.uow(), fo.number, wrong, actor="store")
    collected = tracking.collect(db.uow(), fo.number, ready.pickup_code, actor="store")
    assert collected.status is FulfilmentStatus.COLLECTED
    assert get_order(db.uow(), number).status is OrderStatus.DELIVERED
    with db.reader() as uow:
        assert verify_ledger(uow) == []


def test_a_held_order_gets_no_work_and_cannot_be_packed(db: Database) -> None:
    from openoms.orders.lifecycle import hold_order
    from openoms.orders.model import HoldReason

    loc, (bell, _tyre) = _warehouse(db)
    channel = make_channel(db, locations=(loc,))
    number = _place(db, channel, LineInput(bell, 1, 1500))
    fo = _fo_of(db, number)
    hold_order(db.uow(), number, HoldReason.MANUAL, actor="cs", note="customer called")
    assert _fo_of(db, number).status is FulfilmentStatus.CANCELLED  # listing syncs first
    assert fo.status is FulfilmentStatus.PENDING
    # work already picked stays on the floor, but it does not leave while the order is held
    other = _place(db, channel, LineInput(bell, 1, 1500))
    picked = _fo_of(db, other)
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(picked.number,)), actor="lead"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, bell, actor="picker")
    hold_order(db.uow(), other, HoldReason.MANUAL, actor="cs", note="address check")
    assert _fo_of(db, other).status is FulfilmentStatus.PICKED
    with pytest.raises(IllegalOrderTransition, match="on_hold"):
        shipping.pack(db.uow(), picked.number, None, actor="packer")


def test_a_b2b_order_on_terms_is_invoiced_per_shipment_and_ages_until_paid(
    db: Database,
) -> None:
    from openoms.receivables.model import AgingBucket, InvoiceStatus
    from openoms.receivables.services import invoices, quotes
    from openoms.receivables.services.quotes import QuoteLine
    from tests.integration.test_b2b import _company, _quote_input

    gateways = gateways_for(db)
    service = _carrier(db)
    company, email = _company(db)
    channel = make_channel(db, kind="b2b")
    loc, (bell, _tyre) = _warehouse(db)
    quote = quotes.create_quote(
        db,
        _quote_input(company.code, email, channel, bell, lines=[QuoteLine(bell, 4, 1000)]),
        actor="rep",
    )
    quotes.send_quote(db, quote.number, actor="rep")
    _accepted, order = quotes.accept_quote(db, gateways, quote.number, actor="rep")
    fo = _fo_of(db, order.number)
    assert fo.location == loc
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    plist = wave.pick_lists[0]
    picking.scan(db.uow(), plist.number, bell, actor="picker", quantity=2)
    picking.short_pick(db.uow(), plist.number, plist.picks[0].id, 2, actor="picker")
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=300, width_mm=200, height_mm=100, weight_g=800)],
        actor="packer",
    )
    shipped = shipping.ship_and_capture(db, gateways, fo.number, actor="packer", service=service)
    # half of the order left: its value is invoiced on the company's terms, the rest later
    assert shipped.value_amount == order.total_amount // 2
    assert get_order(db.uow(), order.number).status is OrderStatus.PARTIALLY_SHIPPED
    report = invoices.aging_report(db.reader(), datetime.now(UTC).date() + timedelta(days=40))
    (invoice,) = [i for i in report.open_invoices if i.order_number == order.number]
    assert (invoice.total, invoice.status) == (shipped.value_amount, InvoiceStatus.OPEN)
    mine = [r for r in report.report.rows if company.code in r.company_name]
    assert mine[0].amount(AgingBucket.DAYS_1_30).amount_minor == shipped.value_amount
    invoices.record_payment(db, invoice.number, 1000, actor="fin", reference="wire")
    assert invoices.get_invoice(db.reader(), invoice.number).balance == shipped.value_amount - 1000


def test_cash_on_delivery_is_collected_when_the_parcel_is_delivered(db: Database) -> None:
    from openoms.payments.model import PaymentMethod
    from openoms.payments.services.operations import PaymentInput

    gateways = gateways_for(db)
    service = _carrier(db)
    loc, (bell, _tyre) = _warehouse(db)
    number = _place(db, make_channel(db, locations=(loc,)), LineInput(bell, 1, 2500))
    order_payments.pay_order(
        db, gateways, number, PaymentInput(PaymentMethod.CASH_ON_DELIVERY), actor="cs"
    )
    fo = _fo_of(db, number)
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, bell, actor="picker")
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=100, width_mm=100, height_mm=100, weight_g=300)],
        actor="packer",
    )
    shipped = shipping.ship_and_capture(db, gateways, fo.number, actor="packer", service=service)
    assert get_order(db.uow(), number).payment_status == "unpaid"  # nothing taken at the door yet
    (package,) = shipped.packages
    tracking.record_scans(
        db.uow(),
        [tracking.ScanIn(package.tracking_number, ShipmentStatus.DELIVERED, datetime.now(UTC))],
        source="driver",
        actor="driver",
    )
    order = get_order(db.uow(), number)
    assert (order.status, order.payment_status) == (OrderStatus.DELIVERED, "paid")


class FakeCarrierApi:
    """A carrier API that keeps its purchases by idempotency key, like a real one; it can
    lose the answer of its next purchase (the label is bought, the caller never hears)."""

    def __init__(self) -> None:
        self.purchases: dict[str, PurchasedLabel] = {}
        self.lose_next = False
        self.rated: list[tuple[ParcelAddress, list[Parcel]]] = []

    def rates(
        self,
        ship_from: ParcelAddress,
        ship_to: ParcelAddress,
        parcels: list[Parcel],
        *,
        reference: str,
    ) -> list[CarrierRate]:
        assert ship_from.country  # what a label needs
        assert reference
        self.rated.append((ship_to, list(parcels)))
        return [
            CarrierRate("rate-ground", "ups", "ups_ground", "UPS Ground", 1234, "EUR", 2, None),
            CarrierRate("rate-air", "ups", "ups_air", "UPS Air", 4321, "EUR", 1, None),
        ]

    def buy_label(self, rate_id: str, *, idempotency_key: str) -> PurchasedLabel:
        if idempotency_key not in self.purchases:
            self.purchases[idempotency_key] = PurchasedLabel(
                f"1Z{len(self.purchases) + 1:016d}",
                b"%PDF-carrier-label",
                None,
                "ups",
                rate_id,
                1234,
                "EUR",
                f"txn-{len(self.purchases) + 1}",
            )
        if self.lose_next:
            self.lose_next = False
            raise CarrierUnavailable("The carrier did not answer in time.")
        return self.purchases[idempotency_key]

    def track(self, carrier: str, tracking_number: str) -> list[TrackingUpdate]:
        raise AssertionError(f"shipping never asks to track {carrier} {tracking_number}")


def test_a_carrier_with_an_api_sells_its_label_once_even_when_an_answer_is_lost(
    db: Database,
) -> None:
    gateways = gateways_for(db)
    service = make_carrier_service(
        db,
        countries=("NL",),
        breaks=[{"zone": "NL", "up_to_g": 30000, "base": 999}],
        carrier_name="UPS",
        service_name="Ground",
        prefix="UP",
        transit_days={"NL": 2},
        api="shippo",
        api_service="ups_ground",
    )
    loc, (bell, _tyre) = _warehouse(db)
    number = _place(db, make_channel(db, locations=(loc,)), LineInput(bell, 2, 1500))
    fo = _fo_of(db, number)
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, bell, actor="picker", quantity=2)
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=300, width_mm=200, height_mm=100, weight_g=700)],
        actor="packer",
    )
    with pytest.raises(CarrierMisconfigured, match="not configured"):
        shipping.ship_and_capture(db, gateways, fo.number, actor="packer", service=service)
    api = FakeCarrierApi()
    api.lose_next = True
    with pytest.raises(CarrierUnavailable):
        shipping.ship_and_capture(
            db,
            gateways,
            fo.number,
            actor="packer",
            service=service,
            carrier_apis={"shippo": api},
        )
    assert _fo_of_status(db, fo.number) is FulfilmentStatus.PACKED  # nothing recorded
    shipped = shipping.ship_and_capture(
        db, gateways, fo.number, actor="packer", service=service, carrier_apis={"shippo": api}
    )
    assert len(api.purchases) == 1  # the retry got the label bought the first time
    (package,) = shipped.packages
    assert package.tracking_number == "1Z0000000000000001"
    assert (shipped.rate_amount, shipped.rate_currency) == (1234, "EUR")
    assert "Labels bought through shippo" in shipped.rate_reason
    assert api.rated[0][1] == [Parcel(300, 200, 100, 700)]
    assert api.rated[0][0].country == "NL"
    assert paperwork.label_pdf(db.reader(), shipped.number, 1) == b"%PDF-carrier-label"
