"""Fulfilment in the console, phone first: the work queue and releasing waves, scan-to-pick,
packing, rate shopping and shipping, the pickup hand-over, shipments and their tracking.

Each page calls the fulfilment services the API calls. Every form works without JavaScript
(a POST, then back with what happened); a refused action changes nothing and says why in an
error message. Locations outside the user's scope do not exist for them: their work, pick
lists, waves and shipments answer "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.console.pages import page, problem_text, redirect, render, user_of
from openoms.fulfillment.model import (
    OPEN,
    FulfilmentOrderNotFound,
    FulfilmentStatus,
    PickListNotFound,
    PickListStatus,
    PickStrategy,
    ShipmentNotFound,
    WaveNotFound,
)
from openoms.fulfillment.services import picking, setup, shipping, tracking, work
from openoms.identity.model import Permission as P
from openoms.infra.db import Database
from openoms.locations import services as locations
from openoms.locations.model import LocationNotFound
from openoms.shared.errors import FieldError, OmsError, ValidationFailed

router = APIRouter(include_in_schema=False)  # pages, not API

HOME = "/console/fulfilment"
QUEUE = [s for s in FulfilmentStatus if s in OPEN]  # the open statuses, in their order
PRIORITIES = {100: "Rush", 80: "VIP"}
Text = Annotated[str, Form(max_length=64)]
Number = Annotated[str, Form(max_length=12)]


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def my_locations(request: Request) -> list[str]:
    """The active locations the user works at."""
    me = user_of(request)
    found = locations.list_locations(_db(request).reader(), is_active=True)
    return [loc.code for loc in found if me.scope.sees_location(loc.code)]


def _int(text: str, field: str, default: int | None = None) -> int | None:
    """A form's whole number; blank: ``default``. Raises: ValidationFailed."""
    text = text.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed.single(field, f"'{text}' is not a whole number") from None


def _act(request: Request, back: str, what: str, do: Callable[[], tuple[str, str]]) -> Response:
    """Run an action; to ``back`` (or where it says) with its message, or with why not."""
    try:
        target, message = do()
    except OmsError as e:
        return redirect(request, back, f"{what}: {problem_text(e)}", "error")
    return redirect(request, target or back, message)


# --- loading, within the user's scope ---------------------------------------------------------


def _fo(request: Request, number: str) -> work.FulfilmentOrder:
    found = work.get_fulfilment_order(_db(request).reader(), number)
    if not user_of(request).scope.sees_location(found.location):
        raise FulfilmentOrderNotFound(f"No fulfilment order {number}.", number=number)
    return found


def _pick_list(request: Request, number: str) -> picking.PickList:
    found = picking.get_pick_list(_db(request).reader(), number)
    if not user_of(request).scope.sees_location(found.location):
        raise PickListNotFound(f"No pick list {number}.", number=number)
    return found


def _wave(request: Request, number: str) -> picking.Wave:
    found = picking.get_wave(_db(request).reader(), number)
    if not user_of(request).scope.sees_location(found.location):
        raise WaveNotFound(f"No wave {number}.", number=number)
    return found


def _shipment(request: Request, number: str) -> shipping.Shipment:
    found = shipping.get_shipment(_db(request).reader(), number)
    if not user_of(request).scope.sees_location(found.location):
        raise ShipmentNotFound(f"No shipment {number}.", number=number)
    return found


# --- the work queue and waves -----------------------------------------------------------------


