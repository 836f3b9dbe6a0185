"""Receiving, adjusting, counting and placing stock."""

from __future__ import annotations

from dataclasses import dataclass

from openoms.infra.db import UnitOfWork
from openoms.inventory import refs
from openoms.inventory.ledger import Ledger, Level, Movement
from openoms.inventory.model import (
    AdjustmentReason,
    InsufficientStock,
    MovementKind,
    Shortage,
    StockBelowReserved,
    StockLine,
    merge_lines,
)
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class LevelOut:
    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


def receive_stock(
    uow: UnitOfWork, location: str, lines: list[StockLine], *, reference: str, actor: str
) -> list[LevelOut]:
    """Book goods in at a location (optionally into bins).

    Raises: ValidationFailed, LocationNotFound, SkuNotFound, BinNotFound.
    """
    return _add_stock(uow, MovementKind.RECEIPT, location, lines, reference=reference, actor=actor)


def restock_returned(
    uow: UnitOfWork, location: str, lines: list[StockLine], *, reference: str, actor: str
) -> list[LevelOut]:
    """Put returned units back on hand at the location that received them.

    Raises: ValidationFailed, LocationNotFound, SkuNotFound, BinNotFound.
    """
    return _add_stock(uow, MovementKind.RETURN, location, lines, reference=reference, actor=actor)


def _add_stock(
    uow: UnitOfWork,
    kind: MovementKind,
    location: str,
    lines: list[StockLine],
    *,
    reference: str,
    actor: str,
) -> list[LevelOut]:
    with uow:
        out = _add_in_transaction(uow, kind, location, lines, reference=reference, actor=actor)
        uow.commit()
    return out


def restock_returned_in_transaction(
    uow: UnitOfWork, location: str, lines: list[StockLine], *, reference: str, actor: str
) -> list[LevelOut]:
    """``restock_returned`` inside the caller's transaction (a return's inspection)."""
    return _add_in_transaction(
        uow, MovementKind.RETURN, location, lines, reference=reference, actor=actor
    )


def _add_in_transaction(
    uow: UnitOfWork,
    kind: MovementKind,
    location: str,
    lines: list[StockLine],
    *,
    reference: str,
    actor: str,
) -> list[LevelOut]:
    merged = merge_lines(lines)
    location_id = refs.location_id(uow, location)
    ids = refs.sku_ids(uow, [line.sku for line in merged])
    ledger = Ledger(uow.conn, actor=actor, reference=reference, now=clock.now())
    out = []
    for line in sorted(merged, key=lambda ln: (ids[ln.sku], ln.bin or "")):
        bin_id = refs.bin_id(uow, location_id, location, line.bin)
        level = ledger.add_on_hand(ids[line.sku], line.sku, location_id, location, line.quantity)
        if bin_id is not None:
            ledger.add_to_bin(level.sku_id, location_id, bin_id, line.quantity)
        ledger.record(Movement(kind, level.sku_id, location_id, line.quantity, 0, bin_id))
        out.append(_out(level, line.sku, location))
    ledger.flush()
    return out


def adjust_stock(
    uow: UnitOfWork,
    location: str,
    sku: str,
    quantity_delta: int,
    reason: AdjustmentReason,
    *,
    actor: str,
    bin_code: str | None = None,
    reference: str = "",
) -> LevelOut:
    """Correct on_hand up or down with a reason code (damage, loss, found …).

    Raises: ValidationFailed, LocationNotFound, SkuNotFound, BinNotFound,
    InsufficientStock (not that much free stock), StockBelowReserved.
    """
    if (
        isinstance(quantity_delta, bool)
        or not isinstance(quantity_delta, int)
        or quantity_delta == 0
    ):
        raise ValidationFailed.single("quantity_delta", "must be a non-zero whole number")
    with uow:
        location_id = refs.location_id(uow, location)
        sku_id = refs.sku_ids(uow, [sku])[sku]
        bin_id = refs.bin_id(uow, location_id, location, bin_code)
        ledger = Ledger(uow.conn, actor=actor, reference=reference, now=clock.now())
        if quantity_delta > 0:
            level = ledger.add_on_hand(sku_id, sku, location_id, location, quantity_delta)
            if bin_id is not None:
                ledger.add_to_bin(sku_id, location_id, bin_id, quantity_delta)
            ledger.record(
                Movement(
                    MovementKind.ADJUSTMENT, sku_id, location_id, quantity_delta, 0, bin_id, reason
                )
            )
        else:
            level = _remove(
                ledger,
                sku,
                location,
                sku_id,
                location_id,
                -quantity_delta,
                kind=MovementKind.ADJUSTMENT,
                bin_id=bin_id,
                reason=reason.value,
            )
        ledger.flush()
        uow.commit()
    return _out(level, sku, location)


