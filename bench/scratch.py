"""Fresh databases for one benchmark run: an SQLite file, or a PostgreSQL database we drop."""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from openoms.infra import migrate
from openoms.infra.db import Database, normalize_url


@dataclass(frozen=True)
class Scratch:
    """A migrated, empty database and how to reach it without SQLAlchemy."""

    backend: str  # sqlite | postgresql
    db: Database
    raw_target: str  # SQLite file path, or a libpq connection string
    version: str


@contextmanager
def scratch_sqlite(pool_size: int) -> Iterator[Scratch]:
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as folder:
        path = Path(folder) / "bench.db"
        db = Database.from_url(f"sqlite:///{path}", pool_size=pool_size)
        try:
            migrate.upgrade(db.engine)
            yield Scratch("sqlite", db, str(path), sqlite3.sqlite_version)
        finally:
            db.dispose()


@contextmanager
def scratch_postgres(raw_url: str, pool_size: int) -> Iterator[Scratch]:
    """Create a database named oms_bench_<random>, migrate it, and drop it afterwards."""
    with empty_postgres(raw_url) as url, _migrated_postgres(url, pool_size) as scratch:
        yield scratch


@contextmanager
def empty_postgres(raw_url: str) -> Iterator[URL]:
    """An empty database named oms_bench_<random> on the server of ``raw_url``, then dropped."""
    base = normalize_url(raw_url)
    name = f"oms_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        _admin_sql(admin, f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name)
        finally:
            _admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def _migrated_postgres(url: URL, pool_size: int) -> Iterator[Scratch]:
    db = Database.from_url(url.render_as_string(hide_password=False), pool_size=pool_size)
    try:
        migrate.upgrade(db.engine)
        with db.engine.connect() as conn:
            version = str(conn.exec_driver_sql("SHOW server_version").scalar())
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        yield Scratch("postgresql", db, libpq, version)
    finally:
        db.dispose()


def postgres_problem(raw_url: str) -> str | None:
    """Why the PostgreSQL rows cannot run (server unreachable), or None when they can."""
    url = normalize_url(raw_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        _admin_sql(admin, "SELECT 1")
    except sa.exc.OperationalError as e:
        where = url.render_as_string(hide_password=True)
        reason = " ".join(str(e.orig).split())
        return f"PostgreSQL rows skipped: {where} is not reachable ({reason})"
    finally:
        admin.dispose()
    return None


def _admin_sql(admin: sa.Engine, statement: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(statement)
