"""Reserving stock for carts, order lines and transfers; releasing, expiring and shipping it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import Read, UnitOfWork, WritesFirst
from openoms.inventory import holds, refs
from openoms.inventory.holds import HoldWriter
from openoms.inventory.ledger import Ledger, Movement
from openoms.inventory.model import (
    InsufficientStock,
    MovementKind,
    OwnerType,
    ReservationManagedElsewhere,
    ReservationNotActive,
    ReservationNotFound,
    ReservationStatus,
    Shortage,
    StockLine,
    merge_lines,
)
from openoms.inventory.orm import reservations, stock_levels
from openoms.locations import services as locations
from openoms.shared import clock
from openoms.shared.errors import Conflict, ValidationFailed
from openoms.shared.events import Event

_r = reservations.c
_sl = stock_levels.c


@dataclass(frozen=True)
class Reservation:
    id: int
    sku: str
    location: str
    quantity: int
    status: ReservationStatus
    owner_type: OwnerType
    owner_ref: str
    expires_at: datetime | None


def reserve_stock(
    uow: UnitOfWork,
    lines: list[StockLine],
    *,
    owner_type: OwnerType,
    owner_ref: str,
    actor: str,
    ttl: timedelta | None = None,
) -> list[Reservation]:
    """Reserve every line, or none: all lines succeed or one InsufficientStock lists the short ones.

    A line without a location takes the first active location (by priority) that can cover
    it whole. Raises: ValidationFailed, SkuNotFound, LocationNotFound, InsufficientStock.
    """
    merged = merge_lines(lines)
    if not owner_ref:
        raise ValidationFailed.single("owner_ref", "must not be empty")
    now = clock.now()
    expires_at = now + ttl if ttl else None
    with uow:
        reserved = _reserve_in(uow, merged, owner_type, owner_ref, actor, now, expires_at)
        uow.commit()
    return reserved


def reserve_in_transaction(
    uow: UnitOfWork,
    lines: list[StockLine],
    *,
    owner_type: OwnerType,
    owner_ref: str,
    actor: str,
    expires_at: datetime | None = None,
) -> list[Reservation]:
    """The same as :func:`reserve_stock`, inside a unit of work the caller has open."""
    return _reserve_in(
        uow, merge_lines(lines), owner_type, owner_ref, actor, clock.now(), expires_at
    )


def _reserve_in(
    uow: UnitOfWork,
    merged: list[StockLine],
    owner_type: OwnerType,
    owner_ref: str,
    actor: str,
    now: datetime,
    expires_at: datetime | None,
) -> list[Reservation]:
    writer = HoldWriter(
        uow.conn,
        owner_type=owner_type.value,
        owner_ref=owner_ref,
        expires_at=expires_at,
        actor=actor,
        now=now,
    )
    made: list[Reservation] = []
    shortages: list[Shortage] = []
    # One fixed order, (SKU code, location code): codes are unique and never change, so
    # every process takes stock rows in the same order and multi-line requests cannot
    # deadlock, without a look-up of ids first.
    for line in sorted(merged, key=lambda ln: (ln.sku, ln.location or "")):
        if line.location is not None:
            held = writer.hold_at(line.sku, line.location, line.quantity)
        else:
            held = writer.hold_best(line.sku, line.quantity) or _hold_any(uow, writer, line)
        if held is None:
            shortages.append(_shortage(uow, line))
            continue
        if held.low is not None:
            _record_low(uow, [held.low])
        made.append(
            Reservation(
                held.reservation_id,
                line.sku,
                held.location_code,
                line.quantity,
                ReservationStatus.ACTIVE,
                owner_type,
                owner_ref,
                expires_at,
            )
        )
    if shortages:
        raise InsufficientStock(shortages)
    return made


@dataclass(frozen=True)
class PlannedHold:
    level_id: int
    quantity: int
    owner_line: int | None = None


class StockMoved(Conflict):
    """A planned hold found fewer units than the plan saw: plan again."""

    code = "stock_moved"
    title = "Stock changed meanwhile"


SourcingRow = holds.SourcingRow


def stock_for_sourcing(uow: UnitOfWork, skus: list[str]) -> list[holds.SourcingRow]:
    """Stock of the SKUs at active locations, with each location's sourcing facts, in one
    query; inside the caller's transaction."""
    return holds.sourcing_rows(uow.conn, skus)


