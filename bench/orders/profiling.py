"""``python -m bench.orders.profiling``: where one ``POST /api/v1/orders`` spends its CPU.

The benchmark's shop is seeded on a scratch database and the app is called directly as an
ASGI callable, one request after another, with route handlers run inline instead of in
worker threads, so one ``cProfile`` (timed in CPU seconds) sees the whole request: the
middleware, the dependencies, placement, screening, the response. Prints the CPU per order
and per ping, with and without the profiler, then the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

import starlette.concurrency

from bench.orders.bodies import OrderMaker
from bench.orders.database import scratch_url
from bench.orders.seed import Shop, seed_shop
from bench.orders.server import migrate
from bench.settings import postgres_url_from_env
from openoms.infra.db import Database

WARM_UP = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.orders.profiling", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--sort", default="cumulative", help="a pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    postgres = postgres_url_from_env()
    if args.backend == "postgresql" and postgres is None:
        raise SystemExit("set OMS_BENCH_POSTGRES_URL or OMS_TEST_POSTGRES_URL")
    _run_handlers_inline()
    with scratch_url(args.backend, postgres) as url:
        migrate(url)
        db = Database.from_url(url)
        shop = seed_shop(db, 1_000, 5_000_000, 200)
        db.dispose()
        os.environ.update(OMS_DATABASE_URL=url, OMS_EMBEDDED_WORKER="0", OMS_LOG_LEVEL="warning")
        from openoms.entrypoints.bootstrap import application
        from openoms.infra.settings import get_settings

        get_settings.cache_clear()
        app = application()
        profile = asyncio.run(_measure(app, shop, args.orders))
        app.state.db.dispose()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


def _run_handlers_inline() -> None:
    """Route handlers and plain-function dependencies run on the calling thread."""

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    starlette.concurrency.run_in_threadpool = inline
    # the modules that imported it by name (fastapi.telemetry exists in recent releases)
    for name in ("fastapi.routing", "fastapi.dependencies.utils", "fastapi.telemetry._api"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "run_in_threadpool"):
            module.run_in_threadpool = inline  # type: ignore[attr-defined]


async def _measure(app: Any, shop: Shop, orders: int) -> cProfile.Profile:
    maker = OrderMaker(shop, "spread", 3, "profile")
    call = _Caller(app, shop.token)
    for _ in range(WARM_UP):
        await call.post_order(maker.body())
    for _ in range(WARM_UP * 4):
        await call.get("/api/v1/ping")
    cpu = time.process_time()
    for _ in range(WARM_UP * 10):
        await call.get("/api/v1/ping")
    print(f"ping: {(time.process_time() - cpu) / (WARM_UP * 10) * 1000:.3f} ms CPU")
    bodies = [maker.body() for _ in range(orders)]
    cpu = time.process_time()
    for body in bodies:
        await call.post_order(body)
    print(f"order: {(time.process_time() - cpu) / orders * 1000:.2f} ms CPU")
    profile = cProfile.Profile(time.process_time)
    bodies = [maker.body() for _ in range(orders)]
    cpu = time.process_time()
    profile.enable()
    for body in bodies:
        await call.post_order(body)
    profile.disable()
    print(f"order, profiled: {(time.process_time() - cpu) / orders * 1000:.2f} ms CPU")
    return profile


class _Caller:
    """One HTTP request at a time straight into the ASGI app."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ]

    async def post_order(self, body: dict[str, Any]) -> None:
        status = await self._call("POST", "/api/v1/orders", json.dumps(body).encode())
        if status != 201:
            raise RuntimeError(f"POST /api/v1/orders answered {status}")

    async def get(self, path: str) -> None:
        status = await self._call("GET", path, b"")
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")

    async def _call(self, method: str, path: str, body: bytes) -> int:
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("bench", 80),
            "scheme": "http",
            "root_path": "",
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)  # the app never waits for a disconnect here
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])

        await self.app(scope, receive, send)
        return status


if __name__ == "__main__":
    raise SystemExit(main())
