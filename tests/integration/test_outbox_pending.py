"""The outbox's one index (migration 0020): the events not dispatched yet, oldest first."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.infra.outbox import mark_dispatched, outbox_events, undispatched
from openoms.shared import clock
from tests.builders import random_code


def _event(name: str, minutes_ago: int) -> dict[str, Any]:
    return {
        "id": random_code("evt-"),
        "name": name,
        "aggregate": "",
        "payload": {},
        "occurred_at": clock.now() - timedelta(minutes=minutes_ago),
    }


def test_undispatched_events_come_oldest_first_and_leave_once_dispatched(db: Database) -> None:
    # given three events, one of them dispatched already (other tests' events may wait too)
    rows = [_event("a", 3000), _event("b", 1000), _event("c", 2000)]
    mine = {row["id"]: row["name"] for row in rows}
    with db.uow() as uow:
        uow.conn.execute(outbox_events.insert(), rows)
        mark_dispatched(uow.conn, [rows[2]["id"]], clock.now())
        uow.commit()
    # when the dispatcher asks for them
    with db.uow() as uow:
        found = [mine[e.id] for e in undispatched(uow.conn, 100_000) if e.id in mine]
        # then it gets the two not dispatched, oldest first
        assert found == ["a", "b"]
        # and once they are dispatched, they are not asked for again
        assert mark_dispatched(uow.conn, [rows[0]["id"], rows[1]["id"]], clock.now()) == 2
        assert not [e for e in undispatched(uow.conn, 100_000) if e.id in mine]
        uow.commit()


@pytest.mark.postgres
def test_the_dispatchers_query_reads_only_the_index_of_pending_events(
    own_postgres_db: Database,
) -> None:
    # given 20,000 dispatched events and 5 that are not, counted in the statistics
    db = own_postgres_db
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.autocommit = True
        driver.execute(
            "INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at, dispatched_at)"
            " SELECT 'old-' || g, 'order.created', '', '{}', now() - interval '1 day', now()"
            " FROM generate_series(1, 20000) AS g"
        )
        driver.execute(
            "INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at)"
            " SELECT 'new-' || g, 'order.created', '', '{}', now() FROM generate_series(1, 5) AS g"
        )
        driver.execute("ANALYZE outbox_events")
        conn.invalidate()
    # when PostgreSQL plans the dispatcher's query
    query = (
        sa.select(outbox_events.c.id)
        .where(outbox_events.c.dispatched_at.is_(None))
        .order_by(outbox_events.c.occurred_at, outbox_events.c.id)
        .limit(100)
    )
    with db.reader() as uow:
        literal = query.compile(uow.conn, compile_kwargs={"literal_binds": True})
        (plan,) = uow.conn.execute(sa.text(f"EXPLAIN (FORMAT JSON) {literal}")).scalar_one()
        pending = uow.conn.execute(
            sa.text(
                "SELECT (SELECT relpages FROM pg_class WHERE relname = 'ix_outbox_events_pending'),"
                " (SELECT relpages FROM pg_class WHERE relname = 'pk_outbox_events')"
            )
        ).one()
    # then it reads the pending events' index, in its order, and no sort or scan of the table
    text = json.dumps(plan)
    assert "ix_outbox_events_pending" in text
    assert "Seq Scan" not in text
    assert '"Sort"' not in text
    # and that index holds the 5 pending events, not the 20,005
    assert pending[0] < pending[1] / 10
