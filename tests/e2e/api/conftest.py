"""The real application on a local port, over a fresh migrated SQLite file database.

One server per test session (per xdist worker): ``uvicorn.Server`` in a background thread on
a free 127.0.0.1 port. Tests talk to it only over HTTP through :class:`ApiClient` and keep
apart by using random codes, so they need no cleanup.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from openoms.infra import migrate
from openoms.infra.db import Database
from openoms.infra.logging import configure
from openoms.infra.settings import Settings
from openoms.web.app import create_app
from tests.builders import make_token
from tests.e2e.api.client import ApiClient
from tests.e2e.serving import serving

STARTUP_SECONDS = 15.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "covers(*endpoints): the 'METHOD /path' endpoints under /api/v1 a test calls"
    )
    config.addinivalue_line("markers", "last: run after every other test of the session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)  # sort is stable


@dataclass(frozen=True)
class RunningServer:
    url: str
    app: FastAPI
    db: Database
    token: str  # an API token with every permission


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'oms.db'}"
    configure("WARNING", json=True)  # as `oms serve` does; plain tracebacks in the log only
    db = Database.from_url(url, pool_size=20)
    migrate.upgrade(db.engine)
    # Every test signs in (and looks orders up) from 127.0.0.1: the per-address limits are
    # tested in-process, or on a server of their own.
    settings = Settings(
        database_url=url,
        embedded_worker=False,
        login_attempts_per_ip=10_000,
        order_lookups_per_ip=10_000,
    )
    app = create_app(settings, db)
    try:
        with serving(app) as base_url:
            yield RunningServer(base_url, app, db, make_token(db))
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def api(server: RunningServer) -> Iterator[ApiClient]:
    client = ApiClient(server.url, server.token)
    yield client
    client.close()


@pytest.fixture
def warehouse(api: ApiClient) -> str:
    """A fresh active warehouse; returns its code."""
    return api.create_location()


@pytest.fixture
def sku(api: ApiClient) -> str:
    """A fresh SKU (of a fresh product); returns its code."""
    return api.create_sku()
