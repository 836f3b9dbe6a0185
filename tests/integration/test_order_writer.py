"""What placing an order stores, value by value, as the SQLAlchemy types would store it."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.locations import services as locations
from openoms.locations.model import LocationKind
from openoms.orders.orm import order_events, orders
from openoms.orders.placement import LineInput, OrderInput, place_order
from tests.builders import address, make_channel, make_location, make_skus, random_code, stock


def test_a_pickup_order_without_a_shipping_address_stores_json_null_and_aware_times(
    db: Database,
) -> None:
    [sku] = make_skus(db, 1)
    store = make_location(db, kind=LocationKind.STORE).code
    locations.update_location(db.uow(), store, {"can_pickup": True})
    stock(db, sku, store, 5)
    channel = make_channel(db)
    data = OrderInput(
        channel=channel,
        email=f"{random_code('w').lower()}@example.com",
        currency="EUR",
        lines=[LineInput(sku, 1, unit_price=1000)],
        billing_address=address(),  # type: ignore[arg-type]
        pickup_location=store,
        tags=["vip", "gift"],
    )
    order = place_order(db.uow(), data, actor="test").order
    with db.reader() as uow:
        row = uow.conn.execute(sa.select(orders).where(orders.c.id == order.id)).mappings().one()
        events = uow.conn.execute(
            sa.select(order_events.c.at, order_events.c.data).where(
                order_events.c.order_id == order.id
            )
        ).all()
        if db.engine.dialect.name == "postgresql":
            # JSON null, as SQLAlchemy's JSON type writes None, not SQL NULL: a report's
            # "shipping_address IS NULL" means the same for every order
            kind = uow.conn.execute(
                sa.select(sa.func.jsonb_typeof(orders.c.shipping_address)).where(
                    orders.c.id == order.id
                )
            ).scalar_one()
            assert kind == "null"
    assert row["shipping_address"] is None
    assert row["billing_address"] == order.billing_address
    assert row["tags"] == ["vip", "gift"]
    assert row["placed_at"] == order.placed_at
    assert row["placed_at"].tzinfo is not None
    assert len(events) == 3
    assert all(at == order.placed_at for at, _data in events)
    assert events[-1].data["locations"]
