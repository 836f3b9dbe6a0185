"""Fulfilment orders: kept in step with the orders' reservations, listed for the floor.

An order's reservations at a location *are* what that location must send. ``sync`` brings
the fulfilment orders in line with them: units reserved and not yet on any open fulfilment
order go onto the order's pending one at that location (made if needed, with its promise);
units no longer reserved come off pending ones first, then off work on the floor (never
below what was picked). Orders that are on hold or cancelled get no new work; their
pending fulfilment orders are cancelled. It runs before anything is released or listed,
so the floor never works from a stale picture; it touches only what differs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from openoms.fulfillment.model import (
    OPEN,
    FulfilmentOrderNotFound,
    FulfilmentStatus,
    check_fulfilment_transition,
    promise_for,
)
from openoms.fulfillment.orm import fulfilment_lines, fulfilment_orders
from openoms.fulfillment.services import setup
from openoms.infra.db import UnitOfWork
from openoms.infra.sequences import next_number
from openoms.inventory.model import OwnerType, ReservationStatus
from openoms.inventory.orm import reservations, stock_levels
from openoms.locations.orm import locations
from openoms.orders.model import OrderStatus
from openoms.orders.orm import order_lines, orders
from openoms.shared import clock
from openoms.shared.events import Event

_f = fulfilment_orders.c
_fl = fulfilment_lines.c
_o = orders.c
_r = reservations.c
_sl = stock_levels.c
SYNC_LOCK = 0x0F0F_5EC1  # the advisory lock key of fulfilment syncs
WORKABLE = (OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.PARTIALLY_SHIPPED)


@dataclass(frozen=True)
class FulfilmentLine:
    id: int
    line_no: int
    sku: str
    name: str
    quantity: int
    picked: int
    short: int
    shipped: int

    @property
    def to_pick(self) -> int:
        return self.quantity - self.picked - self.short


@dataclass(frozen=True)
class FulfilmentOrder:
    id: int
    number: str
    order_id: int
    order_number: str
    order_status: str
    location: str
    status: FulfilmentStatus
    priority: int
    ship_by: date | None
    deliver_by: date | None
    promise: str
    service: str | None
    pickup: bool
    pickup_code: str | None
    ready_at: datetime | None
    wave: str | None
    placed_at: datetime
    version: int
    packages: list[dict[str, Any]] | None
    lines: list[FulfilmentLine] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(ln.quantity for ln in self.lines)


def sync(uow: UnitOfWork, *, location: str | None = None, order_id: int | None = None) -> int:
    """Bring fulfilment orders in line with the orders' reservations (of one location or
    one order), inside the caller's transaction. Returns how many changed.

    On PostgreSQL syncs take turns (a transaction-scoped advisory lock), so two processes
    never both make the pending fulfilment order of the same order and location."""
    if uow.dialect == "postgresql":
        uow.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK})
    held = _reserved(uow, location, order_id)
    covered, pending, floor = _covered(uow, location, order_id)
    statuses = _order_statuses(uow, {k[0] for k in held} | {k[0] for k in covered})
    changed: set[int] = set()
    for key in sorted(set(held) | set(covered)):
        order, loc, line = key
        diff = held.get(key, 0) - covered.get(key, 0)
        workable = statuses.get(order) in WORKABLE
        if diff > 0 and workable:
            fo = pending.get((order, loc)) or _new(uow, order, loc)
            pending[(order, loc)] = fo
            _grow(uow, fo, line, diff)
            changed.add(fo)
        elif diff < 0:
            changed |= _shrink(uow, order, loc, line, -diff, pending, floor)
    for (order, _loc), fo in pending.items():
        if statuses.get(order) not in WORKABLE and fo not in changed:
            changed.add(fo)
        if fo in changed:
            _settle(uow, fo, cancel=statuses.get(order) not in WORKABLE)
    return len(changed)


def _reserved(
    uow: UnitOfWork, location: str | None, order_id: int | None
) -> dict[tuple[int, str, int], int]:
    query = (
        sa.select(_r.owner_ref, _sl.location_code, _r.owner_line, sa.func.sum(_r.quantity))
        .select_from(reservations.join(stock_levels, _r.stock_level_id == _sl.id))
        .where(
            _r.owner_type == OwnerType.ORDER_LINE.value,
            _r.status == ReservationStatus.ACTIVE.value,
        )
        .group_by(_r.owner_ref, _sl.location_code, _r.owner_line)
    )
    if location is not None:
        query = query.where(_sl.location_code == location)
    if order_id is not None:
        query = query.where(_r.owner_ref == str(order_id))
    return {(int(o), loc, int(ln)): int(q) for o, loc, ln, q in uow.conn.execute(query)}


def _covered(
    uow: UnitOfWork, location: str | None, order_id: int | None
) -> tuple[dict[tuple[int, str, int], int], dict[tuple[int, str], int], list[dict[str, Any]]]:
    """Units still to send on open fulfilment orders; the pending one per (order,
    location); the lines on the floor."""
    query = (
        sa.select(
            _f.id,
            _f.order_id,
            _f.location_code,
            _f.status,
            _fl.id.label("line_id"),
            _fl.line_no,
            _fl.quantity,
            _fl.quantity_picked,
            _fl.quantity_short,
            _fl.quantity_shipped,
        )
        .select_from(fulfilment_orders.join(fulfilment_lines, _fl.fulfilment_order_id == _f.id))
        .where(_f.status.in_([s.value for s in OPEN]))
    )
    if location is not None:
        query = query.where(_f.location_code == location)
    if order_id is not None:
        query = query.where(_f.order_id == order_id)
    covered: dict[tuple[int, str, int], int] = defaultdict(int)
    pending: dict[tuple[int, str], int] = {}
    floor = []
    for row in uow.conn.execute(query).mappings():
        key = (row["order_id"], row["location_code"], row["line_no"])
        covered[key] += row["quantity"] - row["quantity_short"] - row["quantity_shipped"]
        if row["status"] == FulfilmentStatus.PENDING.value:
            pending[(row["order_id"], row["location_code"])] = row["id"]
        else:
            floor.append(dict(row))
    # pending fulfilment orders whose lines all went
    empty = sa.select(_f.id, _f.order_id, _f.location_code).where(
        _f.status == FulfilmentStatus.PENDING.value,
        ~sa.exists().where(_fl.fulfilment_order_id == _f.id),
    )
    if location is not None:
        empty = empty.where(_f.location_code == location)
    if order_id is not None:
        empty = empty.where(_f.order_id == order_id)
    for fo, order, loc in uow.conn.execute(empty):
        pending.setdefault((order, loc), fo)
    return covered, pending, floor


def _order_statuses(uow: UnitOfWork, ids: set[int]) -> dict[int, OrderStatus]:
    if not ids:
        return {}
    rows = uow.conn.execute(sa.select(_o.id, _o.status).where(_o.id.in_(sorted(ids))))
    return {i: OrderStatus(s) for i, s in rows}


def _new(uow: UnitOfWork, order_id: int, location: str) -> int:
    order = uow.conn.execute(sa.select(orders).where(_o.id == order_id)).mappings().one()
    tz = uow.conn.execute(
        sa.select(locations.c.timezone).where(locations.c.code == location)
    ).scalar_one()
    promise = setup.channel_promise(uow, order["channel_code"])
    ship_by, deliver_by, reason = promise_for(
        order["placed_at"],
        tz,
        time.fromisoformat(promise.cutoff),
        promise.handling_days,
        promise.delivery_days,
    )
    pickup = order["pickup_location"] == location
    if pickup:
        reason = f"Collected in store at {location}. " + reason.split(": ")[0] + "."
    now = clock.now()
    number = next_number(uow.conn, "fulfilment_order", "FO")
    return int(
        uow.conn.execute(
            fulfilment_orders.insert()
            .values(
                number=number,
                order_id=order_id,
                order_number=order["number"],
                location_code=location,
                status=FulfilmentStatus.PENDING.value,
                priority=order["priority"],
                ship_by=ship_by,
                deliver_by=None if pickup else deliver_by,
                promise=reason,
                service=order["shipping_service"],
                pickup=pickup,
                placed_at=order["placed_at"],
                created_at=now,
                updated_at=now,
            )
            .returning(_f.id)
        ).scalar_one()
    )


def _grow(uow: UnitOfWork, fo: int, line_no: int, units: int) -> None:
    found = uow.conn.execute(
        sa.update(fulfilment_lines)
        .where(_fl.fulfilment_order_id == fo, _fl.line_no == line_no)
        .values(quantity=_fl.quantity + units)
    )
    if found.rowcount:
        return
    order_id = uow.conn.execute(sa.select(_f.order_id).where(_f.id == fo)).scalar_one()
    sku, name = uow.conn.execute(
        sa.select(order_lines.c.sku_code, order_lines.c.name).where(
            order_lines.c.order_id == order_id, order_lines.c.line_no == line_no
        )
    ).one()
    uow.conn.execute(
        fulfilment_lines.insert().values(
            fulfilment_order_id=fo, line_no=line_no, sku_code=sku, name=name, quantity=units
        )
    )


def _shrink(
    uow: UnitOfWork,
    order: int,
    location: str,
    line_no: int,
    units: int,
    pending: dict[tuple[int, str], int],
    floor: list[dict[str, Any]],
) -> set[int]:
    """Take units that are no longer reserved off the pending fulfilment order first, then
    off work on the floor (never below what was picked, found short or shipped)."""
    changed: set[int] = set()
    fo = pending.get((order, location))
    left = units
    if fo is not None:
        line = uow.conn.execute(
            sa.select(_fl.id, _fl.quantity).where(
                _fl.fulfilment_order_id == fo, _fl.line_no == line_no
            )
        ).first()
        if line is not None:
            take = min(left, line.quantity)
            _set_quantity(uow, line.id, line.quantity - take)
            left -= take
            changed.add(fo)
    for row in floor:
        if left == 0:
            break
        if (row["order_id"], row["location_code"], row["line_no"]) != (order, location, line_no):
            continue
        done = row["quantity_picked"] + row["quantity_short"]
        take = min(left, row["quantity"] - done)
        if take > 0:
            _set_quantity(uow, row["line_id"], row["quantity"] - take)
            row["quantity"] -= take
            left -= take
            changed.add(row["id"])
            _settle(uow, row["id"], cancel=False)
    return changed


def _set_quantity(uow: UnitOfWork, line_id: int, quantity: int) -> None:
    """Set a fulfilment line's quantity; picks lose the units nobody picked yet, the
    last-served first."""
    from openoms.fulfillment.orm import pick_parts

    pp = pick_parts.c
    current = uow.conn.execute(sa.select(_fl.quantity).where(_fl.id == line_id)).scalar_one()
    cut = current - quantity
    parts = uow.conn.execute(
        sa.select(pp.pick_id, pp.quantity, pp.quantity_picked, pp.quantity_short)
        .where(pp.fulfilment_line_id == line_id)
        .order_by(pp.seq.desc())
    ).all()
    for pick_id, qty, picked, short in parts:
        if cut <= 0:
            break
        take = min(cut, qty - picked - short)
        if take <= 0:
            continue
        cut -= take
        where = (pp.pick_id == pick_id, pp.fulfilment_line_id == line_id)
        if qty - take == 0:
            uow.conn.execute(pick_parts.delete().where(*where))
        else:
            uow.conn.execute(sa.update(pick_parts).where(*where).values(quantity=qty - take))
    if quantity == 0:
        uow.conn.execute(pick_parts.delete().where(pp.fulfilment_line_id == line_id))
        uow.conn.execute(fulfilment_lines.delete().where(_fl.id == line_id))
    else:
        uow.conn.execute(
            sa.update(fulfilment_lines).where(_fl.id == line_id).values(quantity=quantity)
        )


def _settle(uow: UnitOfWork, fo: int, *, cancel: bool) -> None:
    """A pending fulfilment order with nothing left (or whose order may not ship) is
    cancelled; work on the floor moves on as far as its picks got (nothing picked and
    nothing left to pick: the order no longer wants it, so cancelled)."""
    row = uow.conn.execute(sa.select(_f.number, _f.status).where(_f.id == fo)).one()
    status = FulfilmentStatus(row.status)
    if status is FulfilmentStatus.PENDING:
        lines = uow.conn.execute(
            sa.select(sa.func.count()).where(_fl.fulfilment_order_id == fo)
        ).scalar_one()
        if cancel or lines == 0:
            set_status(uow, fo, row.number, status, FulfilmentStatus.CANCELLED)
    else:
        advance(uow, fo, row.number, status, nothing_picked=FulfilmentStatus.CANCELLED)


def advance(
    uow: UnitOfWork,
    fo: int,
    number: str,
    status: FulfilmentStatus,
    *,
    nothing_picked: FulfilmentStatus,
) -> None:
    """Work on the floor after picks changed: released becomes picking at its first unit,
    and picked once nothing is left to pick (``nothing_picked`` when no unit was)."""
    if status not in (FulfilmentStatus.RELEASED, FulfilmentStatus.PICKING):
        return
    total, picked, short = (
        int(x)
        for x in uow.conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(_fl.quantity), 0),
                sa.func.coalesce(sa.func.sum(_fl.quantity_picked), 0),
                sa.func.coalesce(sa.func.sum(_fl.quantity_short), 0),
            ).where(_fl.fulfilment_order_id == fo)
        ).one()
    )
    if picked + short >= total:
        target = FulfilmentStatus.PICKED if picked else nothing_picked
        set_status(uow, fo, number, status, target)
    elif status is FulfilmentStatus.RELEASED and picked > 0:
        set_status(uow, fo, number, status, FulfilmentStatus.PICKING)


def set_status(
    uow: UnitOfWork, fo: int, number: str, current: FulfilmentStatus, target: FulfilmentStatus
) -> None:
    """Raises: IllegalFulfilmentTransition."""
    check_fulfilment_transition(number, current, target)
    uow.conn.execute(
        sa.update(fulfilment_orders)
        .where(_f.id == fo)
        .values(status=target.value, updated_at=clock.now(), version=_f.version + 1)
    )
    uow.record(
        Event(
            "fulfilment_order.status_changed",
            {"number": number, "from": current.value, "to": target.value},
            f"fulfilment_order:{number}",
        )
    )


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class FulfilmentFilter:
    location: str | None = None
    status: FulfilmentStatus | None = None
    order_number: str | None = None
    wave: str | None = None
    locations: frozenset[str] | None = None  # the caller's scope; None: everywhere
    statuses: tuple[FulfilmentStatus, ...] = ()  # any of these (when ``status`` is None)


def list_fulfilment_orders(
    uow: UnitOfWork, f: FulfilmentFilter, *, limit: int = 100
) -> list[FulfilmentOrder]:
    """Rush and VIP first, then the earliest promise, then the oldest. Syncs first."""
    with uow:
        if f.location is not None or f.order_number is None:
            sync(uow, location=f.location)
        if f.order_number is not None:
            found = uow.conn.execute(
                sa.select(_o.id).where(_o.number == f.order_number)
            ).scalar_one_or_none()
            if found is not None:
                sync(uow, order_id=found)
        uow.commit()
    with uow:
        query = _select()
        if f.location is not None:
            query = query.where(_f.location_code == f.location)
        if f.locations is not None:
            query = query.where(_f.location_code.in_(sorted(f.locations)))
        if f.status is not None:
            query = query.where(_f.status == f.status.value)
        elif f.statuses:
            query = query.where(_f.status.in_([x.value for x in f.statuses]))
        if f.order_number is not None:
            query = query.where(_f.order_number == f.order_number)
        if f.wave is not None:
            from openoms.fulfillment.orm import waves

            query = query.where(
                _f.wave_id.in_(sa.select(waves.c.id).where(waves.c.number == f.wave))
            )
        query = query.order_by(
            _f.priority.desc(), _f.ship_by.is_(None), _f.ship_by, _f.placed_at, _f.id
        ).limit(limit)
        return _load(uow, list(uow.conn.execute(query).mappings()))


def get_fulfilment_order(uow: UnitOfWork, number: str) -> FulfilmentOrder:
    """Raises: FulfilmentOrderNotFound."""
    with uow:
        return load(uow, number)


def load(uow: UnitOfWork, number: str, *, lock: bool = False) -> FulfilmentOrder:
    """Inside the caller's transaction. Raises: FulfilmentOrderNotFound."""
    query = _select().where(_f.number == number)
    if lock and uow.dialect == "postgresql":
        query = query.with_for_update(of=fulfilment_orders)
    rows = list(uow.conn.execute(query).mappings())
    if not rows:
        raise FulfilmentOrderNotFound(f"No fulfilment order {number}.", number=number)
    return _load(uow, rows)[0]


