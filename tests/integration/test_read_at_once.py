"""Reads that share one round trip (``infra.db.read_at_once``): what placing an order reads
before it writes. Each read must find exactly what it finds alone, in the same order, with
the same values, on both engines; on PostgreSQL they are one statement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.catalog import services as catalog
from openoms.customers import services as customers
from openoms.infra.db import Database, Read, UnitOfWork, driver_sql, read_at_once, run_built
from openoms.inventory.queries import availability
from openoms.inventory.services import reservations as inventory
from openoms.orders.model import Order
from openoms.orders.orm import orders
from openoms.orders.placement import LineInput, NewOrderFacts, OrderInput, place_order
from tests.builders import address, make_channel, make_location, make_skus, random_code, stock
from tests.sql_events import recorded


def _shop(db: Database) -> tuple[list[str], str]:
    """Three SKUs (one unstocked) at two locations, and a known customer's email."""
    skus = make_skus(db, 3)
    near = make_location(db, priority=1, lat=52.3702157, lon=4.8951679).code
    far = make_location(db, priority=2, lat=51.4416, lon=5.4697).code
    for sku in skus[:2]:
        stock(db, sku, near, 5)
        stock(db, sku, far, 7)
    email = f"{random_code('c').lower()}@example.com"
    with db.uow() as uow:
        customers.match_or_create(uow, email, name="Ann")
        uow.commit()
    return skus, email


def test_each_read_finds_what_it_finds_alone_in_the_same_order(db: Database) -> None:
    # given
    skus, email = _shop(db)
    asked = [skus[2], skus[0], "NO-SUCH-SKU", skus[1]]
    with db.reader() as uow:
        alone = (
            catalog.priced_skus(uow, asked, "EUR"),
            customers.customer_id_by_email(uow, email),
            inventory.stock_for_sourcing(uow, sorted(asked)),
        )
        # when
        prices = catalog.priced_skus_read(asked, "EUR")
        customer = customers.customer_by_email_read(uow, email.upper())  # as matched
        rows = inventory.stock_for_sourcing_read(uow, sorted(asked))
        with recorded(db.engine) as sent:
            read_at_once(uow.conn, [prices, customer, rows])
    # then
    assert prices.value() == alone[0]
    assert set(prices.value()) == set(skus)  # the unknown code is simply absent
    assert customer.value() == alone[1]
    assert rows.value() == alone[2]  # floats, NULL capacity and booleans exactly; same order
    assert len(rows.value()) == 4
    if db.engine.dialect.name == "postgresql":
        assert len(sent.statements) == 1


def test_a_read_that_finds_nothing_and_reads_with_the_same_parameter_names(db: Database) -> None:
    # given: two price reads both bind c0, c1 … and currency, with other values
    skus, _email = _shop(db)
    with db.reader() as uow:
        euros = catalog.priced_skus_read(skus[:2], "EUR")
        dollars = catalog.priced_skus_read([skus[2]], "USD")
        nobody = customers.customer_by_email_read(uow, "nobody@example.com")
        # when
        read_at_once(uow.conn, [euros, dollars, nobody])
    # then
    assert {code: p.price for code, p in euros.value().items()} == {skus[0]: 1999, skus[1]: 1999}
    assert {code: p.price for code, p in dollars.value().items()} == {skus[2]: 2199}
    assert nobody.value() is None


@pytest.mark.postgres
def test_columns_come_back_in_order_with_their_types_even_under_one_name(
    postgres_db: Database,
) -> None:
    read = Read(
        "SELECT 1 AS a, 'x' AS a, true AS b, NULL::int AS c, 0.1::float8 AS d,"
        " 12.50::numeric AS e, 7 AS r0, '%%(x)s' AS f"
        " FROM generate_series(1, %(n)s) AS g ORDER BY g DESC",
        {"n": 2},
        parse=list,
        alone=_never,
    )
    with postgres_db.reader() as uow:
        read_at_once(uow.conn, [read])
    # numbers other than integers exactly, as decimals; a column named like the read's
    # alias is a column, not the row; a literal percent sign is no parameter
    row = (1, "x", True, None, Decimal("0.1"), Decimal("12.50"), 7, "%(x)s")
    assert read.value() == [row] * 2
    assert str(read.value()[0][5]) == "12.50"


@pytest.mark.postgres
def test_rows_come_back_in_the_order_the_read_names(postgres_db: Database) -> None:
    read = Read(
        "SELECT g AS n FROM generate_series(1, %(n)s) AS g",
        {"n": 50},
        parse=lambda rows: [r[0] for r in rows],
        alone=_never,
        order_by=("n DESC",),
    )
    with postgres_db.reader() as uow:
        read_at_once(uow.conn, [read])
    assert read.value() == list(range(50, 0, -1))


