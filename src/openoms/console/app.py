"""The staff console: server-rendered pages under /console, served by the API's app."""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from openoms.console import (
    alerts,
    auth,
    b2b,
    configuration,
    customers,
    dashboard,
    fraud,
    fulfillment,
    fulfillment_settings,
    inventory,
    order_entry,
    orders,
    payments,
    return_entry,
    returns,
    settings,
)
from openoms.console.pages import HERE, LoginRequired, PageForbidden, render
from openoms.shared.errors import OmsError
from openoms.web.problems import STATUS_BY_KIND
from openoms.web.sessions import SESSION_COOKIE

PREFIX = "/console"
ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    dashboard.router,
    alerts.router,
    order_entry.router,  # before orders: /orders/new is not an order number
    orders.router,
    payments.router,
    fraud.router,
    inventory.router,
    fulfillment.router,
    return_entry.router,  # before returns: /returns/counter is not a return number
    returns.router,
    customers.router,
    b2b.router,
    settings.router,
    configuration.router,
    fulfillment_settings.router,
)


def install(app: FastAPI) -> None:
    """Static files and the console's answers to 'sign in first', 'not allowed' and domain
    errors (HTML on console pages; the API keeps its problem documents)."""
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    api_error = app.exception_handlers[OmsError]

    async def login_required(request: Request, _exc: Exception) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        response = RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, path="/")  # expired or ended elsewhere
        return response

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageForbidden)
        return render(request, "console/forbidden.html", {"needs": exc.needs}, status=403)

    async def domain_error(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(PREFIX + "/"):
            answer = api_error(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        assert isinstance(exc, OmsError)
        status = STATUS_BY_KIND.get(exc.kind, 400)
        context = {"title": exc.title, "detail": exc.detail}
        return render(request, "console/error.html", context, status=status)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageForbidden, forbidden)
    app.add_exception_handler(OmsError, domain_error)
