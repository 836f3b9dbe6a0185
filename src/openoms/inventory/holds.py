"""The reservation hot path: one guarded UPDATE, the reservation row and its movement.

On PostgreSQL the three are a single statement (data-modifying CTEs): if the guarded UPDATE
matches no row, nothing is inserted and no row comes back, so the request costs one round
trip between BEGIN and COMMIT, the same as the bare UPDATE. SQLite cannot modify data in a
CTE, so there it is three statements. Every statement is built once, at import, with bind
parameters, so a call only binds values (building Core constructs per call cost more than
the database work; see docs/benchmarks.md).

A hold names its stock row by id (after the candidate query chose it) or by the SKU and
location codes (when the caller named the location), then only at an active location.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import Read, WritesFirst, driver_rows, run_built
from openoms.infra.types import UtcDateTime
from openoms.inventory.model import MovementKind, ReservationStatus
from openoms.inventory.orm import reservations, stock_levels, stock_movements
from openoms.locations import services as locations

_sl = stock_levels.c
_r = reservations.c


@dataclass(frozen=True)
class Held:
    reservation_id: int
    sku_id: int
    location_id: int
    location_code: str
    low: LowStock | None = None  # the hold took the row's free units to its safety stock


def _by_id() -> sa.ColumnElement[bool]:
    return _sl.id == sa.bindparam("level_id", type_=sa.Integer)


def _by_codes() -> sa.ColumnElement[bool]:
    return sa.and_(
        _sl.sku_code == sa.bindparam("sku", type_=sa.String),
        _sl.location_code == sa.bindparam("location", type_=sa.String),
        _sl.location_id.in_(locations.active_location_ids()),
    )


def _best() -> sa.ColumnElement[bool]:
    """The best active location (priority, then code) that has the units right now."""
    other = stock_levels.alias("candidate")
    ranking = locations.active_ranking().subquery()
    quantity = sa.bindparam("quantity", type_=sa.Integer)
    best = (
        sa.select(other.c.id)
        .join(ranking, ranking.c.id == other.c.location_id)
        .where(
            other.c.sku_code == sa.bindparam("sku", type_=sa.String),
            other.c.on_hand - other.c.reserved - other.c.safety_stock >= quantity,
        )
        .order_by(ranking.c.priority, other.c.location_code)
        .limit(1)
        .scalar_subquery()
    )
    return _sl.id == best


def _guarded_update(selector: sa.ColumnElement[bool]) -> sa.Update:
    quantity = sa.bindparam("quantity", type_=sa.Integer)
    return (
        stock_levels.update()
        .where(selector, _sl.on_hand - _sl.reserved - _sl.safety_stock >= quantity)
        .values(
            reserved=_sl.reserved + quantity, updated_at=sa.bindparam("now", type_=UtcDateTime())
        )
        .returning(
            _sl.id,
            _sl.sku_id,
            _sl.location_id,
            _sl.location_code,
            _sl.sku_code,
            _sl.on_hand,
            _sl.reserved,
            _sl.safety_stock,
        )
    )


def _values() -> dict[str, Any]:
    """The reservation's own fields, as bind parameters."""
    return {
        "owner_type": sa.bindparam("owner_type", type_=sa.String),
        "owner_ref": sa.bindparam("owner_ref", type_=sa.String),
        "quantity": sa.bindparam("quantity", type_=sa.Integer),
        "quantity_initial": sa.bindparam("quantity", type_=sa.Integer),
        "status": sa.literal(ReservationStatus.ACTIVE.value),
        "expires_at": sa.bindparam("expires_at", type_=UtcDateTime()),
        "created_at": sa.bindparam("now", type_=UtcDateTime()),
    }


def _movement_values() -> dict[str, Any]:
    return {
        "kind": sa.literal(MovementKind.RESERVATION.value),
        "bin_id": sa.null(),
        "on_hand_delta": sa.literal(0),
        "reserved_delta": sa.bindparam("quantity", type_=sa.Integer),
        "reason": sa.null(),
        "reference": sa.bindparam("reference", type_=sa.String),
        "actor": sa.bindparam("actor", type_=sa.String),
        "created_at": sa.bindparam("now", type_=UtcDateTime()),
    }


