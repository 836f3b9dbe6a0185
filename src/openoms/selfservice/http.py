"""The customer's tracking page, by signed link: where the order is, each parcel with its
carrier, tracking number and expected delivery, what happened so far, and the order's
returns with the way to start one. No sign-in; works on a phone. Staff get the link from
``GET /api/v1/orders/{number}/tracking-link``; a customer without it finds the order by its
number and email (``/orders/find``). The rating page is here too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from openoms.fulfillment.model import FulfilmentStatus, ShipmentStatus
from openoms.fulfillment.services import shipping, tracking, work
from openoms.identity.model import Permission as P
from openoms.infra.db import UnitOfWork
from openoms.infra.upsert import insert_for
from openoms.orders.model import Order, OrderNotFound, OrderStatus
from openoms.orders.queries import get_order, load_order, order_id_of
from openoms.selfservice import lookup
from openoms.selfservice.language import N_, Language, of_order
from openoms.selfservice.links import LinkInvalid
from openoms.selfservice.orm import cases, ratings
from openoms.selfservice.pages import browser_language, links, not_found, page, path_of, render
from openoms.selfservice.returning import returns_panel
from openoms.shared import clock
from openoms.shared.events import Event
from openoms.web.auth import origin_of, permit, public
from openoms.web.deps import ReadUow

router = APIRouter(include_in_schema=False)  # a page, not API
api_router = APIRouter(tags=["orders"])

STEPS = (N_("Ordered"), N_("Being prepared"), N_("On its way"), N_("Delivered"))
PARCEL_STATUS = {
    ShipmentStatus.LABEL_CREATED: N_("Label created"),
    ShipmentStatus.ACCEPTED: N_("Accepted"),
    ShipmentStatus.IN_TRANSIT: N_("In transit"),
    ShipmentStatus.OUT_FOR_DELIVERY: N_("Out for delivery"),
    ShipmentStatus.DELIVERED: N_("Delivered"),
    ShipmentStatus.EXCEPTION: N_("Exception"),
}
HEADLINES = {
    OrderStatus.ON_HOLD: N_("We are checking a detail of your order and will be in touch."),
    OrderStatus.BACKORDERED: N_(
        "Part of your order is waiting for stock; we ship it as soon as it arrives."
    ),
    OrderStatus.PARTIALLY_SHIPPED: N_("Part of your order is on its way; the rest follows."),
    OrderStatus.SHIPPED: N_("Your order is on its way."),
    OrderStatus.DELIVERED: N_("Delivered."),
    OrderStatus.COMPLETED: N_("Delivered."),
}
PREPARING = N_("We have your order and are preparing it.")
_STEP_OF = {
    OrderStatus.PLACED: 0,
    OrderStatus.CONFIRMED: 0,
    OrderStatus.ON_HOLD: 0,
    OrderStatus.ALLOCATED: 1,
    OrderStatus.BACKORDERED: 1,
    OrderStatus.PARTIALLY_SHIPPED: 2,
    OrderStatus.SHIPPED: 2,
    OrderStatus.DELIVERED: 3,
    OrderStatus.COMPLETED: 3,
}


@dataclass(frozen=True)
class Parcel:
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    status: str
    eta: date | None
    delivered_at: datetime | None
    items: dict[str, int]


@dataclass(frozen=True)
class Moment:
    at: datetime
    what: str
    where: str = ""


@dataclass
class TrackingView:
    order: Order
    step: int
    headline: str
    parcels: list[Parcel] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)
    pickup: dict[str, Any] | None = None


def tracking_view(uow: UnitOfWork, number: str) -> TrackingView:
    """What the customer may see of an order, in the order's language. Raises: OrderNotFound."""
    with uow:
        order = load_order(uow, order_id_of(uow, number))
        shipments = shipping.shipments_of_order(uow, order.id)
        histories = {s.number: tracking.tracking_history(uow, s.number) for s in shipments}
        fos = work.for_order(uow, order.id)
    _ = of_order(order.locale).gettext
    parcels = [
        Parcel(
            s.carrier_name,
            s.service_name,
            p.tracking_number,
            s.tracking_url.replace("{tracking}", p.tracking_number),
            _(PARCEL_STATUS[s.status]),
            s.eta,
            s.delivered_at,
            p.items,
        )
        for s in shipments
        for p in s.packages
    ]
    moments = [Moment(order.placed_at, _("Order received"))]
    for s in shipments:
        handed = _("Handed to %(carrier)s") % {"carrier": s.carrier_name}
        moments.append(Moment(s.shipped_at, handed, s.location))
        moments += [
            Moment(e.at, e.description or e.status.replace("_", " ").capitalize(), e.location)
            for e in histories[s.number]
        ]
    pickup = next((f for f in fos if f.pickup and f.status is not FulfilmentStatus.CANCELLED), None)
    step = _STEP_OF.get(order.status, 0)
    headline = _headline(order, pickup, _)
    if pickup is not None and pickup.ready_at:
        moments.append(Moment(pickup.ready_at, _("Ready for pickup"), pickup.location))
    moments.sort(key=lambda m: m.at, reverse=True)
    return TrackingView(
        order,
        step,
        headline,
        parcels,
        moments,
        {"location": pickup.location, "status": pickup.status.value} if pickup else None,
    )


