"""Orders in the console: the list with filters, search and saved views; an order with its
lines, allocations and why, timeline, and the actions the user's role allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.console.pages import field_errors, page, problem_text, redirect, render, user_of
from openoms.console.payment_panel import fraud_review, payments_panel
from openoms.console.return_panel import returns_panel
from openoms.customers.model import PostalAddress
from openoms.identity.model import Permission as P
from openoms.identity.services import users
from openoms.infra.db import UnitOfWork
from openoms.notifications import services as notifications
from openoms.notifications.model import MessageNotFound
from openoms.orders import changes, lifecycle, queries
from openoms.orders.model import HoldReason, OrderNotFound, OrderStatus, TimelineEvent
from openoms.payments.services import order_payments
from openoms.shared.errors import OmsError, ValidationFailed

router = APIRouter(include_in_schema=False)  # pages, not API
PAGE_SIZE = 50


@router.get("/orders", dependencies=[page(P.ORDERS_VIEW)])
def order_list(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "",
    channel: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=254)] = "",
    placed_from: Annotated[str, Query(max_length=10)] = "",
    placed_to: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    me = user_of(request)
    db = request.app.state.db
    errors: dict[str, str] = {}
    statuses = None
    if status:
        try:
            statuses = [OrderStatus(status)]
        except ValueError:
            errors["status"] = f"unknown status {status!r}"
    tz = ZoneInfo(me.time_zone)
    start = _day(placed_from, tz, "placed_from", errors)
    end = _day(placed_to, tz, "placed_to", errors)
    found: list[queries.OrderSummary] = []
    next_cursor = None
    if not errors:
        try:
            found, next_cursor = queries.list_orders(
                db.reader(),
                queries.OrderFilter(
                    status=statuses,
                    channel=channel or None,
                    placed_from=start,
                    placed_to=end + timedelta(days=1) if end else None,
                    text=q or None,
                    scope=me.scope,
                ),
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
        except ValidationFailed as e:
            errors.update(field_errors(e.errors))
    views = _saved_views(request, me.id) if me.kind == "user" else {}
    return render(
        request,
        "console/orders/list.html",
        {
            "orders": found,
            "next_cursor": next_cursor,
            "filters": {
                "status": status,
                "channel": channel,
                "q": q,
                "placed_from": placed_from,
                "placed_to": placed_to,
            },
            "statuses": list(OrderStatus),
            "errors": errors,
            "views": views,
        },
        status=422 if errors else 200,
    )


@router.post("/orders/views", dependencies=[page(P.ORDERS_VIEW)])
def save_view(
    request: Request,
    name: Annotated[str, Form(max_length=60)] = "",
    query: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Keep the list's current filters under a name, for this user."""
    me = user_of(request)
    if not name.strip():
        return redirect(request, "/console/orders" + query, "Give the view a name.", "error")
    views = _saved_views(request, me.id)
    views[name.strip()] = query if query.startswith("?") else ""
    users.set_preference(request.app.state.db.uow(), me.id, "order_views", views)
    return redirect(request, "/console/orders" + query, f"View “{name.strip()}” saved.")


@router.get("/orders/{number}", dependencies=[page(P.ORDERS_VIEW)])
def order_detail(request: Request, number: str) -> Response:
    check_in_scope(request, number)
    db = request.app.state.db
    order = queries.get_order(db.reader(), number)
    events = queries.timeline(db.reader(), number)
    return render(
        request,
        "console/orders/detail.html",
        {
            "order": order,
            "events": [_entry(e) for e in reversed(events)],
            "hold_reasons": list(HoldReason),
            "errors": {},
            "money": payments_panel(request, user_of(request), order),
            "review": fraud_review(request, order),
            "parcels": _fulfilment_panel(request, order.id, order.number),
            "returns_panel": returns_panel(request, order),
            "messages": notifications.messages_of_order(db.reader(), order.number),
        },
    )


def _fulfilment_panel(request: Request, order_id: int, number: str) -> dict[str, Any] | None:
    """The order's work per location, its shipments and the customer's tracking link (for
    those who may see the warehouse's work)."""
    from openoms.fulfillment.services import shipping, work

    if not user_of(request).can(P.FULFILLMENT_VIEW):
        return None
    with request.app.state.db.reader() as uow:
        fos = work.for_order(uow, order_id)
        shipments = shipping.shipments_of_order(uow, order_id)
    return {
        "fulfilment_orders": fos,
        "shipments": shipments,
        "tracking_link": request.app.state.links.tracking_url(number),
    }


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    from_status: str | None
    to_status: str | None  # set for a status change
    title: str
    text: str


SCREENED = {"accept": "accepted", "review": "sent to review", "reject": "rejected"}


def _entry(e: TimelineEvent) -> TimelineEntry:
    """A timeline event worded for people."""
    text = e.reason or ""
    title = str(e.kind).replace("_", " ").capitalize()
    if e.kind == "payment" and e.data.get("payment_status"):
        text += f" (payment status: {str(e.data['payment_status']).replace('_', ' ')})"
    elif e.kind == "fraud_screening":
        decision = SCREENED.get(str(e.data.get("decision")), "")
        text = f"{decision}, {text}" if decision else text
    elif e.kind == "fraud_review":
        text = text.removeprefix("fraud review: ")
        if e.data.get("note"):
            text += f" — “{e.data['note']}”"
    return TimelineEntry(e.at, e.actor, e.from_status, e.to_status, title, text)