def stock_for_sourcing_read(uow: UnitOfWork, skus: list[str]) -> Read[list[holds.SourcingRow]]:
    """:func:`stock_for_sourcing` as a read that can share its round trip with others
    (``infra.db.read_at_once``); at least one SKU."""
    return holds.sourcing_read(uow.conn, skus)


def hold_planned(
    uow: UnitOfWork,
    planned: list[PlannedHold],
    *,
    owner_type: OwnerType,
    owner_ref: str,
    actor: str,
    expires_at: datetime | None = None,
    first: WritesFirst | None = None,
) -> list[int]:
    """Reserve exactly the planned units on the planned rows, all or none, in three
    statements (one on PostgreSQL, which also writes ``first``'s rows before it locks the
    stock rows); reservation ids in plan order.

    Raises: StockMoved when a row no longer has the units (the caller rolls back and plans
    again).
    """
    rows = [holds.PlannedRow(p.level_id, p.quantity, p.owner_line) for p in planned]
    held = holds.hold_many(
        uow.conn,
        rows,
        owner_type=owner_type.value,
        owner_ref=owner_ref,
        actor=actor,
        now=clock.now(),
        expires_at=expires_at,
        first=first,
    )
    if held is None:
        raise StockMoved("Stock changed while the order was being placed.")
    _record_low(uow, held.low)
    return held.reservation_ids


def _record_low(uow: UnitOfWork, found: Iterable[holds.LowStock]) -> None:
    """``inventory.low_stock`` for each stock row a hold took down to its safety stock."""
    for low in found:
        uow.record(
            Event(
                "inventory.low_stock",
                {
                    "sku": low.sku,
                    "location": low.location,
                    "on_hand": low.on_hand,
                    "reserved": low.reserved,
                    "safety_stock": low.safety_stock,
                },
                f"stock:{low.sku}@{low.location}",
            )
        )


@dataclass(frozen=True)
class OwnedUnits:
    line: int | None
    sku: str
    location: str
    quantity: int
    reservation_id: int
    status: ReservationStatus


def owned_by(uow: UnitOfWork, owner_type: OwnerType, owner_ref: str) -> list[OwnedUnits]:
    """An owner's reservations that are active or were shipped, by line; in a transaction."""
    rows = uow.conn.execute(
        _select_full()
        .where(
            _r.owner_type == owner_type.value,
            _r.owner_ref == owner_ref,
            _r.status.in_([ReservationStatus.ACTIVE.value, ReservationStatus.CONSUMED.value]),
        )
        .order_by(_r.owner_line, _sl.location_code, _r.id)
    ).mappings()
    return [
        OwnedUnits(
            r["owner_line"],
            r["sku_code"],
            r["location_code"],
            r["quantity"],
            r["id"],
            ReservationStatus(r["status"]),
        )
        for r in rows
    ]


def owners_at(owner_type: OwnerType, locations: frozenset[str]) -> sa.Select[Any]:
    """A subquery of the owners (``owner_ref``) that hold or held stock at these locations:
    for other domains' read models (the orders a store may see)."""
    return (
        sa.select(_r.owner_ref)
        .join(stock_levels, _r.stock_level_id == _sl.id)
        .where(
            _r.owner_type == owner_type.value,
            _sl.location_code.in_(sorted(locations)),
            _r.status.in_([ReservationStatus.ACTIVE.value, ReservationStatus.CONSUMED.value]),
        )
    )


