"""The ceiling: one order's minimal SQL through the bare driver, one connection per thread.

``reserve()`` places one order and returns True, or rolls back and returns False when a
guarded UPDATE found too little stock (a shortage). ``held`` counts the units each client's
committed orders reserved per stock row, so that they can be given back (:func:`release`):
the raw SQL writes no ledger movement, and the ledger is verified after the run.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg

from bench.clients import SQLITE_PRAGMAS
from bench.orders.rawshop import RawShop
from bench.orders.rawsql import RawOrders, Statements, statements


class RawSqliteOrders:
    """sqlite3 with the engine's pragmas; each order in BEGIN IMMEDIATE … COMMIT."""

    def __init__(self, path: str, shop: RawShop, mix: str, lines: int, seed: int) -> None:
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            self._conn.execute(pragma)
        self._sql = statements("?", "?", lines)
        self._orders = RawOrders(shop, mix, lines, seed, sqlite=True)
        self.held: Counter[int] = Counter()  # stock row id -> units reserved and committed

    def reserve(self) -> bool:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            placed = _place(self._conn.execute, self._sql, self._orders)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT" if placed else "ROLLBACK")
        if placed:
            self.held.update(item.level_id for item in self._orders.items)
        return placed

    def close(self) -> None:
        self._conn.close()


class RawPostgresOrders:
    """psycopg 3 (its implicit BEGIN, then COMMIT); JSON columns cast from text."""

    def __init__(self, conninfo: str, shop: RawShop, mix: str, lines: int, seed: int) -> None:
        self._conn = psycopg.connect(conninfo)
        self._sql = statements("%s", "%s::jsonb", lines)
        self._orders = RawOrders(shop, mix, lines, seed, sqlite=False)
        self.held: Counter[int] = Counter()  # stock row id -> units reserved and committed

    def reserve(self) -> bool:
        try:
            placed = _place(self._conn.execute, self._sql, self._orders)
        except BaseException:
            self._conn.rollback()
            raise
        if placed:
            self._conn.commit()
            self.held.update(item.level_id for item in self._orders.items)
        else:
            self._conn.rollback()
        return placed

    def close(self) -> None:
        self._conn.close()


def _place(execute: Any, sql: Statements, orders: RawOrders) -> bool:
    """The statements of one order, inside the caller's transaction; False on a shortage."""
    params = orders.next_order()
    order_id = execute(sql.order, params).fetchone()[0]
    execute(sql.lines, orders.line_params(order_id))
    for level_id in sorted(item.level_id for item in orders.items):
        if execute(sql.reserve, (1, level_id, 1)).rowcount != 1:
            return False
    execute(sql.outbox, orders.outbox_params(params[0]))
    return True


def held_by(clients: Iterable[RawSqliteOrders | RawPostgresOrders]) -> Counter[int]:
    """The units the clients' committed orders reserved, per stock row."""
    total: Counter[int] = Counter()
    for client in clients:
        total.update(client.held)
    return total


def release(target: str, held: Mapping[int, int]) -> None:
    """Give back what the raw orders reserved, so the stock rows agree with the ledger
    again; one transaction. ``target`` is the driver's database (a path or a conninfo)."""
    rows = sorted(held.items())
    if target.startswith("postgresql"):
        with psycopg.connect(target) as conn:
            conn.cursor().executemany(RELEASE.format(p="%s"), [(n, i) for i, n in rows])
        return
    lite = sqlite3.connect(target, timeout=30, isolation_level=None)
    try:
        lite.execute("BEGIN IMMEDIATE")
        lite.executemany(RELEASE.format(p="?"), [(n, i) for i, n in rows])
        lite.execute("COMMIT")
    finally:
        lite.close()


RELEASE = "UPDATE stock_levels SET reserved = reserved - {p} WHERE id = {p}"
