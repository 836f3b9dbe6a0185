"""OMS_REQUEST_THREADS: how many threads of a server process run route handlers."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import anyio.to_thread
import httpx
import pytest

from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.web.app import create_app
from tests.integration.payment_setup import gateways_for


def test_the_setting_bounds_the_threads_running_route_handlers(
    sqlite_db: Database, tmp_path: Path
) -> None:
    settings = Settings(
        secret_key="k" * 40, embedded_worker=False, mail_folder=str(tmp_path), request_threads=3
    )
    app = create_app(settings, sqlite_db, gateways=gateways_for(sqlite_db), carrier_apis={})

    async def run() -> tuple[int, int]:
        async with app.router.lifespan_context(app):
            tokens = anyio.to_thread.current_default_thread_limiter().total_tokens
            before = {t.ident for t in threading.enumerate()}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                answers = await asyncio.gather(*(c.get("/health") for _ in range(30)))
            workers = [
                t
                for t in threading.enumerate()
                if t.ident not in before and "AnyIO worker" in t.name
            ]
            assert all(a.status_code == 200 for a in answers)
            return int(tokens), len(workers)

    tokens, threads = asyncio.run(run())
    assert tokens == 3
    assert 1 <= threads <= 3


def test_the_setting_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="request_threads"):
        Settings(request_threads=0)
