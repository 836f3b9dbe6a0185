"""Test data with random codes: tests never share rows, so they need no cleanup."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from stdnum import ean

from openoms.catalog import services as catalog
from openoms.catalog.model import SkuSpec
from openoms.catalog.services import ProductSpec
from openoms.identity.model import Permission, Principal, Role, User
from openoms.identity.orm import audit_log
from openoms.identity.services import tokens, users
from openoms.infra.db import Database, UnitOfWork
from openoms.inventory.model import StockLine
from openoms.inventory.services.stock import receive_stock
from openoms.locations import services as locations
from openoms.locations.model import Address, Location, LocationKind, LocationSpec
from openoms.shared import clock
from openoms.shared.money import Money


def random_code(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def random_barcode() -> str:
    body = f"{uuid.uuid4().int % 10**12:012d}"
    return body + ean.calc_check_digit(body)


def sku_spec(code: str | None = None, **overrides: object) -> SkuSpec:
    values: dict[str, object] = {
        "code": code or random_code("SKU"),
        "name": "Test item",
        "barcode": random_barcode(),
        "weight_g": 500,
        "prices": {"EUR": Money(1999, "EUR"), "USD": Money(2199, "USD")},
    }
    values.update(overrides)
    return SkuSpec(**values)  # type: ignore[arg-type]


def make_skus(db: Database, count: int = 1, **product: object) -> list[str]:
    """A product with ``count`` variants; returns their SKU codes."""
    specs = [sku_spec() for _ in range(count)]
    catalog.create_product(
        db.uow(),
        ProductSpec(code=random_code("P"), name="Test product", skus=specs, **product),  # type: ignore[arg-type]
    )
    return [s.code for s in specs]


def make_sku(db: Database, **product: object) -> str:
    return make_skus(db, 1, **product)[0]


def make_location(
    db: Database,
    *,
    priority: int = 100,
    kind: LocationKind = LocationKind.WAREHOUSE,
    lat: float = 52.37,
    lon: float = 4.89,
    is_active: bool = True,
) -> Location:
    spec = LocationSpec(
        code=random_code("L"),
        name="Test location",
        kind=kind,
        address=Address("Street 1", "", "Amsterdam", "1012", "", "NL"),
        latitude=lat,
        longitude=lon,
        timezone="Europe/Amsterdam",
        priority=priority,
        is_active=is_active,
    )
    return locations.create_location(db.uow(), spec)


def add_bins(db: Database, location: str, codes: list[str], zone: str = "A") -> None:
    locations.add_zone(db.uow(), location, zone, f"Zone {zone}")
    locations.add_bins(db.uow(), location, zone, codes)


def stock(
    db: Database, sku: str, location: str, quantity: int, bin_code: str | None = None
) -> None:
    receive_stock(
        db.uow(),
        location,
        [StockLine(sku, quantity, location, bin_code)],
        reference="test",
        actor="test",
    )


def stock_level(db: Database, units: int, safety: int = 0) -> tuple[int, str]:
    """A new SKU stocked with ``units`` at a new location: its stock row's id, and the SKU."""
    from openoms.inventory.orm import stock_levels
    from openoms.inventory.services.stock import set_safety_stock

    sku, site = make_sku(db), make_location(db).code
    stock(db, sku, site, units)
    if safety:
        set_safety_stock(db.uow(), site, sku, safety, actor="test")
    with db.reader() as uow:
        level = uow.conn.execute(
            sa.select(stock_levels.c.id).where(stock_levels.c.sku_code == sku)
        ).scalar_one()
    return int(level), sku


