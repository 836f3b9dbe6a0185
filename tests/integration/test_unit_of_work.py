"""The unit of work: all or nothing, events to the outbox, gap-free numbers."""

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database, UnitOfWork
from openoms.infra.outbox import outbox_events
from openoms.infra.sequences import next_number, sequences
from openoms.shared.events import Event
from tests.builders import random_code
from tests.sql_events import recorded


def test_leaving_without_commit_rolls_everything_back(db: Database) -> None:
    name = random_code("seq")
    with db.uow() as uow:
        next_number(uow.conn, name, "X")
        uow.record(Event("test.event", {"n": 1}))
    with db.uow() as uow:
        assert next_number(uow.conn, name, "X") == "X-000001"  # the first number came back
        uow.commit()
    with db.reader() as uow:
        assert (
            uow.conn.execute(
                sa.select(sa.func.count())
                .select_from(outbox_events)
                .where(outbox_events.c.name == "test.event")
            ).scalar()
            == 0
        )


def test_an_error_inside_the_block_commits_nothing(db: Database) -> None:
    name = random_code("seq")

    def failing_use_case() -> None:
        with db.uow() as uow:
            next_number(uow.conn, name, "X")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_use_case()
    with db.uow() as uow:
        assert next_number(uow.conn, name, "X") == "X-000001"
        uow.commit()


def test_recorded_events_reach_the_outbox_in_the_same_commit(db: Database) -> None:
    marker = random_code("evt")
    with db.uow() as uow:
        uow.record(Event("test.committed", {"marker": marker}, aggregate=marker))
        uow.commit()
    with db.reader() as uow:
        rows = uow.conn.execute(
            sa.select(outbox_events).where(outbox_events.c.aggregate == marker)
        ).all()
    assert [(r.name, r.payload) for r in rows] == [("test.committed", {"marker": marker})]


def test_sqlite_writers_of_one_process_queue_before_taking_a_connection(
    sqlite_db: Database,
) -> None:
    """A second writer waits on the process's writer lock, not inside SQLite's busy handler
    with a connection checked out; readers never wait."""
    name = random_code("seq")
    started, done = threading.Event(), threading.Event()

    def second_writer() -> None:
        started.set()
        with sqlite_db.uow() as uow:
            next_number(uow.conn, name, "X")
            uow.commit()
        done.set()

    with sqlite_db.uow() as uow:
        next_number(uow.conn, name, "X")
        thread = threading.Thread(target=second_writer)
        thread.start()
        started.wait()
        time.sleep(0.05)
        assert not done.is_set()
        assert sqlite_db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        with sqlite_db.reader() as reader:
            assert reader.conn.execute(sa.select(1)).scalar() == 1
        uow.commit()
    thread.join(5)
    assert done.is_set()
    with sqlite_db.reader() as uow:
        assert (
            uow.conn.execute(
                sa.select(sequences.c.last_value).where(sequences.c.name == name)
            ).scalar()
            == 2
        )


def _audit_rows(db: Database, actor: str) -> int:
    from openoms.identity.orm import audit_log

    with db.reader() as uow:
        return int(
            uow.conn.execute(
                sa.select(sa.func.count()).select_from(audit_log).where(audit_log.c.actor == actor)
            ).scalar_one()
        )


def test_a_request_audit_entry_written_early_is_written_again_after_a_rollback(
    db: Database,
) -> None:
    """Placement writes the request's entry before it locks stock; when that attempt rolls
    back (stock moved, plan again) the retry that commits must still write it, once."""
    from openoms.identity.services.audit import Origin, RequestAudit
    from openoms.infra.db import current_commit_record

    actor = random_code("user:")
    record = RequestAudit("POST", "/api/v1/orders", Origin("192.0.2.1"), actor=actor)
    token = current_commit_record.set(record)
    try:
        with db.uow() as uow:  # the first attempt writes it early, then rolls back
            uow.write_pending()
            assert record.written
        assert not record.written
        with db.uow() as uow:  # the retry writes it early and commits
            uow.write_pending()
            uow.commit()
        with db.uow() as uow:  # a later transaction of the same request does not repeat it
            uow.commit()
    finally:
        current_commit_record.reset(token)
    assert _audit_rows(db, actor) == 1


def test_a_request_audit_entry_is_not_undone_by_a_rollback_that_did_not_write_it(
    db: Database,
) -> None:
    from openoms.identity.services.audit import Origin, RequestAudit
    from openoms.infra.db import current_commit_record

    actor = random_code("user:")
    record = RequestAudit("POST", "/api/v1/orders", Origin(), actor=actor)
    token = current_commit_record.set(record)
    try:
        with db.uow() as uow:
            uow.commit()  # writes it
        with db.uow() as uow:  # writes nothing, rolls back
            uow.write_pending()
        with db.uow() as uow:
            uow.commit()
    finally:
        current_commit_record.reset(token)
    assert record.written
    assert _audit_rows(db, actor) == 1


