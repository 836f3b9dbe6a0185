"""Order numbers: gap-free, taken as the transaction commits, announced with the number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.orders.numbering import OrderNumber
from openoms.orders.orm import orders
from openoms.orders.placement import LineInput, OrderInput, place_order
from tests.builders import address, make_channel, make_location, make_skus, random_code, stock
from tests.sql_events import recorded


def _input(channel: str, sku: str) -> OrderInput:
    return OrderInput(
        channel=channel,
        email=f"{random_code('n').lower()}@example.com",
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
def test_the_created_event_carries_the_final_number(db: Database, shop: tuple[str, str]) -> None:
    channel, sku = shop
    order = place_order(db.uow(), _input(channel, sku), actor="test").order

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
    [sku] = make_skus(postgres_db, 1)
    stock(postgres_db, sku, make_location(postgres_db).code, 1000)
    channel = make_channel(postgres_db)

    with ThreadPoolExecutor(12) as pool:
        placed = list(
            pool.map(
                lambda _: place_order(postgres_db.uow(), _input(channel, sku), actor="t").order,
                range(60),
            )
        )

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
    for seen in sent:  # read back after COMMIT
        assert seen.statements[-1].sql.startswith("SELECT orders.number")