def owners_since(
    uow: UnitOfWork, owner_type: OwnerType, since: dict[str, datetime]
) -> dict[str, int]:
    """How many owners (orders) reserved at each location since its given time (its local
    midnight, for daily capacity); inside the caller's transaction."""
    if not since:
        return {}
    rows = uow.conn.execute(
        sa.select(_sl.location_code, sa.func.count(sa.distinct(_r.owner_ref)))
        .select_from(reservations.join(stock_levels, _r.stock_level_id == _sl.id))
        .where(
            _r.owner_type == owner_type.value,
            sa.or_(
                *(
                    sa.and_(_sl.location_code == code, _r.created_at >= start)
                    for code, start in since.items()
                )
            ),
        )
        .group_by(_sl.location_code)
    ).all()
    return {code: int(count) for code, count in rows}


def release_line(
    uow: UnitOfWork,
    owner: tuple[OwnerType, str],
    line: int,
    quantity: int,
    *,
    actor: str,
    reason: str = "released",
    location: str | None = None,
) -> int:
    """Give back up to ``quantity`` units an owner holds for one line (at one location, when
    named), newest first, inside the caller's transaction. Returns the units released."""
    query = _active_query().where(
        _r.owner_type == owner[0].value, _r.owner_ref == owner[1], _r.owner_line == line
    )
    if location is not None:
        query = query.where(_sl.location_code == location)
    rows = [dict(r) for r in uow.conn.execute(query.order_by(_r.id.desc())).mappings()]
    left = quantity
    now = clock.now()
    for row in rows:
        if left == 0:
            break
        take = min(left, row["quantity"])
        ledger = Ledger(uow.conn, actor=actor, reference=_ref(row), now=now)
        _close(uow.conn, row, take, ReservationStatus.RELEASED, now)
        level = ledger.change(row["stock_level_id"], 0, -take)
        assert level is not None, "reserved units are always releasable"
        ledger.record(
            Movement(MovementKind.RELEASE, level.sku_id, level.location_id, 0, -take, reason=reason)
        )
        ledger.flush()
        left -= take
    return quantity - left


def adopt_reservations(
    uow: UnitOfWork,
    source: tuple[OwnerType, str],
    target: tuple[OwnerType, str],
    lines: list[tuple[int, str, int]],
    *,
    actor: str,
) -> dict[int, list[OwnedUnits]]:
    """Hand a source owner's active reservations (a cart) to a target's lines (an order).

    ``lines`` are (line number, SKU, units). Units are taken from the source's reservations
    of the same SKU, oldest first; a reservation larger than needed is split. What the
    target's lines do not take is released. Returns the adopted units per line; a line may
    get fewer units than it asked for (the source expired or held less).
    """
    available = [
        dict(r)
        for r in uow.conn.execute(
            _active_query()
            .where(_r.owner_type == source[0].value, _r.owner_ref == source[1])
            .order_by(_r.id)
        ).mappings()
    ]
    adopted: dict[int, list[OwnedUnits]] = {}
    for line, sku, quantity in lines:
        need = quantity
        for row in (r for r in available if r["sku_code"] == sku and r["quantity"] > 0):
            if need == 0:
                break
            take = min(need, row["quantity"])
            adopted.setdefault(line, []).append(_hand_over(uow, row, take, target, line))
            row["quantity"] -= take
            need -= take
    leftovers = [r for r in available if r["quantity"] > 0]
    _release_rows(uow, leftovers, actor, ReservationStatus.RELEASED)
    return adopted


def _hand_over(
    uow: UnitOfWork, row: dict[str, Any], take: int, target: tuple[OwnerType, str], line: int
) -> OwnedUnits:
    values = {
        "owner_type": target[0].value,
        "owner_ref": target[1],
        "owner_line": line,
        "expires_at": None,
    }
    if take == row["quantity"]:
        uow.conn.execute(reservations.update().where(_r.id == row["id"]).values(**values))
        new_id = row["id"]
    else:
        # split: the source keeps the rest; reserved units on the level do not change
        uow.conn.execute(
            reservations.update().where(_r.id == row["id"]).values(quantity=_r.quantity - take)
        )
        new_id = uow.conn.execute(
            reservations.insert()
            .values(
                stock_level_id=row["stock_level_id"],
                sku_id=row["sku_id"],
                location_id=row["location_id"],
                quantity=take,
                quantity_initial=take,
                status=ReservationStatus.ACTIVE.value,
                created_at=clock.now(),
                **values,
            )
            .returning(_r.id)
        ).scalar_one()
    return OwnedUnits(
        line, row["sku_code"], row["location_code"], take, new_id, ReservationStatus.ACTIVE
    )


