"""One benchmark client each: a thread that reserves one unit per call, its own way.

``reserve()`` returns True when a unit was reserved and False on a shortage.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Protocol

import psycopg

from bench.seed import Target
from openoms.infra.db import Database
from openoms.inventory.model import InsufficientStock, OwnerType, StockLine
from openoms.inventory.services.reservations import reserve_stock

RESERVE_SQL = (
    "UPDATE stock_levels SET reserved = reserved + 1"
    " WHERE id = {param} AND on_hand - reserved - safety_stock >= 1"
)
# The same pragmas as openoms.infra.db._sqlite_engine.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


class Client(Protocol):
    def reserve(self) -> bool: ...

    def close(self) -> None: ...


class ServiceClient:
    """Calls reserve_stock, one unit of work per reservation, at a location or at none."""

    def __init__(
        self, db: Database, targets: tuple[Target, ...], location: str | None, seed: int
    ) -> None:
        self._db = db
        self._targets = targets
        self._location = location
        self._rng = random.Random(seed)
        self._owner = f"bench-{seed}"

    def reserve(self) -> bool:
        line = StockLine(self._rng.choice(self._targets).sku, 1, self._location)
        try:
            reserve_stock(
                self._db.uow(),
                [line],
                owner_type=OwnerType.MANUAL,
                owner_ref=self._owner,
                actor="bench",
            )
        except InsufficientStock:
            return False
        return True

    def close(self) -> None:
        return None


class RawSqliteClient:
    """The guarded UPDATE alone through sqlite3, committed one per BEGIN IMMEDIATE."""

    def __init__(self, path: str, targets: tuple[Target, ...], seed: int) -> None:
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            self._conn.execute(pragma)
        self._sql = RESERVE_SQL.format(param="?")
        self._ids = [t.level_id for t in targets]
        self._rng = random.Random(seed)

    def reserve(self) -> bool:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            rowcount = self._conn.execute(self._sql, (self._rng.choice(self._ids),)).rowcount
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return rowcount == 1

    def close(self) -> None:
        self._conn.close()


class RawPostgresClient:
    """The guarded UPDATE alone through psycopg 3, one transaction per statement."""

    def __init__(self, conninfo: str, targets: tuple[Target, ...], seed: int) -> None:
        self._conn = psycopg.connect(conninfo)
        self._sql = RESERVE_SQL.format(param="%s")
        self._ids = [t.level_id for t in targets]
        self._rng = random.Random(seed)

    def reserve(self) -> bool:
        with self._conn.transaction():
            cursor = self._conn.execute(self._sql, (self._rng.choice(self._ids),))
            return cursor.rowcount == 1

    def close(self) -> None:
        self._conn.close()
