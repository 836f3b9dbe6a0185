"""Read-side queries: available-to-promise, levels and the movement ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import UnitOfWork
from openoms.inventory.orm import bin_stock, stock_levels, stock_movements
from openoms.locations import services as location_service
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor

_sl = stock_levels.c
_m = stock_movements.c
MAX_SKUS_PER_QUERY = 500


@dataclass(frozen=True)
class LocationAvailability:
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


@dataclass
class SkuAvailability:
    sku: str
    available: int = 0
    on_hand: int = 0
    reserved: int = 0
    locations: list[LocationAvailability] = field(default_factory=list)


def availability(
    uow: UnitOfWork, skus: list[str], locations: list[str] | None = None
) -> list[SkuAvailability]:
    """Available-to-promise per SKU, per location and in total, for many SKUs in one query.

    Unknown SKUs and SKUs without stock answer 0. Raises: ValidationFailed (too many SKUs).
    """
    with uow:
        return availability_in_transaction(uow, skus, locations)


def availability_in_transaction(
    uow: UnitOfWork, skus: list[str], locations: list[str] | None = None
) -> list[SkuAvailability]:
    """The same, inside a unit of work the caller has open."""
    wanted = list(dict.fromkeys(skus))
    if not wanted:
        raise ValidationFailed.single("sku", "ask for at least one SKU")
    if len(wanted) > MAX_SKUS_PER_QUERY:
        raise ValidationFailed.single("sku", f"ask for at most {MAX_SKUS_PER_QUERY} SKUs at a time")
    ranking = location_service.active_ranking().subquery()  # inactive locations promise nothing
    query = (
        sa.select(_sl.sku_code, _sl.location_code, _sl.on_hand, _sl.reserved, _sl.safety_stock)
        .join(ranking, ranking.c.id == _sl.location_id)
        .where(_sl.sku_code.in_(wanted))
        .order_by(_sl.sku_code, _sl.location_code)
    )
    if locations:
        query = query.where(_sl.location_code.in_(locations))
    out = {sku: SkuAvailability(sku) for sku in wanted}
    for sku, loc, on_hand, reserved, safety in uow.conn.execute(query):
        avail = max(0, on_hand - reserved - safety)
        entry = out[sku]
        entry.locations.append(LocationAvailability(loc, on_hand, reserved, safety, avail))
        entry.available += avail
        entry.on_hand += on_hand
        entry.reserved += reserved
    return list(out.values())


@dataclass(frozen=True)
class LevelRow:
    id: int
    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    updated_at: datetime


def list_levels(
    uow: UnitOfWork,
    *,
    location: str | None = None,
    sku: str | None = None,
    low_only: bool = False,
    cursor: str | None = None,
    limit: int = 100,
    within: frozenset[str] | None = None,
) -> tuple[list[LevelRow], str | None]:
    """Stock levels, filtered, one page at a time. ``low_only``: available at or below safety;
    ``within``: only these locations."""
    query = sa.select(stock_levels).order_by(_sl.id).limit(limit + 1)
    if location:
        query = query.where(_sl.location_code == location)
    if within is not None:
        query = query.where(_sl.location_code.in_(sorted(within)))
    if sku:
        query = query.where(_sl.sku_code == sku)
    if low_only:
        query = query.where(_sl.on_hand - _sl.reserved <= _sl.safety_stock)
    if cursor:
        query = query.where(_sl.id > _after(cursor))
    with uow:
        rows = uow.conn.execute(query).mappings().all()
    items = [
        LevelRow(
            r["id"],
            r["sku_code"],
            r["location_code"],
            r["on_hand"],
            r["reserved"],
            r["safety_stock"],
            max(0, r["on_hand"] - r["reserved"] - r["safety_stock"]),
            r["updated_at"],
        )
        for r in rows[:limit]
    ]
    return items, (encode_cursor({"after": items[-1].id}) if len(rows) > limit else None)


@dataclass(frozen=True)
class MovementRow:
    id: int
    kind: str
    sku: str
    location: str
    bin: str | None
    on_hand_delta: int
    reserved_delta: int
    reason: str | None
    reference: str
    actor: str
    created_at: datetime


def list_movements(
    uow: UnitOfWork,
    *,
    sku: str | None = None,
    location: str | None = None,
    kind: str | None = None,
    reference: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    within: frozenset[str] | None = None,
) -> tuple[list[MovementRow], str | None]:
    """The ledger, newest first, filtered, one page at a time; ``within``: only these
    locations."""
    from openoms.locations.orm import bins  # read model: a join for display only

    query = (
        sa.select(stock_movements, _sl.sku_code, _sl.location_code, bins.c.code.label("bin_code"))
        .select_from(
            stock_movements.join(
                stock_levels, sa.and_(_sl.sku_id == _m.sku_id, _sl.location_id == _m.location_id)
            ).outerjoin(bins, bins.c.id == _m.bin_id)
        )
        .order_by(_m.id.desc())
        .limit(limit + 1)
    )
    if sku:
        query = query.where(_sl.sku_code == sku)
    if location:
        query = query.where(_sl.location_code == location)
    if within is not None:
        query = query.where(_sl.location_code.in_(sorted(within)))
    if kind:
        query = query.where(_m.kind == kind)
    if reference:
        query = query.where(_m.reference == reference)
    if cursor:
        query = query.where(_m.id < _after(cursor))
    with uow:
        rows = uow.conn.execute(query).mappings().all()
    items = [_movement(r) for r in rows[:limit]]
    return items, (encode_cursor({"after": items[-1].id}) if len(rows) > limit else None)


def binned_quantity(conn: Connection, sku_id: int, location_id: int) -> int:
    value = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(bin_stock.c.quantity), 0)).where(
            bin_stock.c.sku_id == sku_id, bin_stock.c.location_id == location_id
        )
    ).scalar_one()
    return int(value)


def _after(cursor: str) -> int:
    value = decode_cursor(cursor).get("after")
    if not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
    return value


def _movement(r: Any) -> MovementRow:
    return MovementRow(
        r["id"],
        r["kind"],
        r["sku_code"],
        r["location_code"],
        r["bin_code"],
        r["on_hand_delta"],
        r["reserved_delta"],
        r["reason"],
        r["reference"],
        r["actor"],
        r["created_at"],
    )