@router.get("/fulfilment", dependencies=[page(P.FULFILLMENT_VIEW)])
def queue(
    request: Request,
    location: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Open work (pending, and on the floor), rush and VIP first, then the promise."""
    me = user_of(request)
    mine = my_locations(request)
    where = location if location in mine else None
    chosen = next((s for s in FulfilmentStatus if s.value == status), None)
    found = work.list_fulfilment_orders(
        _db(request).uow(),
        work.FulfilmentFilter(
            where, chosen, locations=me.scope.locations, statuses=() if chosen else tuple(QUEUE)
        ),
    )
    reader = _db(request).reader()
    with reader:
        strategies = {c: setup.location_settings(reader, c).pick_strategy for c in mine}
    waves = [
        w for w in picking.list_waves(_db(request).reader(), where, limit=10) if w.location in mine
    ]
    return render(
        request,
        "console/fulfilment/queue.html",
        {
            "orders": found[:200],
            "locations": mine,
            "location": where or "",
            "status": chosen.value if chosen else "",
            "statuses": list(FulfilmentStatus),
            "strategies": strategies,
            "all_strategies": list(PickStrategy),
            "services": setup.list_services(_db(request).reader()),
            "waves": waves,
            "priorities": PRIORITIES,
            "tab": "queue",
        },
    )


@router.post("/fulfilment/waves", dependencies=[page(P.FULFILLMENT_PICK)])
def release(
    request: Request,
    location: Text = "",
    strategy: Text = "",
    ship_by: Text = "",
    service: Text = "",
    min_priority: Number = "",
    limit: Number = "",
) -> Response:
    """Release the location's pending work that matches to the floor; on to the wave."""
    back = f"{HOME}?location={location}" if location else HOME

    def do() -> tuple[str, str]:
        if location not in my_locations(request):
            raise LocationNotFound(f"No location '{location}'.", location=location)
        criteria = picking.WaveCriteria(
            ship_by=_date(ship_by, "ship_by"),
            service=service or None,
            min_priority=_int(min_priority, "min_priority"),
            limit=_int(limit, "limit", 50) or 50,
            strategy=_strategy(strategy),
        )
        wave = picking.release_wave(
            _db(request).uow(), location, criteria, actor=user_of(request).actor
        )
        orders = len({fo for pl in wave.pick_lists for fo in pl.fulfilment_orders})
        lists = len(wave.pick_lists)
        return (
            f"{HOME}/waves/{wave.number}",
            f"Wave {wave.number} released: {orders} fulfilment order(s) on {lists} pick list(s).",
        )

    return _act(request, back, "No wave released", do)


def _date(text: str, field: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.single(field, f"'{text}' is not a date (YYYY-MM-DD)") from None


def _strategy(text: str) -> PickStrategy | None:
    if not text:
        return None
    try:
        return PickStrategy(text)
    except ValueError:
        raise ValidationFailed.single("strategy", f"no strategy '{text}'") from None


@router.get("/fulfilment/waves/{number}", dependencies=[page(P.FULFILLMENT_VIEW)])
def wave_page(request: Request, number: str) -> Response:
    wave = _wave(request, number)
    return render(request, "console/fulfilment/wave.html", {"wave": wave, "tab": "queue"})


# --- pick lists and scanning ------------------------------------------------------------------


@router.get("/fulfilment/pick-lists", dependencies=[page(P.FULFILLMENT_VIEW)])
def pick_lists(request: Request, mine: Annotated[str, Query(max_length=5)] = "") -> Response:
    """Open pick lists, newest first; ``?mine=1``: those the user started."""
    me = user_of(request)
    found = picking.list_pick_lists(
        _db(request).reader(), status=PickListStatus.OPEN, locations_scope=me.scope.locations
    )
    if mine:
        found = [pl for pl in found if pl.picker == me.actor]
    return render(
        request,
        "console/fulfilment/pick_lists.html",
        {"lists": found, "mine": bool(mine), "tab": "mine" if mine else "lists"},
    )


@router.get("/fulfilment/pick-lists/{number}", dependencies=[page(P.FULFILLMENT_VIEW)])
def pick_list(request: Request, number: str) -> Response:
    """The scan-to-pick screen: the pick to do now, large; every pick in walking order."""
    plist = _pick_list(request, number)
    return render(
        request,
        "console/fulfilment/pick_list.html",
        {"plist": plist, "pick": plist.next_pick, "tab": "lists"},
    )


@router.post("/fulfilment/pick-lists/{number}/scan", dependencies=[page(P.FULFILLMENT_PICK)])
def scan(
    request: Request,
    number: str,
    code: Annotated[str, Form(max_length=64)] = "",
    quantity: Number = "",
    pick_id: Number = "",
) -> Response:
    """Confirm units by the code scanned or typed; a wrong code changes nothing."""
    back = f"{HOME}/pick-lists/{number}"
    _pick_list(request, number)

    def do() -> tuple[str, str]:
        done = picking.scan(
            _db(request).uow(),
            number,
            code,
            actor=user_of(request).actor,
            quantity=_int(quantity, "quantity", 1) or 0,
            pick_id=_int(pick_id, "pick_id"),
        )
        return back, done.message

    return _act(request, back, "Not picked", do)


@router.post("/fulfilment/pick-lists/{number}/short", dependencies=[page(P.FULFILLMENT_PICK)])
def short(
    request: Request,
    number: str,
    pick_id: Number = "",
    missing: Number = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Units of a pick are not in the bin: written off, and the order sourced again."""
    back = f"{HOME}/pick-lists/{number}"
    _pick_list(request, number)

    def do() -> tuple[str, str]:
        done = picking.short_pick(
            _db(request).uow(),
            number,
            _int(pick_id, "pick_id") or 0,
            _int(missing, "missing", 0) or 0,
            actor=user_of(request).actor,
            note=note.strip(),
        )
        return back, done.message

    return _act(request, back, "Not marked short", do)


# --- a fulfilment order: pack, ship, hand over ------------------------------------------------


@router.get("/fulfilment/orders/{number}", dependencies=[page(P.FULFILLMENT_VIEW)])
def fulfilment_order(request: Request, number: str) -> Response:
    fo = _fo(request, number)
    db = _db(request)
    ctx: dict[str, object] = {"fo": fo, "priorities": PRIORITIES, "tab": "queue"}
    if fo.status is FulfilmentStatus.PICKED and not fo.pickup:
        ctx["boxes"] = setup.list_boxes(db.reader(), active_only=True)
        try:
            ctx["proposal"] = shipping.propose_packages(db.reader(), number)
        except OmsError as e:
            ctx["proposal_error"] = problem_text(e)
    if fo.status is FulfilmentStatus.PACKED:
        try:
            ctx["rating"] = shipping.rate_options(db.reader(), number)
        except OmsError as e:
            ctx["rating_error"] = problem_text(e)
    reader = db.reader()
    with reader:
        sent = shipping.shipments_of_order(reader, fo.order_id)
    ctx["shipments"] = [s for s in sent if s.fulfilment_order == fo.number]
    return render(request, "console/fulfilment/order.html", ctx)


def _fo_action(
    request: Request, number: str, what: str, do: Callable[[], tuple[str, str]]
) -> Response:
    _fo(request, number)
    return _act(request, f"{HOME}/orders/{number}", what, do)


@router.post("/fulfilment/orders/{number}/pack", dependencies=[page(P.FULFILLMENT_PICK)])
def pack(request: Request, number: str) -> Response:
    """Pack as the proposal says."""

    def do() -> tuple[str, str]:
        fo = shipping.pack(_db(request).uow(), number, None, actor=user_of(request).actor)
        return "", f"{number} packed in {len(fo.packages or [])} package(s) as proposed."

    return _fo_action(request, number, "Not packed", do)


@router.post("/fulfilment/orders/{number}/pack-by-hand", dependencies=[page(P.FULFILLMENT_PICK)])
def pack_by_hand(
    request: Request,
    number: str,
    box: Text = "",
    length_mm: Number = "",
    width_mm: Number = "",
    height_mm: Number = "",
    weight_g: Number = "",
) -> Response:
    """Everything picked in one package: a standard box or the packer's own size."""

    def do() -> tuple[str, str]:
        given = shipping.PackageIn(
            box=box or None,
            length_mm=None if box else _int(length_mm, "length_mm"),
            width_mm=None if box else _int(width_mm, "width_mm"),
            height_mm=None if box else _int(height_mm, "height_mm"),
            weight_g=_int(weight_g, "weight_g"),
        )
        try:
            shipping.pack(_db(request).uow(), number, [given], actor=user_of(request).actor)
        except ValidationFailed as e:  # one package: its fields without the list's path
            raise ValidationFailed(
                [FieldError(_in_package(x.field), x.message) for x in e.errors]
            ) from e
        return "", f"{number} packed in one package."

    return _fo_action(request, number, "Not packed", do)


def _in_package(field: str) -> str:
    return field.removeprefix("packages[0]").lstrip(".") or "package"


@router.post("/fulfilment/orders/{number}/ship", dependencies=[page(P.FULFILLMENT_SHIP)])
def ship(request: Request, number: str, service: Text = "") -> Response:
    """Ship with the chosen service (blank: the channel's rate policy decides)."""

    def do() -> tuple[str, str]:
        found = shipping.ship_and_capture(
            _db(request),
            request.app.state.gateways,
            number,
            actor=user_of(request).actor,
            service=service or None,
            carrier_apis=request.app.state.carrier_apis,
        )
        numbers = ", ".join(p.tracking_number for p in found.packages)
        return (
            f"{HOME}/shipments/{found.number}",
            f"Shipped {found.number} with {found.carrier_name} {found.service_name}: "
            f"tracking {numbers}.",
        )

    return _fo_action(request, number, "Not shipped", do)


@router.post(
    "/fulfilment/orders/{number}/ready-for-pickup", dependencies=[page(P.FULFILLMENT_PICK)]
)
def ready_for_pickup(request: Request, number: str) -> Response:
    def do() -> tuple[str, str]:
        tracking.ready_for_pickup(_db(request).uow(), number, actor=user_of(request).actor)
        return "", f"{number} is ready for pickup; the customer was sent their pickup code."

    return _fo_action(request, number, "Not ready for pickup", do)


@router.post("/fulfilment/orders/{number}/collect", dependencies=[page(P.FULFILLMENT_PICK)])
def collect(
    request: Request, number: str, code: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    """The customer collects: the pickup code from their message must match."""

    def do() -> tuple[str, str]:
        tracking.collect(_db(request).uow(), number, code, actor=user_of(request).actor)
        return "", f"{number} handed over to the customer."

    return _fo_action(request, number, "Not handed over", do)


# --- shipments --------------------------------------------------------------------------------


@router.get("/fulfilment/shipments/{number}", dependencies=[page(P.FULFILLMENT_VIEW)])
def shipment(request: Request, number: str) -> Response:
    found = _shipment(request, number)
    reader = _db(request).reader()
    with reader:
        history = tracking.tracking_history(reader, number)
    return render(
        request,
        "console/fulfilment/shipment.html",
        {"shipment": found, "history": list(reversed(history)), "tab": "queue"},
    )
