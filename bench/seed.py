"""Seed a scratch database through the services, so the ledger explains every unit."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from openoms.catalog import services as catalog
from openoms.catalog.model import SkuSpec
from openoms.catalog.services import ProductSpec
from openoms.infra.db import Database
from openoms.inventory.model import StockLine
from openoms.inventory.orm import stock_levels
from openoms.inventory.services.stock import receive_stock
from openoms.locations import services as locations
from openoms.locations.model import Address, LocationKind, LocationSpec
from openoms.shared.money import Money

# The first location ranks best, so a line without a location lands on the same rows.
LOCATIONS = (("WH-MAIN", 10), ("WH-SPARE", 20))


@dataclass(frozen=True)
class Target:
    """One stock row: the SKU code the service takes and the row id the raw UPDATE takes."""

    sku: str
    level_id: int


@dataclass(frozen=True)
class Dataset:
    location: str
    targets: tuple[Target, ...]  # at ``location``, in SKU order


def seed(db: Database, sku_count: int, units: int) -> Dataset:
    codes = [f"BENCH-{i:05d}" for i in range(sku_count)]
    _create_skus(db, codes)
    for code, priority in LOCATIONS:
        locations.create_location(db.uow(), _location_spec(code, priority))
        lines = [StockLine(sku, units) for sku in codes]
        receive_stock(db.uow(), code, lines, reference="bench:seed", actor="bench")
    return Dataset(LOCATIONS[0][0], _targets(db, LOCATIONS[0][0]))


def _create_skus(db: Database, codes: list[str]) -> None:
    specs = [
        SkuSpec(code=code, name=f"Bench item {code}", prices={"EUR": Money(999, "EUR")})
        for code in codes
    ]
    catalog.create_product(db.uow(), ProductSpec(code="BENCH", name="Bench", skus=specs))


def _location_spec(code: str, priority: int) -> LocationSpec:
    return LocationSpec(
        code=code,
        name=f"Bench {code}",
        kind=LocationKind.WAREHOUSE,
        address=Address("Benchstraat 1", "", "Amsterdam", "1012", "", "NL"),
        latitude=52.37,
        longitude=4.89,
        timezone="Europe/Amsterdam",
        priority=priority,
        is_active=True,
    )


def _targets(db: Database, location: str) -> tuple[Target, ...]:
    query = (
        sa.select(stock_levels.c.sku_code, stock_levels.c.id)
        .where(stock_levels.c.location_code == location)
        .order_by(stock_levels.c.sku_id)
    )
    with db.engine.connect() as conn:
        return tuple(Target(sku, level_id) for sku, level_id in conn.execute(query))
