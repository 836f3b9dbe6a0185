"""The ids the raw-SQL ceiling writes with, read once from its seeded database."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from bench.orders.seed import Shop
from openoms.catalog.orm import skus
from openoms.channels.orm import channels
from openoms.customers.orm import customers
from openoms.infra.db import Database
from openoms.inventory.orm import stock_levels


@dataclass(frozen=True)
class Item:
    sku_id: int
    code: str
    name: str
    level_id: int  # its stock row at the location the orders are sourced from


@dataclass(frozen=True)
class RawShop:
    channel_id: int
    channel: str
    customers: tuple[tuple[int, str], ...]  # (id, email)
    items: tuple[Item, ...]  # in the order of Shop.skus: the first ones are the hot SKUs


def load_raw_shop(db: Database, shop: Shop) -> RawShop:
    with db.engine.connect() as conn:
        channel_id = conn.execute(
            sa.select(channels.c.id).where(channels.c.code == shop.channel)
        ).scalar_one()
        buyers = conn.execute(
            sa.select(customers.c.id, customers.c.email).where(customers.c.email.in_(shop.emails))
        ).all()
        rows = conn.execute(
            sa.select(skus.c.id, skus.c.code, skus.c.name, stock_levels.c.id)
            .join(stock_levels, stock_levels.c.sku_id == skus.c.id)
            .where(stock_levels.c.location_code == shop.location)
        ).all()
    by_code = {code: Item(sku_id, code, name, level) for sku_id, code, name, level in rows}
    return RawShop(
        channel_id,
        shop.channel,
        tuple((int(i), str(e)) for i, e in buyers),
        tuple(by_code[code] for code in shop.skus),
    )
