"""A unit of work that begins its transaction at its first write
(``UnitOfWork.begin_at_first_write``): on PostgreSQL its reads send no BEGIN, a write sends
one first, and a unit whose one write is its last statement commits with that statement,
without BEGIN or COMMIT. Whatever the path, a unit commits all of its writes or none."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from psycopg import pq

from openoms.identity.orm import audit_log
from openoms.infra.db import (
    Database,
    Read,
    UnitOfWork,
    current_idempotency_claim,
    driver_rows,
    read_at_once,
    reading,
)
from openoms.infra.outbox import outbox_events
from openoms.inventory.model import OwnerType
from openoms.inventory.orm import reservations, stock_levels, stock_movements
from openoms.inventory.services.reservations import PlannedHold, StockMoved, hold_planned
from openoms.shared import clock
from openoms.shared.events import Event
from tests.builders import audit_actions, queue_audit_actions, random_code, stock_level

IDLE = pq.TransactionStatus.IDLE
INTRANS = pq.TransactionStatus.INTRANS


def _status(uow: UnitOfWork) -> pq.TransactionStatus:
    driver = uow.conn.connection.driver_connection
    assert driver is not None
    return pq.TransactionStatus(driver.info.transaction_status)


def _one_read(uow: UnitOfWork) -> Read[int]:
    def first(rows: list[tuple[Any, ...]]) -> int:
        return int(rows[0][0])

    return Read("SELECT 41 + 1", {}, first, lambda _conn: 42)


def _hold(uow: UnitOfWork, level: int, quantity: int, owner: str, *, last: bool) -> list[int]:
    return hold_planned(
        uow,
        [PlannedHold(level, quantity, 1)],
        owner_type=OwnerType.MANUAL,
        owner_ref=owner,
        actor="t",
        first=uow.pending_first(last=last),
    )


def _held(db: Database, owner: str) -> tuple[int, int, int]:
    """(reserved units of the owner's reservations, their movements, their stock rows'
    reserved units)."""
    with db.reader() as uow:
        units = uow.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(reservations.c.quantity), 0)).where(
                reservations.c.owner_ref == owner
            )
        ).scalar_one()
        moves = uow.conn.execute(
            sa.select(sa.func.count()).where(stock_movements.c.reference == f"manual:{owner}")
        ).scalar_one()
        reserved = uow.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(stock_levels.c.reserved), 0)).where(
                stock_levels.c.id.in_(
                    sa.select(reservations.c.stock_level_id).where(
                        reservations.c.owner_ref == owner
                    )
                )
            )
        ).scalar_one()
    return int(units), int(moves), int(reserved)


def test_reads_send_no_begin_and_the_first_write_begins_the_transaction(
    postgres_db: Database,
) -> None:
    db, actor = postgres_db, random_code("user:")
    with db.uow().begin_at_first_write() as uow:
        read = _one_read(uow)
        read_at_once(uow.conn, [read])
        assert read.value() == 42
        assert _status(uow) is IDLE  # the read ran outside a transaction
        uow.conn.execute(
            sa.insert(audit_log).values(at=clock.now(), actor=actor, action="a", data={})
        )
        assert _status(uow) is INTRANS  # BEGIN went first
        assert audit_actions(db, actor) == []  # not committed yet
        uow.commit()
    assert audit_actions(db, actor) == ["a"]


def test_plain_reads_marked_as_reads_send_no_begin(postgres_db: Database) -> None:
    """``reading``: what placing a pickup order reads of its store, outside the first reads;
    an unmarked statement begins the transaction as before."""
    with postgres_db.uow().begin_at_first_write() as uow:
        with reading(uow.conn):
            assert uow.conn.execute(sa.text("SELECT 1")).scalar() == 1
            with reading(uow.conn):  # nested: the outer block still reads afterwards
                uow.conn.execute(sa.text("SELECT 2"))
            uow.conn.execute(sa.text("SELECT 3"))
        assert _status(uow) is IDLE
        assert uow.last_commits()
        uow.conn.execute(sa.text("SELECT 4"))
        assert _status(uow) is INTRANS
        assert not uow.last_commits()


def test_a_statement_run_as_a_read_must_be_a_plain_read(postgres_db: Database) -> None:
    """A row lock outside a transaction would be let go at once: refused, not run."""
    with postgres_db.uow().begin_at_first_write() as uow:
        for statement in (
            "SELECT id FROM stock_levels FOR UPDATE",
            "select id from stock_levels for no key update",
            "UPDATE stock_levels SET reserved = reserved WHERE false",
        ):
            with reading(uow.conn), pytest.raises(RuntimeError, match="not a plain read"):
                uow.conn.execute(sa.text(statement))
        assert _status(uow) is IDLE  # none of them ran


def test_a_write_that_begins_the_transaction_is_undone_by_a_rollback(
    postgres_db: Database,
) -> None:
    db, actor = postgres_db, random_code("user:")

    def change_and_give_up() -> None:
        with db.uow().begin_at_first_write() as uow:
            uow.conn.execute(
                sa.insert(audit_log).values(at=clock.now(), actor=actor, action="a", data={})
            )
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        change_and_give_up()
    assert audit_actions(db, actor) == []


def test_a_last_statement_commits_by_itself_with_the_rows_queued_before_it(
    postgres_db: Database,
) -> None:
    # given a unit that read, queued two rows and recorded an event
    db, actor = postgres_db, random_code("user:")
    level, _sku = stock_level(db, 5)
    owner, event_id = random_code("M"), random_code("evt-")
    with db.uow().begin_at_first_write() as uow:
        read_at_once(uow.conn, [_one_read(uow)])
        queue_audit_actions(uow, actor, "first")
        queue_audit_actions(uow, actor, "second")
        uow.record(Event("test.last", {"n": 1}, "", id=event_id))
        # when the hold is its last statement
        _hold(uow, level, 2, owner, last=True)
        # then it committed by itself, before the unit's commit: another connection sees it
        assert _status(uow) is IDLE
        assert audit_actions(db, actor) == ["first", "second"]
        assert _held(db, owner) == (2, 1, 2)
        uow.commit()  # sends nothing, and is fine
    with db.reader() as uow:
        assert (
            uow.conn.execute(
                sa.select(outbox_events.c.name).where(outbox_events.c.id == event_id)
            ).scalar_one()
            == "test.last"
        )


def test_a_last_statement_that_cannot_hold_everything_writes_nothing(
    postgres_db: Database,
) -> None:
    db, actor = postgres_db, random_code("user:")
    level, _sku = stock_level(db, 1)
    owner = random_code("M")

    def ask_two() -> None:
        with db.uow().begin_at_first_write() as uow:
            queue_audit_actions(uow, actor, "queued")
            _hold(uow, level, 2, owner, last=True)  # one unit there, two asked

    with pytest.raises(StockMoved):
        ask_two()
    assert audit_actions(db, actor) == []
    assert _held(db, owner) == (0, 0, 0)
    with db.uow().begin_at_first_write() as uow:  # and the connection is fine for the next
        _hold(uow, level, 1, owner, last=True)
        uow.commit()
    assert _held(db, owner) == (1, 1, 1)


def test_nothing_may_be_written_after_the_last_statement(postgres_db: Database) -> None:
    db, actor = postgres_db, random_code("user:")
    level, _sku = stock_level(db, 5)
    with db.uow().begin_at_first_write() as uow:
        _hold(uow, level, 1, random_code("M"), last=True)
        queue_audit_actions(uow, actor, "too late")
        with pytest.raises(RuntimeError, match="after the unit of work's last statement"):
            uow.commit()
    with db.uow().begin_at_first_write() as uow:
        _hold(uow, level, 1, random_code("M"), last=True)
        with pytest.raises(RuntimeError, match="after the unit of work's last one"):
            uow.conn.execute(
                sa.insert(audit_log).values(at=clock.now(), actor=actor, action="x", data={})
            )
    assert audit_actions(db, actor) == []


def test_the_rows_written_at_commit_are_the_one_write_when_nothing_wrote_before(
    postgres_db: Database,
) -> None:
    db, actor = postgres_db, random_code("user:")
    with db.uow().begin_at_first_write() as uow:
        queue_audit_actions(uow, actor, "only")
        uow.commit()
        assert _status(uow) is IDLE
    assert audit_actions(db, actor) == ["only"]


def test_a_unit_that_began_is_an_ordinary_transaction_to_its_commit(
    postgres_db: Database,
) -> None:
    db, actor = postgres_db, random_code("user:")
    level, _sku = stock_level(db, 5)
    owner = random_code("M")
    with db.uow().begin_at_first_write() as uow:
        uow.conn.execute(
            sa.insert(audit_log).values(at=clock.now(), actor=actor, action="early", data={})
        )
        _hold(uow, level, 1, owner, last=True)  # last, but the transaction is open
        assert _status(uow) is INTRANS
        assert _held(db, owner) == (0, 0, 0)
        queue_audit_actions(uow, actor, "late")  # still allowed: the commit writes it
        uow.commit()
    assert audit_actions(db, actor) == ["early", "late"]
    assert _held(db, owner) == (1, 1, 1)


def test_a_request_that_spends_an_idempotency_key_is_an_ordinary_transaction(
    postgres_db: Database,
) -> None:
    db = postgres_db
    token = current_idempotency_claim.set(("not-claimed", "key"))
    try:
        with db.uow().begin_at_first_write() as uow:
            read_at_once(uow.conn, [_one_read(uow)])
            assert _status(uow) is INTRANS  # psycopg began the transaction as ever
    finally:
        current_idempotency_claim.reset(token)


def test_a_hold_down_to_safety_stock_writes_its_low_stock_event_in_either_mode(
    db: Database,
) -> None:
    level, sku = stock_level(db, 5, safety=2)
    with db.uow().begin_at_first_write() as uow:
        _hold(uow, level, 3, random_code("M"), last=True)
        uow.commit()
    with db.reader() as uow:
        rows = uow.conn.execute(
            sa.select(outbox_events.c.aggregate, outbox_events.c.payload).where(
                outbox_events.c.name == "inventory.low_stock",
                outbox_events.c.aggregate.like(f"stock:{sku}@%"),
            )
        ).all()
    assert len(rows) == 1
    aggregate, payload = rows[0]
    assert payload == {
        "sku": sku,
        "location": aggregate.split("@", 1)[1],
        "on_hand": 5,
        "reserved": 3,
        "safety_stock": 2,
    }


def test_a_write_through_the_driver_also_begins_the_transaction(postgres_db: Database) -> None:
    db, actor = postgres_db, random_code("user:")
    with db.uow().begin_at_first_write() as uow:
        driver_rows(
            uow.conn,
            "INSERT INTO audit_log (at, actor, action, data) VALUES (now(), %(a)s, 'd', '{}')",
            {"a": actor},
        )
        assert _status(uow) is INTRANS
    assert audit_actions(db, actor) == []  # left without commit: rolled back


def test_a_connection_lost_during_the_last_statement_leaves_the_unit_closed_cleanly(
    postgres_db: Database,
) -> None:
    db = postgres_db
    level, _sku = stock_level(db, 5)
    owner = random_code("M")

    def lose_the_connection_and_hold() -> None:
        with db.uow().begin_at_first_write() as uow:
            pid = driver_rows(uow.conn, "SELECT pg_backend_pid()", {})[0][0]
            with db.engine.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            _hold(uow, level, 1, owner, last=True)

    with pytest.raises(sa.exc.OperationalError) as raised:
        lose_the_connection_and_hold()
    # the lost connection's error, not another one raised while closing the unit
    assert raised.value.connection_invalidated
    assert _held(db, owner) == (0, 0, 0)
    with db.uow().begin_at_first_write() as again:  # and the pool serves the next unit
        _hold(again, level, 1, owner, last=True)
        again.commit()
    assert _held(db, owner) == (1, 1, 1)


def test_a_unit_that_could_not_connect_is_an_ordinary_one_next_time(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = postgres_db
    uow = db.uow().begin_at_first_write()

    def refuse() -> None:
        raise sa.exc.TimeoutError("no connection")

    with monkeypatch.context() as patched:
        patched.setattr(db.engine, "connect", refuse)
        with pytest.raises(sa.exc.TimeoutError), uow:
            pass
    with uow:  # not asked to begin at its first write this time
        read_at_once(uow.conn, [_one_read(uow)])
        assert _status(uow) is INTRANS
