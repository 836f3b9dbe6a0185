"""The returns API: policies per channel, what an order can return, the return's steps
(approve, reject, in transit, receive, inspect, refund, store credit, exchange, close), its
label, and the customer's link to start a return (docs/returns.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from openoms.identity.model import Permission as P
from openoms.infra.db import Database
from openoms.orders.http import OrderNumber
from openoms.orders.queries import get_order
from openoms.returns import queries
from openoms.returns import services as svc
from openoms.returns.model import (
    Payer,
    RefundQuote,
    ReturnNotFound,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
)
from openoms.selfservice.links import CustomerLinks
from openoms.shared.money import Money
from openoms.web.auth import current_principal, permit
from openoms.web.deps import Actor, Caller, DbDep, GatewaysDep, ReadUow, WriteUow, works_at
from openoms.web.schemas import MoneyOut, Page, Strict

router = APIRouter(tags=["returns"])


def return_in_scope(number: Annotated[str, Path(max_length=20)], request: Request) -> str:
    """The return number of the path, when the caller may see that return: its order is
    theirs, or it is brought to (or was received at) one of their locations. To others it
    does not exist (404)."""
    db: Database = request.app.state.db
    if not queries.is_visible(db.reader(), number, current_principal(request).scope):
        raise ReturnNotFound(f"No return {number}.", number=number)
    return number


RmaNumber = Annotated[str, Depends(return_in_scope)]


# ---------------------------------------------------------------- schemas


class PolicyIo(Strict):
    window_days: int = Field(30, ge=0, le=365, description="days after delivery")
    reasons: list[ReturnReason] = Field(default_factory=lambda: list(ReturnReason), min_length=1)
    shipping_paid_by: Payer = Payer.MERCHANT
    restocking_fee_percent: Decimal = Field(Decimal(0), ge=0, le=100, decimal_places=2)
    exchanges: bool = True
    return_service: str | None = Field(None, max_length=64)

    def rules(self) -> ReturnPolicy:
        return ReturnPolicy(
            self.window_days,
            tuple(self.reasons),
            self.shipping_paid_by,
            self.restocking_fee_percent,
            self.exchanges,
            self.return_service,
        )

    @classmethod
    def of(cls, p: ReturnPolicy) -> PolicyIo:
        return cls(
            window_days=p.window_days,
            reasons=list(p.reasons),
            shipping_paid_by=p.shipping_paid_by,
            restocking_fee_percent=p.restocking_fee_percent,
            exchanges=p.exchanges,
            return_service=p.return_service,
        )


class ReturnableLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    delivered: int
    in_returns: int
    returnable: int
    unit_value: MoneyOut


class ReturnableOut(BaseModel):
    order: str
    open: bool
    why_not: str
    delivered_at: datetime | None
    deadline: date | None
    policy: PolicyIo
    lines: list[ReturnableLineOut]
    drop_off_locations: list[str]

    @classmethod
    def of(cls, r: svc.ReturnableOrder) -> ReturnableOut:
        return cls(
            order=r.order.number,
            open=r.open,
            why_not=r.why_not,
            delivered_at=r.delivered_at,
            deadline=r.deadline,
            policy=PolicyIo.of(r.policy),
            lines=[
                ReturnableLineOut(
                    line_no=ln.line_no,
                    sku=ln.sku,
                    name=ln.name,
                    delivered=ln.delivered,
                    in_returns=ln.returned,
                    returnable=ln.returnable,
                    unit_value=MoneyOut.of(Money(ln.unit_value, r.order.currency)),
                )
                for ln in r.lines
            ],
            drop_off_locations=[code for code, _ in r.drop_off_locations],
        )


class ReturnLineIn(Strict):
    line_no: int = Field(ge=1)
    quantity: int = Field(ge=1, le=100_000)
    reason: ReturnReason
    comment: str = Field("", max_length=2000)
    exchange_sku: str | None = Field(None, max_length=64)
    exchange_quantity: int | None = Field(None, ge=1, le=100_000)


class ReturnIn(Strict):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    method: Literal["ship_back", "in_store"] = "ship_back"
    preferred_resolution: Literal["refund", "store_credit", "exchange"] = "refund"
    drop_off_location: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=2000)

    def request(self) -> svc.ReturnRequest:
        return svc.ReturnRequest(
            [
                svc.LineRequest(
                    ln.line_no,
                    ln.quantity,
                    ln.reason.value,
                    ln.comment,
                    ln.exchange_sku,
                    ln.exchange_quantity,
                )
                for ln in self.lines
            ],
            self.method,
            self.preferred_resolution,
            self.drop_off_location,
            self.note,
        )


class ReturnLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    reason: ReturnReason
    comment: str
    received: int
    restocked: int
    written_off: int
    write_off_reason: str
    credit: MoneyOut
    exchange_sku: str | None
    exchange_quantity: int | None


class ReturnEventOut(BaseModel):
    at: datetime
    actor: str
    from_status: str | None
    to_status: str | None
    text: str


class QuoteOut(BaseModel):
    items: MoneyOut
    restocking_fee: MoneyOut
    return_shipping: MoneyOut
    original_shipping: MoneyOut
    total: MoneyOut
    explanation: list[str]

    @classmethod
    def of(cls, q: RefundQuote, currency: str) -> QuoteOut:
        def m(x: int) -> MoneyOut:
            return MoneyOut.of(Money(x, currency))

        return cls(
            items=m(q.items),
            restocking_fee=m(q.restocking_fee),
            return_shipping=m(q.return_shipping),
            original_shipping=m(q.original_shipping),
            total=m(q.total),
            explanation=list(q.explanation),
        )


class ReturnOut(BaseModel):
    number: str
    order: str
    channel: str
    status: ReturnStatus
    opened_by: str
    method: str
    preferred_resolution: str
    drop_off_location: str | None
    customer_note: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    label_cost: MoneyOut
    received_at_location: str | None
    resolution: str | None
    refund: MoneyOut
    store_credit_code: str | None
    exchange_order: str | None
    decision_note: str
    created_at: datetime
    updated_at: datetime
    lines: list[ReturnLineOut]
    timeline: list[ReturnEventOut]

    @classmethod
    def of(cls, r: svc.Return) -> ReturnOut:
        def m(x: int) -> MoneyOut:
            return MoneyOut.of(r.money(x))

        return cls(
            number=r.number,
            order=r.order_number,
            channel=r.channel,
            status=r.status,
            opened_by=r.opened_by,
            method=r.method.value,
            preferred_resolution=r.preferred_resolution.value,
            drop_off_location=r.drop_off_location,
            customer_note=r.customer_note,
            carrier=r.carrier,
            service=r.service,
            tracking_number=r.tracking_number,
            label_cost=m(r.label_cost_amount),
            received_at_location=r.received_at_location,
            resolution=r.resolution.value if r.resolution else None,
            refund=m(r.refund_amount),
            store_credit_code=r.store_credit_code,
            exchange_order=r.exchange_order_number,
            decision_note=r.decision_note,
            created_at=r.created_at,
            updated_at=r.updated_at,
            lines=[
                ReturnLineOut(
                    line_no=ln.order_line_no,
                    sku=ln.sku,
                    name=ln.name,
                    quantity=ln.quantity,
                    reason=ln.reason,
                    comment=ln.comment,
                    received=ln.quantity_received,
                    restocked=ln.quantity_restocked,
                    written_off=ln.quantity_written_off,
                    write_off_reason=ln.write_off_reason,
                    credit=m(ln.credit_amount),
                    exchange_sku=ln.exchange_sku,
                    exchange_quantity=ln.exchange_quantity,
                )
                for ln in r.lines
            ],
            timeline=[
                ReturnEventOut(
                    at=e.at,
                    actor=e.actor,
                    from_status=e.from_status,
                    to_status=e.to_status,
                    text=e.text,
                )
                for e in r.events
            ],
        )


class NoteIn(Strict):
    note: str = Field("", max_length=2000)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class ReceivedLineIn(Strict):
    line_no: int = Field(ge=1)
    quantity: int = Field(ge=0, le=100_000)


class ReceiveIn(Strict):
    location: str = Field(min_length=1, max_length=64)
    lines: list[ReceivedLineIn] | None = Field(
        None, description="per line; left out: everything asked back arrived"
    )


class VerdictIn(Strict):
    line_no: int = Field(ge=1)
    restock: int = Field(ge=0, le=100_000)
    write_off: int = Field(0, ge=0, le=100_000)
    write_off_reason: str = Field("", max_length=500)
    bin: str | None = Field(None, max_length=32)


class InspectIn(Strict):
    lines: list[VerdictIn] = Field(min_length=1, max_length=200)


class AmountIn(Strict):
    amount: Decimal | str | None = Field(
        None, description="major units; left out: the policy's full amount", examples=["19.99"]
    )
    note: str = Field("", max_length=2000)


class RefundOut(BaseModel):
    ret: ReturnOut = Field(serialization_alias="return")
    problems: list[str]


class ExchangeOut(BaseModel):
    ret: ReturnOut = Field(serialization_alias="return")
    replacement_order: str
    credit: MoneyOut
    charged: MoneyOut
    refunded: MoneyOut
    problems: list[str]


class LinkOut(BaseModel):
    url: str


# ---------------------------------------------------------------- policy


@router.get("/channels/{code}/return-policy", dependencies=[permit(P.RETURNS_VIEW)])
def get_policy(code: str, uow: ReadUow) -> PolicyIo:
    return PolicyIo.of(svc.policy(uow, code))


@router.put("/channels/{code}/return-policy", dependencies=[permit(P.CHANNELS_MANAGE)])
def put_policy(code: str, body: PolicyIo, uow: WriteUow) -> PolicyIo:
    return PolicyIo.of(svc.set_policy(uow, code, body.rules()))


# ---------------------------------------------------------------- per order


@router.get("/orders/{number}/returnable", dependencies=[permit(P.RETURNS_VIEW)])
def returnable(number: OrderNumber, uow: ReadUow) -> ReturnableOut:
    """What of the order can still be returned, until when, and where."""
    return ReturnableOut.of(svc.returnable(uow, number))


@router.post(
    "/orders/{number}/returns",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.RETURNS_MANAGE)],
)
def open_return(number: OrderNumber, body: ReturnIn, uow: WriteUow, actor: Actor) -> ReturnOut:
    """Open a return for delivered units (by staff: approved at once, with its label when
    it is sent back). 409 for more than can be returned or outside the window."""
    return ReturnOut.of(
        svc.open_return(uow, number, body.request(), actor=actor, by_customer=False)
    )


@router.get("/orders/{number}/return-link", dependencies=[permit(P.RETURNS_VIEW)])
def return_link(number: OrderNumber, uow: ReadUow, request: Request) -> LinkOut:
    """The customer's signed page to start a return (no sign-in needed to open it)."""
    found = get_order(uow, number)
    links: CustomerLinks = request.app.state.links
    return LinkOut(url=links.return_url(found.number))


