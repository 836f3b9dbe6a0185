"""Order numbers: gap-free, taken after the stock locks (by the statement that holds an
order's stock, or at COMMIT), announced with the number."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import sqlalchemy as sa

from openoms.identity.orm import audit_log
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.outbox import outbox_events
from openoms.inventory.orm import stock_levels
from openoms.inventory.verify import verify_ledger
from openoms.orders.model import Order
from openoms.orders.numbering import OrderNumber
from openoms.orders.orm import orders
from openoms.orders.placement import LineInput, NewOrderFacts, OrderInput, place_order
from openoms.shared import clock
from openoms.shared.errors import OmsError
from tests.builders import (
    address,
    audit_actions,
    make_channel,
    make_location,
    make_skus,
    random_code,
    stock,
)
from tests.sql_events import recorded


def _input(channel: str, sku: str, email: str | None = None) -> OrderInput:
    return OrderInput(
        channel=channel,
        email=email or f"{random_code('n').lower()}@example.com",
        currency="EUR",
        lines=[LineInput(sku, 1, unit_price=1000)],
        billing_address=address(),  # type: ignore[arg-type]
        shipping_address=address(),  # type: ignore[arg-type]
    )


def _serial(number: str) -> int:
    assert number.startswith("SO-")
    return int(number.removeprefix("SO-"))


@pytest.fixture
def shop(db: Database) -> tuple[str, str]:
    [sku] = make_skus(db, 1)
    stock(db, sku, make_location(db).code, 1000)
    return make_channel(db), sku


@pytest.mark.xdist_group("order_numbers")
def test_a_rolled_back_order_gives_its_number_back(db: Database, shop: tuple[str, str]) -> None:
    channel, sku = shop
    first = place_order(db.uow(), _input(channel, sku), actor="test").order
    # when an order row is written and its transaction rolled back
    with db.uow() as uow:
        number = OrderNumber(uow.conn)
        row = uow.conn.execute(sa.select(orders).where(orders.c.id == first.id)).mappings().one()
        values = {k: v for k, v in row.items() if k != "id"}
        uow.conn.execute(
            orders.insert().values(**{**values, "number": number.provisional, "external_id": None})
        )
        # leaving without commit
    # then the next order takes the number the rolled-back one would have had
    second = place_order(db.uow(), _input(channel, sku), actor="test").order
    assert _serial(second.number) == _serial(first.number) + 1


@pytest.mark.xdist_group("order_numbers")
@pytest.mark.parametrize("customer", ["new", "known"])
def test_the_created_event_carries_the_final_number(
    db: Database, shop: tuple[str, str], customer: str
) -> None:
    """A new customer's order is numbered at COMMIT (PostgreSQL), a known customer's by the
    statement that holds its stock: the same row and the same one event either way."""
    channel, sku = shop
    email = None
    if customer == "known":
        email = place_order(db.uow(), _input(channel, sku), actor="test").order.email
    order = place_order(db.uow(), _input(channel, sku, email), actor="test").order

    with db.reader() as uow:
        stored = uow.conn.execute(
            sa.select(orders.c.number).where(orders.c.id == order.id)
        ).scalar()
        event = (
            uow.conn.execute(
                sa.select(outbox_events).where(outbox_events.c.aggregate == f"order:{order.number}")
            )
            .mappings()
            .one()
        )
    assert stored == order.number
    assert event["name"] == "order.created"
    assert event["payload"] == {
        "number": order.number,
        "channel": channel,
        "status": "allocated",
        "total_amount": order.total_amount,
        "currency": "EUR",
    }


@pytest.mark.postgres
@pytest.mark.xdist_group("concurrency")
def test_concurrent_orders_get_consecutive_numbers(postgres_db: Database) -> None:
    """Known customers' orders (numbered by the statement that holds their stock) and new
    customers' (numbered at COMMIT) at once: one counter, no number twice, none skipped."""
    [sku] = make_skus(postgres_db, 1)
    stock(postgres_db, sku, make_location(postgres_db).code, 1000)
    channel = make_channel(postgres_db)
    known = [
        place_order(postgres_db.uow(), _input(channel, sku), actor="t").order.email
        for _ in range(3)
    ]

    def one(i: int) -> Order:
        email = known[i % 3] if i % 2 == 0 else None
        return place_order(postgres_db.uow(), _input(channel, sku, email), actor="t").order

    with ThreadPoolExecutor(12) as pool:
        placed = list(pool.map(one, range(60)))

    numbers = [o.number for o in placed]
    with postgres_db.reader() as uow:  # each as the trigger told its own connection
        stored = dict(
            uow.conn.execute(
                sa.select(orders.c.id, orders.c.number).where(
                    orders.c.id.in_([o.id for o in placed])
                )
            ).all()
        )
    assert {o.id: o.number for o in placed} == stored
    serials = sorted(_serial(n) for n in numbers)
    assert len(set(serials)) == 60
    with postgres_db.reader() as uow:
        between = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(orders)
            .where(orders.c.number.between(numbers and min(numbers), max(numbers)))
        ).scalar_one()
    assert between == serials[-1] - serials[0] + 1  # no number skipped in between
    with postgres_db.reader() as uow:
        created = uow.conn.execute(
            sa.select(outbox_events.c.aggregate, sa.func.count())
            .where(
                outbox_events.c.name == "order.created",
                outbox_events.c.aggregate.in_([f"order:{n}" for n in numbers]),
            )
            .group_by(outbox_events.c.aggregate)
        ).all()
    assert sorted(created) == sorted((f"order:{n}", 1) for n in numbers)


