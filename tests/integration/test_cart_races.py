"""Carts under concurrency on PostgreSQL: the last units go to exactly as many carts as
there are units, and several expiry workers abandon each cart once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openoms.carts.expiry import expire_carts
from openoms.carts.services import add_to_cart, get_cart, set_cart_line
from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.inventory.model import InsufficientStock
from openoms.inventory.queries import availability
from openoms.inventory.verify import verify_ledger
from openoms.shared import clock
from tests.builders import make_channel, make_location, make_sku, stock
from tests.integration.test_carts import new_cart, old_cart
from tests.integration.test_concurrency import _race

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("concurrency")]


@pytest.fixture
def wide(postgres_db: Database, postgres_url: str) -> Iterator[Database]:
    db = Database.from_url(postgres_url, pool_size=64, max_overflow=0)
    yield db
    db.dispose()


def test_30_carts_racing_for_the_last_10_units_reserve_exactly_10(wide: Database) -> None:
    # given 10 units over two locations and 30 open carts
    sku = make_sku(wide)
    stock(wide, sku, make_location(wide, priority=1).code, 6)
    stock(wide, sku, make_location(wide, priority=2).code, 4)
    channel = make_channel(wide)
    tokens = [new_cart(wide, channel).token for _ in range(30)]

    def add(i: int) -> str:
        try:
            add_to_cart(wide.uow(), tokens[i], sku, 1, actor="race")
        except InsufficientStock:
            return "short"
        return "ok"

    # when
    results = _race(30, add)
    # then
    assert results.count("ok") == 10
    [entry] = availability(wide.reader(), [sku])
    assert (entry.on_hand, entry.reserved, entry.available) == (10, 10, 0)
    in_carts = [get_cart(wide.reader(), t).quantities().get(sku, 0) for t in tokens]
    assert sorted(in_carts) == [0] * 20 + [1] * 10
    assert verify_ledger(wide.reader()) == []


def test_carts_growing_and_shrinking_at_once_never_oversell(wide: Database) -> None:
    # given 20 units and 16 carts each holding 1
    sku = make_sku(wide)
    stock(wide, sku, make_location(wide).code, 20)
    channel = make_channel(wide)
    tokens = [new_cart(wide, channel, (sku, 1)).token for _ in range(16)]

    def change(i: int) -> str:
        try:
            set_cart_line(wide.uow(), tokens[i], sku, 4 if i % 2 else 1, actor="race")
        except InsufficientStock:
            return "short"
        return "ok"

    # when half the carts ask for 3 more units
    _race(16, change)
    # then what the carts hold is exactly what is reserved, never more than there is
    held = sum(get_cart(wide.reader(), t).quantities()[sku] for t in tokens)
    [entry] = availability(wide.reader(), [sku])
    assert entry.reserved == held <= 20
    assert verify_ledger(wide.reader()) == []


def test_four_expiry_workers_abandon_each_cart_once(wide: Database) -> None:
    sku = make_sku(wide)
    stock(wide, sku, make_location(wide).code, 50)
    channel = make_channel(wide)
    carts = [old_cart(wide, channel, (sku, 2)) for _ in range(20)]
    tokens = [c.token for c in carts]

    with clock.frozen(max(c.expires_at for c in carts) + timedelta(seconds=1)):
        _race(4, lambda _i: str(expire_carts(wide, limit=1000)))

    with wide.reader() as uow:
        events = uow.conn.execute(
            sa.select(sa.func.count()).where(
                outbox_events.c.name == "cart.abandoned",
                outbox_events.c.aggregate.in_([f"cart:{t}" for t in tokens]),
            )
        ).scalar_one()
    assert events == 20
    assert {get_cart(wide.reader(), t).status.value for t in tokens} == {"abandoned"}
    assert availability(wide.reader(), [sku])[0].available == 50
    assert verify_ledger(wide.reader()) == []