# ---------------------------------------------------------------- the queue


@router.get("/returns", dependencies=[permit(P.RETURNS_VIEW)])
def list_returns(
    uow: ReadUow,
    caller: Caller,
    status_: Annotated[list[ReturnStatus] | None, Query(alias="status")] = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
    location: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ReturnOut]:
    """Newest first."""
    found, following = svc.list_returns(
        uow, svc.ReturnFilter(status_, order, location, caller.scope), limit=limit, cursor=cursor
    )
    return Page(items=[ReturnOut.of(r) for r in found], next_cursor=following)


@router.get("/returns/{number}", dependencies=[permit(P.RETURNS_VIEW)])
def get_return(number: RmaNumber, uow: ReadUow) -> ReturnOut:
    return ReturnOut.of(svc.get_return(uow, number))


@router.get("/returns/{number}/refund-quote", dependencies=[permit(P.RETURNS_VIEW)])
def refund_quote(number: RmaNumber, uow: ReadUow) -> QuoteOut:
    """What the return gives back by its channel's policy, and why."""
    q = svc.quote(uow, number)
    with uow:
        currency = svc.load_return(uow, number).currency
    return QuoteOut.of(q, currency)


@router.get(
    "/returns/{number}/label.pdf", dependencies=[permit(P.RETURNS_VIEW)], response_class=Response
)
def label(number: RmaNumber, uow: ReadUow) -> Response:
    """The return label (4 x 6 inch) of an approved return sent back by parcel."""
    return Response(
        svc.label_pdf(uow, number),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="return-label-{number}.pdf"'},
    )