class _TakesTheStock:
    """A screening hook that, once, lets another order take every unit left after the
    order was planned and before its stock is held."""

    def __init__(self, db: Database, channel: str, sku: str, units: int) -> None:
        self.db, self.channel, self.sku, self.units = db, channel, sku, units
        self.calls = 0

    def read_first(self, _uow: UnitOfWork, _order: NewOrderFacts) -> None:
        return None

    def __call__(self, _uow: UnitOfWork, _order: Order, _read: object) -> None:
        self.calls += 1
        if self.calls == 1:
            other = replace(
                _input(self.channel, self.sku), lines=[LineInput(self.sku, self.units, 1000)]
            )
            place_order(self.db.uow(), other, actor="t")


@pytest.mark.postgres
def test_a_hold_that_fails_takes_no_number(postgres_db: Database) -> None:
    """A known customer's order is numbered by the statement that holds its stock; when
    that statement finds the stock gone, it fails as a whole and the counter is untouched:
    the order is planned again, and with no stock left it is refused without a number."""
    [sku] = make_skus(postgres_db, 1)
    location = make_location(postgres_db).code
    stock(postgres_db, sku, location, 10)
    channel = make_channel(postgres_db)
    first = place_order(postgres_db.uow(), _input(channel, sku), actor="t").order
    hook = _TakesTheStock(postgres_db, channel, sku, 9)

    with recorded(postgres_db.engine) as seen, pytest.raises(OmsError):
        place_order(
            postgres_db.uow(), _input(channel, sku, first.email), actor="t", on_placement=hook
        )

    assert hook.calls == 1  # planned again: nothing left to plan with
    assert sum("INSERT INTO sequences" in sent.sql for sent in seen.statements) == 1
    stock(postgres_db, sku, location, 5)
    after = place_order(postgres_db.uow(), _input(channel, sku, first.email), actor="t").order
    # the number after the other order's: none was taken by the order that failed
    assert _serial(after.number) == _serial(first.number) + 2
    assert verify_ledger(postgres_db.reader()) == []


@pytest.mark.postgres
def test_the_number_is_read_back_where_notices_are_not_sent(postgres_url: str) -> None:
    """A server (or role) with ``client_min_messages`` above NOTICE does not tell the
    connection the number at COMMIT: it is read back instead."""
    quiet = Database.from_url(f"{postgres_url}?options=-c%20client_min_messages%3Dwarning")
    try:
        [sku] = make_skus(quiet, 1)
        stock(quiet, sku, make_location(quiet).code, 10)
        channel = make_channel(quiet)
        first = _input(channel, sku)
        again = replace(first, external_id=random_code("X"))  # a known customer's: one write
        placed, sent = [], []
        for data in (first, again):
            with recorded(quiet.engine) as seen:
                placed.append(place_order(quiet.uow(), data, actor="t").order)
            sent.append(seen)
        with quiet.reader() as uow:
            stored = list(
                uow.conn.execute(
                    sa.select(orders.c.number)
                    .where(orders.c.id.in_([o.id for o in placed]))
                    .order_by(orders.c.id)
                ).scalars()
            )
    finally:
        quiet.dispose()
    assert [o.number for o in placed] == stored
    assert _serial(placed[1].number) == _serial(placed[0].number) + 1
    # the new customer's, numbered at COMMIT, read back after it
    assert sent[0].statements[-1].sql.startswith("SELECT orders.number")
    # the known customer's, numbered by its one write, which returns the number
    assert len(sent[1].statements) == 2
    assert "INSERT INTO sequences" in sent[1].statements[-1].sql


