"""Inventory in the console: levels by SKU and location, a SKU's movements, adjust with a
reason, transfer between locations, enter a count, the low-stock list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.console.pages import page, problem_text, redirect, render, user_of
from openoms.identity.model import Permission as P
from openoms.identity.model import Principal
from openoms.inventory import queries
from openoms.inventory.model import AdjustmentReason, StockLine
from openoms.inventory.services import stock, transfers
from openoms.locations import services as locations
from openoms.shared.errors import OmsError, ValidationFailed

router = APIRouter(include_in_schema=False)  # pages, not API


@router.get("/inventory", dependencies=[page(P.INVENTORY_VIEW)])
def levels(
    request: Request,
    sku: Annotated[str, Query(max_length=64)] = "",
    location: Annotated[str, Query(max_length=64)] = "",
    low: Annotated[bool, Query()] = False,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    me = user_of(request)
    db = request.app.state.db
    error = ""
    found: list[queries.LevelRow] = []
    next_cursor = None
    try:
        found, next_cursor = queries.list_levels(
            db.reader(),
            sku=sku.strip() or None,
            location=location or None,
            low_only=low,
            cursor=cursor or None,
            limit=100,
            within=me.scope.locations,
        )
    except ValidationFailed as e:
        error = "; ".join(x.message for x in e.errors)
    return render(
        request,
        "console/inventory/levels.html",
        {
            "levels": found,
            "next_cursor": next_cursor,
            "filters": {"sku": sku, "location": location, "low": low},
            "locations": _my_locations(request, me),
            "error": error,
        },
    )


@router.get("/inventory/transfers", dependencies=[page(P.INVENTORY_VIEW)])
def transfer_list(request: Request) -> Response:
    me = user_of(request)
    found = [
        t
        for t in transfers.list_transfers(request.app.state.db.reader(), limit=100)
        if me.scope.sees_location(t.from_location) or me.scope.sees_location(t.to_location)
    ]
    return render(request, "console/inventory/transfers.html", {"transfers": found})


@router.get("/inventory/{sku}", dependencies=[page(P.INVENTORY_VIEW)])
def sku_page(request: Request, sku: str) -> Response:
    me = user_of(request)
    db = request.app.state.db
    found, _ = queries.list_levels(db.reader(), sku=sku, limit=200, within=me.scope.locations)
    moves, _ = queries.list_movements(db.reader(), sku=sku, limit=50, within=me.scope.locations)
    return render(
        request,
        "console/inventory/sku.html",
        {
            "sku": sku,
            "levels": found,
            "movements": moves,
            "locations": _my_locations(request, me),
            "all_locations": [
                loc.code for loc in locations.list_locations(db.reader(), is_active=True)
            ],
            "reasons": list(AdjustmentReason),
        },
    )


def _back(sku: str) -> str:
    return f"/console/inventory/{sku}"


def _guarded(request: Request, sku: str, done: str, *where: str, action: object) -> Response:
    me = user_of(request)
    if me.scope.locations is not None and not any(me.scope.sees_location(w) for w in where):
        return redirect(request, _back(sku), f"You do not work at {' or '.join(where)}.", "error")
    try:
        assert callable(action)
        action()
    except OmsError as e:
        return redirect(request, _back(sku), f"Not done: {problem_text(e)}", "error")
    return redirect(request, _back(sku), done)


@router.post("/inventory/{sku}/adjust", dependencies=[page(P.INVENTORY_ADJUST)])
def adjust(
    request: Request,
    sku: str,
    location: Annotated[str, Form(max_length=64)] = "",
    quantity_delta: Annotated[int, Form(ge=-1_000_000, le=1_000_000)] = 0,
    reason: Annotated[str, Form(max_length=20)] = "correction",
) -> Response:
    me = user_of(request)
    db = request.app.state.db
    try:
        why = AdjustmentReason(reason)
    except ValueError:
        return redirect(request, _back(sku), f"Unknown reason {reason!r}.", "error")
    return _guarded(
        request,
        sku,
        f"Adjusted {sku} at {location} by {quantity_delta:+d} ({why.value}).",
        location,
        action=lambda: stock.adjust_stock(
            db.uow(), location, sku, quantity_delta, why, actor=me.actor
        ),
    )


@router.post("/inventory/{sku}/count", dependencies=[page(P.INVENTORY_ADJUST)])
def count(
    request: Request,
    sku: str,
    location: Annotated[str, Form(max_length=64)] = "",
    counted: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
) -> Response:
    me = user_of(request)
    db = request.app.state.db
    return _guarded(
        request,
        sku,
        f"Count of {sku} at {location} recorded: {counted}.",
        location,
        action=lambda: stock.record_count(
            db.uow(), location, [stock.CountLine(sku, counted)], actor=me.actor
        ),
    )


@router.post("/inventory/{sku}/transfer", dependencies=[page(P.INVENTORY_TRANSFER)])
def transfer(
    request: Request,
    sku: str,
    from_location: Annotated[str, Form(max_length=64)] = "",
    to_location: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[int, Form(ge=1, le=1_000_000)] = 1,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    me = user_of(request)
    db = request.app.state.db

    def create() -> None:
        transfers.create_transfer(
            db.uow(),
            from_location,
            to_location,
            [StockLine(sku, quantity)],
            actor=me.actor,
            note=note,
        )

    return _guarded(
        request,
        sku,
        f"Transfer of {quantity} × {sku} from {from_location} to {to_location} requested.",
        from_location,
        to_location,
        action=create,
    )


@router.post("/inventory/transfers/{number}/{step}", dependencies=[page(P.INVENTORY_TRANSFER)])
def transfer_step(request: Request, number: str, step: str) -> Response:
    """Ship (at the source) or receive (at the destination) a transfer."""
    me = user_of(request)
    db = request.app.state.db
    back = "/console/inventory/transfers"
    try:
        found = transfers.get_transfer(db.reader(), number)
        where = {"ship": found.from_location, "receive": found.to_location}.get(step)
        if where is None:
            return redirect(request, back, f"Unknown step {step!r}.", "error")
        if not me.scope.sees_location(where):
            return redirect(request, back, f"Only {where} can {step} {number}.", "error")
        if step == "ship":
            transfers.ship_transfer(db.uow(), number, actor=me.actor)
        else:
            transfers.receive_transfer(db.uow(), number, actor=me.actor)
    except OmsError as e:
        return redirect(request, back, f"Not done: {problem_text(e)}", "error")
    return redirect(
        request, back, f"Transfer {number}: {'shipped' if step == 'ship' else 'received'}."
    )


def _my_locations(request: Request, me: Principal) -> list[str]:
    codes = [
        loc.code for loc in locations.list_locations(request.app.state.db.reader(), is_active=True)
    ]
    return [c for c in codes if me.scope.sees_location(c)]
