"""The statements that change stock, and the movements that explain each change.

Every level change here is a single conditional ``UPDATE`` whose ``WHERE`` clause holds the
stock rules, checked by the returned row: there is no read-then-write, so concurrent
requests can never take the same unit twice. Rows that may not exist yet are created with an
upsert. Callers change several rows in one fixed order (SKU id, location id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.types import UtcDateTime
from openoms.infra.upsert import insert_for
from openoms.inventory.model import MovementKind
from openoms.inventory.orm import bin_stock, stock_levels, stock_movements

_sl = stock_levels.c


@dataclass(frozen=True)
class Level:
    id: int
    sku_id: int
    location_id: int
    on_hand: int
    reserved: int
    safety_stock: int


@dataclass(frozen=True)
class Movement:
    kind: MovementKind
    sku_id: int
    location_id: int
    on_hand_delta: int
    reserved_delta: int
    bin_id: int | None = None
    reason: str | None = None


class Ledger:
    """Stock statements bound to one transaction, one actor and one reference."""

    def __init__(self, conn: Connection, *, actor: str, reference: str, now: datetime) -> None:
        self.conn = conn
        self.actor = actor
        self.reference = reference
        self.now = now
        self._pending: list[Movement] = []

    # --- levels -----------------------------------------------------------------------
    def add_on_hand(
        self, sku_id: int, sku_code: str, location_id: int, location_code: str, quantity: int
    ) -> Level:
        """Increase on_hand, creating the level row if it is the first stock there."""
        stmt = insert_for(self.conn, stock_levels).values(
            sku_id=sku_id,
            location_id=location_id,
            sku_code=sku_code,
            location_code=location_code,
            on_hand=quantity,
            reserved=0,
            safety_stock=0,
            updated_at=self.now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[_sl.sku_id, _sl.location_id],
            set_={"on_hand": _sl.on_hand + stmt.excluded.on_hand, "updated_at": self.now},
        ).returning(*_LEVEL_COLUMNS)
        return Level(*self.conn.execute(stmt).one())

    def change(self, level_id: int, on_hand_delta: int, reserved_delta: int) -> Level | None:
        """Apply both deltas if the stock rules still hold afterwards; None if they would not.

        Rules: on_hand >= 0, 0 <= reserved <= on_hand, and a reservation may only take what
        is available (on_hand - reserved - safety_stock).
        """
        row = self.conn.execute(
            _CHANGE,
            {"level_id": level_id, "dh": on_hand_delta, "dr": reserved_delta, "now": self.now},
        ).first()
        return Level(*row) if row else None

    def set_safety_stock(self, level_id: int, quantity: int) -> Level:
        """Safety stock is a setting, not a movement: on_hand and reserved stay as they are."""
        stmt = (
            stock_levels.update()
            .where(_sl.id == level_id)
            .values(safety_stock=quantity, updated_at=self.now)
            .returning(*_LEVEL_COLUMNS)
        )
        return Level(*self.conn.execute(stmt).one())

    def get_level(self, sku_id: int, location_id: int) -> Level | None:
        row = self.conn.execute(
            sa.select(*_LEVEL_COLUMNS).where(_sl.sku_id == sku_id, _sl.location_id == location_id)
        ).first()
        return Level(*row) if row else None

    # --- bins -------------------------------------------------------------------------
    def add_to_bin(self, sku_id: int, location_id: int, bin_id: int, quantity: int) -> None:
        stmt = insert_for(self.conn, bin_stock).values(
            sku_id=sku_id, bin_id=bin_id, location_id=location_id, quantity=quantity
        )
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[bin_stock.c.sku_id, bin_stock.c.bin_id],
                set_={"quantity": bin_stock.c.quantity + stmt.excluded.quantity},
            )
        )

    def take_from_bin(self, sku_id: int, bin_id: int, quantity: int) -> bool:
        result = self.conn.execute(
            bin_stock.update()
            .where(
                bin_stock.c.sku_id == sku_id,
                bin_stock.c.bin_id == bin_id,
                bin_stock.c.quantity >= quantity,
            )
            .values(quantity=bin_stock.c.quantity - quantity)
        )
        return result.rowcount == 1

    def bin_quantity(self, sku_id: int, bin_id: int) -> int:
        value = self.conn.execute(
            sa.select(bin_stock.c.quantity).where(
                bin_stock.c.sku_id == sku_id, bin_stock.c.bin_id == bin_id
            )
        ).scalar()
        return int(value or 0)

    def drain_bins(self, level: Level) -> list[tuple[int, int]]:
        """After on_hand fell, take any excess out of bins so bins never hold more than on_hand.

        Stock not in any bin goes first; then bins in code order. Returns (bin_id, quantity).
        """
        rows = self.conn.execute(
            sa.select(bin_stock.c.bin_id, bin_stock.c.quantity)
            .where(
                bin_stock.c.sku_id == level.sku_id,
                bin_stock.c.location_id == level.location_id,
                bin_stock.c.quantity > 0,
            )
            .order_by(bin_stock.c.bin_id)
        ).all()
        excess = sum(r.quantity for r in rows) - level.on_hand
        taken: list[tuple[int, int]] = []
        for row in rows:
            if excess <= 0:
                break
            take = min(excess, row.quantity)
            self.take_from_bin(level.sku_id, row.bin_id, take)
            taken.append((row.bin_id, take))
            excess -= take
        return taken

    # --- movements --------------------------------------------------------------------
    def record(self, movement: Movement) -> None:
        self._pending.append(movement)

    def flush(self) -> None:
        """Write the recorded movements in one batched insert."""
        if not self._pending:
            return
        self.conn.execute(
            stock_movements.insert(),
            [
                {
                    "kind": m.kind.value,
                    "sku_id": m.sku_id,
                    "location_id": m.location_id,
                    "bin_id": m.bin_id,
                    "on_hand_delta": m.on_hand_delta,
                    "reserved_delta": m.reserved_delta,
                    "reason": m.reason,
                    "reference": self.reference,
                    "actor": self.actor,
                    "created_at": self.now,
                }
                for m in self._pending
            ],
        )
        self._pending.clear()

    def record_removal(
        self,
        level: Level,
        kind: MovementKind,
        quantity: int,
        *,
        reserved_delta: int = 0,
        bin_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Record units leaving on_hand, split over the bins they came out of."""
        from_bins: list[tuple[int, int]] = [(bin_id, quantity)] if bin_id is not None else []
        if bin_id is None:
            from_bins = self.drain_bins(level)
        loose = quantity - sum(q for _, q in from_bins)
        first = True
        for b, q in from_bins:
            self.record(
                Movement(
                    kind,
                    level.sku_id,
                    level.location_id,
                    -q,
                    reserved_delta if first else 0,
                    b,
                    reason,
                )
            )
            first = False
        if loose > 0 or first:
            self.record(
                Movement(
                    kind,
                    level.sku_id,
                    level.location_id,
                    -loose,
                    reserved_delta if first else 0,
                    None,
                    reason,
                )
            )


_LEVEL_COLUMNS = (_sl.id, _sl.sku_id, _sl.location_id, _sl.on_hand, _sl.reserved, _sl.safety_stock)


def _change_statement() -> sa.Update:
    """The one guarded UPDATE every level change goes through, built once."""
    dh = sa.bindparam("dh", type_=sa.Integer)
    dr = sa.bindparam("dr", type_=sa.Integer)
    return (
        stock_levels.update()
        .where(
            _sl.id == sa.bindparam("level_id", type_=sa.Integer),
            _sl.on_hand + dh >= 0,
            _sl.reserved + dr >= 0,
            _sl.reserved + dr <= _sl.on_hand + dh,
            sa.or_(dr <= 0, _sl.on_hand - _sl.reserved - _sl.safety_stock >= dr),
        )
        .values(
            on_hand=_sl.on_hand + dh,
            reserved=_sl.reserved + dr,
            updated_at=sa.bindparam("now", type_=UtcDateTime()),
        )
        .returning(*_LEVEL_COLUMNS)
    )


_CHANGE = _change_statement()