@router.post("/returns/{number}/approve", dependencies=[permit(P.RETURNS_MANAGE)])
def approve(number: RmaNumber, body: NoteIn, uow: WriteUow, actor: Actor) -> ReturnOut:
    return ReturnOut.of(svc.approve(uow, number, actor=actor, note=body.note))


@router.post("/returns/{number}/reject", dependencies=[permit(P.RETURNS_MANAGE)])
def reject(number: RmaNumber, body: ReasonIn, uow: WriteUow, actor: Actor) -> ReturnOut:
    return ReturnOut.of(svc.reject(uow, number, actor=actor, reason=body.reason))


@router.post("/returns/{number}/close", dependencies=[permit(P.RETURNS_MANAGE)])
def close(number: RmaNumber, body: ReasonIn, uow: WriteUow, actor: Actor) -> ReturnOut:
    return ReturnOut.of(svc.close(uow, number, actor=actor, reason=body.reason))


@router.post("/returns/{number}/in-transit", dependencies=[permit(P.RETURNS_RECEIVE)])
def in_transit(number: RmaNumber, uow: WriteUow, actor: Actor) -> ReturnOut:
    return ReturnOut.of(svc.mark_in_transit(uow, number, actor=actor))


@router.post("/returns/{number}/receive", dependencies=[permit(P.RETURNS_RECEIVE)])
def receive(
    number: RmaNumber, body: ReceiveIn, uow: WriteUow, actor: Actor, caller: Caller
) -> ReturnOut:
    """Arrived at a location that accepts returns (any: a store takes back online orders)."""
    works_at(caller, body.location)
    quantities = {ln.line_no: ln.quantity for ln in body.lines} if body.lines is not None else None
    return ReturnOut.of(svc.receive(uow, number, body.location, quantities, actor=actor))


