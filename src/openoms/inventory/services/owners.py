"""What one owner holds (a cart), changed unit by unit inside the caller's transaction.

A cart's lines go up and down one SKU at a time, so it needs finer tools than the
whole-request ``reserve_stock`` / ``release_owner``: hold more units of one SKU (at the
locations its channel may sell from, split over several when no single one has them all),
give some back, see what it holds, and push back the expiry of everything it holds.

Stock rows are still changed only through guarded statements (``HoldWriter``, ``Ledger``),
in the fixed order (SKU code, location code), so these never oversell or deadlock with the
whole-request paths.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.inventory import holds
from openoms.inventory.holds import HoldWriter
from openoms.inventory.ledger import Ledger, Movement
from openoms.inventory.model import (
    InsufficientStock,
    MovementKind,
    OwnerType,
    ReservationNotActive,
    ReservationStatus,
    Shortage,
)
from openoms.inventory.orm import reservations, stock_levels
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed

_r = reservations.c
_sl = stock_levels.c
ATTEMPTS = 5  # read the candidates again when a concurrent request took the units first


def held_units(uow: UnitOfWork, owner_type: OwnerType, owner_ref: str) -> dict[str, int]:
    """Active reserved units per SKU of an owner; in a transaction.

    On PostgreSQL the reservation rows stay locked until commit, so the reservation expiry
    job (which skips locked rows) cannot expire them under the caller's feet.
    """
    query = (
        sa.select(_sl.sku_code, _r.quantity)
        .select_from(reservations.join(stock_levels, _r.stock_level_id == _sl.id))
        .where(*_owned(owner_type, owner_ref))
        .order_by(_r.id)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(of=reservations)
    held: dict[str, int] = {}
    for sku, quantity in uow.conn.execute(query):
        held[sku] = held.get(sku, 0) + quantity
    return held


def hold_units(
    uow: UnitOfWork,
    sku: str,
    quantity: int,
    *,
    owner_type: OwnerType,
    owner_ref: str,
    actor: str,
    expires_at: datetime | None,
    locations: list[str] | None = None,
) -> None:
    """Reserve ``quantity`` more units of one SKU for an owner; in a transaction.

    Candidates are the active locations, or only ``locations`` when given (a channel that
    sells from some locations only). One location that has every unit is preferred (priority,
    then code); otherwise the units are split over the best locations in turn.
    Raises: ValidationFailed, InsufficientStock (one shortage: the SKU, the units asked for
    and the units the owner could have had).
    """
    if isinstance(quantity, bool) or quantity <= 0:
        raise ValidationFailed.single("quantity", "must be a whole number greater than zero")
    writer = HoldWriter(
        uow.conn,
        owner_type=owner_type.value,
        owner_ref=owner_ref,
        expires_at=expires_at,
        actor=actor,
        now=clock.now(),
    )
    remaining = quantity
    for _ in range(ATTEMPTS):
        options = _options(uow, sku, locations)
        if sum(o.available for o in options) < remaining:
            break
        remaining -= _take(writer, options, remaining)
        if remaining == 0:
            return
    available = quantity - remaining + sum(o.available for o in _options(uow, sku, locations))
    raise InsufficientStock([Shortage(sku, None, quantity, available)])


def _options(uow: UnitOfWork, sku: str, locations: list[str] | None) -> list[holds.Candidate]:
    return [
        c
        for c in holds.candidates(uow.conn, [sku]).get(sku, [])
        if c.available > 0 and (locations is None or c.location in locations)
    ]


def _take(writer: HoldWriter, options: list[holds.Candidate], quantity: int) -> int:
    """Hold what the options promise; the units held (fewer when a race was lost)."""
    whole = next((o for o in options if o.available >= quantity), None)
    plan: list[tuple[holds.Candidate, int]] = []
    if whole is not None:
        plan = [(whole, quantity)]
    else:
        left = quantity
        for option in options:
            take = min(left, option.available)
            if take:
                plan.append((option, take))
                left -= take
    taken = 0
    for option, units in sorted(plan, key=lambda p: p[0].location):  # the fixed lock order
        if writer.hold_row(option.level_id, units) is None:
            break  # someone took them first: read the candidates again
        taken += units
    return taken


def release_units(
    uow: UnitOfWork,
    sku: str,
    quantity: int,
    *,
    owner_type: OwnerType,
    owner_ref: str,
    actor: str,
) -> int:
    """Give ``quantity`` of an owner's reserved units of one SKU back, newest first; in a
    transaction. Returns the units released (fewer only when the owner held fewer).

    Raises: ReservationNotActive (a reservation closed meanwhile; the caller rolls back).
    """
    rows = [
        dict(r)
        for r in uow.conn.execute(
            sa.select(reservations, _sl.location_code)
            .select_from(reservations.join(stock_levels, _r.stock_level_id == _sl.id))
            .where(*_owned(owner_type, owner_ref), _sl.sku_code == sku)
            .order_by(_r.id.desc())
        ).mappings()
    ]
    plan: list[tuple[dict[str, Any], int]] = []
    left = quantity
    for row in rows:
        take = min(left, row["quantity"])
        if take:
            plan.append((row, take))
            left -= take
    ledger = Ledger(uow.conn, actor=actor, reference=f"{owner_type}:{owner_ref}", now=clock.now())
    for row, take in sorted(plan, key=lambda p: p[0]["location_code"]):  # the fixed lock order
        _give_back(uow, ledger, row, take)
    ledger.flush()
    return quantity - left


def _give_back(uow: UnitOfWork, ledger: Ledger, row: dict[str, Any], quantity: int) -> None:
    remaining = row["quantity"] - quantity
    done = uow.conn.execute(
        reservations.update()
        .where(
            _r.id == row["id"],
            _r.status == ReservationStatus.ACTIVE.value,
            _r.quantity >= quantity,
        )
        .values(
            quantity=_r.quantity - quantity,
            status=(ReservationStatus.ACTIVE if remaining else ReservationStatus.RELEASED).value,
            closed_at=None if remaining else ledger.now,
        )
    )
    if done.rowcount != 1:
        raise ReservationNotActive(f"Reservation {row['id']} changed meanwhile.", id=row["id"])
    level = ledger.change(row["stock_level_id"], 0, -quantity)
    assert level is not None, "reserved units are always releasable"
    ledger.record(
        Movement(
            MovementKind.RELEASE, level.sku_id, level.location_id, 0, -quantity, reason="released"
        )
    )


def extend_in_transaction(
    uow: UnitOfWork, owner_type: OwnerType, owner_ref: str, expires_at: datetime
) -> int:
    """Push back the expiry of an owner's active reservations; in a transaction."""
    result = uow.conn.execute(
        reservations.update()
        .where(*_owned(owner_type, owner_ref), _r.expires_at.is_not(None))
        .values(expires_at=expires_at)
    )
    return int(result.rowcount)


def _owned(owner_type: OwnerType, owner_ref: str) -> list[sa.ColumnElement[bool]]:
    return [
        _r.owner_type == owner_type.value,
        _r.owner_ref == owner_ref,
        _r.status == ReservationStatus.ACTIVE.value,
    ]
