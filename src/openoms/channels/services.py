"""Channel use cases: configure channels, and what each may sell right now."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openoms.channels.model import (
    Channel,
    ChannelInactive,
    ChannelKind,
    ChannelNotFound,
    ChannelSpec,
    DuplicateChannel,
)
from openoms.channels.orm import channels
from openoms.infra.config_cache import ConfigCache
from openoms.infra.db import UnitOfWork
from openoms.inventory import queries as inventory
from openoms.payments.model import CapturePolicy
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.sourcing.policy import SourcingPolicy

_cache = ConfigCache()


def create_channel(uow: UnitOfWork, spec: ChannelSpec) -> Channel:
    """Raises: ValidationFailed, DuplicateChannel."""
    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    with uow:
        if _find(uow.conn, spec.code) is not None:
            raise DuplicateChannel(f"Channel '{spec.code}' already exists.", code=spec.code)
        now = clock.now()
        uow.conn.execute(channels.insert().values(**_values(spec), created_at=now, updated_at=now))
        created = _find(uow.conn, spec.code)
        uow.commit()
    assert created is not None
    return created


def update_channel(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> Channel:
    """Change anything but the code. Raises: ChannelNotFound, ValidationFailed."""
    with uow:
        current = get_in_transaction(uow, code)
        spec = replace(current.spec, **{k: v for k, v in changes.items() if k != "code"})
        errors = spec.check()
        if errors:
            raise ValidationFailed(errors)
        uow.conn.execute(
            channels.update()
            .where(channels.c.id == current.id)
            .values(**_values(spec), updated_at=clock.now())
        )
        uow.commit()
    _cache.forget((uow.database_key, code))
    return Channel(current.id, spec)


def get_channel(uow: UnitOfWork, code: str) -> Channel:
    """Raises: ChannelNotFound."""
    with uow:
        return get_in_transaction(uow, code)


def get_in_transaction(uow: UnitOfWork, code: str) -> Channel:
    """For other domains inside their unit of work. Raises: ChannelNotFound."""
    found = _find(uow.conn, code)
    if found is None:
        raise ChannelNotFound(f"No channel with code '{code}'.", code=code)
    return found


def active_channel(uow: UnitOfWork, code: str) -> Channel:
    """The channel for an incoming order, from a short-lived cache (see infra.config_cache).

    Raises: ChannelNotFound, ChannelInactive.
    """
    channel = _cache.get((uow.database_key, code), lambda: get_in_transaction(uow, code))
    if not channel.spec.is_active:
        raise ChannelInactive(f"Channel '{code}' is not active.", code=code)
    return channel


def list_channels(uow: UnitOfWork) -> list[Channel]:
    with uow:
        rows = uow.conn.execute(sa.select(channels).order_by(channels.c.code))
        return [_channel(r) for r in rows]


def channel_availability(uow: UnitOfWork, code: str, skus: list[str]) -> dict[str, int]:
    """What the channel may sell per SKU now: stock at its locations less its buffer.

    One query for many SKUs, for keeping a web shop or marketplace in sync.
    Raises: ChannelNotFound, ValidationFailed (too many SKUs).
    """
    with uow:
        channel = get_in_transaction(uow, code)
        found = inventory.availability_in_transaction(uow, skus, channel.spec.locations or None)
    return {
        entry.sku: channel.promisable(sum(loc.available for loc in entry.locations))
        for entry in found
    }


def _find(conn: Connection, code: str) -> Channel | None:
    row = conn.execute(sa.select(channels).where(channels.c.code == code)).first()
    return _channel(row) if row else None


def _values(spec: ChannelSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "name": spec.name,
        "kind": spec.kind.value,
        "currencies": list(spec.currencies),
        "locations": list(spec.locations),
        "allow_backorder": spec.allow_backorder,
        "stock_buffer": spec.stock_buffer,
        "sourcing_policy": spec.sourcing_policy.value,
        "prices_include_tax": spec.prices_include_tax,
        "ship_from_store": spec.ship_from_store,
        "cart_ttl_minutes": spec.cart_ttl_minutes,
        "is_active": spec.is_active,
        "payment_capture": spec.payment_capture.value,
        "fraud_rules": spec.fraud_rules,
    }


def _channel(row: Row[Any]) -> Channel:
    spec = ChannelSpec(
        code=row.code,
        name=row.name,
        kind=ChannelKind(row.kind),
        currencies=list(row.currencies),
        locations=list(row.locations),
        allow_backorder=row.allow_backorder,
        stock_buffer=row.stock_buffer,
        sourcing_policy=SourcingPolicy(row.sourcing_policy),
        prices_include_tax=row.prices_include_tax,
        ship_from_store=row.ship_from_store,
        cart_ttl_minutes=row.cart_ttl_minutes,
        is_active=row.is_active,
        payment_capture=CapturePolicy(row.payment_capture),
        fraud_rules=dict(row.fraud_rules) if row.fraud_rules is not None else None,
    )
    return Channel(row.id, spec)
