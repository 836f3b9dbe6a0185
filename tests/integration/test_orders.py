"""Placing orders: pricing, sourcing, reserving, idempotency and the lifecycle, on both engines."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openoms.accounting import services as accounting
from openoms.catalog.model import SkuNotFound
from openoms.customers.model import PostalAddress
from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.inventory.queries import availability
from openoms.inventory.verify import verify_ledger
from openoms.orders import lifecycle, queries
from openoms.orders.model import (
    CurrencyNotSold,
    HoldReason,
    IllegalOrderTransition,
    OrderNotSourceable,
    OrderStatus,
    SpecialCode,
)
from openoms.orders.placement import LineInput, OrderInput, place_order
from openoms.shared.errors import ValidationFailed
from tests.builders import address, make_channel, make_location, make_sku, random_code, stock

UTRECHT = {"latitude": 52.09, "longitude": 5.12}


def _order(channel: str, *lines: LineInput, **extra: object) -> OrderInput:
    values: dict[str, object] = {
        "channel": channel,
        "email": f"{random_code('c').lower()}@example.com",
        "currency": "EUR",
        "lines": list(lines),
        "billing_address": address(**UTRECHT),
        "shipping_address": address(**UTRECHT),
    }
    values.update(extra)
    return OrderInput(**values)  # type: ignore[arg-type]


def _available(db: Database, sku: str) -> int:
    return availability(db.reader(), [sku])[0].available


def test_a_web_order_is_priced_sourced_to_the_nearest_location_and_reserved(db: Database) -> None:
    # given stock near Utrecht (Amsterdam) and far away (Munich), 21 % VAT in NL
    a, b = make_sku(db), make_sku(db)
    near = make_location(db, lat=52.37, lon=4.89).code
    far = make_location(db, lat=48.14, lon=11.58).code
    for sku in (a, b):
        stock(db, sku, near, 5)
        stock(db, sku, far, 5)
    accounting.set_tax_rate(db.uow(), "NL", "", "0.21", "BTW")
    channel = make_channel(db)
    # when
    placed = place_order(
        db.uow(),
        _order(
            channel,
            LineInput(a, 2, 1210),
            LineInput(b, 1, 2420, discount=420),
            shipping_amount=484,
            external_id=random_code("X"),
        ),
        actor="test",
    )
    # then
    order = placed.order
    assert placed.created
    assert order.number.startswith("SO-")
    assert order.status is OrderStatus.ALLOCATED
    assert (order.subtotal_amount, order.discount_amount, order.total_amount) == (4840, 420, 4904)
    assert order.tax_amount == 420 + 347 + 84  # lines 24.20 and 20.00 incl. 21 %, shipping 4.84
    assert {(al.sku, al.location, al.quantity) for al in order.allocations} == {
        (a, near, 2),
        (b, near, 1),
    }
    assert "nearest" in " ".join(order.sourcing)
    assert (_available(db, a), _available(db, b)) == (8, 9)
    kinds = [(e.from_status, e.to_status) for e in queries.timeline(db.reader(), order.number)]
    assert kinds == [(None, "placed"), ("placed", "confirmed"), ("confirmed", "allocated")]
    with db.reader() as uow:
        names = (
            uow.conn.execute(
                sa.select(outbox_events.c.name).where(
                    outbox_events.c.aggregate == f"order:{order.number}"
                )
            )
            .scalars()
            .all()
        )
    assert names == ["order.created"]


def test_the_same_external_id_twice_gives_back_the_first_order(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 10)
    channel = make_channel(db)
    data = _order(channel, LineInput(sku, 2, 1000), external_id=random_code("EXT"))
    first = place_order(db.uow(), data, actor="test")
    again = place_order(db.uow(), data, actor="test")
    assert again.order.number == first.order.number
    assert not again.created
    assert _available(db, sku) == 8


def test_a_split_shipment_when_no_single_location_has_everything(db: Database) -> None:
    a, b = make_sku(db), make_sku(db)
    one, two = make_location(db).code, make_location(db, lat=51.9, lon=4.5).code
    stock(db, a, one, 3)
    stock(db, b, two, 3)
    order = place_order(
        db.uow(), _order(make_channel(db), LineInput(a, 1, 500), LineInput(b, 1, 500)), actor="t"
    ).order
    assert {al.location for al in order.allocations} == {one, two}
    assert order.status is OrderStatus.ALLOCATED


def test_backorder_where_the_channel_allows_and_refusal_where_it_does_not(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 1)
    strict = make_channel(db)
    with pytest.raises(OrderNotSourceable):
        place_order(db.uow(), _order(strict, LineInput(sku, 3, 500)), actor="t")
    assert _available(db, sku) == 1  # the refused order reserved nothing
    lenient = make_channel(db, allow_backorder=True)
    order = place_order(db.uow(), _order(lenient, LineInput(sku, 3, 500)), actor="t").order
    assert order.status is OrderStatus.BACKORDERED
    assert (order.lines[0].quantity_allocated, order.lines[0].quantity_backordered) == (1, 2)


def test_a_pickup_order_is_allocated_at_its_store_only(db: Database) -> None:
    from openoms.locations import services as locations
    from openoms.locations.model import LocationKind

    sku = make_sku(db)
    warehouse = make_location(db).code
    store = make_location(db, kind=LocationKind.STORE).code
    locations.update_location(db.uow(), store, {"can_pickup": True})
    stock(db, sku, warehouse, 10)
    stock(db, sku, store, 2)
    data = _order(
        make_channel(db), LineInput(sku, 2, 500), shipping_address=None, pickup_location=store
    )
    order = place_order(db.uow(), data, actor="t").order
    assert [(al.location, al.quantity) for al in order.allocations] == [(store, 2)]


def test_bad_orders_are_refused_and_leave_nothing(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 5)
    channel = make_channel(db)
    with pytest.raises(CurrencyNotSold):
        place_order(db.uow(), _order(channel, LineInput(sku, 1, 500), currency="USD"), actor="t")
    with pytest.raises(SkuNotFound):
        place_order(db.uow(), _order(channel, LineInput("NOPE", 1, 500)), actor="t")
    with pytest.raises(ValidationFailed) as e:
        place_order(
            db.uow(),
            _order(
                channel,
                LineInput(sku, 0, 500),
                email="not-an-email",
                billing_address=PostalAddress(country="XX"),
            ),
            actor="t",
        )
    fields = {err.field for err in e.value.errors}
    assert {"email", "lines[0].quantity", "billing_address.country"} <= fields
    assert _available(db, sku) == 5


def test_jpy_and_kwd_orders_round_to_their_own_minor_units(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 10)
    accounting.set_tax_rate(db.uow(), "JP", "", "0.10", "consumption tax")
    accounting.set_tax_rate(db.uow(), "KW", "", "0.05", "VAT")
    jp = make_channel(db, currencies=("JPY",))
    kw = make_channel(db, currencies=("KWD",), prices_include_tax=False)
    yen = place_order(
        db.uow(),
        _order(
            jp, LineInput(sku, 1, 1980), currency="JPY", shipping_address=address("JP", "Tokyo")
        ),
        actor="t",
    ).order
    fils = place_order(
        db.uow(),
        _order(
            kw,
            LineInput(sku, 1, 12345),
            currency="KWD",
            shipping_address=address("KW", "Kuwait City"),
        ),
        actor="t",
    ).order
    assert (yen.tax_amount, yen.total_amount) == (180, 1980)
    assert (fils.tax_amount, fils.total_amount) == (617, 12962)


def test_hold_release_and_cancel_follow_the_state_machine(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 4)
    order = place_order(
        db.uow(),
        _order(make_channel(db), LineInput(sku, 3, 500), special_codes=[SpecialCode.RUSH]),
        actor="t",
    ).order
    assert order.priority == 100
    held = lifecycle.hold_order(
        db.uow(), order.number, HoldReason.MANUAL, actor="agent", note="call"
    )
    assert (held.status, held.hold_reason) == (OrderStatus.ON_HOLD, "manual")
    with pytest.raises(IllegalOrderTransition):
        lifecycle.hold_order(db.uow(), order.number, HoldReason.FRAUD, actor="agent")
    released = lifecycle.release_hold(db.uow(), order.number, actor="agent")
    assert released.status is OrderStatus.ALLOCATED
    cancelled = lifecycle.cancel_order(db.uow(), order.number, actor="agent", reason="asked to")
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.lines[0].quantity_cancelled == 3
    assert _available(db, sku) == 4
    with pytest.raises(IllegalOrderTransition):
        lifecycle.cancel_order(db.uow(), order.number, actor="agent", reason="again")
    steps = [e.to_status for e in queries.timeline(db.reader(), order.number) if e.to_status]
    assert steps[-3:] == ["on_hold", "allocated", "cancelled"]
    assert verify_ledger(db.reader()) == []


def test_backorders_get_arriving_stock_rush_first_then_oldest(db: Database) -> None:
    from openoms.inventory.model import AdjustmentReason
    from openoms.inventory.services.stock import adjust_stock
    from openoms.orders.backorders import resource_backorders

    # given two backordered orders for a SKU with no stock; the later one is rush
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 1)
    adjust_stock(db.uow(), location, sku, -1, AdjustmentReason.DAMAGED, actor="t")
    channel = make_channel(db, allow_backorder=True)
    older = place_order(db.uow(), _order(channel, LineInput(sku, 1, 500)), actor="t").order
    rush = place_order(
        db.uow(),
        _order(channel, LineInput(sku, 1, 500), special_codes=[SpecialCode.RUSH]),
        actor="t",
    ).order
    assert (older.status, rush.status) == (OrderStatus.BACKORDERED, OrderStatus.BACKORDERED)
    # when one unit arrives and the job runs
    stock(db, sku, location, 1)
    while resource_backorders(db.uow()):
        pass
    # then the rush order gets it; the older one waits for the next unit
    assert queries.get_order(db.reader(), rush.number).status is OrderStatus.ALLOCATED
    assert queries.get_order(db.reader(), older.number).status is OrderStatus.BACKORDERED
    stock(db, sku, location, 1)
    resource_backorders(db.uow())
    done = queries.get_order(db.reader(), older.number)
    assert done.status is OrderStatus.ALLOCATED
    assert (done.lines[0].quantity_allocated, done.lines[0].quantity_backordered) == (1, 0)
    assert done.allocations[0].location == location
    reasons = [e.reason or "" for e in queries.timeline(db.reader(), older.number)]
    assert reasons[-1].startswith("Stock arrived.")
    assert verify_ledger(db.reader()) == []


def test_cancelling_some_units_takes_backorders_first_then_releases_stock(db: Database) -> None:
    from openoms.orders import changes

    sku, other, location = make_sku(db), make_sku(db), make_location(db).code
    stock(db, sku, location, 2)
    stock(db, other, location, 5)
    channel = make_channel(db, allow_backorder=True)
    order = place_order(
        db.uow(), _order(channel, LineInput(sku, 3, 500), LineInput(other, 2, 500)), actor="t"
    ).order
    assert order.status is OrderStatus.BACKORDERED
    # cancelling 2 of line 1: the backordered unit first, then one reserved unit
    changed = changes.cancel_lines(db.uow(), order.number, {1: 2}, actor="agent", reason="late")
    line = changed.lines[0]
    assert (line.quantity_allocated, line.quantity_backordered, line.quantity_cancelled) == (
        1,
        0,
        2,
    )
    assert changed.status is OrderStatus.ALLOCATED
    assert _available(db, sku) == 1
    with pytest.raises(ValidationFailed):
        changes.cancel_lines(db.uow(), order.number, {1: 2}, actor="agent", reason="too many")
    done = changes.cancel_lines(db.uow(), order.number, {1: 1, 2: 2}, actor="agent", reason="all")
    assert done.status is OrderStatus.CANCELLED
    assert (_available(db, sku), _available(db, other)) == (2, 5)
    assert verify_ledger(db.reader()) == []


def test_a_new_shipping_address_re_sources_the_order(db: Database) -> None:
    from openoms.orders import changes

    sku = make_sku(db)
    amsterdam = make_location(db, lat=52.37, lon=4.89).code
    munich = make_location(db, lat=48.14, lon=11.58).code
    stock(db, sku, amsterdam, 5)
    stock(db, sku, munich, 5)
    order = place_order(db.uow(), _order(make_channel(db), LineInput(sku, 2, 500)), actor="t").order
    assert order.allocations[0].location == amsterdam
    moved = changes.change_shipping_address(
        db.uow(),
        order.number,
        address("DE", "München", latitude=48.15, longitude=11.57),
        actor="agent",
    )
    assert [(a.location, a.quantity) for a in moved.allocations] == [(munich, 2)]
    assert moved.shipping_address is not None
    assert moved.shipping_address["city"] == "München"
    assert availability(db.reader(), [sku])[0].available == 8
    kinds = [e.kind for e in queries.timeline(db.reader(), order.number)]
    assert kinds[-1] == "address_changed"
    lifecycle.cancel_order(db.uow(), order.number, actor="agent", reason="x")
    with pytest.raises(IllegalOrderTransition):
        changes.change_shipping_address(db.uow(), order.number, address(), actor="agent")


def test_a_location_at_its_daily_capacity_is_skipped_for_the_day(db: Database) -> None:
    from openoms.locations import services as locations

    sku = make_sku(db)
    near = make_location(db, lat=52.10, lon=5.10).code
    far = make_location(db, lat=51.90, lon=4.50).code
    locations.update_location(db.uow(), near, {"daily_order_capacity": 1})
    stock(db, sku, near, 10)
    stock(db, sku, far, 10)
    channel = make_channel(db)
    first = place_order(db.uow(), _order(channel, LineInput(sku, 1, 500)), actor="t").order
    second = place_order(db.uow(), _order(channel, LineInput(sku, 1, 500)), actor="t").order
    assert first.allocations[0].location == near
    assert second.allocations[0].location == far
    assert any("capacity" in reason for reason in second.sourcing)


def test_an_order_that_takes_stock_down_to_safety_stock_raises_low_stock(db: Database) -> None:
    from openoms.inventory.services.stock import set_safety_stock

    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 5)
    set_safety_stock(db.uow(), location, sku, 2, actor="t")
    channel = make_channel(db)
    place_order(db.uow(), _order(channel, LineInput(sku, 2, 500)), actor="t")  # 3 -> 1 free
    place_order(db.uow(), _order(channel, LineInput(sku, 1, 500)), actor="t")  # 1 -> 0 free
    with db.reader() as uow:
        events = (
            uow.conn.execute(
                sa.select(outbox_events.c.payload).where(
                    outbox_events.c.name == "inventory.low_stock",
                    outbox_events.c.aggregate == f"stock:{sku}@{location}",
                )
            )
            .scalars()
            .all()
        )
    assert events == [
        {"sku": sku, "location": location, "on_hand": 5, "reserved": 3, "safety_stock": 2}
    ]


def test_a_change_set_adds_and_changes_lines_and_says_the_balance(db: Database) -> None:
    from openoms.orders.change_sets import LineChange, change_lines

    # given an order of 2 x 10.00 EUR (tax included)
    a, b, location = make_sku(db), make_sku(db), make_location(db).code
    stock(db, a, location, 10)
    stock(db, b, location, 10)
    order = place_order(db.uow(), _order(make_channel(db), LineInput(a, 2, 1000)), actor="t").order
    # when line 1 grows to 3 and a line of b at 5.00 is added
    changed = change_lines(
        db.uow(),
        order.number,
        [LineChange(3, line=1), LineChange(1, sku=b, unit_price=500)],
        actor="agent",
    )
    # then stock is reserved for the extra units, totals follow, and the balance is owed
    assert (changed.version, changed.total_before, changed.total_after) == (2, 2000, 3500)
    assert changed.balance == 1500
    lines = {ln.line_no: ln for ln in changed.order.lines}
    assert (lines[1].quantity_ordered, lines[1].quantity_allocated) == (3, 3)
    assert (lines[2].sku, lines[2].quantity_allocated) == (b, 1)
    assert (_available(db, a), _available(db, b)) == (7, 9)
    # when line 1 shrinks to 1: a refund of 20.00
    shrunk = change_lines(db.uow(), order.number, [LineChange(1, line=1)], actor="agent")
    assert shrunk.balance == -2000
    assert _available(db, a) == 9
    event = queries.timeline(db.reader(), order.number)[-1]
    assert (event.kind, event.data["version"], event.data["balance"]) == ("lines_changed", 3, -2000)
    with pytest.raises(ValidationFailed):
        change_lines(db.uow(), order.number, [LineChange(1, line=9)], actor="agent")
    assert verify_ledger(db.reader()) == []


def test_a_channel_never_sells_the_units_its_buffer_holds_back(db: Database) -> None:
    from openoms.channels import services as channel_service

    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 5)
    buffered = make_channel(db, stock_buffer=2)
    assert channel_service.channel_availability(db.reader(), buffered, [sku]) == {sku: 3}
    with pytest.raises(OrderNotSourceable):
        place_order(db.uow(), _order(buffered, LineInput(sku, 4, 500)), actor="t")
    place_order(db.uow(), _order(buffered, LineInput(sku, 3, 500)), actor="t")
    assert channel_service.channel_availability(db.reader(), buffered, [sku]) == {sku: 0}