def _audit_entries(db: Database, actor: str) -> list[sa.Row[Any]]:
    """The actor's audit entries in the order written: action, data, at."""
    from openoms.identity.orm import audit_log

    with db.reader() as uow:
        return list(
            uow.conn.execute(
                sa.select(audit_log.c.action, audit_log.c.data, audit_log.c.at)
                .where(audit_log.c.actor == actor)
                .order_by(audit_log.c.id)
            ).all()
        )


def _queued_audit_row(actor: str, action: str) -> dict[str, object]:
    from openoms.shared import clock

    return {"at": clock.now(), "actor": actor, "action": action, "data": {"n": action}}


def test_rows_queued_for_later_are_written_at_commit_in_order_and_in_one_statement(
    db: Database,
) -> None:
    from openoms.identity.orm import audit_log
    from openoms.shared import clock

    actor = random_code("user:")
    event_id = random_code("evt-")

    def queue_and_commit(uow: UnitOfWork, event_id: str) -> None:
        uow.insert_later(audit_log, _queued_audit_row(actor, "first"))
        uow.insert_later(
            outbox_events,
            {
                "id": event_id,
                "name": "test.queued",
                "aggregate": "",
                "payload": {"a": [1, 2]},
                "occurred_at": clock.now(),
            },
        )
        uow.insert_later(audit_log, _queued_audit_row(actor, "second"))
        uow.insert_later(audit_log, _queued_audit_row(actor, "third"))
        uow.commit()

    with db.uow() as uow:
        queue_and_commit(uow, random_code("evt-"))
    with db.uow() as uow, recorded(db.engine) as sent:  # the same shape again
        queue_and_commit(uow, event_id)
    # one statement on PostgreSQL; on SQLite, where a statement costs no trip, one per run
    # of rows alike (audit, outbox, two audits); either way compiled once, not every commit
    assert len(sent.statements) == (1 if db.engine.dialect.name == "postgresql" else 3)
    assert all(s.compiled_once for s in sent.statements)
    rows = _audit_entries(db, actor)
    with db.reader() as uow:
        payload = uow.conn.execute(
            sa.select(outbox_events.c.payload).where(outbox_events.c.id == event_id)
        ).scalar_one()
    assert [r.action for r in rows] == ["first", "second", "third"] * 2
    assert rows[0].data == {"n": "first"}
    assert rows[0].at.tzinfo is not None
    assert payload == {"a": [1, 2]}


def test_rows_queued_for_later_are_dropped_by_a_rollback(db: Database) -> None:
    from openoms.identity.orm import audit_log

    actor = random_code("user:")
    with db.uow() as uow:
        uow.insert_later(audit_log, _queued_audit_row(actor, "lost"))
    with db.uow() as uow:  # the next transaction on the same pool writes nothing of it
        uow.commit()
    assert _audit_rows(db, actor) == 0


def test_write_pending_writes_queued_rows_where_the_transaction_can_read_them(
    db: Database,
) -> None:
    from openoms.identity.orm import audit_log

    actor = random_code("user:")
    with db.uow() as uow:
        uow.insert_later(audit_log, _queued_audit_row(actor, "now"))
        count = sa.select(sa.func.count()).select_from(audit_log).where(audit_log.c.actor == actor)
        assert uow.conn.execute(count).scalar_one() == 0
        uow.write_pending()
        assert uow.conn.execute(count).scalar_one() == 1
        uow.commit()  # nothing queued is written twice
    assert _audit_rows(db, actor) == 1


def test_queued_rows_keep_json_null_and_exact_times(db: Database) -> None:
    from openoms.identity.orm import audit_log

    actor = random_code("user:")
    at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    with db.uow() as uow:
        uow.insert_later(audit_log, {"at": at, "actor": actor, "action": "a", "data": None})
        uow.insert_later(audit_log, {"at": at, "actor": actor, "action": "b", "data": {"k": []}})
        uow.commit()
    rows = _audit_entries(db, actor)
    if db.engine.dialect.name == "postgresql":
        with db.reader() as uow:
            kinds = uow.conn.execute(
                sa.text("SELECT jsonb_typeof(data) FROM audit_log WHERE actor = :a ORDER BY id"),
                {"a": actor},
            ).scalars()
            assert list(kinds) == ["null", "object"]  # JSON null, as SQLAlchemy writes it
    assert [(r.action, r.at, r.data) for r in rows] == [("a", at, None), ("b", at, {"k": []})]


def test_queued_rows_refuse_naive_times_and_lose_nothing_else(db: Database) -> None:
    from openoms.identity.orm import audit_log

    actor = random_code("user:")
    naive = datetime(2026, 3, 29, 1, 30, tzinfo=UTC).replace(tzinfo=None)
    with db.uow() as uow:
        uow.insert_later(audit_log, {"at": naive, "actor": actor, "action": "a", "data": {}})
        with pytest.raises((ValueError, sa.exc.StatementError)):
            uow.commit()
    assert _audit_rows(db, actor) == 0