def _headline(order: Order, pickup: work.FulfilmentOrder | None, _: Callable[[str], str]) -> str:
    if order.status is OrderStatus.CANCELLED:
        return _("This order was cancelled.")
    if pickup is not None and pickup.status is FulfilmentStatus.READY_FOR_PICKUP:
        return _("Ready for pickup at %(store)s: bring the code from your message.") % {
            "store": pickup.location
        }
    if pickup is not None and pickup.status is FulfilmentStatus.COLLECTED:
        return _("Collected. Thank you!")
    return _(HEADLINES.get(order.status, PREPARING))


@router.get("/track/{token}", dependencies=[public()], response_class=HTMLResponse)
def track(request: Request, token: str) -> Response:
    """The tracking page. An altered or unknown link is a plain 'not found' page."""
    try:
        number = links(request).order_of(token)
        view = tracking_view(request.app.state.db.reader(), number)
    except (LinkInvalid, OrderNotFound):
        return not_found(request)
    delivered = view.order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
    lang = of_order(view.order.locale)
    return page(
        request,
        "track.html",
        {
            "view": view,
            "steps": [lang.gettext(step) for step in STEPS],
            "returns": returns_panel(request.app.state.db, view.order, links(request), lang),
            "rating_path": path_of(links(request).rating_url(number)) if delivered else "",
        },
        lang=lang,
    )


# ---------------------------------------------------------------- finding an order


@router.get("/orders/find", dependencies=[public()], response_class=HTMLResponse)
def find_form(request: Request) -> Response:
    """Find an order by its number and the email it was placed with (no link at hand)."""
    return page(request, "find.html", {"number": "", "email": "", "error": ""})


@router.post("/orders/find", dependencies=[public()], response_class=HTMLResponse)
async def find(request: Request) -> Response:
    """A right pair opens the order's tracking page; every wrong pair gets the same answer."""
    form = await request.form()
    number = str(form.get("number", "") or "")[:40]
    email = str(form.get("email", "") or "")[:254]
    try:
        found = lookup.find_order(
            request.app.state.db.uow(),
            number,
            email,
            ip=origin_of(request).ip or "",
            policy=lookup.LookupPolicy.of(request.app.state.settings),
        )
    except (lookup.OrderLookupFailed, lookup.TooManyLookups) as e:
        limited = isinstance(e, lookup.TooManyLookups)
        lang = browser_language(request)
        response = page(
            request,
            "find.html",
            {"number": number, "email": email, "error": _lookup_error(e, lang)},
            status_code=429 if limited else 404,
            lang=lang,
        )
        if limited:
            response.headers["Retry-After"] = str(e.data["retry_after_seconds"])
        return response
    return RedirectResponse(path_of(links(request).tracking_url(found)), status_code=303)


def _lookup_error(e: lookup.OrderLookupFailed | lookup.TooManyLookups, lang: Language) -> str:
    if isinstance(e, lookup.TooManyLookups):
        minutes = f"{int(e.data['retry_after_seconds']) / 60:g}"
        return lang.gettext(lookup.TOO_MANY) % {"minutes": minutes}
    return lang.gettext(lookup.NOT_FOUND) + "."


class TrackingLinkOut(BaseModel):
    url: str


