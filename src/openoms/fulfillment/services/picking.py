"""Waves, pick lists and scan-to-pick.

Releasing a wave takes the location's pending fulfilment orders (those whose order may
ship; rush and VIP first, then the promise, then age; optionally only those due by a date,
for one carrier service, or of a minimum priority), assigns their units to bins and makes
the pick lists the location's strategy calls for (``picking.plan_lists``). A pick is
confirmed by scanning the SKU code or barcode; a wrong scan changes nothing and says what
the pick asks for. A short pick gives the missing units' reservation back, writes them off
the bin (ledger ``adjustment``, reason ``short_pick``) and has the order source them again
or backorder them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from openoms.catalog.orm import skus
from openoms.fulfillment import picking
from openoms.fulfillment.model import (
    ON_THE_FLOOR,
    FulfilmentStatus,
    NothingToRelease,
    OverPick,
    PickListNotFound,
    PickListStatus,
    PickStrategy,
    WaveNotFound,
    WaveStatus,
    WrongScan,
)
from openoms.fulfillment.orm import (
    fulfilment_lines,
    fulfilment_orders,
    pick_lists,
    pick_parts,
    picks,
    waves,
)
from openoms.fulfillment.services import setup, work
from openoms.infra.db import UnitOfWork
from openoms.infra.sequences import next_number
from openoms.inventory.model import AdjustmentReason, InsufficientStock, StockBelowReserved
from openoms.inventory.orm import bin_stock, stock_levels
from openoms.inventory.services import reservations as inventory
from openoms.inventory.services import stock as stock_service
from openoms.locations.orm import bins, locations, zones
from openoms.orders import shipping as order_shipping
from openoms.orders.allocation import stock_owner
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.events import Event

_f = fulfilment_orders.c
_fl = fulfilment_lines.c
_pl = pick_lists.c
_p = picks.c
_pp = pick_parts.c
_w = waves.c


@dataclass(frozen=True)
class WaveCriteria:
    ship_by: date | None = None  # only what must leave by this day
    service: str | None = None  # only orders for this carrier service
    min_priority: int | None = None  # e.g. 80: VIP and rush only
    fulfilment_orders: tuple[str, ...] = ()  # exactly these
    limit: int = 50
    strategy: PickStrategy | None = None  # None: the location's
    batch_size: int | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "ship_by": self.ship_by.isoformat() if self.ship_by else None,
            "service": self.service,
            "min_priority": self.min_priority,
            "fulfilment_orders": list(self.fulfilment_orders),
            "limit": self.limit,
        }


@dataclass(frozen=True)
class PickPart:
    fulfilment_order: str
    line_no: int
    quantity: int
    picked: int
    short: int


@dataclass(frozen=True)
class Pick:
    id: int
    seq: int
    sku: str
    name: str
    barcode: str | None
    bin_code: str | None
    zone: str | None
    quantity: int
    picked: int
    short: int
    parts: tuple[PickPart, ...]

    @property
    def aisle(self) -> str:
        return picking.aisle_of(self.bin_code)

    @property
    def left(self) -> int:
        return self.quantity - self.picked - self.short


@dataclass(frozen=True)
class PickList:
    number: str
    wave: str
    location: str
    strategy: PickStrategy
    zone: str | None
    status: PickListStatus
    picker: str | None
    fulfilment_orders: list[str]
    created_at: datetime
    picks: list[Pick] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(p.quantity for p in self.picks)

    @property
    def left(self) -> int:
        return sum(p.left for p in self.picks)

    @property
    def next_pick(self) -> Pick | None:
        return next((p for p in self.picks if p.left > 0), None)


@dataclass(frozen=True)
class Wave:
    number: str
    location: str
    strategy: PickStrategy
    status: WaveStatus
    criteria: dict[str, Any]
    released_by: str
    released_at: datetime
    pick_lists: list[PickList]


def release_wave(uow: UnitOfWork, location: str, criteria: WaveCriteria, *, actor: str) -> Wave:
    """Release the pending work that matches ``criteria`` to the floor as pick lists.

    Raises: ValidationFailed, NothingToRelease, LocationNotFound.
    """
    if not 1 <= criteria.limit <= 500:
        raise ValidationFailed.single("limit", "must be 1 to 500 fulfilment orders")
    if criteria.batch_size is not None and not 1 <= criteria.batch_size <= 100:
        raise ValidationFailed.single("batch_size", "must be 1 to 100 orders")
    with uow:
        _location_exists(uow, location)
        work.sync(uow, location=location)
        settings = setup.location_settings(uow, location)
        strategy = criteria.strategy or settings.pick_strategy
        chosen = _candidates(uow, location, criteria)
        if not chosen:
            raise NothingToRelease(
                f"No pending fulfilment orders at {location} match; nothing released.",
                location=location,
            )
        rank = {fo["number"]: i for i, fo in enumerate(chosen)}
        lines = uow.conn.execute(
            sa.select(fulfilment_lines, _f.number)
            .join(fulfilment_orders, _f.id == _fl.fulfilment_order_id)
            .where(_f.id.in_([fo["id"] for fo in chosen]))
        ).mappings()
        needs = [
            picking.Need(ln["number"], ln["id"], ln["sku_code"], left, rank[ln["number"]])
            for ln in lines
            if (left := ln["quantity"] - ln["quantity_picked"] - ln["quantity_short"]) > 0
        ]
        stock = bin_stock_free(uow, location, sorted({n.sku for n in needs}))
        plans = picking.plan_lists(
            needs, stock, strategy, batch_size=criteria.batch_size or settings.batch_size
        )
        now = clock.now()
        wave_no = next_number(uow.conn, "wave", "WV")
        wave_id = uow.conn.execute(
            waves.insert()
            .values(
                number=wave_no,
                location_code=location,
                strategy=strategy.value,
                status=WaveStatus.RELEASED.value,
                criteria=criteria.as_data(),
                released_by=actor,
                released_at=now,
            )
            .returning(_w.id)
        ).scalar_one()
        for plan in plans:
            _write_list(uow, wave_id, location, strategy, plan, now)
        for fo in chosen:
            work.set_status(
                uow, fo["id"], fo["number"], FulfilmentStatus.PENDING, FulfilmentStatus.RELEASED
            )
        uow.conn.execute(
            sa.update(fulfilment_orders)
            .where(_f.id.in_([fo["id"] for fo in chosen]))
            .values(wave_id=wave_id)
        )
        uow.record(
            Event(
                "wave.released",
                {
                    "number": wave_no,
                    "location": location,
                    "strategy": strategy.value,
                    "fulfilment_orders": [fo["number"] for fo in chosen],
                    "pick_lists": len(plans),
                },
                f"wave:{wave_no}",
            )
        )
        found = _wave(uow, wave_no)
        uow.commit()
    return found


def _location_exists(uow: UnitOfWork, location: str) -> None:
    from openoms.locations.model import LocationNotFound

    found = uow.conn.execute(sa.select(locations.c.id).where(locations.c.code == location))
    if found.first() is None:
        raise LocationNotFound(f"No location '{location}'.", location=location)


def _candidates(uow: UnitOfWork, location: str, c: WaveCriteria) -> list[dict[str, Any]]:
    from openoms.orders.orm import orders

    query = (
        sa.select(_f.id, _f.number)
        .join(orders, orders.c.id == _f.order_id)
        .where(
            _f.location_code == location,
            _f.status == FulfilmentStatus.PENDING.value,
            orders.c.status.in_([s.value for s in work.WORKABLE]),
        )
        .order_by(_f.priority.desc(), _f.ship_by.is_(None), _f.ship_by, _f.placed_at, _f.id)
        .limit(c.limit)
    )
    if c.ship_by is not None:
        query = query.where(_f.ship_by <= c.ship_by)
    if c.service is not None:
        query = query.where(_f.service == c.service)
    if c.min_priority is not None:
        query = query.where(_f.priority >= c.min_priority)
    if c.fulfilment_orders:
        query = query.where(_f.number.in_(list(c.fulfilment_orders)))
    return [dict(r) for r in uow.conn.execute(query).mappings()]


def bin_stock_free(
    uow: UnitOfWork, location: str, sku_codes: list[str]
) -> dict[str, list[picking.BinStock]]:
    """Units per bin of these SKUs at the location that no open pick has claimed."""
    if not sku_codes:
        return {}
    rows = uow.conn.execute(
        sa.select(skus.c.code, bins.c.code, zones.c.code, bin_stock.c.quantity)
        .select_from(
            bin_stock.join(skus, skus.c.id == bin_stock.c.sku_id)
            .join(bins, bins.c.id == bin_stock.c.bin_id)
            .join(zones, zones.c.id == bins.c.zone_id)
            .join(locations, locations.c.id == bin_stock.c.location_id)
        )
        .where(locations.c.code == location, skus.c.code.in_(sku_codes), bin_stock.c.quantity > 0)
    ).all()
    claimed = {
        (sku, b): int(q)
        for sku, b, q in uow.conn.execute(
            sa.select(_p.sku_code, _p.bin_code, sa.func.sum(_pp.quantity - _pp.quantity_short))
            .select_from(
                picks.join(pick_parts, _pp.pick_id == _p.id)
                .join(fulfilment_lines, _fl.id == _pp.fulfilment_line_id)
                .join(fulfilment_orders, _f.id == _fl.fulfilment_order_id)
            )
            .where(
                _f.location_code == location,
                _f.status.in_(
                    [s.value for s in ON_THE_FLOOR]  # units not yet out of their bin
                ),
                _p.sku_code.in_(sku_codes),
                _p.bin_code.is_not(None),
            )
            .group_by(_p.sku_code, _p.bin_code)
        )
    }
    out: dict[str, list[picking.BinStock]] = defaultdict(list)
    for sku, b, zone, qty in rows:
        free = int(qty) - claimed.get((sku, b), 0)
        if free > 0:
            out[sku].append(picking.BinStock(b, zone, free))
    return dict(out)


def _write_list(
    uow: UnitOfWork,
    wave_id: int,
    location: str,
    strategy: PickStrategy,
    plan: picking.PlannedList,
    now: datetime,
) -> None:
    number = next_number(uow.conn, "pick_list", "PL")
    list_id = uow.conn.execute(
        pick_lists.insert()
        .values(
            number=number,
            wave_id=wave_id,
            location_code=location,
            strategy=strategy.value,
            zone_code=plan.zone,
            status=PickListStatus.OPEN.value,
            fulfilment_orders=list(plan.fulfilment_orders),
            created_at=now,
        )
        .returning(_pl.id)
    ).scalar_one()
    for seq, line in enumerate(plan.lines, start=1):
        pick_id = uow.conn.execute(
            picks.insert()
            .values(
                pick_list_id=list_id,
                seq=seq,
                sku_code=line.sku,
                bin_code=line.bin_code,
                zone_code=line.zone,
                quantity=line.quantity,
            )
            .returning(_p.id)
        ).scalar_one()
        uow.conn.execute(
            pick_parts.insert(),
            [
                {
                    "pick_id": pick_id,
                    "fulfilment_line_id": part.line_id,
                    "seq": i,
                    "quantity": part.quantity,
                }
                for i, part in enumerate(line.parts)
            ],
        )


# ---------------------------------------------------------------- reads


def get_wave(uow: UnitOfWork, number: str) -> Wave:
    """Raises: WaveNotFound."""
    with uow:
        return _wave(uow, number)


def list_waves(uow: UnitOfWork, location: str | None = None, *, limit: int = 50) -> list[Wave]:
    with uow:
        query = sa.select(_w.number).order_by(_w.id.desc()).limit(limit)
        if location is not None:
            query = query.where(_w.location_code == location)
        return [_wave(uow, n) for n in uow.conn.execute(query).scalars()]


def _wave(uow: UnitOfWork, number: str) -> Wave:
    row = uow.conn.execute(sa.select(waves).where(_w.number == number)).mappings().first()
    if row is None:
        raise WaveNotFound(f"No wave {number}.", number=number)
    numbers = uow.conn.execute(
        sa.select(_pl.number).where(_pl.wave_id == row["id"]).order_by(_pl.id)
    ).scalars()
    return Wave(
        row["number"],
        row["location_code"],
        PickStrategy(row["strategy"]),
        WaveStatus(row["status"]),
        row["criteria"],
        row["released_by"],
        row["released_at"],
        [load_list(uow, n) for n in numbers],
    )


def list_pick_lists(
    uow: UnitOfWork,
    *,
    location: str | None = None,
    status: PickListStatus | None = None,
    locations_scope: frozenset[str] | None = None,
    limit: int = 100,
) -> list[PickList]:
    with uow:
        query = sa.select(_pl.number).order_by(_pl.id.desc()).limit(limit)
        if location is not None:
            query = query.where(_pl.location_code == location)
        if locations_scope is not None:
            query = query.where(_pl.location_code.in_(sorted(locations_scope)))
        if status is not None:
            query = query.where(_pl.status == status.value)
        return [load_list(uow, n) for n in uow.conn.execute(query).scalars()]


def get_pick_list(uow: UnitOfWork, number: str) -> PickList:
    """Raises: PickListNotFound."""
    with uow:
        return load_list(uow, number)


def load_list(uow: UnitOfWork, number: str, *, lock: bool = False) -> PickList:
    query = (
        sa.select(pick_lists, _w.number.label("wave_number"))
        .join(waves, _w.id == _pl.wave_id)
        .where(_pl.number == number)
    )
    if lock and uow.dialect == "postgresql":
        query = query.with_for_update(of=pick_lists)
    row = uow.conn.execute(query).mappings().first()
    if row is None:
        raise PickListNotFound(f"No pick list {number}.", number=number)
    pick_rows = list(
        uow.conn.execute(
            sa.select(picks, skus.c.name, skus.c.barcode)
            .join(skus, skus.c.code == _p.sku_code)
            .where(_p.pick_list_id == row["id"])
            .order_by(_p.seq)
        ).mappings()
    )
    parts: dict[int, list[PickPart]] = defaultdict(list)
    if pick_rows:
        for pr in uow.conn.execute(
            sa.select(
                _pp.pick_id,
                _f.number,
                _fl.line_no,
                _pp.quantity,
                _pp.quantity_picked,
                _pp.quantity_short,
            )
            .select_from(
                pick_parts.join(fulfilment_lines, _fl.id == _pp.fulfilment_line_id).join(
                    fulfilment_orders, _f.id == _fl.fulfilment_order_id
                )
            )
            .where(_pp.pick_id.in_([p["id"] for p in pick_rows]))
            .order_by(_pp.pick_id, _pp.seq)
        ):
            parts[pr[0]].append(PickPart(pr[1], pr[2], pr[3], pr[4], pr[5]))
    return PickList(
        row["number"],
        row["wave_number"],
        row["location_code"],
        PickStrategy(row["strategy"]),
        row["zone_code"],
        PickListStatus(row["status"]),
        row["picker"],
        list(row["fulfilment_orders"]),
        row["created_at"],
        [
            Pick(
                p["id"],
                p["seq"],
                p["sku_code"],
                p["name"],
                p["barcode"],
                p["bin_code"],
                p["zone_code"],
                sum(x.quantity for x in parts[p["id"]]),
                sum(x.picked for x in parts[p["id"]]),
                sum(x.short for x in parts[p["id"]]),
                tuple(parts[p["id"]]),
            )
            for p in pick_rows
        ],
    )


# ---------------------------------------------------------------- scanning


@dataclass(frozen=True)
class ScanResult:
    pick_list: PickList
    pick: Pick
    message: str


def scan(
    uow: UnitOfWork,
    number: str,
    code: str,
    *,
    actor: str,
    quantity: int = 1,
    pick_id: int | None = None,
) -> ScanResult:
    """Confirm ``quantity`` units of a pick by scanning the SKU code or its barcode.

    ``pick_id`` is the pick on the picker's screen: the scan must be for it. Without one,
    the scan confirms the first open pick of that SKU on the list.

    Raises: PickListNotFound, WrongScan, OverPick, ValidationFailed.
    """
    code = (code or "").strip()
    if not code:
        raise ValidationFailed.single("code", "scan or type the SKU code or barcode")
    if not 1 <= quantity <= 10_000:
        raise ValidationFailed.single("quantity", "must be 1 to 10000")
    with uow:
        plist = load_list(uow, number, lock=True)
        sku = _sku_of(uow, code)
        target = _target(plist, sku, code, pick_id)
        if quantity > target.left:
            raise OverPick(
                f"The pick asks for {target.left} more of {target.sku}"
                f"{_at(target)}; {quantity} is too many.",
                sku=target.sku,
                left=target.left,
            )
        _confirm(uow, target, quantity)
        _claim(uow, plist, actor)
        after = _after_change(uow, plist.number)
        done = next(p for p in after.picks if p.id == target.id)
        uow.commit()
    message = f"{quantity} × {target.sku} picked{_at(target)}."
    if done.left:
        message += f" {done.left} more to pick here."
    elif after.next_pick is not None:
        n = after.next_pick
        message += f" Next: {n.left} × {n.sku}{_at(n)}."
    else:
        message += " The list is complete."
    return ScanResult(after, done, message)


def _at(pick: Pick) -> str:
    return f" from bin {pick.bin_code}" if pick.bin_code else " (loose stock)"


def _sku_of(uow: UnitOfWork, code: str) -> str | None:
    found = uow.conn.execute(
        sa.select(skus.c.code).where(
            sa.or_(skus.c.code == code, skus.c.barcode == code, skus.c.code == code.upper())
        )
    ).scalar_one_or_none()
    return str(found) if found is not None else None


def _target(plist: PickList, sku: str | None, code: str, pick_id: int | None) -> Pick:
    if pick_id is not None:
        wanted = next((p for p in plist.picks if p.id == pick_id), None)
        if wanted is None:
            raise ValidationFailed.single("pick_id", f"not a pick of list {plist.number}")
        if sku != wanted.sku:
            scanned = f"{code} ({sku})" if sku and sku != code else code
            raise WrongScan(
                f"Wrong item: scanned {scanned}, the pick asks for {wanted.sku} "
                f"({wanted.name}){_at(wanted)}.",
                scanned=code,
                expected=wanted.sku,
            )
        return wanted
    if sku is None:
        raise WrongScan(f"Unknown code {code}: no SKU has this code or barcode.", scanned=code)
    mine = [p for p in plist.picks if p.sku == sku]
    if not mine:
        raise WrongScan(
            f"Wrong item: {sku} is not on pick list {plist.number}.", scanned=code, sku=sku
        )
    open_ = [p for p in mine if p.left > 0]
    if not open_:
        raise OverPick(
            f"Every {sku} on pick list {plist.number} is already picked.", sku=sku, left=0
        )
    return open_[0]


def _confirm(uow: UnitOfWork, pick: Pick, quantity: int) -> None:
    """Add picked units to the pick's parts in the order they are served."""
    left = quantity
    parts = uow.conn.execute(
        sa.select(_pp.fulfilment_line_id, _pp.quantity, _pp.quantity_picked, _pp.quantity_short)
        .where(_pp.pick_id == pick.id)
        .order_by(_pp.seq)
    ).all()
    for line_id, qty, picked, short in parts:
        take = min(left, qty - picked - short)
        if take <= 0:
            continue
        _count(uow, pick.id, line_id, "quantity_picked", take)
        left -= take
        if left == 0:
            break


