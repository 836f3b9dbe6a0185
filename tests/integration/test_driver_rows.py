"""Statements sent straight to the driver (``infra.db.driver_rows`` / ``run_built``): the
order path's hot statements on PostgreSQL. They must behave as SQLAlchemy's own execution
would: inside the unit of work's transaction, seen by the statement events, failing with
SQLAlchemy's exceptions, recovering from a lost connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database, driver_rows, json_column_value, run_built
from openoms.infra.outbox import outbox_events
from openoms.shared import clock
from tests.builders import random_code
from tests.sql_events import recorded

_INSERT = (
    "INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at)"
    " VALUES (%(id)s, 'test.driver', '', CAST(%(payload)s AS jsonb), %(at)s) RETURNING id"
)
# built once, with a literal (bound by SQLAlchemy as a parameter of its own)
_BY_NAME = sa.select(outbox_events.c.id, sa.literal(7).label("seven")).where(
    outbox_events.c.name == sa.bindparam("name"), outbox_events.c.id == sa.bindparam("id")
)


def _outbox_ids(db: Database, event_id: str) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.conn.execute(
                sa.select(outbox_events.c.id).where(outbox_events.c.id == event_id)
            ).scalars()
        )


@pytest.mark.postgres
def test_rows_come_back_and_the_statement_is_seen_by_the_events(postgres_db: Database) -> None:
    event_id = random_code("evt-")
    with postgres_db.uow() as uow, recorded(postgres_db.engine) as sent:
        rows = driver_rows(uow.conn, _INSERT, {"id": event_id, "payload": "{}", "at": clock.now()})
        uow.commit()
    assert rows == [(event_id,)]
    assert [s.sql.split(" (")[0] for s in sent.statements] == ["INSERT INTO outbox_events"]
    assert sent.statements[0].compiled_once
    assert sent.commits == 1
    assert _outbox_ids(postgres_db, event_id) == [event_id]


@pytest.mark.postgres
def test_a_statement_returning_nothing_gives_no_rows(postgres_db: Database) -> None:
    with postgres_db.uow() as uow:
        assert driver_rows(uow.conn, "SET LOCAL statement_timeout = 5000", {}) == []


@pytest.mark.postgres
def test_the_statement_belongs_to_the_unit_of_work_and_a_rollback_drops_it(
    postgres_db: Database,
) -> None:
    event_id = random_code("evt-")
    with postgres_db.uow() as uow:
        driver_rows(uow.conn, _INSERT, {"id": event_id, "payload": "{}", "at": clock.now()})
        # no commit: leaving the block rolls back
    assert _outbox_ids(postgres_db, event_id) == []


@pytest.mark.postgres
def test_without_a_transaction_it_begins_one_as_sqlalchemy_would(postgres_db: Database) -> None:
    event_id = random_code("evt-")
    with postgres_db.connection() as conn:
        assert not conn.in_transaction()
        driver_rows(conn, _INSERT, {"id": event_id, "payload": "{}", "at": clock.now()})
        assert conn.in_transaction()
        conn.commit()
    assert _outbox_ids(postgres_db, event_id) == [event_id]


@pytest.mark.postgres
def test_a_unique_violation_is_sqlalchemys_integrity_error_and_the_pool_stays_usable(
    postgres_db: Database,
) -> None:
    event_id = random_code("evt-")
    params = {"id": event_id, "payload": "{}", "at": clock.now()}
    with postgres_db.uow() as uow:
        driver_rows(uow.conn, _INSERT, params)
        uow.commit()
    with pytest.raises(sa.exc.IntegrityError) as raised, postgres_db.uow() as uow:
        driver_rows(uow.conn, _INSERT, params)
    assert type(raised.value.orig).__name__ == "UniqueViolation"
    assert "outbox_events" in str(raised.value.statement)
    with postgres_db.uow() as uow:  # the failed transaction was rolled back
        assert run_built(uow.conn, _BY_NAME, {"name": "test.driver", "id": event_id}) == [
            (event_id, 7)
        ]


@pytest.mark.postgres
def test_a_lost_connection_is_an_operational_error_and_the_next_unit_of_work_reconnects(
    postgres_db: Database,
) -> None:
    with postgres_db.uow() as uow:
        pid = driver_rows(uow.conn, "SELECT pg_backend_pid()", {})[0][0]
        with postgres_db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(sa.exc.OperationalError) as raised:
            driver_rows(uow.conn, "SELECT 1", {})
    assert raised.value.connection_invalidated
    with postgres_db.uow() as uow:
        assert driver_rows(uow.conn, "SELECT 1", {}) == [(1,)]


def test_a_built_statement_gives_what_sqlalchemy_gives_on_both_databases(db: Database) -> None:
    event_id = random_code("evt-")
    with db.uow() as uow:
        uow.conn.execute(
            outbox_events.insert().values(
                id=event_id, name="test.built", aggregate="", payload={}, occurred_at=clock.now()
            )
        )
        uow.commit()
    with db.reader() as uow:
        params = {"name": "test.built", "id": event_id}
        assert [tuple(r) for r in run_built(uow.conn, _BY_NAME, params)] == [(event_id, 7)]
        assert [tuple(r) for r in run_built(uow.conn, _BY_NAME, {**params, "id": "x"})] == []


def test_column_values_for_json_documents() -> None:
    from decimal import Decimal

    assert json_column_value(Decimal("0.21")) == "0.21"
    assert json_column_value(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == (
        "2026-01-02T03:04:05+00:00"
    )
    with pytest.raises(ValueError, match="naive"):
        json_column_value(datetime(2026, 1, 2, tzinfo=UTC).replace(tzinfo=None))
    with pytest.raises(TypeError, match="set is not a column value"):
        json_column_value({1})


def test_a_built_statement_is_compiled_once_and_forgotten_with_it() -> None:
    import gc

    from sqlalchemy.dialects.postgresql import psycopg

    from openoms.infra import db as infra_db

    dialect = psycopg.dialect()
    first = infra_db.driver_sql(_BY_NAME, dialect)
    assert infra_db.driver_sql(_BY_NAME, dialect) is first  # compiled once
    assert "%(name)s" in first[0]
    assert first[1] == {"param_1": 7}  # the literal, bound by SQLAlchemy as its own parameter
    before = len(infra_db._COMPILED)
    for i in range(50):  # built per call: compiled per call, but nothing piles up
        infra_db.driver_sql(sa.select(outbox_events.c.id).limit(i + 1), dialect)
    gc.collect()
    assert len(infra_db._COMPILED) == before


@pytest.mark.postgres
def test_parameters_by_name_reach_postgresql_in_its_own_placeholders(
    postgres_db: Database,
) -> None:
    # a name used twice is one parameter; a percent sign written twice is one percent sign;
    # and a text longer than the 4 KB psycopg keeps its own conversions of works the same
    padding = "/*" + "x" * 5000 + "*/"
    sql = (
        "SELECT %(a)s::int + %(b)s::int + %(a)s::int, '100%%', "
        "CAST(%(b)s AS text) || '%%'" + padding
    )
    with postgres_db.reader() as uow:
        for a, b in ((1, 2), (10, 20)):
            assert driver_rows(uow.conn, sql, {"b": b, "a": a, "unused": 3}) == [
                (a + b + a, "100%", f"{b}%")
            ]
