"""Typed dependencies shared by the HTTP routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from openoms.identity.model import PermissionDenied, Principal
from openoms.infra.db import Database, UnitOfWork
from openoms.payments.gateways import Gateways
from openoms.web.auth import current_principal

# The dependencies below are coroutines only because they do no I/O: FastAPI runs a plain
# function dependency in a worker thread, one hop per dependency per request.


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_db(request: Request) -> Database:
    return _db(request)


async def get_gateways(request: Request) -> Gateways:
    gateways: Gateways = request.app.state.gateways
    return gateways


async def write_uow(request: Request) -> UnitOfWork:
    return _db(request).uow()


async def read_uow(request: Request) -> UnitOfWork:
    return _db(request).reader()


async def actor(request: Request) -> str:
    """Who is acting, as timelines, the ledger and the audit log name them."""
    return current_principal(request).actor


async def principal(request: Request) -> Principal:
    """The caller a route's ``permit`` dependency let through."""
    return current_principal(request)


@dataclass(frozen=True)
class Context:
    """What a route that places orders needs of the application and the caller, as one
    dependency: FastAPI resolves each dependency of a request apart (tens of microseconds
    each), and the order route is the hottest of all (docs/benchmarks.md)."""

    db: Database
    gateways: Gateways
    caller: Principal


async def context(request: Request) -> Context:
    state = request.app.state
    return Context(state.db, state.gateways, current_principal(request))


DbDep = Annotated[Database, Depends(get_db)]
GatewaysDep = Annotated[Gateways, Depends(get_gateways)]
WriteUow = Annotated[UnitOfWork, Depends(write_uow)]
ReadUow = Annotated[UnitOfWork, Depends(read_uow)]
Actor = Annotated[str, Depends(actor)]
Caller = Annotated[Principal, Depends(principal)]
ContextDep = Annotated[Context, Depends(context)]


def works_at(caller: Principal, *locations: str) -> None:
    """Refuse a caller limited to some locations acting at none of these.

    Raises: PermissionDenied.
    """
    if caller.scope.locations is None or any(caller.scope.sees_location(c) for c in locations):
        return
    raise PermissionDenied(
        f"You work at {', '.join(sorted(caller.scope.locations))} only, "
        f"not at {' or '.join(locations)}.",
        locations=list(locations),
    )
