"""Gap-free document numbers (``TR-000042``).

The counter row is bumped inside the caller's transaction, so a rolled-back use case gives
its number back and the next one reuses it: no gaps. The row lock serialises writers of the
same sequence, which is the price of gap-free numbering.
"""

from __future__ import annotations

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