def _count(uow: UnitOfWork, pick_id: int, line_id: int, column: str, units: int) -> None:
    """Add units picked (or found short) to a pick's part and to its fulfilment line."""
    uow.conn.execute(
        sa.update(pick_parts)
        .where(_pp.pick_id == pick_id, _pp.fulfilment_line_id == line_id)
        .values({column: pick_parts.c[column] + units})
    )
    uow.conn.execute(
        sa.update(fulfilment_lines)
        .where(_fl.id == line_id)
        .values({column: fulfilment_lines.c[column] + units})
    )


def _claim(uow: UnitOfWork, plist: PickList, actor: str) -> None:
    if plist.picker is None:
        uow.conn.execute(
            sa.update(pick_lists).where(_pl.number == plist.number).values(picker=actor)
        )


def _after_change(uow: UnitOfWork, number: str) -> PickList:
    """Move the list's fulfilment orders and the list and wave on, as far as they got."""
    plist = load_list(uow, number)
    numbers = sorted({part.fulfilment_order for p in plist.picks for part in p.parts})
    for fo in numbers:
        row = uow.conn.execute(sa.select(_f.id, _f.status).where(_f.number == fo)).one()
        work.advance(
            uow, row.id, fo, FulfilmentStatus(row.status), nothing_picked=FulfilmentStatus.SHORT
        )
    if plist.left == 0 and plist.status is PickListStatus.OPEN:
        uow.conn.execute(
            sa.update(pick_lists)
            .where(_pl.number == number)
            .values(status=PickListStatus.DONE.value, done_at=clock.now())
        )
        open_lists = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(pick_lists)
            .where(
                _pl.wave_id == sa.select(_pl.wave_id).where(_pl.number == number).scalar_subquery(),
                _pl.status == PickListStatus.OPEN.value,
            )
        ).scalar_one()
        if not open_lists:
            uow.conn.execute(
                sa.update(waves).where(_w.number == plist.wave).values(status=WaveStatus.DONE.value)
            )
    return load_list(uow, number)


