"""Who is calling, and may they: authentication and the permission check of every route.

Every route declares what it needs with ``dependencies=[permit(Permission.X)]`` or
``dependencies=[public()]``; a test walks the route table and fails on a route with neither.
A caller is an API token (``Authorization: Bearer oms_…``) or a staff session cookie. A
cookie-authenticated request that changes something must also carry the session's CSRF
token (``X-CSRF-Token`` header, or the ``csrf_token`` form field in the console).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from openoms.identity.model import NotAuthenticated, Permission, PermissionDenied, Principal
from openoms.identity.services import audit, tokens, users
from openoms.infra.db import Database, current_commit_record
from openoms.web.sessions import SESSION_COOKIE, SessionCodec

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "x-csrf-token"
_UNSET = object()


def origin_of(request: Request) -> audit.Origin:
    client = request.client.host if request.client else None
    return audit.Origin(client, request.headers.get("user-agent"))


def authenticate(request: Request) -> Principal | None:
    """The caller of this request, resolved once and kept on the request."""
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    db: Database = request.app.state.db
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if header and scheme.lower() == "bearer":
        principal = tokens.principal_for(
            db.reader(), db.aside(), secret.strip(), remember_seconds=_remember(request)
        )
    elif not header:
        cookie = request.cookies.get(SESSION_COOKIE)
        codec: SessionCodec = request.app.state.sessions
        claims = codec.read(cookie) if cookie else None
        if claims is not None:
            principal = users.session_principal(
                db.reader(), claims.user_id, claims.version, claims.csrf
            )
    request.state.principal = principal
    request.state.via_cookie = principal is not None and principal.kind == "user" and not header
    return principal


def _remember(request: Request) -> float:
    return float(request.app.state.settings.token_cache_seconds)


def _remembered(request: Request) -> bool:
    """Resolve the caller without a database round trip when its API token was checked a
    moment ago (see ``tokens.remembered_principal``); False: it must be looked up."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    db: Database = request.app.state.db
    principal = tokens.remembered_principal(db.database_key, secret.strip(), _remember(request))
    if principal is None:
        return False
    request.state.principal = principal
    request.state.via_cookie = False
    return True


async def resolve(request: Request) -> Principal | None:
    """:func:`authenticate` from the event loop: in a worker thread only when the database
    must be asked."""
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    if _remembered(request):
        return request.state.principal  # type: ignore[no-any-return]
    return await run_in_threadpool(authenticate, request)


class Permit:
    """The dependency that lets a request through only with ``permission``."""

    def __init__(self, permission: Permission | None, *, signed_in: bool = True) -> None:
        self.permission = permission  # None: any signed-in caller, or anyone if not signed_in
        self.signed_in = signed_in

    @property
    def is_public(self) -> bool:
        return not self.signed_in

    async def __call__(self, request: Request) -> Principal | None:
        # A coroutine, so FastAPI runs it on the event loop instead of a worker thread: the
        # usual caller (an API token checked a moment ago) costs no thread hop and no query.
        principal = await resolve(request)
        if not self.signed_in:
            return principal
        if principal is None:
            raise NotAuthenticated(
                "Sign in, or send an API token as 'Authorization: Bearer <token>'."
            )
        if request.method not in SAFE_METHODS and request.state.via_cookie:
            sent = request.headers.get(CSRF_HEADER) or getattr(request.state, "form_csrf", "")
            if not sent or sent != principal.csrf:
                await run_in_threadpool(refuse, request, principal, "csrf")
                raise PermissionDenied(
                    "The CSRF token is missing or wrong; reload the page and try again.",
                    reason="csrf",
                )
        if self.permission is not None and not principal.can(self.permission):
            await run_in_threadpool(refuse, request, principal, self.permission.value)
            raise PermissionDenied(
                f"Your role may not do this (it needs the '{self.permission.value}' permission).",
                permission=self.permission.value,
            )
        record_actor(request, principal)
        return principal


def record_actor(request: Request, principal: Principal) -> None:
    """Name the principal in the request's audit entry (written if the request changes
    something)."""
    record = current_commit_record.get()
    if isinstance(record, audit.RequestAudit):
        record.actor = principal.actor
        record.action = f"{request.method} {request.url.path}"
        params = request.path_params
        record.target = ",".join(f"{k}={v}" for k, v in params.items()) or None


def refuse(request: Request, principal: Principal, what: str) -> None:
    """Log a refused request in the audit log, apart from the request's own transaction."""
    db: Database = request.app.state.db
    with db.aside() as uow:
        audit.record(
            uow.conn,
            principal.actor,
            f"denied {request.method} {request.url.path}",
            origin=origin_of(request),
            status=403,
            data={"needs": what},
        )
        uow.commit()


def permit(permission: Permission) -> Any:
    """``dependencies=[permit(Permission.ORDERS_VIEW)]`` on a route."""
    return Depends(Permit(permission))


def public() -> Any:
    """``dependencies=[public()]``: the route needs no sign-in (health, ping, sign-in)."""
    return Depends(Permit(None, signed_in=False))


def signed_in() -> Any:
    """``dependencies=[signed_in()]``: any signed-in caller (their own profile, sign-out)."""
    return Depends(Permit(None))


def permit_of(dependant_calls: list[Any]) -> Permit | None:
    """The route's declaration among its dependency callables; for the route-table test."""
    return next((call for call in dependant_calls if isinstance(call, Permit)), None)


def current_principal(request: Request) -> Principal:
    """The principal a ``permit`` dependency let through."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthenticated("Sign in first.")
    return principal  # type: ignore[no-any-return]