@pytest.mark.postgres
@pytest.mark.parametrize("shape", ["pickup", "partly_backordered", "special_codes"])
def test_an_order_numbered_by_its_hold_reads_back_as_it_was_answered(
    postgres_db: Database, shape: str
) -> None:
    """A known customer's order, numbered and written by the statement that holds its stock,
    in the shapes whose columns differ: no shipping address, backordered units, a priority."""
    from openoms.locations import services as locations
    from openoms.locations.model import LocationKind
    from openoms.orders.model import SpecialCode
    from openoms.orders.queries import get_order

    [sku] = make_skus(postgres_db, 1)
    store = make_location(postgres_db, kind=LocationKind.STORE).code
    locations.update_location(postgres_db.uow(), store, {"can_pickup": True})
    stock(postgres_db, sku, store, 3)
    stock(postgres_db, sku, make_location(postgres_db).code, 3)  # a warehouse ships the rest
    channel = make_channel(postgres_db, allow_backorder=True)
    known = place_order(postgres_db.uow(), _input(channel, sku), actor="t").order
    data = _input(channel, sku, known.email)
    if shape == "pickup":
        data = replace(data, shipping_address=None, pickup_location=store)
    elif shape == "partly_backordered":
        data = replace(data, lines=[LineInput(sku, 9, 1000)])
    else:
        data = replace(data, special_codes=[SpecialCode.VIP, SpecialCode.RUSH])

    with recorded(postgres_db.engine) as seen:
        answered = place_order(postgres_db.uow(), data, actor="t").order

    assert sum("INSERT INTO sequences" in sent.sql for sent in seen.statements) == 1
    assert _serial(answered.number) == _serial(known.number) + 1
    stored = get_order(postgres_db.reader(), answered.number)
    for field in (
        "id",
        "number",
        "status",
        "priority",
        "special_codes",
        "shipping_address",
        "pickup_location",
        "billing_address",
        "total_amount",
        "base_total_amount",
        "sourcing",
        "placed_at",
        "tags",
    ):
        assert getattr(stored, field) == getattr(answered, field), field
    assert [(ln.quantity_allocated, ln.quantity_backordered) for ln in stored.lines] == [
        (ln.quantity_allocated, ln.quantity_backordered) for ln in answered.lines
    ]
    assert verify_ledger(postgres_db.reader()) == []


@pytest.mark.postgres
def test_an_order_sent_again_while_the_first_is_open_waits_holding_nothing(
    postgres_db: Database,
) -> None:
    """The same (channel, external id) from two transactions: the first written with a
    provisional number and not committed yet (as under an Idempotency-Key), the second a
    known customer's order, numbered by its hold. The second waits for the first before it
    locks any stock row or the counter: a third order for the same SKU goes through
    meanwhile, the first commits without a deadlock, and the second answers with it."""
    [sku] = make_skus(postgres_db, 1)
    stock(postgres_db, sku, make_location(postgres_db).code, 100)
    channel = make_channel(postgres_db)
    known = place_order(postgres_db.uow(), _input(channel, sku), actor="t").order
    external_id = random_code("EXT")

    with ThreadPoolExecutor(2) as pool, postgres_db.uow() as first:
        row = first.conn.execute(sa.select(orders).where(orders.c.id == known.id)).mappings().one()
        values = {k: v for k, v in row.items() if k != "id"}
        provisional = OrderNumber(first.conn).provisional
        first.conn.execute(
            orders.insert().values(**{**values, "number": provisional, "external_id": external_id})
        )
        again = replace(_input(channel, sku, known.email), external_id=external_id)
        second = pool.submit(place_order, postgres_db.uow(), again, actor="t")
        time.sleep(0.3)  # the second is waiting for the first by now
        assert not second.done()
        third = pool.submit(
            place_order, postgres_db.uow(), _input(channel, sku, known.email), actor="t"
        )
        assert third.result(timeout=20).order.status.value == "allocated"
        assert not second.done()
        first.commit()  # numbered by the trigger: the counter is free

    placed = second.result(timeout=20)
    assert not placed.created
    with postgres_db.reader() as uow:
        stored = (
            uow.conn.execute(sa.select(orders.c.number).where(orders.c.external_id == external_id))
            .scalars()
            .all()
        )
    assert stored == [placed.order.number]
    assert verify_ledger(postgres_db.reader()) == []