def write_off_in_transaction(
    uow: UnitOfWork,
    location: str,
    sku: str,
    quantity: int,
    reason: AdjustmentReason,
    *,
    actor: str,
    bin_code: str | None = None,
    reference: str = "",
) -> LevelOut:
    """Take free units off hand (an adjustment with a reason) inside the caller's
    transaction: from ``bin_code`` while it holds them, else loose first, then bins.

    Raises: LocationNotFound, SkuNotFound, InsufficientStock, StockBelowReserved.
    """
    location_id = refs.location_id(uow, location)
    sku_id = refs.sku_ids(uow, [sku])[sku]
    ledger = Ledger(uow.conn, actor=actor, reference=reference, now=clock.now())
    bin_id = refs.bin_id(uow, location_id, location, bin_code)
    if bin_id is not None and ledger.bin_quantity(sku_id, bin_id) < quantity:
        bin_id = None
    level = _remove(
        ledger,
        sku,
        location,
        sku_id,
        location_id,
        quantity,
        kind=MovementKind.ADJUSTMENT,
        bin_id=bin_id,
        reason=reason.value,
    )
    ledger.flush()
    return _out(level, sku, location)


@dataclass(frozen=True)
class CountLine:
    sku: str
    counted: int
    bin: str | None = None


def record_count(
    uow: UnitOfWork, location: str, lines: list[CountLine], *, actor: str, reference: str = ""
) -> list[LevelOut]:
    """Enter counted quantities; the ledger records each difference as a ``count`` movement.

    A line with a bin counts that bin; without one it counts the whole location.
    All lines or none. Raises: ValidationFailed, LocationNotFound, SkuNotFound,
    BinNotFound, StockBelowReserved (counted less than is reserved: release first).
    """
    errors = [
        FieldError(f"lines[{i}].counted", "must be a whole number of zero or more")
        for i, ln in enumerate(lines)
        if isinstance(ln.counted, bool) or not isinstance(ln.counted, int) or ln.counted < 0
    ]
    keys = [(ln.sku, ln.bin) for ln in lines]
    if len(set(keys)) != len(keys):
        errors.append(FieldError("lines", "a SKU (and bin) is counted twice"))
    if not lines:
        errors.append(FieldError("lines", "give at least one line"))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        location_id = refs.location_id(uow, location)
        ids = refs.sku_ids(uow, [ln.sku for ln in lines])
        ledger = Ledger(uow.conn, actor=actor, reference=reference, now=clock.now())
        out = [
            _count_line(ledger, line, ids[line.sku], location, location_id, uow)
            for line in sorted(lines, key=lambda ln: (ids[ln.sku], ln.bin or ""))
        ]
        ledger.flush()
        uow.commit()
    return out


def _count_line(
    ledger: Ledger, line: CountLine, sku_id: int, location: str, location_id: int, uow: UnitOfWork
) -> LevelOut:
    bin_id = refs.bin_id(uow, location_id, location, line.bin)
    level = ledger.get_level(sku_id, location_id)
    before = (
        (level.on_hand if level else 0) if bin_id is None else ledger.bin_quantity(sku_id, bin_id)
    )
    delta = line.counted - before
    if delta > 0:
        level = ledger.add_on_hand(sku_id, line.sku, location_id, location, delta)
        if bin_id is not None:
            ledger.add_to_bin(sku_id, location_id, bin_id, delta)
        ledger.record(Movement(MovementKind.COUNT, sku_id, location_id, delta, 0, bin_id))
    elif delta < 0:
        level = _remove(
            ledger,
            line.sku,
            location,
            sku_id,
            location_id,
            -delta,
            kind=MovementKind.COUNT,
            bin_id=bin_id,
        )
    elif level is None:
        level = ledger.add_on_hand(sku_id, line.sku, location_id, location, 0)
    return _out(level, line.sku, location)