def _hold_any(uow: UnitOfWork, writer: HoldWriter, line: StockLine) -> holds.Held | None:
    # The best location lost a race: try every location that still looks able to cover the
    # line, best first; the guarded UPDATE decides.
    for option in holds.candidates(uow.conn, [line.sku]).get(line.sku, []):
        if option.available >= line.quantity:
            held = writer.hold_row(option.level_id, line.quantity)
            if held is not None:
                return held
    return None


def _shortage(uow: UnitOfWork, line: StockLine) -> Shortage:
    """Why a line could not be held: unknown SKU or location (404), or too little stock."""
    refs.sku_ids(uow, [line.sku])
    if line.location is not None:
        refs.location_id(uow, line.location)
        level = uow.conn.execute(
            sa.select(_sl.on_hand - _sl.reserved - _sl.safety_stock)
            .where(_sl.sku_code == line.sku, _sl.location_code == line.location)
            .where(_sl.location_id.in_(locations.active_location_ids()))
        ).scalar()
        return Shortage(line.sku, line.location, line.quantity, max(0, int(level or 0)))
    options = holds.candidates(uow.conn, [line.sku]).get(line.sku, [])
    best = max((o.available for o in options), default=0)
    return Shortage(line.sku, None, line.quantity, max(0, best))


def release_reservation(
    uow: UnitOfWork,
    reservation_id: int,
    *,
    actor: str,
    quantity: int | None = None,
    reason: str = "released",
) -> Reservation:
    """Give reserved units back to available stock (all of them, or ``quantity``).

    Raises: ReservationNotFound, ReservationNotActive, ReservationManagedElsewhere,
    ValidationFailed.
    """
    with uow:
        current = _lock(uow.conn, reservation_id)
        _refuse_managed(current)
        qty = _quantity(current, quantity)
        ledger = Ledger(uow.conn, actor=actor, reference=_ref(current), now=clock.now())
        done = _close(uow.conn, current, qty, ReservationStatus.RELEASED, ledger.now)
        level = ledger.change(current["stock_level_id"], 0, -qty)
        assert level is not None, "reserved units are always releasable"
        ledger.record(
            Movement(MovementKind.RELEASE, level.sku_id, level.location_id, 0, -qty, reason=reason)
        )
        ledger.flush()
        uow.commit()
    return done


def release_owner(uow: UnitOfWork, owner_type: OwnerType, owner_ref: str, *, actor: str) -> int:
    """Release every active reservation of an owner (a cart, an order line). Returns units."""
    with uow:
        total = release_owner_in_transaction(uow, owner_type, owner_ref, actor=actor)
        uow.commit()
    return total


def release_owner_in_transaction(
    uow: UnitOfWork,
    owner_type: OwnerType,
    owner_ref: str,
    *,
    actor: str,
    status: ReservationStatus = ReservationStatus.RELEASED,
) -> int:
    rows = (
        uow.conn.execute(
            _active_query()
            .where(_r.owner_type == owner_type.value, _r.owner_ref == owner_ref)
            .order_by(_r.sku_id, _r.location_id)
        )
        .mappings()
        .all()
    )
    return _release_rows(uow, [dict(r) for r in rows], actor, status)


