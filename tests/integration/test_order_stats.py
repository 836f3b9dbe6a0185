"""The dashboard's figures: orders and revenue by the viewer's local day, channel, status."""

from __future__ import annotations

from datetime import UTC, datetime

from openoms.infra.db import Database
from openoms.orders import lifecycle, stats
from openoms.orders.placement import LineInput, OrderInput, place_order
from openoms.shared import clock
from openoms.shared.scope import Scope
from tests.builders import address, make_channel, make_location, make_skus, random_code, stock

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _order(db: Database, channel: str, sku: str, at: datetime) -> str:
    data = OrderInput(
        channel=channel,
        email=f"{random_code('s').lower()}@example.com",
        currency="EUR",
        lines=[LineInput(sku, 1, unit_price=1000)],
        billing_address=address(),  # type: ignore[arg-type]
        shipping_address=address(),  # type: ignore[arg-type]
    )
    with clock.frozen(at):
        return place_order(db.uow(), data, actor="test").order.number


def test_orders_fall_on_the_viewers_local_day_and_cancelled_ones_earn_nothing(
    db: Database,
) -> None:
    # given three orders of one channel around midnight in Amsterdam (UTC+1 in March)
    [sku] = make_skus(db, 1)
    location = make_location(db).code
    stock(db, sku, location, 10)
    channel = make_channel(db)
    _order(db, channel, sku, datetime(2026, 3, 9, 22, 30, tzinfo=UTC))  # 23:30 on the 9th
    _order(db, channel, sku, datetime(2026, 3, 9, 23, 30, tzinfo=UTC))  # 00:30 on the 10th
    cancelled = _order(db, channel, sku, datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    with clock.frozen(NOW):
        lifecycle.cancel_order(db.uow(), cancelled, actor="test", reason="test")
    mine = Scope(channels=frozenset({channel}))
    # when
    with clock.frozen(NOW):
        amsterdam = stats.dashboard(
            db.reader(), time_zone="Europe/Amsterdam", base_currency="EUR", scope=mine
        )
        utc = stats.dashboard(db.reader(), time_zone="UTC", base_currency="EUR", scope=mine)
    # then
    assert amsterdam.today == stats.Period(orders=2, revenue=1000)
    assert utc.today == stats.Period(orders=1, revenue=0)
    days = {d.isoformat(): (n, r) for d, n, r in amsterdam.by_day if n}
    assert days == {"2026-03-09": (1, 1000), "2026-03-10": (2, 1000)}
    assert amsterdam.week == stats.Period(orders=3, revenue=2000)
    assert amsterdam.by_channel == [(channel, 3, 2000)]
    assert amsterdam.by_status["allocated"] == 2
    assert len(amsterdam.by_day) == 14


def test_a_customers_value_leaves_cancelled_orders_out(db: Database) -> None:
    [sku] = make_skus(db, 1)
    location = make_location(db).code
    stock(db, sku, location, 10)
    channel = make_channel(db)
    email = f"{random_code('v').lower()}@example.com"
    numbers = []
    for day in (1, 2, 3):
        data = OrderInput(
            channel=channel,
            email=email,
            currency="EUR",
            lines=[LineInput(sku, 1, unit_price=2500)],
            billing_address=address(),  # type: ignore[arg-type]
            shipping_address=address(),  # type: ignore[arg-type]
        )
        with clock.frozen(datetime(2026, 3, day, 9, tzinfo=UTC)):
            numbers.append(place_order(db.uow(), data, actor="test").order)
    lifecycle.cancel_order(db.uow(), numbers[0].number, actor="test", reason="test")

    value = stats.customer_value(db.reader(), numbers[0].customer_id)

    assert (value.orders, value.lifetime_value) == (3, 5000)
    assert clock.as_utc(value.first_order_at).day == 1  # type: ignore[arg-type]
    assert clock.as_utc(value.last_order_at).day == 3  # type: ignore[arg-type]
