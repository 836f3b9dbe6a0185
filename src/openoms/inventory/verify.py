"""Recompute every stock level from the ledger and report any drift (``oms inventory verify``)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.inventory.model import ReservationStatus
from openoms.inventory.orm import bin_stock, reservations, stock_levels, stock_movements

_m = stock_movements.c
_sl = stock_levels.c


@dataclass(frozen=True)
class Drift:
    what: str  # level | bin | reservations
    sku: str
    location: str
    field: str
    stored: int
    expected: int


def verify_ledger(uow: UnitOfWork) -> list[Drift]:
    """Every difference between stored levels and what the movements add up to.

    Checks on_hand and reserved per (SKU, location), quantity per (SKU, bin), and that the
    active reservations add up to ``reserved``. An empty list means no drift.
    """
    with uow:
        return [*_level_drift(uow), *_bin_drift(uow), *_reservation_drift(uow)]


def _level_drift(uow: UnitOfWork) -> list[Drift]:
    sums = (
        sa.select(
            _m.sku_id,
            _m.location_id,
            sa.func.sum(_m.on_hand_delta).label("on_hand"),
            sa.func.sum(_m.reserved_delta).label("reserved"),
        )
        .group_by(_m.sku_id, _m.location_id)
        .subquery()
    )
    query = sa.select(
        _sl.sku_code,
        _sl.location_code,
        _sl.on_hand,
        _sl.reserved,
        sa.func.coalesce(sums.c.on_hand, 0),
        sa.func.coalesce(sums.c.reserved, 0),
    ).select_from(
        stock_levels.outerjoin(
            sums, sa.and_(sums.c.sku_id == _sl.sku_id, sums.c.location_id == _sl.location_id)
        )
    )
    drift = []
    for sku, loc, on_hand, reserved, exp_on_hand, exp_reserved in uow.conn.execute(query):
        if on_hand != exp_on_hand:
            drift.append(Drift("level", sku, loc, "on_hand", on_hand, int(exp_on_hand)))
        if reserved != exp_reserved:
            drift.append(Drift("level", sku, loc, "reserved", reserved, int(exp_reserved)))
    orphans = sa.select(sums.c.sku_id, sums.c.location_id, sums.c.on_hand).where(
        ~sa.exists().where(_sl.sku_id == sums.c.sku_id, _sl.location_id == sums.c.location_id)
    )
    for sku_id, loc_id, on_hand in uow.conn.execute(orphans):
        drift.append(Drift("level", f"#{sku_id}", f"#{loc_id}", "missing_row", 0, int(on_hand)))
    return drift


def _bin_drift(uow: UnitOfWork) -> list[Drift]:
    sums = (
        sa.select(_m.sku_id, _m.bin_id, sa.func.sum(_m.on_hand_delta).label("quantity"))
        .where(_m.bin_id.is_not(None))
        .group_by(_m.sku_id, _m.bin_id)
        .subquery()
    )
    query = sa.select(
        bin_stock.c.sku_id,
        bin_stock.c.bin_id,
        bin_stock.c.quantity,
        sa.func.coalesce(sums.c.quantity, 0),
    ).select_from(
        bin_stock.outerjoin(
            sums, sa.and_(sums.c.sku_id == bin_stock.c.sku_id, sums.c.bin_id == bin_stock.c.bin_id)
        )
    )
    return [
        Drift("bin", f"#{sku_id}", f"bin#{bin_id}", "quantity", stored, int(expected))
        for sku_id, bin_id, stored, expected in uow.conn.execute(query)
        if stored != expected
    ]


def _reservation_drift(uow: UnitOfWork) -> list[Drift]:
    active = (
        sa.select(reservations.c.stock_level_id, sa.func.sum(reservations.c.quantity).label("q"))
        .where(reservations.c.status == ReservationStatus.ACTIVE.value)
        .group_by(reservations.c.stock_level_id)
        .subquery()
    )
    query = sa.select(
        _sl.sku_code, _sl.location_code, _sl.reserved, sa.func.coalesce(active.c.q, 0)
    ).select_from(stock_levels.outerjoin(active, active.c.stock_level_id == _sl.id))
    return [
        Drift("reservations", sku, loc, "reserved", reserved, int(expected))
        for sku, loc, reserved, expected in uow.conn.execute(query)
        if reserved != expected
    ]