def make_channel(
    db: Database,
    *,
    kind: str = "web_shop",
    currencies: tuple[str, ...] = ("EUR",),
    allow_backorder: bool = False,
    locations: tuple[str, ...] = (),
    policy: str = "nearest",
    prices_include_tax: bool = True,
    stock_buffer: int = 0,
    payment_capture: str = "at_shipment",
    fraud_rules: dict[str, object] | None = None,
) -> str:
    from openoms.channels import services as channels
    from openoms.channels.model import ChannelKind, ChannelSpec
    from openoms.payments.model import CapturePolicy
    from openoms.sourcing.policy import SourcingPolicy

    spec = ChannelSpec(
        code=random_code("CH"),
        name="Test channel",
        kind=ChannelKind(kind),
        currencies=list(currencies),
        locations=list(locations),
        allow_backorder=allow_backorder,
        stock_buffer=stock_buffer,
        sourcing_policy=SourcingPolicy(policy),
        prices_include_tax=prices_include_tax,
        payment_capture=CapturePolicy(payment_capture),
        fraud_rules=fraud_rules,
    )
    return channels.create_channel(db.uow(), spec).code


def address(country: str = "NL", city: str = "Utrecht", **extra: object) -> object:
    from openoms.customers.model import PostalAddress

    values: dict[str, object] = {
        "name": "Sam Buyer",
        "line1": "Oudegracht 1",
        "city": city,
        "postal_code": "3511",
        "country": country,
    }
    values.update(extra)
    return PostalAddress(**values)  # type: ignore[arg-type]


TEST_PASSWORD = "correct horse battery"


def make_user(
    db: Database,
    role: Role = Role.ADMIN,
    *,
    locations: list[str] | None = None,
    channels: list[str] | None = None,
    password: str = TEST_PASSWORD,
) -> User:
    """A fresh active user with a random email."""
    spec = users.UserSpec(
        email=f"{random_code('u').lower()}@example.com",
        name=f"Test {role.value}",
        role=role,
        password=password,
        locations=locations,
        channels=channels,
    )
    return users.create_user(db.uow(), spec, actor="test")


def make_token(
    db: Database,
    permissions: frozenset[Permission] | None = None,
    *,
    locations: list[str] | None = None,
    channels: list[str] | None = None,
) -> str:
    """The secret of a fresh API token (every permission unless given)."""
    granter = Principal(kind="user", id=0, name="test", permissions=frozenset(Permission))
    spec = tokens.TokenSpec(
        name=random_code("token"),
        permissions=sorted(permissions if permissions is not None else Permission),
        locations=locations,
        channels=channels,
    )
    return tokens.issue_token(db.uow(), spec, granter=granter).secret


def make_carrier_service(
    db: Database,
    *,
    countries: tuple[str, ...],
    breaks: list[dict[str, Any]],
    carrier_name: str = "Test Parcel",
    service_name: str = "Standard",
    prefix: str = "JD",
    transit_days: dict[str, int] | None = None,
    api: str | None = None,
    api_service: str | None = None,
) -> str:
    """A carrier with one service, a zone per country (named as the country), these rate
    breaks and transit days (1 day where not given); returns the service code. ``api``:
    the carrier API that buys its labels, ``api_service`` the service's name there."""
    from openoms.fulfillment.services import setup

    carrier = random_code("C")
    setup.save_carrier(
        db.uow(),
        setup.CarrierSpec(
            carrier, carrier_name, "https://track.example/{tracking}", prefix, api=api
        ),
    )
    service = random_code("S")
    setup.save_service(
        db.uow(),
        setup.ServiceSpec(
            carrier=carrier,
            code=service,
            name=service_name,
            currency="EUR",
            zones=[{"zone": c, "country": c} for c in countries],
            breaks=breaks,
            transit_days={c: (transit_days or {}).get(c, 1) for c in countries},
            cutoff="17:00",
            api_service=api_service,
        ),
    )
    return service


def queue_audit_actions(uow: UnitOfWork, actor: str, *actions: str) -> None:
    """Queue an audit entry per action (``UnitOfWork.insert_later``): rows a test can find
    by their actor, to see whether and in what order a unit of work wrote them."""
    for action in actions:
        uow.insert_later(
            audit_log, {"at": clock.now(), "actor": actor, "action": action, "data": {}}
        )


def audit_actions(db: Database, actor: str) -> list[str]:
    """The actions of the actor's audit entries, in the order they were written."""
    with db.reader() as uow:
        return list(
            uow.conn.execute(
                sa.select(audit_log.c.action)
                .where(audit_log.c.actor == actor)
                .order_by(audit_log.c.id)
            ).scalars()
        )