def expire_reservations(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Release reservations whose time ran out. Safe with many workers. Returns how many."""
    with uow:
        query = (
            _active_query()
            .where(_r.expires_at <= clock.now())
            .order_by(_r.sku_id, _r.location_id)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = [dict(r) for r in uow.conn.execute(query).mappings()]
        _release_rows(uow, rows, "system:expiry", ReservationStatus.EXPIRED)
        uow.commit()
    return len(rows)


def _release_rows(
    uow: UnitOfWork, rows: list[dict[str, Any]], actor: str, status: ReservationStatus
) -> int:
    now = clock.now()
    total = 0
    for row in rows:
        ledger = Ledger(uow.conn, actor=actor, reference=_ref(row), now=now)
        _close(uow.conn, row, row["quantity"], status, now)
        level = ledger.change(row["stock_level_id"], 0, -row["quantity"])
        assert level is not None, "reserved units are always releasable"
        ledger.record(
            Movement(
                MovementKind.RELEASE,
                level.sku_id,
                level.location_id,
                0,
                -row["quantity"],
                reason=status.value,
            )
        )
        ledger.flush()
        total += row["quantity"]
    return total


def ship_reservation(
    uow: UnitOfWork,
    reservation_id: int,
    *,
    actor: str,
    reference: str,
    quantity: int | None = None,
    bin_id: int | None = None,
) -> Reservation:
    """Turn reserved units into a shipment: they leave on_hand and the reservation.

    Raises: ReservationNotFound, ReservationNotActive, ReservationManagedElsewhere,
    ValidationFailed.
    """
    with uow:
        _refuse_managed(_lock(uow.conn, reservation_id))
        done = ship_in_transaction(
            uow, reservation_id, actor=actor, reference=reference, quantity=quantity, bin_id=bin_id
        )
        uow.commit()
    return done


def ship_in_transaction(
    uow: UnitOfWork,
    reservation_id: int,
    *,
    actor: str,
    reference: str,
    quantity: int | None = None,
    bin_id: int | None = None,
    kind: MovementKind = MovementKind.SHIPMENT,
) -> Reservation:
    current = _lock(uow.conn, reservation_id)
    qty = _quantity(current, quantity)
    ledger = Ledger(uow.conn, actor=actor, reference=reference, now=clock.now())
    done = _close(uow.conn, current, qty, ReservationStatus.CONSUMED, ledger.now)
    if bin_id is not None and not ledger.take_from_bin(current["sku_id"], bin_id, qty):
        raise InsufficientStock(
            [Shortage(done.sku, "bin", qty, ledger.bin_quantity(current["sku_id"], bin_id))]
        )
    level = ledger.change(current["stock_level_id"], -qty, -qty)
    assert level is not None, "reserved units are always on hand"
    ledger.record_removal(level, kind, qty, reserved_delta=-qty, bin_id=bin_id)
    ledger.flush()
    return done


def ship_line_in_transaction(
    uow: UnitOfWork,
    owner: tuple[OwnerType, str],
    line: int,
    location: str,
    quantity: int,
    *,
    actor: str,
    reference: str,
    bin_code: str | None = None,
) -> int:
    """Ship ``quantity`` units an owner holds for one line at one location, oldest
    reservation first, from ``bin_code`` while it holds them (else from wherever the units
    lie: loose first, then bins). Returns the units shipped (less when fewer are held)."""
    rows = uow.conn.execute(
        _active_query()
        .where(
            _r.owner_type == owner[0].value,
            _r.owner_ref == owner[1],
            _r.owner_line == line,
            _sl.location_code == location,
        )
        .order_by(_r.id)
    ).mappings()
    left = quantity
    for row in [dict(r) for r in rows]:
        if left == 0:
            break
        take = min(left, row["quantity"])
        bin_id = None
        if bin_code is not None:
            found = refs.bin_id(uow, row["location_id"], location, bin_code)
            ledger = Ledger(uow.conn, actor=actor, reference=reference, now=clock.now())
            if found is not None and ledger.bin_quantity(row["sku_id"], found) >= take:
                bin_id = found
        ship_in_transaction(
            uow, row["id"], actor=actor, reference=reference, quantity=take, bin_id=bin_id
        )
        left -= take
    return quantity - left


def extend_owner(
    uow: UnitOfWork, owner_type: OwnerType, owner_ref: str, expires_at: datetime
) -> int:
    """Push back the expiry of an owner's active reservations (a cart in use)."""
    with uow:
        result = uow.conn.execute(
            reservations.update()
            .where(
                _r.owner_type == owner_type.value,
                _r.owner_ref == owner_ref,
                _r.status == ReservationStatus.ACTIVE.value,
                _r.expires_at.is_not(None),
            )
            .values(expires_at=expires_at)
        )
        uow.commit()
    return int(result.rowcount)


def list_reservations(
    uow: UnitOfWork,
    *,
    owner_type: OwnerType | None = None,
    owner_ref: str | None = None,
    status: ReservationStatus | None = None,
    limit: int = 200,
) -> list[Reservation]:
    query = _select_full().order_by(_r.id.desc()).limit(limit)
    if owner_type:
        query = query.where(_r.owner_type == owner_type.value)
    if owner_ref:
        query = query.where(_r.owner_ref == owner_ref)
    if status:
        query = query.where(_r.status == status.value)
    with uow:
        return [_reservation(dict(r)) for r in uow.conn.execute(query).mappings()]


def get_reservation(uow: UnitOfWork, reservation_id: int) -> Reservation:
    """Raises: ReservationNotFound."""
    with uow:
        row = uow.conn.execute(_select_full().where(_r.id == reservation_id)).mappings().first()
    if row is None:
        raise ReservationNotFound(f"No reservation {reservation_id}.", id=reservation_id)
    return _reservation(dict(row))


def _select_full() -> sa.Select[Any]:
    return sa.select(reservations, _sl.sku_code, _sl.location_code).select_from(
        reservations.join(stock_levels, _r.stock_level_id == _sl.id)
    )


def _active_query() -> sa.Select[Any]:
    return _select_full().where(_r.status == ReservationStatus.ACTIVE.value)


def _lock(conn: Connection, reservation_id: int) -> dict[str, Any]:
    query = _select_full().where(_r.id == reservation_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=reservations)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise ReservationNotFound(f"No reservation {reservation_id}.", id=reservation_id)
    if row["status"] != ReservationStatus.ACTIVE.value:
        raise ReservationNotActive(
            f"Reservation {reservation_id} is {row['status']}.",
            id=reservation_id,
            reservation_status=row["status"],
        )
    return dict(row)


def _refuse_managed(current: dict[str, Any]) -> None:
    """A transfer's reservation changes only through the transfer (ship or cancel it)."""
    if current["owner_type"] == OwnerType.TRANSFER.value:
        raise ReservationManagedElsewhere(
            f"Reservation {current['id']} belongs to transfer {current['owner_ref']}; "
            "ship or cancel the transfer instead.",
            id=current["id"],
            transfer=current["owner_ref"],
        )


def _quantity(current: dict[str, Any], quantity: int | None) -> int:
    if quantity is None:
        return int(current["quantity"])
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed.single("quantity", "must be a whole number greater than zero")
    if quantity > current["quantity"]:
        raise ValidationFailed.single(
            "quantity", f"only {current['quantity']} units are reserved, not {quantity}"
        )
    return quantity


def _close(
    conn: Connection, row: dict[str, Any], quantity: int, final: ReservationStatus, now: datetime
) -> Reservation:
    """Take ``quantity`` off an active reservation; it closes with ``final`` when none is left."""
    remaining = row["quantity"] - quantity
    status = final if remaining == 0 else ReservationStatus.ACTIVE
    result = conn.execute(
        reservations.update()
        .where(
            _r.id == row["id"], _r.status == ReservationStatus.ACTIVE.value, _r.quantity >= quantity
        )
        .values(
            quantity=_r.quantity - quantity,
            status=status.value,
            closed_at=now if remaining == 0 else None,
        )
    )
    if result.rowcount != 1:
        raise ReservationNotActive(f"Reservation {row['id']} changed meanwhile.", id=row["id"])
    return _reservation({**row, "quantity": remaining, "status": status.value})


def _ref(row: dict[str, Any]) -> str:
    return f"{row['owner_type']}:{row['owner_ref']}"


def _reservation(row: dict[str, Any]) -> Reservation:
    return Reservation(
        id=row["id"],
        sku=row["sku_code"],
        location=row["location_code"],
        quantity=row["quantity"],
        status=ReservationStatus(row["status"]),
        owner_type=OwnerType(row["owner_type"]),
        owner_ref=row["owner_ref"],
        expires_at=row["expires_at"],
    )