@router.post("/returns/{number}/inspect", dependencies=[permit(P.RETURNS_RECEIVE)])
def inspect(
    number: RmaNumber, body: InspectIn, uow: WriteUow, actor: Actor, caller: Caller
) -> ReturnOut:
    """Restock or write off each received unit."""
    with uow:
        where = svc.load_return(uow, number).received_at_location
    if where:
        works_at(caller, where)
    verdicts = [
        svc.Inspection(v.line_no, v.restock, v.write_off, v.write_off_reason, v.bin)
        for v in body.lines
    ]
    return ReturnOut.of(svc.inspect(uow, number, verdicts, actor=actor))


def _amount(db: DbDep, number: str, body: AmountIn) -> int | None:
    if body.amount is None:
        return None
    with db.reader() as uow:
        currency = svc.load_return(uow, number).currency
    return Money.parse(body.amount, currency, field="amount").amount_minor


@router.post("/returns/{number}/refund", dependencies=[permit(P.RETURNS_REFUND)])
def refund(
    number: RmaNumber, body: AmountIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> RefundOut:
    """Refund to the original payment (partial: give ``amount``). A second refund is a 409."""
    done = svc.refund(db, gateways, number, _amount(db, number, body), actor=actor, note=body.note)
    return RefundOut(ret=ReturnOut.of(done.ret), problems=done.problems)


@router.post("/returns/{number}/store-credit", dependencies=[permit(P.RETURNS_REFUND)])
def store_credit(
    number: RmaNumber, body: AmountIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> ReturnOut:
    """Pay the return out as a gift card in the customer's name."""
    return ReturnOut.of(
        svc.store_credit(db, gateways, number, _amount(db, number, body), actor=actor)
    )


@router.post("/returns/{number}/exchange", dependencies=[permit(P.RETURNS_MANAGE)])
def exchange(number: RmaNumber, db: DbDep, gateways: GatewaysDep, actor: Actor) -> ExchangeOut:
    """Place the replacement order (flagged ``replacement``, high priority)."""
    done = svc.exchange(db, gateways, number, actor=actor)
    currency = done.ret.currency
    return ExchangeOut(
        ret=ReturnOut.of(done.ret),
        replacement_order=done.order.number,
        credit=MoneyOut.of(Money(done.credit, currency)),
        charged=MoneyOut.of(Money(done.charged, currency)),
        refunded=MoneyOut.of(Money(done.refunded, currency)),
        problems=done.problems,
    )


__all__ = ["ReturnNotFound", "router"]
