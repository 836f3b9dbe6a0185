"""Wiring: settings -> database -> application. The one place concrete adapters are chosen."""

from __future__ import annotations

from fastapi import FastAPI

from openoms.infra.db import Database
from openoms.infra.logging import configure
from openoms.infra.settings import Settings, get_settings


def database(settings: Settings | None = None) -> Database:
    s = settings or get_settings()
    return Database.from_url(
        s.database_url,
        pool_size=s.db_pool_size,
        max_overflow=s.db_max_overflow,
        busy_timeout=s.sqlite_busy_timeout_seconds,
    )


def application(settings: Settings | None = None) -> FastAPI:
    """The ASGI app for ``oms serve`` (and ``uvicorn --factory``)."""
    from openoms.web.app import create_app

    s = settings or get_settings()
    configure(s.log_level, json=s.log_json)
    return create_app(s, database(s), embedded_worker=s.embedded_worker)