def short_pick(
    uow: UnitOfWork, number: str, pick_id: int, missing: int, *, actor: str, note: str = ""
) -> ScanResult:
    """``missing`` units of a pick are not there. The last-served orders lose them first:
    their reservations are given back, the units written off the bin (reason
    ``short_pick``), and each order sources them again or backorders them.

    Raises: PickListNotFound, ValidationFailed, OverPick.
    """
    with uow:
        plist = load_list(uow, number, lock=True)
        pick = next((p for p in plist.picks if p.id == pick_id), None)
        if pick is None:
            raise ValidationFailed.single("pick_id", f"not a pick of list {number}")
        if not 1 <= missing <= pick.left:
            raise OverPick(
                f"The pick has {pick.left} units left to pick; {missing} cannot be short.",
                sku=pick.sku,
                left=pick.left,
            )
        parts = uow.conn.execute(
            sa.select(
                _pp.fulfilment_line_id,
                _pp.quantity,
                _pp.quantity_picked,
                _pp.quantity_short,
                _fl.line_no,
                _f.order_id,
                _f.number,
            )
            .select_from(
                pick_parts.join(fulfilment_lines, _fl.id == _pp.fulfilment_line_id).join(
                    fulfilment_orders, _f.id == _fl.fulfilment_order_id
                )
            )
            .where(_pp.pick_id == pick.id)
            .order_by(_pp.seq.desc())
        ).all()
        left = missing
        reference = f"pick:{number}"
        for line_id, qty, picked, short, line_no, order_id, fo in parts:
            take = min(left, qty - picked - short)
            if take <= 0:
                continue
            left -= take
            _count(uow, pick.id, line_id, "quantity_short", take)
            inventory.release_line(
                uow,
                stock_owner(order_id),
                line_no,
                take,
                actor=actor,
                reason="short_pick",
                location=plist.location,
            )
            _write_off(uow, plist.location, pick, take, actor, reference)
            order_shipping.resource_short(
                uow, order_id, line_no, take, actor=actor, location=plist.location
            )
            uow.record(
                Event(
                    "fulfilment_order.short_picked",
                    {
                        "number": fo,
                        "sku": pick.sku,
                        "bin": pick.bin_code,
                        "units": take,
                        "note": note,
                    },
                    f"fulfilment_order:{fo}",
                )
            )
            if left == 0:
                break
        after = _after_change(uow, number)
        # the re-sourced units may be reserved here again: they become new pending work
        work.sync(uow, location=plist.location)
        done = next(p for p in after.picks if p.id == pick.id)
        uow.commit()
    return ScanResult(
        after,
        done,
        f"{missing} × {pick.sku} marked short{_at(pick)}; the order was sourced again.",
    )


def _write_off(
    uow: UnitOfWork, location: str, pick: Pick, units: int, actor: str, reference: str
) -> None:
    """Take the missing units off the books, from the pick's bin. Units other orders hold
    cannot be written off; what the books still show beyond that needs a count."""
    free = uow.conn.execute(
        sa.select(stock_levels.c.on_hand - stock_levels.c.reserved).where(
            stock_levels.c.sku_code == pick.sku, stock_levels.c.location_code == location
        )
    ).scalar_one_or_none()
    units = min(units, int(free or 0))
    if units <= 0:
        return
    try:
        with uow.conn.begin_nested():
            stock_service.write_off_in_transaction(
                uow,
                location,
                pick.sku,
                units,
                AdjustmentReason.SHORT_PICK,
                actor=actor,
                bin_code=pick.bin_code,
                reference=reference,
            )
    except (InsufficientStock, StockBelowReserved):
        uow.record(
            Event(
                "inventory.count_needed",
                {"location": location, "sku": pick.sku, "bin": pick.bin_code},
                f"inventory:{location}:{pick.sku}",
            )
        )
