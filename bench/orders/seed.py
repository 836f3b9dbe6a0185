"""One shop to order from, seeded through the services so the ledger explains every unit."""

from __future__ import annotations

from dataclasses import dataclass

from openoms.accounting import services as accounting
from openoms.catalog import services as catalog
from openoms.catalog.model import SkuSpec
from openoms.catalog.services import ProductSpec
from openoms.channels import services as channels
from openoms.channels.model import ChannelKind, ChannelSpec
from openoms.customers import services as customers
from openoms.identity.model import Permission, Principal
from openoms.identity.services import tokens
from openoms.infra.db import Database
from openoms.inventory.model import StockLine
from openoms.inventory.services.stock import receive_stock
from openoms.locations import services as locations
from openoms.locations.model import Address, LocationKind, LocationSpec
from openoms.shared.money import Money

CHANNEL = "BENCH-WEB"
PRICE_MINOR = 1999
# Orders ship to Utrecht; the first warehouse is the nearest, so every order is sourced there.
DESTINATION = (52.09, 5.12)
LOCATIONS = (
    ("WH-AMS", "Amsterdam", 52.37, 4.89),
    ("WH-RTM", "Rotterdam", 51.92, 4.48),
    ("WH-EIN", "Eindhoven", 51.44, 5.47),
)


@dataclass(frozen=True)
class Shop:
    channel: str
    skus: tuple[str, ...]
    emails: tuple[str, ...]
    location: str  # where the orders are sourced
    token: str  # an API token that may place orders, as a web shop's integration has


def seed_shop(db: Database, sku_count: int, units: int, customer_count: int) -> Shop:
    """Channel, SKUs with EUR prices, 3 stocked warehouses, NL VAT and existing customers."""
    skus = tuple(f"BENCH-{i:05d}" for i in range(sku_count))
    emails = tuple(f"buyer{i:04d}@bench.example" for i in range(customer_count))
    _catalog(db, skus)
    for priority, (code, city, lat, lon) in enumerate(LOCATIONS, start=1):
        locations.create_location(db.uow(), _location(code, city, lat, lon, priority))
        lines = [StockLine(sku, units) for sku in skus]
        receive_stock(db.uow(), code, lines, reference="bench:seed", actor="bench")
    spec = ChannelSpec(CHANNEL, "Bench web shop", ChannelKind.WEB_SHOP, ["EUR"])
    channels.create_channel(db.uow(), spec)
    accounting.set_tax_rate(db.uow(), "NL", "", "0.21", "BTW")
    _customers(db, emails)
    granter = Principal("user", 0, "bench", frozenset(Permission))
    token_spec = tokens.TokenSpec("Bench web shop", [Permission.ORDERS_CREATE])
    token = tokens.issue_token(db.uow(), token_spec, granter=granter).secret
    return Shop(CHANNEL, skus, emails, LOCATIONS[0][0], token)


def _catalog(db: Database, skus: tuple[str, ...]) -> None:
    specs = [
        SkuSpec(code=code, name=f"Bench item {code}", prices={"EUR": Money(PRICE_MINOR, "EUR")})
        for code in skus
    ]
    catalog.create_product(db.uow(), ProductSpec(code="BENCH", name="Bench", skus=specs))


def _customers(db: Database, emails: tuple[str, ...]) -> None:
    with db.uow() as uow:
        for email in emails:
            customers.match_or_create(uow, email, name="Bench Buyer")
        uow.commit()


def _location(code: str, city: str, lat: float, lon: float, priority: int) -> LocationSpec:
    return LocationSpec(
        code=code,
        name=f"Bench {city}",
        kind=LocationKind.WAREHOUSE,
        address=Address("Benchstraat 1", "", city, "1000", "", "NL"),
        latitude=lat,
        longitude=lon,
        timezone="Europe/Amsterdam",
        priority=priority,
        is_active=True,
    )
