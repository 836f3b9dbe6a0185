"""Orders API: capture from any channel, read, list, timeline, hold/release, cancel, notes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from openoms.customers.model import CustomerNotFound, customer_id_of
from openoms.identity.model import Permission as P
from openoms.identity.model import PermissionDenied
from openoms.infra.db import Database
from openoms.orders import change_sets, changes, lifecycle, queries
from openoms.orders.model import OrderNotFound, OrderStatus
from openoms.orders.schemas import (
    AddressChangeIn,
    CancelIn,
    CancelLinesIn,
    ChangeSetIn,
    ChangeSetOut,
    HoldIn,
    NoteIn,
    OrderCreate,
    OrderOut,
    OrderSummaryOut,
    ReleaseIn,
    TimelineEventOut,
)
from openoms.payments.model import PaymentMethod
from openoms.payments.services import order_payments
from openoms.receivables.services.companies import company_of_email
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from openoms.web.auth import current_principal, permit
from openoms.web.deps import Actor, Caller, ContextDep, DbDep, GatewaysDep, ReadUow, WriteUow
from openoms.web.schemas import MoneyOut, Page, model_response

router = APIRouter(tags=["orders"])


def order_in_scope(number: str, request: Request) -> str:
    """The order number of the path, when the caller may see that order: to a caller limited
    to some channels or locations, an order outside them does not exist (404)."""
    caller = current_principal(request)
    if caller.scope.is_limited:
        db: Database = request.app.state.db
        if not queries.is_visible(db.reader(), number, caller.scope):
            raise OrderNotFound(f"No order {number}.", number=number)
    return number


OrderNumber = Annotated[str, Depends(order_in_scope)]


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    responses={200: {"description": "the channel sent this order before; here it is"}},
    dependencies=[permit(P.ORDERS_CREATE)],
)
def create_order(body: OrderCreate, context: ContextDep) -> Response:
    """Capture an order from any channel. The same (channel, external_id) twice answers
    200 with the first order; an ``Idempotency-Key`` replays the first response.

    With ``payment``, the order is paid at once: a card is authorized (and captured when
    the channel captures at placement); a decline puts the order on hold with reason
    ``payment``. The order's ``payment_status`` tells the outcome. New orders are screened
    for fraud (``client`` helps): a risky one waits on hold in review, a rejected one is
    cancelled and its payment voided."""
    db, caller = context.db, context.caller
    if not caller.scope.sees_channel(body.channel):
        raise PermissionDenied(
            f"You take orders for {', '.join(sorted(caller.scope.channels or ()))} only.",
            channel=body.channel,
        )
    actor = caller.actor
    data = body.to_input()
    payment = body.payment.to_input(data.currency) if body.payment else None
    on_terms = payment is not None and payment.method is PaymentMethod.INVOICE
    if on_terms and company_of_email(db.reader(), data.email) is None:
        raise ValidationFailed.single(
            "payment.method",
            f"payment on terms is for company customers; {data.email} is no company's contact",
        )
    client = body.client.to_client() if body.client else None
    placed = order_payments.place(db, context.gateways, data, payment, client, actor=actor)
    code = status.HTTP_201_CREATED if placed.created else status.HTTP_200_OK
    return model_response(OrderOut.of(placed.order), code)


@router.get("/orders", dependencies=[permit(P.ORDERS_VIEW)])
def list_orders(
    uow: ReadUow,
    caller: Caller,
    status_: Annotated[list[OrderStatus] | None, Query(alias="status")] = None,
    channel: str | None = None,
    customer: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    tag: str | None = None,
    min_priority: int | None = None,
    q: Annotated[str | None, Query(description="order number, email or external id")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[OrderSummaryOut]:
    customer_id = None
    if customer is not None:
        customer_id = customer_id_of(customer)
        if customer_id is None:
            raise CustomerNotFound(f"No customer {customer}.", number=customer)
    found, next_cursor = queries.list_orders(
        uow,
        queries.OrderFilter(
            status_,
            channel,
            customer_id,
            placed_from,
            placed_to,
            tag,
            min_priority,
            q,
            scope=caller.scope,
        ),
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[OrderSummaryOut.of(s) for s in found], next_cursor=next_cursor)


@router.get("/customers/{number}/orders", dependencies=[permit(P.ORDERS_VIEW)])
def customer_orders(
    number: str,
    uow: ReadUow,
    caller: Caller,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[OrderSummaryOut]:
    """A customer's order history, newest first."""
    from openoms.customers import services as customers

    customer = customers.get_customer(uow, number)
    found, next_cursor = queries.list_orders(
        uow,
        queries.OrderFilter(customer_id=customer.id, scope=caller.scope),
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[OrderSummaryOut.of(s) for s in found], next_cursor=next_cursor)


