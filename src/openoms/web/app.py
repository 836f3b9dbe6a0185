"""The application factory: API routers, error mapping, idempotency and the embedded worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from openoms import __version__
from openoms.accounting.http import router as accounting_router
from openoms.alerts.http import router as alerts_router
from openoms.carts.http import router as carts_router
from openoms.catalog.http import router as catalog_router
from openoms.channels.http import router as channels_router
from openoms.console import app as console
from openoms.customers.http import router as customers_router
from openoms.fulfillment.carrier_api import CarrierApi
from openoms.fulfillment.http import router as fulfilment_router
from openoms.identity.http import router as identity_router
from openoms.infra.db import Database
from openoms.infra.secrets import secret_key
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.http import router as webhooks_router
from openoms.inventory.http import router as inventory_router
from openoms.locations.http import router as locations_router
from openoms.notifications.http import router as notifications_router
from openoms.orders.http import router as orders_router
from openoms.payments.fraud_http import router as fraud_router
from openoms.payments.gateways import Gateways
from openoms.payments.http import router as payments_router
from openoms.receivables.http import router as receivables_router
from openoms.returns.http import router as returns_router
from openoms.selfservice import http as selfservice
from openoms.selfservice import returning as selfservice_returns
from openoms.selfservice.links import CustomerLinks
from openoms.web import problems
from openoms.web.audit import AuditMiddleware
from openoms.web.auth import Permit, permit_of, public
from openoms.web.idempotency import IdempotencyMiddleware
from openoms.web.sessions import SessionCodec

system = APIRouter(tags=["system"])


@system.get("/health", dependencies=[public()])
def health() -> dict[str, str]:
    return {"status": "ok"}


@system.get("/", dependencies=[public()], include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/console", status_code=303)


@system.get("/api/v1/ping", dependencies=[public()])
def ping() -> dict[str, str]:
    """An endpoint that does nothing: the baseline of the HTTP benchmarks."""
    return {"pong": "ok"}


def _declare_bearer_tokens(app: FastAPI) -> None:
    """Tell the OpenAPI document (and /docs' Authorize button) that the API takes bearer
    tokens; the check itself is each route's ``permit``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (oms_…) from Settings → API tokens",
                }
            }
            schema["security"] = [{"bearerToken": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


API_PREFIX = "/api/v1"
# Starlette tries routes in this order, so the busiest (orders, carts: every channel's
# integration) come first. No path of theirs can shadow another router's.
ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (system, ""),
    (orders_router, API_PREFIX),
    (carts_router, API_PREFIX),
    (catalog_router, API_PREFIX),
    (locations_router, API_PREFIX),
    (inventory_router, API_PREFIX),
    (channels_router, API_PREFIX),
    (customers_router, API_PREFIX),
    (payments_router, API_PREFIX),
    (fraud_router, API_PREFIX),
    (receivables_router, API_PREFIX),
    (fulfilment_router, API_PREFIX),
    (returns_router, API_PREFIX),
    (selfservice.api_router, API_PREFIX),
    (notifications_router, API_PREFIX),
    (alerts_router, API_PREFIX),
    (accounting_router, API_PREFIX),
    (webhooks_router, API_PREFIX),
    (identity_router, API_PREFIX),
    *((router, console.PREFIX) for router in console.ROUTERS),
    (selfservice.router, ""),
    (selfservice_returns.router, ""),
)


@dataclass(frozen=True)
class RouteEntry:
    method: str
    path: str
    permit: Permit | None  # None: the route declares nobody (a test fails on it)


def route_table() -> list[RouteEntry]:
    """Every route the app serves, with who may call it: for the permission tests and the
    console's settings page."""
    table = []
    for router, prefix in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                declared = permit_of([d.call for d in route.dependant.dependencies])
                for method in sorted(route.methods or ()):
                    table.append(RouteEntry(method, prefix + route.path, declared))
    return table


def create_app(
    settings: Settings,
    db: Database,
    *,
    embedded_worker: bool = False,
    gateways: Gateways | None = None,
    carrier_apis: Mapping[str, CarrierApi] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Threads that run the (blocking) route handlers of this process. Few: each one
        # holding a transaction waits for the interpreter lock between its statements, and
        # with many runnable threads that wait grows, and row locks are held as long.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.request_threads
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
    if gateways is None:
        from openoms.entrypoints.bootstrap import payment_gateways

        gateways = payment_gateways(settings, db)
    app.state.gateways = gateways
    if carrier_apis is None:
        from openoms.entrypoints.bootstrap import carrier_apis as configured

        carrier_apis = configured(settings)
    app.state.carrier_apis = carrier_apis
    app.state.sessions = SessionCodec(secret_key(settings), int(settings.session_hours * 3600))
    app.state.links = CustomerLinks(secret_key(settings), settings.public_url)
    problems.install(app)
    app.add_middleware(
        IdempotencyMiddleware, db=db, ttl=timedelta(hours=settings.idempotency_ttl_hours)
    )
    app.add_middleware(AuditMiddleware)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)
    console.install(app)
    _declare_bearer_tokens(app)
    return app