def _one_statement(selector: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """PostgreSQL: UPDATE, INSERT reservation and INSERT movement as one statement."""
    level = _guarded_update(selector).cte("level")
    values = _values()
    held = (
        reservations.insert()
        .from_select(
            ["stock_level_id", "sku_id", "location_id", *values],
            sa.select(level.c.id, level.c.sku_id, level.c.location_id, *values.values()),
        )
        .returning(_r.id, _r.sku_id, _r.location_id, _r.stock_level_id)
        .cte("held")
    )
    moves = _movement_values()
    movement = (
        stock_movements.insert()
        .from_select(
            ["sku_id", "location_id", *moves],
            sa.select(held.c.sku_id, held.c.location_id, *moves.values()),
        )
        .cte("movement")
    )
    return (
        sa.select(
            held.c.id,
            held.c.sku_id,
            held.c.location_id,
            level.c.location_code,
            level.c.sku_code,
            level.c.on_hand,
            level.c.reserved,
            level.c.safety_stock,
        )
        .select_from(held.join(level, held.c.stock_level_id == level.c.id))
        .add_cte(movement)
    )


_PG_BY_ID = _one_statement(_by_id())
_PG_BY_CODES = _one_statement(_by_codes())
_PG_BEST = _one_statement(_best())
_UPDATE_BEST = _guarded_update(_best())
_UPDATE_BY_ID = _guarded_update(_by_id())
_UPDATE_BY_CODES = _guarded_update(_by_codes())
_INSERT_RESERVATION = (
    reservations.insert()
    .values(
        stock_level_id=sa.bindparam("level_id", type_=sa.Integer),
        sku_id=sa.bindparam("sku_id", type_=sa.Integer),
        location_id=sa.bindparam("location_id", type_=sa.Integer),
        **_values(),
    )
    .returning(_r.id)
)
_INSERT_MOVEMENT = stock_movements.insert().values(
    sku_id=sa.bindparam("sku_id", type_=sa.Integer),
    location_id=sa.bindparam("location_id", type_=sa.Integer),
    **_movement_values(),
)


class HoldWriter:
    """Makes reservations for one owner inside the caller's transaction."""

    def __init__(
        self,
        conn: Connection,
        *,
        owner_type: str,
        owner_ref: str,
        expires_at: datetime | None,
        actor: str,
        now: datetime,
    ) -> None:
        self.conn = conn
        self.is_postgres = conn.dialect.name == "postgresql"
        self.params: dict[str, Any] = {
            "owner_type": owner_type,
            "owner_ref": owner_ref,
            "expires_at": expires_at,
            "actor": actor,
            "reference": f"{owner_type}:{owner_ref}",
            "now": now,
        }

    def hold_row(self, level_id: int, quantity: int) -> Held | None:
        """Reserve on a known stock row; None when it no longer has the units."""
        params = {**self.params, "level_id": level_id, "quantity": quantity}
        if self.is_postgres:
            return self._one(_PG_BY_ID, params)
        return self._three(_UPDATE_BY_ID, params)

    def hold_at(self, sku: str, location: str, quantity: int) -> Held | None:
        """Reserve at a named location (if active); None when it cannot."""
        params = {**self.params, "sku": sku, "location": location, "quantity": quantity}
        if self.is_postgres:
            return self._one(_PG_BY_CODES, params)
        return self._three(_UPDATE_BY_CODES, params)

    def hold_best(self, sku: str, quantity: int) -> Held | None:
        """Reserve at the best active location that has the units; None when none has.

        A concurrent request may take the units between the choice and the update; the
        guard then fails and the caller falls back to trying each location in turn.
        """
        params = {**self.params, "sku": sku, "quantity": quantity}
        if self.is_postgres:
            return self._one(_PG_BEST, params)
        return self._three(_UPDATE_BEST, params)

    def _one(self, statement: sa.Select[Any], params: dict[str, Any]) -> Held | None:
        # Sent as the compiled SQL string: this is the hottest statement of the system, and
        # skipping SQLAlchemy's per-execution work is a measured third of its cost.
        rows = run_built(self.conn, statement, params)
        if not rows:
            return None
        row = rows[0]
        return Held(row[0], row[1], row[2], row[3], _low(row[3:], params["quantity"]))

    def _three(self, update: sa.Update, params: dict[str, Any]) -> Held | None:
        level = self.conn.execute(update, params).first()
        if level is None:
            return None
        ids = {"level_id": level[0], "sku_id": level[1], "location_id": level[2]}
        reservation_id = self.conn.execute(_INSERT_RESERVATION, {**params, **ids}).scalar_one()
        self.conn.execute(_INSERT_MOVEMENT, {**params, **ids})
        return Held(
            reservation_id, level[1], level[2], level[3], _low(level[3:], params["quantity"])
        )


def _low(row: Sequence[Any], quantity: int) -> LowStock | None:
    """(location, sku, on_hand, reserved, safety_stock) after a hold of ``quantity``: low
    when this hold took the free units to the safety stock or below."""
    location, sku, on_hand, reserved, safety = row
    if on_hand - reserved <= safety < on_hand - (reserved - quantity):
        return LowStock(sku, location, on_hand, reserved, safety)
    return None


@dataclass(frozen=True)
class Candidate:
    level_id: int
    location: str
    available: int


_ranking = locations.active_ranking().subquery()
_CANDIDATES = (
    sa.select(
        _sl.id, _sl.sku_code, _sl.location_code, _sl.on_hand - _sl.reserved - _sl.safety_stock
    )
    .join(_ranking, _ranking.c.id == _sl.location_id)
    .where(_sl.sku_code.in_(sa.bindparam("skus", expanding=True)))
    .order_by(_sl.sku_code, _ranking.c.priority, _sl.location_code)
)


def candidates(conn: Connection, skus: list[str]) -> dict[str, list[Candidate]]:
    """Active stock rows for the SKUs, best location first (priority, then code)."""
    out: dict[str, list[Candidate]] = {}
    for level_id, sku, location, available in conn.execute(_CANDIDATES, {"skus": skus}):
        out.setdefault(sku, []).append(Candidate(level_id, location, int(available)))
    return out


@dataclass(frozen=True)
class PlannedRow:
    """Units to hold on one stock row for one line of the owner."""

    level_id: int
    quantity: int
    owner_line: int | None = None


@dataclass(frozen=True)
class LowStock:
    """A stock row whose free units just fell to its safety stock or below."""

    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int


@dataclass(frozen=True)
class HeldMany:
    reservation_ids: list[int]
    low: list[LowStock]


def hold_many(
    conn: Connection,
    rows: list[PlannedRow],
    *,
    owner_type: str,
    owner_ref: str,
    actor: str,
    now: datetime,
    expires_at: datetime | None = None,
    first: WritesFirst | None = None,
) -> HeldMany | None:
    """Hold every row or none, in a fixed number of statements whatever the number of rows:
    on SQLite one guarded UPDATE over all the stock rows, one INSERT of the reservations and
    one of the movements; on PostgreSQL the same as one statement that first locks the rows
    in id order. ``first`` (PostgreSQL): rows the same statement writes before it locks
    any stock row (``UnitOfWork.pending_first``).

    Returns the reservation ids in the order of ``rows`` and the stock rows this hold took
    down to their safety stock, or None when a stock row no longer has the units (the
    caller rolls back and plans again).
    """
    per_level: dict[int, int] = {}
    for row in rows:
        per_level[row.level_id] = per_level.get(row.level_id, 0) + row.quantity
    ordered = sorted(per_level.items())
    params: dict[str, Any] = {"now": now}
    for i, (level, quantity) in enumerate(ordered):
        params[f"l{i}"], params[f"q{i}"] = level, quantity
    if conn.dialect.name == "postgresql":
        return _hold_many_at_once(
            conn, rows, per_level, params, owner_type, owner_ref, actor, expires_at, first
        )
    if first is not None:
        raise ValueError("rows to write first ride on PostgreSQL's statement only")
    update = _hold_update(len(ordered))
    updated = conn.execute(update, params).all()
    if len(updated) != len(per_level):
        return None
    levels = {r[0]: (r[1], r[2]) for r in updated}
    low = _lows(updated, per_level)
    common = {
        "owner_type": owner_type,
        "owner_ref": owner_ref,
        "status": "active",
        "expires_at": expires_at,
        "created_at": now,
    }
    # No sort_by_parameter_order: that sends one INSERT per row on SQLite. (line, stock row)
    # names each reservation of one owner, so the returned rows are matched on it instead.
    returned = conn.execute(
        reservations.insert().returning(_r.id, _r.owner_line, _r.stock_level_id),
        [
            {
                **common,
                "stock_level_id": r.level_id,
                "sku_id": levels[r.level_id][0],
                "location_id": levels[r.level_id][1],
                "owner_line": r.owner_line,
                "quantity": r.quantity,
                "quantity_initial": r.quantity,
            }
            for r in rows
        ],
    ).all()
    ids = {(line, level): rid for rid, line, level in returned}
    conn.execute(
        stock_movements.insert(),
        [
            {
                "kind": MovementKind.RESERVATION.value,
                "sku_id": levels[r.level_id][0],
                "location_id": levels[r.level_id][1],
                "bin_id": None,
                "on_hand_delta": 0,
                "reserved_delta": r.quantity,
                "reason": None,
                "reference": f"{owner_type}:{owner_ref}",
                "actor": actor,
                "created_at": now,
            }
            for r in rows
        ],
    )
    return HeldMany([ids[(r.owner_line, r.level_id)] for r in rows], low)


def _lows(updated: Sequence[Sequence[Any]], per_level: dict[int, int]) -> list[LowStock]:
    """The stock rows (id, sku id, location id, sku, location, on hand, reserved, safety
    stock, as updated) that this hold took down to their safety stock or below."""
    return [
        LowStock(r[3], r[4], r[5], r[6], r[7])
        for r in updated
        if r[5] - r[6] <= r[7] < r[5] - (r[6] - per_level[r[0]])
    ]


# The SQLSTATE of ``openoms_require_held`` (migration 0021): a hold's statement found a
# stock row without the units, and wrote nothing.
NOT_ALL_HELD = "OM001"
LOW_STOCK = "inventory.low_stock"


def _hold_many_at_once(
    conn: Connection,
    rows: list[PlannedRow],
    per_level: dict[int, int],
    params: dict[str, Any],
    owner_type: str,
    owner_ref: str,
    actor: str,
    expires_at: datetime | None,
    first: WritesFirst | None,
) -> HeldMany | None:
    """PostgreSQL: lock, update, reservations and movements in one statement, so the stock
    rows stay locked for one round trip less than three (what bounds hot-SKU throughput).
    ``first``'s rows are written before the rows are locked, so they keep them no longer.

    The statement holds every row or fails as a whole (``openoms_require_held``, migration
    0021), so it may also be a unit of work's last statement that commits by itself
    (``UnitOfWork.pending_first(last=True)``); for the same reason it writes the
    ``inventory.low_stock`` events of the rows it takes down to their safety stock itself,
    as :func:`_lows` tells them on SQLite."""
    values = {
        **(first.params if first is not None else {}),
        **params,
        "owner_type": owner_type,
        "owner_ref": owner_ref,
        "reference": f"{owner_type}:{owner_ref}",
        "actor": actor,
        "expires_at": expires_at,
    }
    for i, r in enumerate(rows):
        values[f"rl{i}"], values[f"ro{i}"], values[f"rq{i}"] = r.level_id, r.owner_line, r.quantity
    values["levels"] = len(per_level)
    sql = _hold_at_once_sql(len(per_level), len(rows), conn.dialect)
    if first is not None:
        sql = _with_first(sql, first.ctes, first.gate, first.then_ctes, first.answer)
    try:
        ((_all_held, text, answer),) = driver_rows(conn, sql, values)
    except sa.exc.DBAPIError as e:
        if getattr(e.orig, "sqlstate", None) == NOT_ALL_HELD:
            return None  # a row no longer had the units: nothing was written
        raise
    if first is not None:
        first.answered.append(answer)
    got = json.loads(text)
    ids = {(r[9], r[0]): r[8] for r in got}
    # the low-stock events are written by the statement itself
    return HeldMany([ids[(r.owner_line, r.level_id)] for r in rows], [])


@functools.lru_cache(maxsize=64)
def _hold_at_once_sql(levels: int, rows: int, dialect: sa.Dialect) -> str:
    """The one-statement hold over ``levels`` stock rows for ``rows`` reservation rows, as
    the driver's SQL. The stock rows are locked in id order first (a materialised CTE that
    the UPDATE joins), so concurrent holds cannot deadlock."""
    wanted = ", ".join(f"(CAST(:l{i} AS INTEGER), CAST(:q{i} AS INTEGER))" for i in range(levels))
    asked = ", ".join(
        f"(CAST(:rl{i} AS INTEGER), CAST(:ro{i} AS INTEGER), CAST(:rq{i} AS INTEGER))"
        for i in range(rows)
    )
    text = f"""
        WITH wanted (level_id, quantity) AS (VALUES {wanted}),
        locked AS MATERIALIZED (
            SELECT s.id FROM stock_levels s JOIN wanted w ON w.level_id = s.id
            WHERE first_gate
            ORDER BY s.id FOR UPDATE OF s
        ),
        level AS (
            UPDATE stock_levels s
            SET reserved = s.reserved + w.quantity, updated_at = :now
            FROM wanted w, locked k
            WHERE s.id = w.level_id AND k.id = s.id
              AND s.on_hand - s.reserved - s.safety_stock >= w.quantity
            RETURNING s.id, s.sku_id, s.location_id, s.sku_code, s.location_code,
                      s.on_hand, s.reserved, s.safety_stock
        ),
        asked (level_id, owner_line, quantity) AS (VALUES {asked}),
        held AS (
            INSERT INTO reservations (stock_level_id, sku_id, location_id, owner_type,
                owner_ref, owner_line, quantity, quantity_initial, status, expires_at,
                created_at)
            SELECT a.level_id, v.sku_id, v.location_id, :owner_type, :owner_ref,
                a.owner_line, a.quantity, a.quantity, '{ReservationStatus.ACTIVE.value}',
                :expires_at, :now
            FROM asked a JOIN level v ON v.id = a.level_id
            RETURNING id, owner_line, stock_level_id
        ),
        moved AS (
            INSERT INTO stock_movements (kind, sku_id, location_id, bin_id, on_hand_delta,
                reserved_delta, reason, reference, actor, created_at)
            SELECT '{MovementKind.RESERVATION.value}', v.sku_id, v.location_id, NULL, 0,
                a.quantity, NULL, :reference, :actor, :now
            FROM asked a JOIN level v ON v.id = a.level_id
        ),
        low AS (
            INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at)
            SELECT CAST(gen_random_uuid() AS TEXT), '{LOW_STOCK}',
                'stock:' || v.sku_code || '@' || v.location_code,
                jsonb_build_object('sku', v.sku_code, 'location', v.location_code,
                    'on_hand', v.on_hand, 'reserved', v.reserved,
                    'safety_stock', v.safety_stock),
                :now
            FROM level v JOIN wanted w ON w.level_id = v.id
            WHERE v.on_hand - v.reserved <= v.safety_stock
              AND v.safety_stock < v.on_hand - (v.reserved - w.quantity)
        )
        SELECT openoms_require_held(CAST(:levels AS INTEGER), count(DISTINCT v.id)),
            CAST(json_agg(json_build_array(v.id, v.sku_id, v.location_id, v.sku_code,
                v.location_code, v.on_hand, v.reserved, v.safety_stock, h.id, h.owner_line))
                AS TEXT),
            NULL AS then_answer
        FROM level v JOIN held h ON h.stock_level_id = v.id
    """
    return str(sa.text(text).compile(dialect=dialect)).replace("first_gate", "TRUE", 1)


@functools.lru_cache(maxsize=64)
def _with_first(sql: str, ctes: str, gate: str, then_ctes: str, answer: str) -> str:
    """The hold's statement with rows written first: their CTEs lead the ``WITH`` list, and
    the lock waits on their gate. ``then_ctes`` (``WritesFirst.then``) close the list, after
    ``locks_taken``, which reads the updated stock rows (so every lock is taken by then),
    and the statement returns ``answer`` too."""
    markers = ["WITH wanted", "WHERE TRUE", _LAST_SELECT, "NULL AS then_answer"]
    if any(sql.count(marker) != 1 for marker in markers):  # the statement's text changed
        raise AssertionError("the hold's statement lost a marker it is extended at")
    sql = sql.replace("WITH wanted", f"WITH {ctes}, wanted", 1).replace(
        "WHERE TRUE", f"WHERE {gate}", 1
    )
    if then_ctes:
        sql = sql.replace(
            _LAST_SELECT,
            f",\n        locks_taken AS (SELECT count(*) AS n FROM level), {then_ctes}"
            + _LAST_SELECT,
            1,
        ).replace("NULL AS then_answer", f"{answer} AS then_answer", 1)
    return sql


_LAST_SELECT = "\n        SELECT openoms_require_held"


@functools.lru_cache(maxsize=64)
def _hold_update(rows: int) -> sa.Update:
    """The guarded UPDATE of a hold over ``rows`` stock rows, built once per row count: stock
    row ids are bound as ``l0…``, units as ``q0…``, the time as ``now``. (SQLite's BEGIN
    IMMEDIATE serialises writers, so the order it locks rows in does not matter.)"""
    ids = [sa.bindparam(f"l{i}", type_=sa.Integer) for i in range(rows)]
    wanted = sa.case(
        *((_sl.id == ids[i], sa.bindparam(f"q{i}", type_=sa.Integer)) for i in range(rows))
    )
    return (
        stock_levels.update()
        .where(_sl.id.in_(ids), _sl.on_hand - _sl.reserved - _sl.safety_stock >= wanted)
        .values(reserved=_sl.reserved + wanted, updated_at=sa.bindparam("now"))
        .returning(
            _sl.id,
            _sl.sku_id,
            _sl.location_id,
            _sl.sku_code,
            _sl.location_code,
            _sl.on_hand,
            _sl.reserved,
            _sl.safety_stock,
        )
    )


@dataclass(frozen=True)
class SourcingRow:
    """One stock row at an active location, with the location's sourcing facts."""

    level_id: int
    sku: str
    location: str
    available: int
    kind: str
    latitude: float
    longitude: float
    priority: int
    can_ship: bool
    can_pickup: bool
    daily_order_capacity: int | None
    timezone: str


_sites = locations.active_site_facts().subquery()
_SOURCING_COLUMNS = (
    _sl.id,
    _sl.sku_code,
    _sl.location_code,
    _sl.on_hand - _sl.reserved - _sl.safety_stock,
    _sites.c.kind,
    _sites.c.latitude,
    _sites.c.longitude,
    _sites.c.priority,
    _sites.c.can_ship,
    _sites.c.can_pickup,
    _sites.c.daily_order_capacity,
    _sites.c.timezone,
)


def _sourcing(wanted: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(*_SOURCING_COLUMNS)
        .join(_sites, _sites.c.id == _sl.location_id)
        .where(wanted)
        .order_by(_sl.sku_code, _sl.location_code)
    )


_SOURCING = _sourcing(_sl.sku_code.in_(sa.bindparam("skus", expanding=True)))


@functools.lru_cache(maxsize=32)
def _pg_sourcing(count: int) -> sa.Select[Any]:
    """PostgreSQL, through the driver (infra.db.run_built): the SKUs bound one by one as
    ``s0``…, one statement per count, as SQLAlchemy's expanding IN would send. (Bound as one
    array, the planner's generic plan guessed ten SKUs and it planned at every order.)"""
    return _sourcing(_sl.sku_code.in_([sa.bindparam(f"s{i}") for i in range(count)]))


def sourcing_rows(conn: Connection, skus: list[str]) -> list[SourcingRow]:
    if not skus:
        return []
    if conn.dialect.name == "postgresql":
        params = {f"s{i}": sku for i, sku in enumerate(skus)}
        found = run_built(conn, _pg_sourcing(len(skus)), params)
    else:
        found = list(conn.execute(_SOURCING, {"skus": skus}))
    return _sourcing_rows(found)


def sourcing_read(conn: Connection, skus: list[str]) -> Read[list[SourcingRow]]:
    """:func:`sourcing_rows` as a read that can share its round trip with others
    (``infra.db.read_at_once``), its rows in the same order; at least one SKU."""
    if not skus:
        raise ValueError("no SKU to source")
    params = {f"s{i}": sku for i, sku in enumerate(skus)}
    statement = _pg_sourcing(len(skus))
    return Read.of_built(
        statement, params, _sourcing_rows, conn.dialect, order_by=("sku_code", "location_code")
    )


def _sourcing_rows(found: Iterable[Sequence[Any]]) -> list[SourcingRow]:
    return [
        SourcingRow(r[0], r[1], r[2], int(r[3]), r[4], float(r[5]), float(r[6]), *r[7:12])
        for r in found
    ]