def check_in_scope(request: Request, number: str) -> None:
    """To a user limited to some locations or channels, other orders do not exist."""
    me = user_of(request)
    if me.scope.is_limited and not queries.is_visible(
        request.app.state.db.reader(), number, me.scope
    ):
        raise OrderNotFound(f"No order {number}.", number=number)


Action = Callable[[UnitOfWork, str], object]  # (unit of work, actor) -> the use case's result
T = TypeVar("T")


def order_action(
    request: Request,
    number: str,
    action: str,
    do: Callable[[], T],
    *,
    said: Callable[[T], str | tuple[str, str]] | None = None,
    back: str | None = None,
) -> Response:
    """Run an action on an order; back to the order (or ``back``) with what happened, or
    with why not: a refused action changes nothing and says so in an error message.
    ``said`` words the outcome from the action's result ("Refunded €5.00 on …"), or gives
    (kind, message) when the outcome is not a plain success (a declined card)."""
    check_in_scope(request, number)
    target = back or f"/console/orders/{number}"
    try:
        result = do()
    except OmsError as e:
        return redirect(request, target, f"{action} not done: {problem_text(e)}", "error")
    outcome = said(result) if said else f"{action}: done."
    kind, message = ("success", outcome) if isinstance(outcome, str) else outcome
    return redirect(request, target, message, kind)


def _act(request: Request, number: str, action: str, do: Action) -> Response:
    """An order action that runs in one unit of work, as the user."""
    return order_action(
        request, number, action, lambda: do(request.app.state.db.uow(), user_of(request).actor)
    )


@router.post("/orders/{number}/hold", dependencies=[page(P.ORDERS_HOLD)])
def hold(
    request: Request,
    number: str,
    reason: Annotated[str, Form(max_length=20)] = "manual",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        why = HoldReason(reason)
    except ValueError:
        return redirect(
            request, f"/console/orders/{number}", f"Unknown hold reason {reason!r}.", "error"
        )
    return _act(
        request,
        number,
        "Put on hold",
        lambda uow, actor: lifecycle.hold_order(uow, number, why, actor=actor, note=note),
    )


@router.post("/orders/{number}/release", dependencies=[page(P.ORDERS_HOLD)])
def release(
    request: Request, number: str, note: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    return _act(
        request,
        number,
        "Released",
        lambda uow, actor: lifecycle.release_hold(
            uow,
            number,
            actor=actor,
            note=note,
            permissions=frozenset(p.value for p in user_of(request).permissions),
        ),
    )


@router.post("/orders/{number}/cancel", dependencies=[page(P.ORDERS_CANCEL)])
def cancel(
    request: Request, number: str, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    """Cancel, then void what is authorized and refund what was captured (as the API)."""
    db, gateways = request.app.state.db, request.app.state.gateways
    return order_action(
        request,
        number,
        "Cancelled",
        lambda: order_payments.cancel_order(
            db, gateways, number, actor=user_of(request).actor, reason=reason
        ),
        said=lambda settled: (
            "Cancelled: done."
            if not settled.problems
            else "Cancelled; payments still to settle: " + "; ".join(settled.problems)
        ),
    )


@router.post("/orders/{number}/notes", dependencies=[page(P.ORDERS_EDIT)])
def add_note(
    request: Request, number: str, text: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    return _act(
        request,
        number,
        "Note added",
        lambda uow, actor: lifecycle.add_note(uow, number, text, actor=actor),
    )


@router.post("/orders/{number}/messages/{message_id}/resend", dependencies=[page(P.ORDERS_EDIT)])
def resend_message(request: Request, number: str, message_id: int) -> Response:
    """Send a message of this order again (a new message, queued now)."""

    def do() -> notifications.Message:
        found = notifications.get_message(request.app.state.db.reader(), message_id)
        if found.order_number != number:
            raise MessageNotFound(f"Order {number} has no message {message_id}.")
        return notifications.resend(request.app.state.db.uow(), message_id)

    return order_action(
        request,
        number,
        "Resend",
        do,
        said=lambda m: f"“{m.subject}” queued again for {m.to}.",
    )


@router.post("/orders/{number}/resource", dependencies=[page(P.ORDERS_EDIT)])
def resource(request: Request, number: str) -> Response:
    return _act(
        request,
        number,
        "Sourced again",
        lambda uow, actor: changes.resource_order(uow, number, actor=actor),
    )


@router.post("/orders/{number}/address", dependencies=[page(P.ORDERS_EDIT)])
def change_address(
    request: Request,
    number: str,
    name: Annotated[str, Form(max_length=200)] = "",
    line1: Annotated[str, Form(max_length=200)] = "",
    line2: Annotated[str, Form(max_length=200)] = "",
    postal_code: Annotated[str, Form(max_length=20)] = "",
    city: Annotated[str, Form(max_length=120)] = "",
    region: Annotated[str, Form(max_length=120)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Ship somewhere else; the order is sourced again for the new address."""
    address = PostalAddress(
        name=name,
        line1=line1,
        line2=line2,
        postal_code=postal_code,
        city=city,
        region=region,
        country=country.upper(),
        phone=phone,
    )
    return _act(
        request,
        number,
        "Address changed",
        lambda uow, actor: changes.change_shipping_address(uow, number, address, actor=actor),
    )


def _day(text: str, tz: ZoneInfo, field: str, errors: dict[str, str]) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = "use a date like 2026-03-01"
        return None
    return datetime.combine(day, time.min, tz)


def _saved_views(request: Request, user_id: int) -> dict[str, str]:
    user = users.get_user(request.app.state.db.reader(), user_id)
    views = user.preferences.get("order_views", {})
    return {str(k): str(v) for k, v in views.items()} if isinstance(views, dict) else {}
