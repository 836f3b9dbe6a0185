"""The ceiling: one order's minimal SQL through the bare driver, one connection per thread.

``reserve()`` places one order and returns True, or rolls back and returns False when a
guarded UPDATE found too little stock (a shortage).
"""

from __future__ import annotations

import sqlite3
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

    def reserve(self) -> bool:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            placed = _place(self._conn.execute, self._sql, self._orders)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT" if placed else "ROLLBACK")
        return placed

    def close(self) -> None:
        self._conn.close()


class RawPostgresOrders:
    """psycopg 3 (its implicit BEGIN, then COMMIT); JSON columns cast from text."""

    def __init__(self, conninfo: str, shop: RawShop, mix: str, lines: int, seed: int) -> None:
        self._conn = psycopg.connect(conninfo)
        self._sql = statements("%s", "%s::jsonb", lines)
        self._orders = RawOrders(shop, mix, lines, seed, sqlite=False)

    def reserve(self) -> bool:
        try:
            placed = _place(self._conn.execute, self._sql, self._orders)
        except BaseException:
            self._conn.rollback()
            raise
        if placed:
            self._conn.commit()
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
