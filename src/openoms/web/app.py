"""The application factory: API routers, error mapping, idempotency and the embedded worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from openoms import __version__
from openoms.accounting.http import router as accounting_router
from openoms.carts.http import router as carts_router
from openoms.catalog.http import router as catalog_router
from openoms.channels.http import router as channels_router
from openoms.customers.http import router as customers_router
from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.http import router as webhooks_router
from openoms.inventory.http import router as inventory_router
from openoms.locations.http import router as locations_router
from openoms.orders.http import router as orders_router
from openoms.web import problems
from openoms.web.idempotency import IdempotencyMiddleware

system = APIRouter(tags=["system"])


@system.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@system.get("/api/v1/ping")
def ping() -> dict[str, str]:
    """An endpoint that does nothing: the baseline of the HTTP benchmarks."""
    return {"pong": "ok"}


def create_app(settings: Settings, db: Database, *, embedded_worker: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if embedded_worker:
            from openoms.entrypoints.worker import BackgroundWorker

            worker = BackgroundWorker(db, settings)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="OpenOMS",
        version=__version__,
        description="Order management: catalog, locations, inventory, channels, customers, orders.",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    problems.install(app)
    app.add_middleware(
        IdempotencyMiddleware, db=db, ttl=timedelta(hours=settings.idempotency_ttl_hours)
    )
    app.include_router(system)
    routers = (
        catalog_router,
        locations_router,
        inventory_router,
        channels_router,
        customers_router,
        orders_router,
        carts_router,
        accounting_router,
        webhooks_router,
    )
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    return app