@pytest.mark.postgres
def test_ordering_by_a_column_the_read_lacks_is_an_error_not_an_outer_value(
    postgres_db: Database,
) -> None:
    read = Read("SELECT 1 AS n", {}, parse=list, alone=_never, order_by=("missing",))
    with postgres_db.reader() as uow, pytest.raises(sa.exc.ProgrammingError, match="missing"):
        read_at_once(uow.conn, [read])


def test_a_read_has_no_value_before_it_has_run(db: Database) -> None:
    with db.reader() as uow:
        read = customers.customer_by_email_read(uow, "a@example.com")
    with pytest.raises(RuntimeError, match="has not run"):
        read.value()


@pytest.mark.postgres
def test_a_failing_read_fails_them_all_with_the_database_error_and_rolls_back(
    postgres_db: Database,
) -> None:
    bad = Read("SELECT CAST(%(v)s AS INTEGER)", {"v": "not a number"}, parse=list, alone=_never)
    with postgres_db.uow() as uow:
        good = customers.customer_by_email_read(uow, "a@example.com")
        with pytest.raises(sa.exc.DataError, match="invalid input syntax"):
            read_at_once(uow.conn, [good, bad])
    with pytest.raises(RuntimeError):
        good.value()
    with postgres_db.reader() as uow:  # the connection went back to the pool in good order
        assert uow.conn.execute(sa.text("SELECT 1")).scalar() == 1


def test_no_sku_is_no_read() -> None:
    with pytest.raises(ValueError, match="no SKU"):
        catalog.priced_skus_read([], "EUR")


def _never(conn: Connection) -> list[tuple[object, ...]]:
    raise AssertionError("runs only with the others on PostgreSQL")


class _CountOrders:
    """A hook whose read, run with the placement's first reads, counts the orders of the
    order's email."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, object]] = []

    def read_first(self, uow: UnitOfWork, order: NewOrderFacts) -> Read[int]:
        query = sa.select(sa.func.count()).where(orders.c.email == order.email)
        sql, params = driver_sql(query, uow.conn.dialect)

        def count(rows: list[tuple[Any, ...]]) -> int:
            return int(rows[0][0])

        return Read(sql, params, parse=count, alone=lambda conn: count(run_built(conn, query, {})))

    def __call__(self, _uow: UnitOfWork, order: Order, read: Read[object] | None) -> object:
        assert read is not None
        self.seen.append((order.id, read.value()))
        return read.value()


def test_a_read_with_the_first_reads_sees_the_database_as_it_was_before_the_order(
    db: Database,
) -> None:
    # given a customer with one order
    skus = make_skus(db, 1)
    stock(db, skus[0], make_location(db).code, 5)
    channel = make_channel(db)
    email = f"{random_code('c').lower()}@example.com"
    hook = _CountOrders()
    order = OrderInput(
        channel=channel,
        email=email,
        currency="EUR",
        lines=[LineInput(skus[0], 1)],
        billing_address=address(),
        shipping_address=address(),
    )
    place_order(db.uow(), order, actor="test")
    # when the next order is placed with a read that counts the customer's orders
    with recorded(db.engine) as sent:
        placed = place_order(db.uow(), order, actor="test", on_placement=hook)
    # then the read counted the earlier order and not the one placed with it
    assert placed.checked == 1
    assert hook.seen == [(placed.order.id, 1)]
    if db.engine.dialect.name == "postgresql":  # and cost no statement of its own
        assert len(sent.statements) == 2


class _BadRead(_CountOrders):
    """A hook whose read's rows cannot be made sense of."""

    def read_first(self, uow: UnitOfWork, order: NewOrderFacts) -> Read[int]:
        read = super().read_first(uow, order)

        def refuse(_found: object) -> int:
            raise ValueError("rows it cannot read")

        return Read(read.sql, read.params, parse=refuse, alone=refuse)


def test_a_read_with_the_order_that_fails_leaves_no_order(db: Database) -> None:
    # given
    skus = make_skus(db, 1)
    stock(db, skus[0], make_location(db).code, 5)
    external = random_code("X")
    order = OrderInput(
        channel=make_channel(db),
        email=f"{random_code('c').lower()}@example.com",
        currency="EUR",
        lines=[LineInput(skus[0], 1)],
        billing_address=address(),
        shipping_address=address(),
        external_id=external,
    )
    # when the hook's read cannot be parsed
    with pytest.raises(ValueError, match="cannot read"):
        place_order(db.uow(), order, actor="test", on_placement=_BadRead())
    # then nothing of the order was kept, and its stock is free
    with db.reader() as uow:
        found = uow.conn.execute(
            sa.select(sa.func.count()).where(orders.c.external_id == external)
        ).scalar()
    assert found == 0
    assert availability(db.reader(), skus)[0].available == 5
