"""Many connections at once: stock never oversells and the ledger still explains every unit.

The PostgreSQL tests use real concurrent connections (row locks, READ COMMITTED
re-evaluation of the guarded UPDATE). SQLite serialises writers with BEGIN IMMEDIATE and a
busy timeout; its test checks that nobody fails with "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from openoms.infra.db import Database
from openoms.inventory.model import InsufficientStock, OwnerType, StockLine
from openoms.inventory.queries import availability
from openoms.inventory.services.reservations import reserve_stock
from openoms.inventory.services.stock import receive_stock
from openoms.inventory.verify import verify_ledger
from tests.builders import make_location, make_sku, random_code, stock

pytestmark = pytest.mark.xdist_group("concurrency")


def _race(workers: int, action: Callable[[int], str]) -> list[str]:
    """Run ``action`` in ``workers`` threads released at the same instant."""
    barrier = threading.Barrier(workers)

    def run(i: int) -> str:
        barrier.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))


def _reserve_one(db: Database, sku: str) -> str:
    try:
        reserve_stock(
            db.uow(),
            [StockLine(sku, 1)],
            owner_type=OwnerType.CART,
            owner_ref=random_code("C"),
            actor="race",
        )
    except InsufficientStock:
        return "short"
    return "ok"


@pytest.fixture
def wide_postgres(postgres_db: Database, postgres_url: str) -> Iterator[Database]:
    """Its own engine (on the migrated test database) with room for 64 connections."""
    db = Database.from_url(postgres_url, pool_size=64, max_overflow=0)
    yield db
    db.dispose()


@pytest.mark.postgres
def test_64_connections_race_for_10_units_and_exactly_10_win(wide_postgres: Database) -> None:
    # given 10 units across two locations
    db = wide_postgres
    sku = make_sku(db)
    stock(db, sku, make_location(db, priority=1).code, 6)
    stock(db, sku, make_location(db, priority=2).code, 4)
    # when 64 clients each try to reserve one
    results = _race(64, lambda _i: _reserve_one(db, sku))
    # then
    assert results.count("ok") == 10
    assert results.count("short") == 54
    [entry] = availability(db.reader(), [sku])
    assert (entry.on_hand, entry.reserved, entry.available) == (10, 10, 0)
    assert verify_ledger(db.reader()) == []


@pytest.mark.postgres
def test_receipts_racing_reservations_never_oversell(wide_postgres: Database) -> None:
    # given a SKU with no stock yet at a new location
    db = wide_postgres
    sku, location = make_sku(db), make_location(db).code

    def act(i: int) -> str:
        if i % 4 == 0:  # 16 receivers, each books in 2 units
            receive_stock(db.uow(), location, [StockLine(sku, 2)], reference=f"r{i}", actor="race")
            return "received"
        return _reserve_one(db, sku)

    # when
    results = _race(64, act)
    # then: 32 units arrived; at most 32 of the 48 reservers won; levels match the ledger
    won = results.count("ok")
    [entry] = availability(db.reader(), [sku])
    assert results.count("received") == 16
    assert entry.on_hand == 32
    assert entry.reserved == won <= 32
    assert verify_ledger(db.reader()) == []


@pytest.mark.postgres
def test_first_receipts_for_a_new_sku_and_location_do_not_race(wide_postgres: Database) -> None:
    db = wide_postgres
    sku, location = make_sku(db), make_location(db).code
    _race(
        32,
        lambda i: str(
            receive_stock(db.uow(), location, [StockLine(sku, 1)], reference=f"r{i}", actor="race")
        ),
    )
    [entry] = availability(db.reader(), [sku])
    assert len(entry.locations) == 1
    assert entry.on_hand == 32


@pytest.mark.postgres
def test_multi_line_requests_in_opposite_orders_do_not_deadlock(wide_postgres: Database) -> None:
    db = wide_postgres
    a, b, location = make_sku(db), make_sku(db), make_location(db).code
    stock(db, a, location, 1000)
    stock(db, b, location, 1000)

    def act(i: int) -> str:
        lines = [StockLine(a, 1), StockLine(b, 1)]
        reserve_stock(
            db.uow(),
            lines if i % 2 else lines[::-1],
            owner_type=OwnerType.CART,
            owner_ref=f"c{i}",
            actor="race",
        )
        return "ok"

    assert _race(48, act).count("ok") == 48
    assert verify_ledger(db.reader()) == []


def test_sqlite_writers_queue_instead_of_failing_with_database_locked(sqlite_db: Database) -> None:
    db = sqlite_db
    sku = make_sku(db)
    stock(db, sku, make_location(db).code, 10)
    results = _race(24, lambda _i: _reserve_one(db, sku))
    assert (results.count("ok"), results.count("short")) == (10, 14)
    assert verify_ledger(db.reader()) == []
