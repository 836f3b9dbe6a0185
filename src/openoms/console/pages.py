"""The console's plumbing: who may see a page, templates, flash messages, forms and CSRF.

Pages declare their permission like API routes (``dependencies=[page(P.ORDERS_VIEW)]``), so
the same route table and permission matrix cover them. A visitor who is not signed in is
sent to the sign-in page; a signed-in user without the permission gets a page that says
so (403). Every form that changes something carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer

from openoms.identity.model import ROLE_TITLES, Permission, Principal
from openoms.identity.model import Permission as P
from openoms.payments.services import screening
from openoms.shared import clock
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.money import Money
from openoms.web.auth import SAFE_METHODS, Permit, authenticate, record_actor, refuse

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
FLASH_COOKIE = "oms_flash"


class LoginRequired(Exception):
    """Not signed in: go to the sign-in page and come back."""


class PageForbidden(Exception):
    def __init__(self, needs: str) -> None:
        super().__init__(needs)
        self.needs = needs


class PagePermit(Permit):
    """A page's permission check: by session cookie only, with the CSRF token of forms."""

    async def __call__(self, request: Request) -> Principal | None:
        if not self.signed_in:
            return None
        principal = await run_in_threadpool(authenticate, request)
        if principal is None or not request.state.via_cookie:
            raise LoginRequired()
        if request.method not in SAFE_METHODS:
            form = await request.form()
            sent = form.get("csrf_token")
            if not isinstance(sent, str) or sent != principal.csrf:
                await run_in_threadpool(refuse, request, principal, "csrf")
                raise PageForbidden("csrf")
        if self.permission is not None and not principal.can(self.permission):
            await run_in_threadpool(refuse, request, principal, self.permission.value)
            raise PageForbidden(self.permission.value)
        record_actor(request, principal)
        return principal


def page(permission: Permission) -> Any:
    """``dependencies=[page(P.ORDERS_VIEW)]`` on a console route."""
    return Depends(PagePermit(permission))


def any_user() -> Any:
    """``dependencies=[any_user()]``: every signed-in user."""
    return Depends(PagePermit(None))


def public_page() -> Any:
    return Depends(PagePermit(None, signed_in=False))


def user_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


# --- rendering ------------------------------------------------------------------------------


def _waiting_reviews(request: Request, principal: Principal) -> int | None:
    """Orders waiting in fraud review (not shown to users who see part of the orders)."""
    if principal.scope.is_limited:
        return None
    return screening.waiting_count(request.app.state.db.reader())


def _waiting_returns(request: Request, principal: Principal) -> int | None:
    """Returns waiting for someone: to approve or reject, or to inspect."""
    from openoms.returns.queries import waiting_count

    return waiting_count(request.app.state.db.reader(), principal.scope)


def _open_alerts(request: Request, principal: Principal) -> int | None:
    """Alerts nobody has acknowledged yet, of those the user may see."""
    from openoms.alerts.services import open_counts

    return sum(open_counts(request.app.state.db.reader(), principal.scope).values())


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    permission: Permission | None
    count: Callable[[Request, Principal], int | None] | None = None  # a number next to it


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    count: int | None


NAV = [
    NavItem("Dashboard", "/console", P.ORDERS_VIEW),
    NavItem("Orders", "/console/orders", P.ORDERS_VIEW),
    NavItem("Alerts", "/console/alerts", P.ALERTS_VIEW, _open_alerts),
    NavItem("Inventory", "/console/inventory", P.INVENTORY_VIEW),
    NavItem("Fulfilment", "/console/fulfilment", P.FULFILLMENT_VIEW),
    NavItem("Returns", "/console/returns", P.RETURNS_VIEW, _waiting_returns),
    NavItem("Customers", "/console/customers", P.CUSTOMERS_VIEW),
    NavItem("Companies", "/console/companies", P.CUSTOMERS_VIEW),
    NavItem("Quotes", "/console/quotes", P.ORDERS_VIEW),
    NavItem("Invoices", "/console/invoices", P.FINANCE_VIEW),
    NavItem("Aging", "/console/aging", P.FINANCE_VIEW),
    NavItem("Bank", "/console/bank", P.FINANCE_VIEW),
    NavItem("Fraud review", "/console/fraud", P.FRAUD_REVIEW, _waiting_reviews),
    NavItem("Settings", "/console/settings", None),
]


def _nav(request: Request, principal: Principal | None) -> list[NavLink]:
    if principal is None:
        return []
    return [
        NavLink(n.label, n.href, n.count(request, principal) if n.count else None)
        for n in NAV
        if n.permission is None or principal.can(n.permission)
    ]


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    flashes = _read_flashes(request)
    ctx = {
        "request": request,
        "me": principal,
        "role_title": ROLE_TITLES[principal.role] if principal and principal.role else "",
        "csrf": principal.csrf if principal else "",
        "nav": _nav(request, principal),
        "flashes": flashes,
        "path": request.url.path,
        "P": P,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path="/console")
    return response


def redirect(request: Request, url: str, message: str = "", kind: str = "success") -> Response:
    """303 to ``url`` with a flash message shown on the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        signer = _flash_signer(request)
        response.set_cookie(
            FLASH_COOKIE,
            signer.dumps([[kind, message]]),
            httponly=True,
            samesite="lax",
            path="/console",
        )
    return response


def _flash_signer(request: Request) -> URLSafeSerializer:
    codec = request.app.state.sessions
    return URLSafeSerializer(codec.secret, salt="openoms.flash")


def _read_flashes(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        value = _flash_signer(request).loads(raw)
    except BadSignature:
        return []
    return [(str(k), str(m)) for k, m in value if k in ("success", "error", "info")]


def problem_text(error: OmsError) -> str:
    """A domain error as one line for a flash message: each bad field, or the detail."""
    if isinstance(error, ValidationFailed) and error.errors:
        return "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    return error.detail


def field_errors(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e.field, e.message)
    return out


# --- filters --------------------------------------------------------------------------------


def _money(amount_minor: int | None, currency: str | None, locale: str = "en") -> str:
    if amount_minor is None or not currency:
        return "—"
    return Money(int(amount_minor), currency).format(locale)


def _local(value: datetime | None, request: Request, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return "—"
    principal: Principal | None = getattr(request.state, "principal", None)
    tz = ZoneInfo(principal.time_zone if principal else "UTC")
    return clock.as_utc(value).astimezone(tz).strftime(fmt)


def _label(value: object) -> str:
    return str(value).replace("_", " ").capitalize()


def _query(request: Request, **changes: object) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())


templates.env.filters["money"] = _money
templates.env.filters["label"] = _label
templates.env.globals["local_time"] = _local
templates.env.globals["query"] = _query
