"""``INSERT … ON CONFLICT`` for whichever engine the connection speaks to."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_for(conn: Connection, table: sa.Table) -> Any:
    """An insert construct that has ``on_conflict_do_update`` / ``on_conflict_do_nothing``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
