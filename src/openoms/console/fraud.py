"""Fraud review in the console: orders the screening held for review (approve or reject),
the reviews done, and the blocklist. The same services as the fraud API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.console.orders import order_action
from openoms.console.pages import page, problem_text, redirect, render, user_of
from openoms.identity.model import Permission as P
from openoms.orders import queries
from openoms.orders.model import Order
from openoms.payments.services import screening
from openoms.payments.services.screening import BLOCK_KINDS, Review
from openoms.shared.errors import OmsError

router = APIRouter(include_in_schema=False)  # pages, not API

QUEUE = "/console/fraud"
BLOCKLIST = "/console/fraud/blocklist"
Note = Annotated[str, Form(max_length=2000)]
Back = Annotated[str, Form(max_length=10)]
KIND_HINTS = {
    "email": "an address, or @domain for a whole domain",
    "ip": "an IP address or a network (CIDR)",
    "card": "a card fingerprint",
    "address": "a shipping address, as one line",
}


@router.get("/fraud", dependencies=[page(P.FRAUD_REVIEW)])
def review_queue(request: Request, waiting: Annotated[str, Query(max_length=5)] = "") -> Response:
    """Orders waiting in review, oldest first; ``?waiting=false``: the reviews done, newest
    first."""
    show_waiting = waiting != "false"
    found = screening.review_queue(request.app.state.db.reader(), waiting=show_waiting)
    reviews = _visible(request, found)
    return render(
        request,
        "console/fraud/queue.html",
        {"reviews": reviews, "waiting": show_waiting, "tab": "waiting" if show_waiting else "done"},
    )


def _visible(request: Request, reviews: list[Review]) -> list[Review]:
    """To a user limited to some channels or locations, other orders do not exist."""
    me = user_of(request)
    if not me.scope.is_limited:
        return reviews
    db = request.app.state.db
    return [r for r in reviews if queries.is_visible(db.reader(), r.order_number, me.scope)]


def _back(back: str, number: str) -> str:
    return QUEUE if back == "queue" else f"/console/orders/{number}"


@router.post("/orders/{number}/fraud-review/approve", dependencies=[page(P.FRAUD_REVIEW)])
def approve(request: Request, number: str, note: Note = "", back: Back = "") -> Response:
    """Let the order go on: it leaves the hold it waited in."""
    db = request.app.state.db
    return order_action(
        request,
        number,
        "Approval",
        lambda: screening.approve(db, number, actor=user_of(request).actor, note=note),
        said=lambda order: f"Approved {number}: {_status(order)}.",
        back=_back(back, number),
    )


@router.post("/orders/{number}/fraud-review/reject", dependencies=[page(P.FRAUD_REVIEW)])
def reject(request: Request, number: str, note: Note = "", back: Back = "") -> Response:
    """Cancel the order; its authorization is voided and captured money refunded."""
    db, gateways = request.app.state.db, request.app.state.gateways
    return order_action(
        request,
        number,
        "Rejection",
        lambda: screening.reject(db, gateways, number, actor=user_of(request).actor, note=note),
        said=lambda order: f"Rejected {number}: {_status(order)}, its payments voided or refunded.",
        back=_back(back, number),
    )


def _status(order: Order) -> str:
    return order.status.value.replace("_", " ")


@router.get("/fraud/blocklist", dependencies=[page(P.FRAUD_REVIEW)])
def blocklist(request: Request) -> Response:
    entries = screening.blocklist(request.app.state.db.reader())
    return render(
        request,
        "console/fraud/blocklist.html",
        {
            "entries": entries,
            "kinds": {k: KIND_HINTS.get(k, "") for k in BLOCK_KINDS},
            "tab": "blocklist",
        },
    )


@router.post("/fraud/blocklist", dependencies=[page(P.FRAUD_REVIEW)])
def add_block(
    request: Request,
    kind: Annotated[str, Form(max_length=10)] = "",
    value: Annotated[str, Form(max_length=300)] = "",
    note: Note = "",
) -> Response:
    """Orders matching an entry are rejected at screening."""
    db = request.app.state.db
    try:
        entry = screening.block(db.uow(), kind, value, actor=user_of(request).actor, note=note)
    except OmsError as e:
        return redirect(request, BLOCKLIST, f"Not blocked: {problem_text(e)}", "error")
    return redirect(request, BLOCKLIST, f"Blocked {entry.kind} {entry.value}.")


@router.post("/fraud/blocklist/{entry_id}/remove", dependencies=[page(P.FRAUD_REVIEW)])
def remove_block(request: Request, entry_id: int) -> Response:
    try:
        screening.unblock(request.app.state.db.uow(), entry_id)
    except OmsError as e:
        return redirect(request, BLOCKLIST, f"Not removed: {problem_text(e)}", "error")
    return redirect(request, BLOCKLIST, "Removed from the blocklist.")
