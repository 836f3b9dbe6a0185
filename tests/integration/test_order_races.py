"""Orders under concurrency on PostgreSQL: one order per external id, and no oversell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.inventory.queries import availability
from openoms.inventory.verify import verify_ledger
from openoms.orders.model import OrderNotSourceable, OrderStatus
from openoms.orders.orm import orders
from openoms.orders.placement import LineInput, place_order
from tests.builders import make_channel, make_location, make_sku, random_code, stock
from tests.integration.test_concurrency import _race
from tests.integration.test_orders import _order

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("concurrency")]


@pytest.fixture
def wide(postgres_db: Database, postgres_url: str) -> Iterator[Database]:
    db = Database.from_url(postgres_url, pool_size=64, max_overflow=0)
    yield db
    db.dispose()


def test_twenty_identical_submissions_make_one_order(wide: Database) -> None:
    sku, location = make_sku(wide), make_location(wide).code
    stock(wide, sku, location, 100)
    data = _order(make_channel(wide), LineInput(sku, 1, 1000), external_id=random_code("EXT"))
    numbers = _race(20, lambda _i: place_order(wide.uow(), data, actor="race").order.number)
    assert len(set(numbers)) == 1
    with wide.reader() as uow:
        count = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(orders)
            .where(orders.c.external_id == data.external_id)
        ).scalar()
    assert count == 1
    assert availability(wide.reader(), [sku])[0].available == 99


def test_200_orders_on_hot_skus_across_three_locations_never_oversell(wide: Database) -> None:
    # given 3 hot SKUs with 40 units each spread over 3 locations; one channel backorders
    skus = [make_sku(wide) for _ in range(3)]
    sites = [make_location(wide, lat=52 + i, lon=5 + i).code for i in range(3)]
    for sku in skus:
        for site, units in zip(sites, (20, 12, 8), strict=True):
            stock(wide, sku, site, units)
    strict, lenient = make_channel(wide), make_channel(wide, allow_backorder=True)

    def order(i: int) -> str:
        channel = lenient if i % 4 == 0 else strict
        lines = [LineInput(skus[i % 3], 1, 1000), LineInput(skus[(i + 1) % 3], 1, 1000)]
        try:
            placed = place_order(wide.uow(), _order(channel, *lines), actor="race")
        except OrderNotSourceable:
            return "refused"
        return placed.order.status.value

    # when 200 orders race (in waves of 50 threads)
    results = [r for wave in range(4) for r in _race(50, lambda i, w=wave: order(w * 50 + i))]
    # then
    for entry in availability(wide.reader(), skus):
        assert entry.reserved <= entry.on_hand == 40
    reserved = sum(e.reserved for e in availability(wide.reader(), skus))
    allocated_orders = results.count(OrderStatus.ALLOCATED.value)
    assert reserved >= 2 * allocated_orders
    for i, result in enumerate(results):
        expected = {"allocated", "backordered"} if i % 4 == 0 else {"allocated", "refused"}
        assert result in expected, (i, result)
    assert verify_ledger(wide.reader()) == []
