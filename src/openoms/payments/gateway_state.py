"""The built-in gateways' state in the database, so that it outlives the process and is
shared by every server and worker, as a real gateway's is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from openoms.infra.upsert import insert_for
from openoms.payments.orm import gateway_state

_t = gateway_state.c


class SqlGatewayState:
    """Each call runs in a transaction of its own (the gateway is not part of ours), holding
    a lock on the payment or card it is about (SQLite: the write lock)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def session(self, lock_key: str) -> Iterator[_Session]:
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"test_gateway:{lock_key}"},
                )
            yield _Session(conn)


class _Session:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        # FOR UPDATE: what is read is changed in this transaction (a gift card's balance)
        found = self._conn.execute(
            sa.select(_t.data).where(_t.kind == kind, _t.key == key).with_for_update()
        ).scalar()
        return dict(found) if found is not None else None

    def items(self, kind: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(sa.select(_t.data).where(_t.kind == kind).order_by(_t.key))
        return [dict(r) for r in rows.scalars()]

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        stmt = insert_for(self._conn, gateway_state).values(kind=kind, key=key, data=value)
        self._conn.execute(
            stmt.on_conflict_do_update(index_elements=["kind", "key"], set_={"data": value})
        )