@api_router.get("/orders/{number}/tracking-link", dependencies=[permit(P.ORDERS_VIEW)])
def tracking_link(number: str, uow: ReadUow, request: Request) -> TrackingLinkOut:
    """The customer's tracking page for an order (signed; no sign-in needed to open it)."""
    found = get_order(uow, number)
    return TrackingLinkOut(url=links(request).tracking_url(found.number))


# ---------------------------------------------------------------- rating


def _order_to_rate(request: Request, token: str) -> Order | None:
    try:
        number = links(request).order_to_rate(token)
        with request.app.state.db.reader() as uow:
            return load_order(uow, order_id_of(uow, number))
    except (LinkInvalid, OrderNotFound):
        return None


def _rated(request: Request, number: str) -> dict[str, tuple[int, str]]:
    with request.app.state.db.reader() as uow:
        rows = uow.conn.execute(
            sa.select(ratings.c.sku_code, ratings.c.stars, ratings.c.comment).where(
                ratings.c.order_number == number
            )
        )
        return {sku: (stars, comment) for sku, stars, comment in rows}


@router.get("/rate/{token}", dependencies=[public()], response_class=HTMLResponse)
def rate_form(request: Request, token: str) -> Response:
    """Rate the order and each product, and say whether everything arrived."""
    order = _order_to_rate(request, token)
    if order is None:
        return _rating_not_found(request)
    return render(
        request,
        "rate.html",
        {"order": order, "rated": _rated(request, order.number), "error": ""},
        of_order(order.locale),
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _rating_not_found(request: Request) -> Response:
    found = {"heading": "", "text": ""}
    return render(request, "not_found.html", found, browser_language(request), status_code=404)


@router.post("/rate/{token}", dependencies=[public()], response_class=HTMLResponse)
async def rate(request: Request, token: str) -> Response:
    """Keep the ratings (a second visit changes them); "something is missing" opens a case
    for customer service (``case.opened``)."""
    order = _order_to_rate(request, token)
    if order is None:
        return _rating_not_found(request)
    lang = of_order(order.locale)
    form = await request.form()
    given: dict[str, tuple[int, str]] = {}
    for sku in ["", *sorted({ln.sku for ln in order.lines})]:
        chosen = str(form.get(f"stars-{sku}", "") or "")
        said = str(form.get(f"comment-{sku}", "") or "").strip()[:2000]
        if chosen in {"1", "2", "3", "4", "5"}:
            given[sku] = (int(chosen), said)
    arrived = str(form.get("arrived", "yes"))
    missing = str(form.get("missing", "") or "").strip()[:2000]
    if not given and arrived != "no":
        return render(
            request,
            "rate.html",
            {
                "order": order,
                "rated": _rated(request, order.number),
                "error": lang.gettext("Choose at least one rating, or tell us what is missing."),
            },
            lang,
            status_code=422,
        )
    if arrived == "no" and not missing:
        missing = "The customer says something is missing (no details given)."
    with request.app.state.db.uow() as uow:
        now = clock.now()
        for sku, (stars, comment) in given.items():
            stmt = insert_for(uow.conn, ratings).values(
                order_number=order.number,
                sku_code=sku,
                stars=stars,
                comment=comment,
                created_at=now,
            )
            uow.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["order_number", "sku_code"],
                    set_={"stars": stars, "comment": comment, "created_at": now},
                )
            )
        if arrived == "no":
            case_id = uow.conn.execute(
                cases.insert()
                .values(
                    order_number=order.number,
                    kind="missing_items",
                    text=missing,
                    status="open",
                    created_at=now,
                )
                .returning(cases.c.id)
            ).scalar_one()
            uow.record(
                Event(
                    "case.opened",
                    {
                        "case": case_id,
                        "order": order.number,
                        "kind": "missing_items",
                        "text": missing,
                    },
                    f"order:{order.number}",
                )
            )
        if given:
            uow.record(
                Event(
                    "order.rated",
                    {
                        "order": order.number,
                        "ratings": {sku or "order": s for sku, (s, _c) in given.items()},
                    },
                    f"order:{order.number}",
                )
            )
        uow.commit()
    return render(request, "rated.html", {"order": order, "missing": arrived == "no"}, lang)