def set_safety_stock(
    uow: UnitOfWork, location: str, sku: str, quantity: int, *, actor: str
) -> LevelOut:
    """Hold units back from what is promised at a location.

    Raises: ValidationFailed, LocationNotFound, SkuNotFound.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValidationFailed.single("quantity", "must be a whole number of zero or more")
    with uow:
        location_id = refs.location_id(uow, location)
        sku_id = refs.sku_ids(uow, [sku])[sku]
        ledger = Ledger(uow.conn, actor=actor, reference="safety_stock", now=clock.now())
        level = ledger.add_on_hand(sku_id, sku, location_id, location, 0)
        level = ledger.set_safety_stock(level.id, quantity)
        uow.commit()
    return _out(level, sku, location)


def relocate_stock(
    uow: UnitOfWork,
    location: str,
    sku: str,
    quantity: int,
    *,
    to_bin: str,
    from_bin: str | None = None,
    actor: str,
) -> LevelOut:
    """Move units between bins of one location (or put loose stock away into a bin).

    Raises: ValidationFailed, LocationNotFound, SkuNotFound, BinNotFound, InsufficientStock.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed.single("quantity", "must be a whole number greater than zero")
    if from_bin == to_bin:
        raise ValidationFailed.single("to_bin", "must differ from from_bin")
    with uow:
        location_id = refs.location_id(uow, location)
        sku_id = refs.sku_ids(uow, [sku])[sku]
        source = refs.bin_id(uow, location_id, location, from_bin)
        target = refs.bin_id(uow, location_id, location, to_bin)
        assert target is not None
        ledger = Ledger(uow.conn, actor=actor, reference="relocation", now=clock.now())
        found = ledger.get_level(sku_id, location_id)
        movable = _movable(ledger, found, sku_id, source)
        if found is None or movable < quantity:
            raise InsufficientStock([Shortage(sku, from_bin or location, quantity, movable)])
        if source is not None:
            ledger.take_from_bin(sku_id, source, quantity)
        ledger.add_to_bin(sku_id, location_id, target, quantity)
        ledger.record(Movement(MovementKind.RELOCATION, sku_id, location_id, -quantity, 0, source))
        ledger.record(Movement(MovementKind.RELOCATION, sku_id, location_id, quantity, 0, target))
        level = found
        ledger.flush()
        uow.commit()
    return _out(level, sku, location)


def _movable(ledger: Ledger, level: Level | None, sku_id: int, source: int | None) -> int:
    if level is None:
        return 0
    if source is not None:
        return ledger.bin_quantity(sku_id, source)
    from openoms.inventory.queries import binned_quantity

    return level.on_hand - binned_quantity(ledger.conn, sku_id, level.location_id)


def _remove(
    ledger: Ledger,
    sku: str,
    location: str,
    sku_id: int,
    location_id: int,
    quantity: int,
    *,
    kind: MovementKind,
    bin_id: int | None,
    reason: str | None = None,
) -> Level:
    """Take free (unreserved) units off hand, from a bin if one is named."""
    level = ledger.get_level(sku_id, location_id)
    if level is None or level.on_hand < quantity:
        raise InsufficientStock([Shortage(sku, location, quantity, level.on_hand if level else 0)])
    if bin_id is not None and not ledger.take_from_bin(sku_id, bin_id, quantity):
        in_bin = ledger.bin_quantity(sku_id, bin_id)
        raise InsufficientStock([Shortage(sku, f"{location} bin", quantity, in_bin)])
    changed = ledger.change(level.id, -quantity, 0)
    if changed is None:
        raise StockBelowReserved(
            f"{sku} at {location}: removing {quantity} would leave less than the "
            f"{level.reserved} reserved units; release reservations first.",
            sku=sku,
            location=location,
            reserved=level.reserved,
            on_hand=level.on_hand,
        )
    ledger.record_removal(changed, kind, quantity, bin_id=bin_id, reason=reason)
    return changed


def _out(level: Level, sku: str, location: str) -> LevelOut:
    return LevelOut(sku, location, level.on_hand, level.reserved, level.safety_stock)
