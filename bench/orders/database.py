"""The server's scratch database (migrated by ``oms db upgrade``) and facts about it."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.scratch import empty_postgres
from openoms.infra.db import Database


@contextmanager
def scratch_url(backend: str, postgres_url: str | None) -> Iterator[str]:
    """A URL to a fresh, empty database: an SQLite file, or oms_bench_<random> (dropped)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="oms-bench-orders-") as folder:
            yield f"sqlite:///{Path(folder) / 'server.db'}"
        return
    if postgres_url is None:
        raise ValueError("PostgreSQL needs a URL")
    with empty_postgres(postgres_url) as url:
        yield url.render_as_string(hide_password=False)


def driver_target(url: str) -> str:
    """What the bare driver connects to: the SQLite file path, or a libpq URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def server_version(db: Database) -> str:
    if db.engine.dialect.name == "sqlite":
        return sqlite3.sqlite_version
    with db.engine.connect() as conn:
        return str(conn.exec_driver_sql("SHOW server_version").scalar())


def deadlocks(db: Database) -> int | None:
    """PostgreSQL's count of deadlocks detected in this database so far; None on SQLite."""
    if db.engine.dialect.name == "sqlite":
        return None
    with db.engine.connect() as conn:
        query = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        return int(conn.exec_driver_sql(query).scalar_one())