@pytest.mark.postgres
def test_an_order_waiting_for_its_stock_holds_no_number(postgres_db: Database) -> None:
    """A known customer's order, numbered by its hold, that waits for a stock row another
    transaction holds does not hold the counter meanwhile: an order for another SKU takes the
    next number, and the waiting one the number after it."""
    hot, other = make_skus(postgres_db, 2)
    location = make_location(postgres_db).code
    stock(postgres_db, hot, location, 10)
    stock(postgres_db, other, location, 10)
    channel = make_channel(postgres_db)
    known = place_order(postgres_db.uow(), _input(channel, hot), actor="t").order

    with ThreadPoolExecutor(2) as pool, postgres_db.uow() as blocker:
        blocker.conn.execute(
            sa.select(stock_levels.c.id).where(stock_levels.c.sku_code == hot).with_for_update()
        ).all()
        waiting = pool.submit(place_order, postgres_db.uow(), _sent(channel, hot, known), actor="t")
        time.sleep(0.3)  # waiting for the stock row by now
        assert not waiting.done()
        passing = pool.submit(
            place_order, postgres_db.uow(), _sent(channel, other, known), actor="t"
        ).result(timeout=20)
        assert not waiting.done()
        blocker.commit()

    assert _serial(passing.order.number) == _serial(known.number) + 1
    assert _serial(waiting.result(timeout=20).order.number) == _serial(known.number) + 2


def _sent(channel: str, sku: str, customer: Order) -> OrderInput:
    """A known customer's order with an external id, as a channel sends it."""
    return replace(_input(channel, sku, customer.email), external_id=random_code("X"))


class _WritesOnPlacement:
    """A screening hook that writes (so the unit of work begins its transaction) instead of
    only queueing rows."""

    def __init__(self, actor: str) -> None:
        self.actor = actor

    def read_first(self, _uow: UnitOfWork, _order: NewOrderFacts) -> None:
        return None

    def __call__(self, uow: UnitOfWork, _order: Order, _read: object) -> None:
        uow.conn.execute(
            sa.insert(audit_log).values(at=clock.now(), actor=self.actor, action="x", data={})
        )


@pytest.mark.postgres
def test_an_order_whose_hook_began_the_transaction_is_numbered_at_commit(
    postgres_db: Database,
) -> None:
    [sku] = make_skus(postgres_db, 1)
    stock(postgres_db, sku, make_location(postgres_db).code, 10)
    channel = make_channel(postgres_db)
    known = place_order(postgres_db.uow(), _input(channel, sku), actor="t").order
    actor = random_code("user:")

    with recorded(postgres_db.engine) as seen:
        order = place_order(
            postgres_db.uow(),
            _input(channel, sku, known.email),
            actor="t",
            on_placement=_WritesOnPlacement(actor),
        ).order

    assert not any("INSERT INTO sequences" in sent.sql for sent in seen.statements)
    assert _serial(order.number) == _serial(known.number) + 1
    assert audit_actions(postgres_db, actor) == ["x"]
    with postgres_db.reader() as uow:
        stored = uow.conn.execute(
            sa.select(orders.c.number).where(orders.c.id == order.id)
        ).scalar_one()
        created = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(outbox_events)
            .where(outbox_events.c.aggregate == f"order:{order.number}")
        ).scalar_one()
    assert (stored, created) == (order.number, 1)
