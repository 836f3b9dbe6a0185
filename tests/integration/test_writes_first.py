"""Queued rows that ride on the stock hold's statement (``UnitOfWork.pending_first``): on
PostgreSQL written by that statement before it locks a stock row, elsewhere written at
once; either way once, in order, and dropped with everything else by a rollback."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database, UnitOfWork, WritesFirst
from openoms.infra.outbox import outbox_events
from openoms.inventory.model import OwnerType
from openoms.inventory.orm import stock_levels
from openoms.inventory.services.reservations import PlannedHold, StockMoved, hold_planned
from openoms.orders import allocation
from openoms.shared import clock
from tests.builders import audit_actions, queue_audit_actions, random_code, stock_level
from tests.sql_events import recorded


def _hold(uow: UnitOfWork, level: int, quantity: int, first: WritesFirst | None) -> list[int]:
    return hold_planned(
        uow,
        [PlannedHold(level, quantity, 1)],
        owner_type=OwnerType.MANUAL,
        owner_ref=random_code("M"),
        actor="t",
        first=first,
    )


def test_rows_written_first_are_written_once_in_order_with_the_hold(db: Database) -> None:
    # given: two audit rows and an outbox event queued, and a stock row with units
    level, actor, event_id = stock_level(db, 5)[0], random_code("user:"), random_code("evt-")
    with db.uow() as uow, recorded(db.engine) as sent:
        queue_audit_actions(uow, actor, "first")
        uow.insert_later(
            outbox_events,
            {
                "id": event_id,
                "name": "test.first",
                "aggregate": "",
                "payload": {"n": 1},
                "occurred_at": clock.now(),
            },
        )
        queue_audit_actions(uow, actor, "second")
        # when
        first = uow.pending_first()
        ids = _hold(uow, level, 2, first)
        uow.commit()
    # then: on PostgreSQL the rows went with the hold, one statement in all; elsewhere
    # they were written at once (one statement per run of rows alike) and the hold after
    postgres = db.engine.dialect.name == "postgresql"
    assert (first is not None) is postgres
    assert len(sent.statements) == (1 if postgres else 6)
    assert len(ids) == 1
    assert audit_actions(db, actor) == ["first", "second"]
    with db.reader() as uow:
        payload = uow.conn.execute(
            sa.select(outbox_events.c.payload).where(outbox_events.c.id == event_id)
        ).scalar_one()
        reserved = uow.conn.execute(
            sa.select(stock_levels.c.reserved).where(stock_levels.c.id == level)
        ).scalar_one()
    assert payload == {"n": 1}
    assert reserved == 2


def test_with_nothing_queued_there_is_nothing_to_write_first(db: Database) -> None:
    with db.uow() as uow, recorded(db.engine) as sent:
        assert uow.pending_first() is None
    assert sent.statements == []


def test_a_hold_that_finds_too_few_units_drops_the_rows_written_first(db: Database) -> None:
    level, actor = stock_level(db, 1)[0], random_code("user:")
    with db.uow() as uow:
        queue_audit_actions(uow, actor, "lost")
        with pytest.raises(StockMoved):
            _hold(uow, level, 2, uow.pending_first())
    assert audit_actions(db, actor) == []


def test_a_request_audit_entry_written_first_is_written_again_after_a_rollback(
    db: Database,
) -> None:
    """As with ``write_pending``: the attempt whose hold failed rolled the entry back, so
    the attempt that commits writes it, once."""
    from openoms.identity.services.audit import Origin, RequestAudit
    from openoms.infra.db import current_commit_record

    level, actor = stock_level(db, 1)[0], random_code("user:")
    record = RequestAudit("POST", "/api/v1/orders", Origin("192.0.2.1"), actor=actor)
    token = current_commit_record.set(record)
    try:
        with db.uow() as uow, pytest.raises(StockMoved):
            _hold(uow, level, 2, uow.pending_first())
        assert not record.written
        with db.uow() as uow:
            _hold(uow, level, 1, uow.pending_first())
            uow.commit()
    finally:
        current_commit_record.reset(token)
    assert record.written
    assert audit_actions(db, actor) == ["POST /api/v1/orders"]


def test_rows_to_write_first_with_nothing_to_hold_are_refused(db: Database) -> None:
    first = WritesFirst("first_doc AS (SELECT 1)", {})
    with db.uow() as uow, pytest.raises(ValueError, match="would not be written"):
        allocation.reserve(
            uow,
            allocation.Planned(explanation=[]),
            (OwnerType.ORDER_LINE, "1"),
            actor="t",
            first=first,
        )


@pytest.mark.postgres
def test_rows_written_first_are_in_before_the_hold_waits_for_a_locked_stock_row(
    postgres_db: Database,
) -> None:
    """The rows go in before the stock rows are locked, so they do not lengthen the time
    other orders wait on a hot SKU: while the hold waits for a row another transaction
    locked, the queued rows' ids were already drawn (a sequence moves outside
    transactions), and the hold goes through once the row is free."""
    db = postgres_db
    level, actor = stock_level(db, 5)[0], random_code("user:")
    last_id = sa.text("SELECT last_value FROM audit_log_id_seq")
    with db.connection() as probe:
        probe.execute(sa.text("SELECT nextval('audit_log_id_seq')"))
        before = probe.execute(last_id).scalar_one()
        probe.commit()
    outcome: dict[str, Any] = {}

    def place() -> None:
        try:
            with db.uow() as uow:
                queue_audit_actions(uow, actor, "one", "two")
                outcome["ids"] = _hold(uow, level, 1, uow.pending_first())
                uow.commit()
        except Exception as e:  # noqa: BLE001 - reported by the assertions below
            outcome["error"] = e

    with db.connection() as blocker:
        blocker.execute(
            sa.text("SELECT id FROM stock_levels WHERE id = :id FOR UPDATE"), {"id": level}
        )
        worker = threading.Thread(target=place)
        worker.start()
        try:
            waiting = _wait_for_lock_wait(blocker)
            with db.connection() as probe:
                drawn = probe.execute(last_id).scalar_one() - before
        finally:
            blocker.rollback()
        worker.join(timeout=30)
    assert waiting, "the hold never waited for the locked stock row"
    assert drawn == 2
    assert "error" not in outcome, outcome.get("error")
    assert len(outcome["ids"]) == 1
    assert audit_actions(db, actor) == ["one", "two"]


def _wait_for_lock_wait(conn: sa.Connection, seconds: float = 10.0) -> bool:
    """True once another backend waits on a row lock (the hold, behind ``conn``'s lock)."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + seconds
    with conn.engine.connect() as probe:
        probe = probe.execution_options(isolation_level="AUTOCOMMIT")
        while time.monotonic() < deadline:
            if probe.execute(waiting).scalar_one():
                return True
            time.sleep(0.02)
    return False
