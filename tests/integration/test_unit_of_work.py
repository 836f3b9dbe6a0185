"""The unit of work: all or nothing, events to the outbox, gap-free numbers."""

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.infra.sequences import next_number
from openoms.shared.events import Event
from tests.builders import random_code


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
