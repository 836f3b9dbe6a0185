"""Customers in the console: search, a profile with order history and lifetime value, notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.console.pages import page, redirect, render, user_of
from openoms.customers import services as customers
from openoms.customers.model import Customer
from openoms.identity.model import Permission as P
from openoms.orders import queries, stats
from openoms.shared.errors import OmsError

router = APIRouter(include_in_schema=False)  # pages, not API


@router.get("/customers", dependencies=[page(P.CUSTOMERS_VIEW)])
def customer_list(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    error = ""
    found: list[Customer] = []
    next_cursor = None
    try:
        found, next_cursor = customers.search_customers(
            request.app.state.db.reader(), text=q.strip() or None, cursor=cursor or None, limit=50
        )
    except OmsError as e:
        error = e.detail
    return render(
        request,
        "console/customers/list.html",
        {"customers": found, "next_cursor": next_cursor, "q": q, "error": error},
    )


@router.get("/customers/{number}", dependencies=[page(P.CUSTOMERS_VIEW)])
def customer_profile(request: Request, number: str) -> Response:
    me = user_of(request)
    db = request.app.state.db
    customer = customers.get_customer(db.reader(), number)
    history: list[queries.OrderSummary] = []
    if me.can(P.ORDERS_VIEW):
        history, _ = queries.list_orders(
            db.reader(),
            queries.OrderFilter(customer_id=customer.id, scope=me.scope),
            limit=50,
        )
    value = stats.customer_value(db.reader(), customer.id)
    return render(
        request,
        "console/customers/profile.html",
        {
            "customer": customer,
            "orders": history,
            "value": value,
            "base": request.app.state.settings.base_currency,
        },
    )


@router.post("/customers/{number}/notes", dependencies=[page(P.CUSTOMERS_EDIT)])
def save_notes(
    request: Request, number: str, notes: Annotated[str, Form(max_length=5000)] = ""
) -> Response:
    try:
        customers.update_customer(request.app.state.db.uow(), number, {"notes": notes})
    except OmsError as e:
        return redirect(request, f"/console/customers/{number}", e.detail, "error")
    return redirect(request, f"/console/customers/{number}", "Notes saved.")