def for_order(uow: UnitOfWork, order_id: int) -> list[FulfilmentOrder]:
    """An order's fulfilment orders, inside the caller's transaction."""
    rows = uow.conn.execute(_select().where(_f.order_id == order_id).order_by(_f.id)).mappings()
    return _load(uow, list(rows))


def _select() -> sa.Select[Any]:
    from openoms.fulfillment.orm import waves

    return sa.select(
        fulfilment_orders, waves.c.number.label("wave_number"), _o.status.label("os")
    ).select_from(
        fulfilment_orders.join(orders, _o.id == _f.order_id).outerjoin(
            waves, waves.c.id == _f.wave_id
        )
    )


def _load(uow: UnitOfWork, rows: list[Any]) -> list[FulfilmentOrder]:
    ids = [r["id"] for r in rows]
    lines: dict[int, list[FulfilmentLine]] = defaultdict(list)
    if ids:
        for ln in uow.conn.execute(
            sa.select(fulfilment_lines)
            .where(_fl.fulfilment_order_id.in_(ids))
            .order_by(_fl.fulfilment_order_id, _fl.line_no)
        ).mappings():
            lines[ln["fulfilment_order_id"]].append(
                FulfilmentLine(
                    ln["id"],
                    ln["line_no"],
                    ln["sku_code"],
                    ln["name"],
                    ln["quantity"],
                    ln["quantity_picked"],
                    ln["quantity_short"],
                    ln["quantity_shipped"],
                )
            )
    return [
        FulfilmentOrder(
            id=r["id"],
            number=r["number"],
            order_id=r["order_id"],
            order_number=r["order_number"],
            order_status=r["os"],
            location=r["location_code"],
            status=FulfilmentStatus(r["status"]),
            priority=r["priority"],
            ship_by=r["ship_by"],
            deliver_by=r["deliver_by"],
            promise=r["promise"],
            service=r["service"],
            pickup=r["pickup"],
            pickup_code=r["pickup_code"],
            ready_at=r["ready_at"],
            wave=r["wave_number"],
            placed_at=r["placed_at"],
            version=r["version"],
            packages=r["packages"],
            lines=lines[r["id"]],
        )
        for r in rows
    ]
