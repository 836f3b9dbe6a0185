"""Databases for the tests: SQLite always, PostgreSQL when OMS_TEST_POSTGRES_URL is set.

Each test run (and each xdist worker) gets its own PostgreSQL database, created here and
dropped at the end, so runs never collide. The schema is built by the Alembic migrations.
Tests commit for real and keep apart by using random codes (see ``tests/builders.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from openoms.infra import migrate
from openoms.infra.db import Database, normalize_url

# The property and schema-fuzzing tests draw new examples on every local run, to keep
# finding what no one wrote a test for; CI (``OMS_TEST_DERANDOMIZE=1`` in ``.ci/run``) draws
# the same examples every time, so that its verdict is the code's and not the draw's.
hypothesis_settings.register_profile(
    "ci",
    deadline=None,
    max_examples=60,
    derandomize=os.environ.get("OMS_TEST_DERANDOMIZE") == "1",
)
hypothesis_settings.load_profile("ci")

POSTGRES_URL = os.environ.get("OMS_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("OMS_TEST_REQUIRE_POSTGRES") == "1"


def postgres_or_skip() -> str:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("OMS_TEST_REQUIRE_POSTGRES=1 but OMS_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need OMS_TEST_POSTGRES_URL (CI sets it)")
    return POSTGRES_URL


@contextmanager
def fresh_postgres_database(base: sa.URL, name: str) -> Iterator[str]:
    """Database ``name`` created on the server of ``base`` and dropped afterwards; its URL."""
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test process."""
    base = normalize_url(postgres_or_skip())
    name = f"oms_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        try:
            url = stack.enter_context(fresh_postgres_database(base, name))
        except sa.exc.OperationalError as e:
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL required but not reachable: {e}")
            pytest.skip(f"PostgreSQL not reachable: {e}")
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "oms.db"
    return f"sqlite:///{path}"


def _migrated(url: str, pool_size: int = 10) -> Database:
    db = Database.from_url(url, pool_size=pool_size, max_overflow=80)
    migrate.upgrade(db.engine)
    return db


@pytest.fixture(scope="session")
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    db = _migrated(sqlite_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def postgres_db(postgres_url: str) -> Iterator[Database]:
    # few idle connections per worker: the 64-connection race needs the server's headroom
    # (max_connections 100) while the other worker's pool is idle; overflow covers bursts
    db = _migrated(postgres_url, pool_size=4)
    yield db
    db.dispose()


@pytest.fixture
def own_postgres_db(postgres_url: str) -> Iterator[Database]:
    """A migrated PostgreSQL database of the test's own, dropped afterwards: for a test
    whose traces (statistics, table sizes) the shared database should not inherit."""
    name = f"oms_test_own_{uuid.uuid4().hex[:8]}"
    with fresh_postgres_database(make_url(postgres_url), name) as url:
        db = _migrated(url, pool_size=1)
        try:
            yield db
        finally:
            db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    fixture = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    database: Database = request.getfixturevalue(fixture)
    return database


def backend_of(db: Database) -> str:
    return make_url(str(db.engine.url)).get_backend_name()
