"""Gap-free document numbers (``TR-000042``).

The counter row is bumped inside the caller's transaction, so a rolled-back use case gives
its number back and the next one reuses it: no gaps. The row lock serialises writers of the
same sequence, which is the price of gap-free numbering.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import metadata
from openoms.infra.upsert import insert_for

sequences = sa.Table(
    "sequences",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("last_value", sa.BigInteger, nullable=False, server_default="0"),
)


_BUMP = (
    sequences.update()
    .where(sequences.c.name == sa.bindparam("counter"))
    .values(last_value=sequences.c.last_value + 1)
    .returning(sequences.c.last_value)
)


def next_value(conn: Connection, name: str) -> int:
    value = conn.execute(_BUMP, {"counter": name}).scalar()
    if value is None:
        conn.execute(
            insert_for(conn, sequences).values(name=name, last_value=0).on_conflict_do_nothing()
        )
        value = conn.execute(_BUMP, {"counter": name}).scalar_one()
    return int(value)


def next_number(conn: Connection, name: str, prefix: str, width: int = 6) -> str:
    return f"{prefix}-{next_value(conn, name):0{width}d}"


class LateNumber:
    """A gap-free number for a row written early in a transaction, taken as late as possible.

    Whoever takes the next number holds the counter row's lock until COMMIT, so every other
    writer of the sequence waits that long. On PostgreSQL the row is written with a
    provisional number and :meth:`assign` takes the real one in the transaction's last
    statement, so the lock is held for one round trip instead of the whole use case. SQLite
    has one writer at a time anyway: there the number is taken up front, one statement fewer.
    """

    def __init__(self, conn: Connection, name: str, prefix: str, width: int = 6) -> None:
        self._conn, self._name, self._prefix, self._width = conn, name, prefix, width
        self._late = conn.dialect.name == "postgresql"
        self.provisional = (
            f"~{secrets.token_hex(9)}" if self._late else next_number(conn, name, prefix, width)
        )

    def assign(self, table: sa.Table, row_id: int) -> str:
        """The row's final number; on PostgreSQL, written to its ``number`` column now."""
        if not self._late:
            return self.provisional
        number = self._conn.execute(self._numbering(table, row_id)).scalar()
        if number is None:  # the first number of this sequence: create its counter
            self._conn.execute(
                insert_for(self._conn, sequences)
                .values(name=self._name, last_value=0)
                .on_conflict_do_nothing()
            )
            number = self._conn.execute(self._numbering(table, row_id)).scalar_one()
        return str(number)

    def _numbering(self, table: sa.Table, row_id: int) -> sa.Update:
        bumped = (
            sequences.update()
            .where(sequences.c.name == self._name)
            .values(last_value=sequences.c.last_value + 1)
            .returning(sequences.c.last_value)
            .cte("bumped")
        )
        digits = sa.cast(bumped.c.last_value, sa.Text)
        padded = sa.func.lpad(digits, sa.func.greatest(self._width, sa.func.length(digits)), "0")
        return (
            table.update()
            .add_cte(bumped, nest_here=True)
            .where(table.c.id == row_id, sa.exists(sa.select(bumped.c.last_value)))
            .values(number=sa.literal(f"{self._prefix}-") + sa.select(padded).scalar_subquery())
            .returning(table.c.number)
        )