@router.get("/orders/{number}", dependencies=[permit(P.ORDERS_VIEW)])
def get_order(number: OrderNumber, uow: ReadUow) -> OrderOut:
    return OrderOut.of(queries.get_order(uow, number))


@router.get("/orders/{number}/timeline", dependencies=[permit(P.ORDERS_VIEW)])
def get_timeline(number: OrderNumber, uow: ReadUow) -> list[TimelineEventOut]:
    return [TimelineEventOut.of(e) for e in queries.timeline(uow, number)]


@router.post("/orders/{number}/hold", dependencies=[permit(P.ORDERS_HOLD)])
def hold(number: OrderNumber, body: HoldIn, uow: WriteUow, actor: Actor) -> OrderOut:
    return OrderOut.of(lifecycle.hold_order(uow, number, body.reason, actor=actor, note=body.note))


@router.post("/orders/{number}/release", dependencies=[permit(P.ORDERS_HOLD)])
def release(
    number: OrderNumber, uow: WriteUow, caller: Caller, body: ReleaseIn | None = None
) -> OrderOut:
    """Let a held order go on. A fraud hold needs ``fraud.review`` (better: approve it in the
    fraud review), a credit hold ``invoices.manage``."""
    note = body.note if body else ""
    mine = frozenset(p.value for p in caller.permissions)
    return OrderOut.of(
        lifecycle.release_hold(uow, number, actor=caller.actor, note=note, permissions=mine)
    )


@router.post("/orders/{number}/cancel", dependencies=[permit(P.ORDERS_CANCEL)])
def cancel(
    number: OrderNumber, body: CancelIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> OrderOut:
    """Cancel what is not shipped: stock goes back, authorizations are voided and captured
    money refunded (what the gateway cannot do now is retried by the worker and noted on
    the timeline)."""
    settled = order_payments.cancel_order(db, gateways, number, actor=actor, reason=body.reason)
    return OrderOut.of(settled.order)


@router.post(
    "/orders/{number}/notes",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.ORDERS_EDIT)],
)
def add_note(number: OrderNumber, body: NoteIn, uow: WriteUow, actor: Actor) -> OrderOut:
    return OrderOut.of(lifecycle.add_note(uow, number, body.text, actor=actor))


@router.post("/orders/{number}/cancel-lines", dependencies=[permit(P.ORDERS_CANCEL)])
def cancel_lines(number: OrderNumber, body: CancelLinesIn, uow: WriteUow, actor: Actor) -> OrderOut:
    """Cancel some units of some lines before they ship; their stock is released."""
    return OrderOut.of(
        changes.cancel_lines(uow, number, body.lines, actor=actor, reason=body.reason)
    )


@router.put("/orders/{number}/shipping-address", dependencies=[permit(P.ORDERS_EDIT)])
def change_shipping_address(
    number: OrderNumber, body: AddressChangeIn, uow: WriteUow, actor: Actor
) -> OrderOut:
    """Ship somewhere else before anything shipped; the order is sourced again."""
    return OrderOut.of(
        changes.change_shipping_address(
            uow, number, body.shipping_address.to_address(), actor=actor
        )
    )


@router.post("/orders/{number}/resource", dependencies=[permit(P.ORDERS_EDIT)])
def resource(number: OrderNumber, uow: WriteUow, actor: Actor) -> OrderOut:
    """Source the order's open units again from today's stock (the channel's policy chooses
    again); backordered units are sourced too."""
    return OrderOut.of(changes.resource_order(uow, number, actor=actor))


@router.post("/orders/{number}/changes", dependencies=[permit(P.ORDERS_EDIT)])
def change_lines(
    number: OrderNumber, body: ChangeSetIn, uow: WriteUow, actor: Actor
) -> ChangeSetOut:
    """Add lines or change line quantities before anything ships, as one versioned change
    set; the answer says what the customer still owes (positive) or is owed (negative)."""
    currency = queries.get_order(uow, number).currency
    parsed = []
    errors = []
    for i, c in enumerate(body.changes):
        price = None
        if c.unit_price is not None:
            try:
                price = Money.parse(c.unit_price, currency, field=f"changes[{i}].unit_price")
            except ValidationFailed as e:
                errors.extend(e.errors)
        parsed.append(
            change_sets.LineChange(c.quantity, c.line, c.sku, price.amount_minor if price else None)
        )
    if errors:
        raise ValidationFailed(errors)
    done = change_sets.change_lines(uow, number, parsed, actor=actor)
    return ChangeSetOut(
        version=done.version,
        total_before=MoneyOut.of(Money(done.total_before, currency)),
        total_after=MoneyOut.of(Money(done.total_after, currency)),
        balance=MoneyOut.of(Money(done.balance, currency)),
        order=OrderOut.of(done.order),
    )
