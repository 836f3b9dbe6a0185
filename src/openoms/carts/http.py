"""Carts API for web shops and kiosks: lines that hold stock, checkout, abandoned carts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from openoms.carts import checkout, queries, services
from openoms.carts.schemas import (
    CartCreate,
    CartLineIn,
    CartLineQuantityIn,
    CartOut,
    CartUpdate,
    CheckoutIn,
)
from openoms.identity.model import Permission as P
from openoms.orders.schemas import OrderOut
from openoms.web.auth import permit
from openoms.web.deps import Actor, ReadUow, WriteUow
from openoms.web.schemas import Page

router = APIRouter(tags=["carts"])


@router.post("/carts", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.CARTS_MANAGE)])
def create_cart(body: CartCreate, uow: WriteUow, actor: Actor) -> CartOut:
    """Open a cart; its lines (if any) are reserved at once for the cart's time-to-live."""
    return CartOut.of(services.create_cart(uow, body.to_input(), actor=actor))


@router.get("/carts/abandoned", dependencies=[permit(P.CARTS_MANAGE)])
def list_abandoned_carts(
    uow: ReadUow,
    channel: str | None = None,
    since: Annotated[datetime | None, Query(description="abandoned at or after")] = None,
    with_email_only: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CartOut]:
    """Carts whose time ran out, most recently abandoned first, for follow-up."""
    found, next_cursor = queries.list_abandoned(
        uow, queries.AbandonedFilter(channel, since, with_email_only), cursor=cursor, limit=limit
    )
    return Page(items=[CartOut.of(c) for c in found], next_cursor=next_cursor)


@router.get("/carts/{token}", dependencies=[permit(P.CARTS_MANAGE)])
def get_cart(token: str, uow: ReadUow) -> CartOut:
    return CartOut.of(services.get_cart(uow, token))


@router.patch("/carts/{token}", dependencies=[permit(P.CARTS_MANAGE)])
def update_cart(token: str, body: CartUpdate, uow: WriteUow, actor: Actor) -> CartOut:
    """Set the email; any call (even ``{}``) keeps the cart and its stock for another TTL."""
    return CartOut.of(services.update_cart(uow, token, email=body.email, actor=actor))


@router.post("/carts/{token}/lines", dependencies=[permit(P.CARTS_MANAGE)])
def add_to_cart(token: str, body: CartLineIn, uow: WriteUow, actor: Actor) -> CartOut:
    """Add units of a SKU (to its line if there is one); they are reserved at once."""
    return CartOut.of(services.add_to_cart(uow, token, body.sku, body.quantity, actor=actor))


@router.put("/carts/{token}/lines/{sku}", dependencies=[permit(P.CARTS_MANAGE)])
def set_cart_line(
    token: str, sku: str, body: CartLineQuantityIn, uow: WriteUow, actor: Actor
) -> CartOut:
    """Set a line's quantity (adding the line if new): more is reserved, less released."""
    return CartOut.of(services.set_cart_line(uow, token, sku, body.quantity, actor=actor))


@router.delete("/carts/{token}/lines/{sku}", dependencies=[permit(P.CARTS_MANAGE)])
def remove_cart_line(token: str, sku: str, uow: WriteUow, actor: Actor) -> CartOut:
    """Take a line out; its units are released."""
    return CartOut.of(services.remove_cart_line(uow, token, sku, actor=actor))


@router.post(
    "/carts/{token}/checkout",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "the cart was checked out before; here is its order"}},
    dependencies=[permit(P.CARTS_MANAGE)],
)
def check_out(
    token: str, body: CheckoutIn, uow: WriteUow, read: ReadUow, actor: Actor, response: Response
) -> OrderOut:
    """Place the cart's order; it keeps the units the cart reserved. If the cart expired,
    its lines are reserved again, or a 409 names the lines short of stock."""
    cart = services.get_cart(read, token)
    done = checkout.check_out_cart(uow, token, body.to_input(cart.currency), actor=actor)
    if not done.created:
        response.status_code = status.HTTP_200_OK
    return OrderOut.of(done.order)
