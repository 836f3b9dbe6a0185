"""Returns: open, approve (with a return label), receive at any location that accepts
returns, inspect (restock or write off), and resolve by refund, store credit or exchange.

Every step is one transaction that locks the return's row and checks the declared state
machine, appends to the return's timeline and the order's, and records an outbox event
(``return.requested`` … ``return.exchanged``). Resolutions that call a payment gateway or
place an order first move the return in its own transaction (so a second click is refused
by the state machine, never paid twice), then call out, and put it back if the call fails.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
import structlog

from openoms.accounting.services import fx_rate_for
from openoms.catalog import services as catalog
from openoms.catalog.orm import skus
from openoms.channels import services as channels
from openoms.customers.model import PostalAddress, customer_number
from openoms.fulfillment import rates
from openoms.fulfillment.model import ShipmentStatus
from openoms.fulfillment.services import setup as fulfilment_setup
from openoms.fulfillment.services import shipping, tracking
from openoms.fulfillment.tracking_numbers import s10
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.secrets import secret_key
from openoms.infra.sequences import next_number, next_value
from openoms.infra.settings import get_settings
from openoms.inventory.model import StockLine
from openoms.inventory.services.stock import restock_returned_in_transaction
from openoms.locations.orm import locations
from openoms.orders.lifecycle import write_event
from openoms.orders.model import Order, OrderStatus, SpecialCode
from openoms.orders.orm import order_events, order_lines, orders
from openoms.orders.placement import LineInput, OrderInput, place_order, quote_order
from openoms.orders.queries import load_order, order_id_of
from openoms.payments.gateways import Gateways
from openoms.payments.giftcards import ALPHABET, GiftCardExists
from openoms.payments.model import GatewayUnavailable
from openoms.payments.services import operations
from openoms.payments.services.records import Payment, payments_of
from openoms.returns.model import (
    CreditLine,
    IllegalReturnTransition,
    NotReturnable,
    Payer,
    RefundNotPossible,
    RefundQuote,
    Resolution,
    ReturnMethod,
    ReturnNotAccepted,
    ReturnNotFound,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
    check_return_transition,
    refund_quote,
    value_of_units,
)
from openoms.returns.orm import channel_returns, return_events, return_lines, returns
from openoms.returns.queries import visible_to
from openoms.shared import clock
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.events import Event
from openoms.shared.money import Money, decimals
from openoms.shared.pagination import decode_cursor, encode_cursor
from openoms.shared.scope import EVERYWHERE, Scope

log = structlog.get_logger()
_r = returns.c
_l = return_lines.c
S = ReturnStatus
RETURNABLE_ORDER = frozenset(
    {
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)


# ---------------------------------------------------------------- policy


def policy(uow: UnitOfWork, channel: str) -> ReturnPolicy:
    """The channel's return policy (the default when none was set). Raises: ChannelNotFound."""
    with uow:
        return policy_in_transaction(uow, channel)


def policy_in_transaction(uow: UnitOfWork, channel: str) -> ReturnPolicy:
    channels.get_in_transaction(uow, channel)
    row = (
        uow.conn.execute(
            sa.select(channel_returns).where(channel_returns.c.channel_code == channel)
        )
        .mappings()
        .first()
    )
    return _policy(dict(row)) if row else ReturnPolicy()


def set_policy(uow: UnitOfWork, channel: str, rules: ReturnPolicy) -> ReturnPolicy:
    """Raises: ChannelNotFound, ValidationFailed (bad rules, unknown return service)."""
    rules.check()
    with uow:
        channels.get_in_transaction(uow, channel)
        if rules.return_service is not None:
            known = {s.code for s in fulfilment_setup.services_in_transaction(uow)}
            if rules.return_service not in known:
                raise ValidationFailed.single(
                    "return_service", f"no active carrier service {rules.return_service}"
                )
        values = _policy_row(rules)
        done = uow.conn.execute(
            channel_returns.update()
            .where(channel_returns.c.channel_code == channel)
            .values(**values)
        )
        if done.rowcount == 0:
            uow.conn.execute(channel_returns.insert().values(channel_code=channel, **values))
        uow.commit()
    return rules


def _policy_row(rules: ReturnPolicy) -> dict[str, Any]:
    return {
        "window_days": rules.window_days,
        "reasons": [r.value for r in rules.reasons],
        "shipping_paid_by": rules.shipping_paid_by.value,
        "restocking_fee_percent": str(rules.restocking_fee_percent),
        "exchanges": rules.exchanges,
        "return_service": rules.return_service,
    }


def _policy(row: dict[str, Any]) -> ReturnPolicy:
    return ReturnPolicy(
        window_days=int(row["window_days"]),
        reasons=tuple(ReturnReason(r) for r in row["reasons"]),
        shipping_paid_by=Payer(row["shipping_paid_by"]),
        restocking_fee_percent=Decimal(str(row["restocking_fee_percent"])),
        exchanges=bool(row["exchanges"]),
        return_service=row.get("return_service"),
    )


# ---------------------------------------------------------------- what may come back


@dataclass(frozen=True)
class ReturnableLine:
    line_no: int
    sku: str
    name: str
    delivered: int
    returned: int  # units in returns that are not rejected or closed
    returnable: int
    unit_value: int  # what the next unit is worth (tax included, after discounts)


@dataclass(frozen=True)
class ReturnableOrder:
    order: Order
    policy: ReturnPolicy
    delivered_at: datetime | None
    deadline: date | None
    open: bool  # within the window (and something was delivered)
    why_not: str  # when not open: why
    lines: list[ReturnableLine]
    drop_off_locations: list[tuple[str, str]]  # (code, name) of locations taking returns

    @property
    def any_returnable(self) -> bool:
        return self.open and any(ln.returnable > 0 for ln in self.lines)


def returnable(uow: UnitOfWork, number: str) -> ReturnableOrder:
    """What of an order may still come back, by its channel's policy. Raises: OrderNotFound."""
    with uow:
        return _returnable(uow, load_order(uow, order_id_of(uow, number)))


def _returnable(uow: UnitOfWork, order: Order) -> ReturnableOrder:
    rules = policy_in_transaction(uow, order.channel)
    delivered_at = _delivered_at(uow, order.id)
    delivered = _delivered_units(uow, order)
    counted = _units_in_returns(uow, order.id)
    lines = []
    for ln in order.lines:
        got = delivered.get(ln.line_no, 0)
        inside = counted.get(ln.line_no, 0)
        lines.append(
            ReturnableLine(
                ln.line_no,
                ln.sku,
                ln.name,
                got,
                inside,
                max(got - inside, 0),
                value_of_units(ln.total_amount, _kept(ln), inside, 1),
            )
        )
    today = clock.now().date()
    deadline = rules.deadline(delivered_at.date()) if delivered_at else None
    if order.status not in RETURNABLE_ORDER or delivered_at is None:
        why = f"Order {order.number} has not been delivered yet."
    elif deadline is not None and today > deadline:
        why = (
            f"The {rules.window_days}-day return window of order {order.number} closed on "
            f"{deadline.isoformat()}."
        )
    else:
        why = ""
    return ReturnableOrder(
        order,
        rules,
        delivered_at,
        deadline,
        not why,
        why,
        lines,
        _drop_off_locations(uow),
    )


def _delivered_at(uow: UnitOfWork, order_id: int) -> datetime | None:
    e = order_events.c
    found: datetime | None = uow.conn.execute(
        sa.select(sa.func.max(e.at)).where(
            e.order_id == order_id, sa.or_(e.kind == "delivered", e.to_status == "delivered")
        )
    ).scalar()
    return found


def _delivered_units(uow: UnitOfWork, order: Order) -> dict[int, int]:
    """Units per order line the customer has: everything shipped once the order is
    delivered; else what the delivered parcels held."""
    if order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return {ln.line_no: ln.quantity_shipped for ln in order.lines}
    per_sku: dict[str, int] = {}
    for s in shipping.shipments_of_order(uow, order.id):
        if s.status is ShipmentStatus.DELIVERED:
            for p in s.packages:
                for sku, qty in p.items.items():
                    per_sku[sku] = per_sku.get(sku, 0) + qty
    out = {}
    for ln in order.lines:  # a SKU on two lines: the first line first
        take = min(per_sku.get(ln.sku, 0), ln.quantity_shipped)
        per_sku[ln.sku] = per_sku.get(ln.sku, 0) - take
        out[ln.line_no] = take
    return out


def _units_in_returns(uow: UnitOfWork, order_id: int) -> dict[int, int]:
    """Units per order line that returns hold: what was asked back until it arrives, then
    what arrived (also when the return was closed after inspection); nothing for rejected
    returns or returns withdrawn before anything arrived."""
    asked = [S.REQUESTED.value, S.APPROVED.value, S.IN_TRANSIT.value]
    rows = uow.conn.execute(
        sa.select(
            _l.order_line_no,
            sa.func.sum(
                sa.case(
                    (_r.status.in_(asked), _l.quantity),
                    (_r.status == S.REJECTED.value, 0),
                    else_=_l.quantity_received,
                )
            ),
        )
        .join(returns, returns.c.id == _l.return_id)
        .where(_r.order_id == order_id)
        .group_by(_l.order_line_no)
    ).all()
    return {int(line_no): int(qty or 0) for line_no, qty in rows}


def _drop_off_locations(uow: UnitOfWork) -> list[tuple[str, str]]:
    c = locations.c
    return [
        (str(code), str(name))
        for code, name in uow.conn.execute(
            sa.select(c.code, c.name)
            .where(c.accepts_returns.is_(True), c.is_active.is_(True))
            .order_by(c.kind.desc(), c.code)
        )
    ]


# ---------------------------------------------------------------- the return


@dataclass(frozen=True)
class ReturnLine:
    order_line_no: int
    sku: str
    name: str
    quantity: int
    reason: ReturnReason
    comment: str
    quantity_received: int
    quantity_restocked: int
    quantity_written_off: int
    write_off_reason: str
    credit_amount: int
    exchange_sku: str | None
    exchange_quantity: int | None


@dataclass(frozen=True)
class ReturnEvent:
    at: datetime
    actor: str
    from_status: str | None
    to_status: str | None
    text: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Return:
    id: int
    number: str
    order_id: int
    order_number: str
    channel: str
    currency: str
    status: ReturnStatus
    opened_by: str
    method: ReturnMethod
    preferred_resolution: Resolution
    drop_off_location: str | None
    customer_note: str
    policy: ReturnPolicy
    carrier: str | None
    service: str | None
    tracking_number: str | None
    label_cost_amount: int
    received_at_location: str | None
    resolution: Resolution | None
    refund_amount: int
    store_credit_code: str | None
    exchange_order_number: str | None
    decision_note: str
    created_at: datetime
    updated_at: datetime
    version: int
    lines: list[ReturnLine] = field(default_factory=list)
    events: list[ReturnEvent] = field(default_factory=list)

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)

    @property
    def units(self) -> int:
        return sum(ln.quantity for ln in self.lines)

    @property
    def credit(self) -> int:
        return sum(ln.credit_amount for ln in self.lines)


def load_return(uow: UnitOfWork, number: str, *, lock: bool = False) -> Return:
    """Raises: ReturnNotFound."""
    query = sa.select(returns).where(_r.number == number)
    if lock:
        query = query.with_for_update()
    row = uow.conn.execute(query).mappings().first()
    if row is None:
        raise ReturnNotFound(f"No return {number}.", number=number)
    lines = [
        ReturnLine(
            r["order_line_no"],
            r["sku_code"],
            r["name"],
            r["quantity"],
            ReturnReason(r["reason"]),
            r["comment"],
            r["quantity_received"],
            r["quantity_restocked"],
            r["quantity_written_off"],
            r["write_off_reason"],
            r["credit_amount"],
            r["exchange_sku"],
            r["exchange_quantity"],
        )
        for r in uow.conn.execute(
            sa.select(return_lines).where(_l.return_id == row["id"]).order_by(_l.order_line_no)
        ).mappings()
    ]
    e = return_events.c
    events = [
        ReturnEvent(r.at, r.actor, r.from_status, r.to_status, r.text, r.data)
        for r in uow.conn.execute(
            sa.select(return_events).where(e.return_id == row["id"]).order_by(e.id)
        )
    ]
    return Return(
        row["id"],
        row["number"],
        row["order_id"],
        row["order_number"],
        row["channel_code"],
        row["currency"],
        ReturnStatus(row["status"]),
        row["opened_by"],
        ReturnMethod(row["method"]),
        Resolution(row["preferred_resolution"]),
        row["drop_off_location"],
        row["customer_note"],
        _policy(row["policy"]),
        row["carrier_code"],
        row["service_code"],
        row["tracking_number"],
        row["label_cost_amount"],
        row["received_at_location"],
        Resolution(row["resolution"]) if row["resolution"] else None,
        row["refund_amount"],
        row["store_credit_code"],
        row["exchange_order_number"],
        row["decision_note"],
        row["created_at"],
        row["updated_at"],
        row["version"],
        lines,
        events,
    )


def get_return(uow: UnitOfWork, number: str) -> Return:
    with uow:
        return load_return(uow, number)


@dataclass(frozen=True)
class ReturnFilter:
    status: list[ReturnStatus] | None = None
    order: str | None = None
    location: str | None = None  # received at, or to be dropped off at
    scope: Scope = EVERYWHERE


def list_returns(
    uow: UnitOfWork, f: ReturnFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Return], str | None]:
    """Newest first, a page at a time."""
    query = sa.select(_r.number, _r.id).order_by(_r.id.desc()).limit(limit + 1)
    if f.status:
        query = query.where(_r.status.in_([s.value for s in f.status]))
    if f.order:
        query = query.where(_r.order_number == f.order)
    if f.location:
        query = query.where(
            sa.or_(_r.received_at_location == f.location, _r.drop_off_location == f.location)
        )
    if f.scope.is_limited:
        query = query.where(visible_to(f.scope))
    if cursor:
        query = query.where(_r.id < int(decode_cursor(cursor).get("id", 0)))
    with uow:
        rows = uow.conn.execute(query).all()
        page = [load_return(uow, n) for n, _ in rows[:limit]]
    following = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return page, following


def returns_of_order(uow: UnitOfWork, order_id: int) -> list[Return]:
    numbers = uow.conn.execute(
        sa.select(_r.number).where(_r.order_id == order_id).order_by(_r.id)
    ).scalars()
    return [load_return(uow, n) for n in numbers]


# ---------------------------------------------------------------- opening


@dataclass(frozen=True)
class LineRequest:
    line_no: int
    quantity: int
    reason: str
    comment: str = ""
    exchange_sku: str | None = None  # exchange: the SKU wanted instead (None: the same)
    exchange_quantity: int | None = None


@dataclass(frozen=True)
class ReturnRequest:
    lines: list[LineRequest]
    method: str = ReturnMethod.SHIP_BACK.value
    preferred_resolution: str = Resolution.REFUND.value
    drop_off_location: str | None = None
    note: str = ""


def open_return(
    uow: UnitOfWork, number: str, req: ReturnRequest, *, actor: str, by_customer: bool
) -> Return:
    """A customer's request waits for approval; a return opened by staff (at the counter,
    on the phone) is approved at once.

    Raises: OrderNotFound, ValidationFailed, NotReturnable (not delivered, outside the
    window, more units than were delivered and not yet returned), ReturnNotAccepted.
    """
    errors = _request_errors(req)
    if errors:
        raise ValidationFailed(errors)
    with uow:
        order_id = order_id_of(uow, number)
        # one request at a time per order: two tabs cannot return the same unit twice
        uow.conn.execute(
            sa.select(orders.c.id).where(orders.c.id == order_id).with_for_update()
        ).one()
        can = _returnable(uow, load_order(uow, order_id))
        order = can.order
        if not can.open:
            raise NotReturnable(can.why_not, order=number)
        rules = can.policy
        by_line = {ln.line_no: ln for ln in can.lines}
        errors = []
        for i, want in enumerate(req.lines):
            reason = ReturnReason(want.reason)
            if reason not in rules.reasons:
                allowed = ", ".join(r.value for r in rules.reasons)
                errors.append(
                    FieldError(f"lines[{i}].reason", f"is not accepted here (one of: {allowed})")
                )
            if want.line_no not in by_line:
                errors.append(FieldError(f"lines[{i}].line_no", f"order {number} has no such line"))
        if Resolution(req.preferred_resolution) is Resolution.EXCHANGE and not rules.exchanges:
            errors.append(FieldError("preferred_resolution", "this shop does not exchange"))
        if errors:
            raise ValidationFailed(errors)
        for want in req.lines:
            have = by_line[want.line_no]
            if want.quantity > have.returnable:
                raise NotReturnable(
                    f"Line {want.line_no} ({have.sku}): {want.quantity} asked back, "
                    f"{have.returnable} of {have.delivered} delivered can still be returned.",
                    order=number,
                    line_no=want.line_no,
                    returnable=have.returnable,
                )
        method = ReturnMethod(req.method)
        if req.drop_off_location is not None:
            _check_accepts_returns(uow, req.drop_off_location)
        exchange_skus = {w.exchange_sku for w in req.lines if w.exchange_sku}
        if exchange_skus:
            refs = catalog.sku_refs(uow, sorted(exchange_skus))
            bad = [c for c in sorted(exchange_skus) if c not in refs or not refs[c][1]]
            if bad:
                raise ValidationFailed.single(
                    "lines.exchange_sku", f"unknown or inactive SKU {', '.join(bad)}"
                )
        now = clock.now()
        rma = next_number(uow.conn, "return", "RMA")
        return_id = uow.conn.execute(
            returns.insert()
            .values(
                number=rma,
                order_id=order.id,
                order_number=order.number,
                channel_code=order.channel,
                currency=order.currency,
                status=S.REQUESTED.value,
                opened_by="customer" if by_customer else "staff",
                method=method.value,
                preferred_resolution=req.preferred_resolution,
                drop_off_location=req.drop_off_location,
                customer_note=req.note.strip(),
                policy=_policy_row(rules),
                created_at=now,
                updated_at=now,
            )
            .returning(_r.id)
        ).scalar_one()
        uow.conn.execute(
            return_lines.insert(),
            [
                {
                    "return_id": return_id,
                    "order_line_no": w.line_no,
                    "sku_code": by_line[w.line_no].sku,
                    "name": by_line[w.line_no].name,
                    "quantity": w.quantity,
                    "reason": w.reason,
                    "comment": w.comment.strip(),
                    "exchange_sku": w.exchange_sku,
                    "exchange_quantity": w.exchange_quantity,
                }
                for w in req.lines
            ],
        )
        units = sum(w.quantity for w in req.lines)
        who = "the customer" if by_customer else actor
        _log(
            uow,
            return_id,
            actor,
            None,
            S.REQUESTED,
            f"Return of {units} unit(s) opened by {who}",
            {},
        )
        write_event(
            uow,
            order.id,
            actor,
            "return_requested",
            None,
            None,
            f"Return {rma} opened for {units} unit(s)",
            {"return": rma},
        )
        uow.record(
            Event(
                "return.requested",
                {
                    "number": rma,
                    "order": order.number,
                    "by": "customer" if by_customer else "staff",
                    "method": method.value,
                    "lines": [
                        {"sku": by_line[w.line_no].sku, "quantity": w.quantity, "reason": w.reason}
                        for w in req.lines
                    ],
                },
                f"return:{rma}",
            )
        )
        if not by_customer:
            _approve(uow, load_return(uow, rma, lock=True), actor=actor, note="")
        found = load_return(uow, rma)
        uow.commit()
    return found


def _request_errors(req: ReturnRequest) -> list[FieldError]:
    errors = []
    if not req.lines:
        errors.append(FieldError("lines", "name at least one line to return"))
    seen: set[int] = set()
    reasons = {r.value for r in ReturnReason}
    for i, w in enumerate(req.lines):
        if w.line_no in seen:
            errors.append(FieldError(f"lines[{i}].line_no", "is named twice"))
        seen.add(w.line_no)
        if isinstance(w.quantity, bool) or w.quantity < 1:
            errors.append(FieldError(f"lines[{i}].quantity", "must be at least 1"))
        if w.reason not in reasons:
            errors.append(FieldError(f"lines[{i}].reason", f"unknown reason {w.reason!r}"))
        if w.exchange_quantity is not None and w.exchange_quantity < 1:
            errors.append(FieldError(f"lines[{i}].exchange_quantity", "must be at least 1"))
        if len(w.comment) > 2000:
            errors.append(FieldError(f"lines[{i}].comment", "is longer than 2000 characters"))
    if req.method not in {m.value for m in ReturnMethod}:
        errors.append(FieldError("method", "must be ship_back or in_store"))
    if req.preferred_resolution not in {r.value for r in Resolution}:
        errors.append(
            FieldError("preferred_resolution", "must be refund, store_credit or exchange")
        )
    if req.method == ReturnMethod.IN_STORE.value and not req.drop_off_location:
        errors.append(FieldError("drop_off_location", "name the store it is brought to"))
    if len(req.note) > 2000:
        errors.append(FieldError("note", "is longer than 2000 characters"))
    return errors


def _check_accepts_returns(uow: UnitOfWork, code: str) -> None:
    c = locations.c
    row = uow.conn.execute(
        sa.select(c.accepts_returns, c.is_active, c.name).where(c.code == code)
    ).first()
    if row is None:
        raise ValidationFailed.single("location", f"no location {code}")
    if not row.accepts_returns or not row.is_active:
        raise ReturnNotAccepted(f"{row.name} ({code}) does not accept returns.", location=code)


# ---------------------------------------------------------------- approval and the label


def approve(uow: UnitOfWork, number: str, *, actor: str, note: str = "") -> Return:
    """Approve a requested return; a return shipped back gets its label.

    Raises: ReturnNotFound, IllegalReturnTransition, NotReturnable (no carrier service
    reaches the return address).
    """
    with uow:
        ret = load_return(uow, number, lock=True)
        _approve(uow, ret, actor=actor, note=note)
        found = load_return(uow, number)
        uow.commit()
    return found


def _approve(uow: UnitOfWork, ret: Return, *, actor: str, note: str) -> None:
    check_return_transition(ret.number, ret.status, S.APPROVED)
    order = load_order(uow, ret.order_id)
    values: dict[str, Any] = {}
    if ret.method is ReturnMethod.SHIP_BACK:
        values = _label(uow, ret, order)
    _move(uow, ret, S.APPROVED, actor, "Approved" + (f": {note}" if note else ""), values)
    if note:
        uow.conn.execute(returns.update().where(_r.id == ret.id).values(decision_note=note))
    uow.record(
        Event(
            "return.approved",
            {
                "number": ret.number,
                "order": ret.order_number,
                "method": ret.method.value,
                "drop_off_location": ret.drop_off_location,
                "tracking_number": values.get("tracking_number"),
                "carrier": values.get("carrier_code"),
            },
            f"return:{ret.number}",
        )
    )


def return_location(uow: UnitOfWork, ret: Return) -> str:
    """Where a parcel sent back goes: the store it is dropped at, else the location that
    shipped it when it takes returns, else the first warehouse that does."""
    if ret.drop_off_location:
        return ret.drop_off_location
    found = [code for code, _ in _drop_off_locations(uow)]
    if not found:
        raise ReturnNotAccepted("No location accepts returns; set one up first.")
    shipped_from = [s.location for s in shipping.shipments_of_order(uow, ret.order_id)]
    return next((code for code in shipped_from if code in found), found[0])


def _label(uow: UnitOfWork, ret: Return, order: Order) -> dict[str, Any]:
    """The cheapest (or the policy's) carrier service from the customer to the return
    location, its price in the order's currency, and an S10 tracking number."""
    to = return_location(uow, ret)
    address = order.shipping_address or order.billing_address
    weight = _weight_g(uow, ret)
    loc = uow.conn.execute(sa.select(locations.c.timezone).where(locations.c.code == to)).one()
    carriers = {c.code: c for c in fulfilment_setup.carriers_in_transaction(uow)}
    options: list[rates.RateOption] = []
    for spec in fulfilment_setup.services_in_transaction(uow):
        if ret.policy.return_service and spec.code != ret.policy.return_service:
            continue
        if spec.carrier not in carriers:
            continue
        options += rates.rate_shop(
            [spec.level()],
            [carriers[spec.carrier].carrier()],
            origin=to,
            origin_tz=loc.timezone,
            country=str(address.get("country", "")),
            postal_code=str(address.get("postal_code", "")),
            billable_weights_g=[weight],
            now=clock.now(),
        )
    if not options:
        raise NotReturnable(
            f"No carrier service takes a {weight / 1000:.1f} kg parcel from "
            f"{address.get('country', '?')} to {to}; approve it as a drop-off in a store.",
            number=ret.number,
        )
    options.sort(key=lambda o: (o.amount, o.delivery_date, o.carrier, o.service))
    chosen = options[0]
    carrier = carriers[chosen.carrier]
    country = str(address.get("country", "") or "XX")
    serial = next_value(uow.conn, f"tracking:{carrier.tracking_prefix}{country}") % 100_000_000
    return {
        "carrier_code": chosen.carrier,
        "service_code": chosen.service,
        "tracking_number": s10(carrier.tracking_prefix, serial, country),
        "label_cost_amount": _in_currency(uow, chosen.amount, chosen.currency, ret.currency),
        "drop_off_location": to,
    }


def _weight_g(uow: UnitOfWork, ret: Return) -> int:
    weights = dict(
        uow.conn.execute(
            sa.select(skus.c.code, skus.c.weight_g).where(
                skus.c.code.in_([ln.sku for ln in ret.lines])
            )
        ).all()
    )
    return max(sum((weights.get(ln.sku) or 500) * ln.quantity for ln in ret.lines) + 200, 100)


def _in_currency(uow: UnitOfWork, amount: int, currency: str, wanted: str) -> int:
    if currency == wanted:
        return amount
    base = get_settings().base_currency
    into_base = fx_rate_for(uow, currency, base)
    from_base = fx_rate_for(uow, wanted, base)
    exact = Money(amount, currency).amount * into_base / from_base
    places = Decimal(1).scaleb(-decimals(wanted))
    return Money.parse(exact.quantize(places, rounding=ROUND_HALF_UP), wanted).amount_minor


def reject(uow: UnitOfWork, number: str, *, actor: str, reason: str) -> Return:
    """Raises: ReturnNotFound, IllegalReturnTransition, ValidationFailed (no reason)."""
    return _end_with_reason(uow, number, S.REJECTED, "rejected", actor=actor, reason=reason)


def mark_in_transit(uow: UnitOfWork, number: str, *, actor: str) -> Return:
    """The carrier has the parcel. Raises: ReturnNotFound, IllegalReturnTransition."""
    with uow:
        ret = load_return(uow, number, lock=True)
        _move(uow, ret, S.IN_TRANSIT, actor, "On its way back", {})
        found = load_return(uow, number)
        uow.commit()
    return found


def close(uow: UnitOfWork, number: str, *, actor: str, reason: str) -> Return:
    """Withdrawn before it arrived, or nothing is owed after inspection.

    Raises: ReturnNotFound, IllegalReturnTransition, ValidationFailed (no reason).
    """
    return _end_with_reason(uow, number, S.CLOSED, "closed", actor=actor, reason=reason)


def _end_with_reason(
    uow: UnitOfWork, number: str, to: ReturnStatus, word: str, *, actor: str, reason: str
) -> Return:
    """Reject or close a return, saying why: on its timeline and in its ``return.<word>``
    event; a rejection also keeps the reason as the decision's note."""
    why = reason.strip()
    if not why:
        raise ValidationFailed.single("reason", f"say why the return is {word}")
    with uow:
        ret = load_return(uow, number, lock=True)
        _move(uow, ret, to, actor, f"{word.capitalize()}: {why}", {})
        if to is S.REJECTED:
            uow.conn.execute(returns.update().where(_r.id == ret.id).values(decision_note=why))
        uow.record(
            Event(
                f"return.{word}",
                {"number": number, "order": ret.order_number, "reason": why},
                f"return:{number}",
            )
        )
        found = load_return(uow, number)
        uow.commit()
    return found


# ---------------------------------------------------------------- receiving and inspection


def receive(
    uow: UnitOfWork,
    number: str,
    location: str,
    quantities: dict[int, int] | None,
    *,
    actor: str,
) -> Return:
    """The parcel (or the customer) arrived at ``location``, any location that accepts
    returns: an online order can come back in a store. ``quantities`` per order line (None:
    everything asked for); fewer is fine, more is refused.

    Raises: ReturnNotFound, IllegalReturnTransition, ReturnNotAccepted, ValidationFailed.
    """
    with uow:
        ret = load_return(uow, number, lock=True)
        check_return_transition(number, ret.status, S.RECEIVED)
        _check_accepts_returns(uow, location)
        got = {ln.order_line_no: ln.quantity for ln in ret.lines}
        if quantities is not None:
            errors = [
                FieldError(f"lines.{no}", f"return {number} has no line {no}")
                for no in quantities
                if no not in got
            ]
            errors += [
                FieldError(f"lines.{no}", f"{qty} received, {got[no]} were asked back")
                for no, qty in quantities.items()
                if no in got and not 0 <= qty <= got[no]
            ]
            if errors:
                raise ValidationFailed(errors)
            got = {no: quantities.get(no, 0) for no in got}
        if sum(got.values()) == 0:
            raise ValidationFailed.single("lines", "nothing was received; close the return instead")
        for no, qty in got.items():
            uow.conn.execute(
                return_lines.update()
                .where(_l.return_id == ret.id, _l.order_line_no == no)
                .values(quantity_received=qty)
            )
        units = sum(got.values())
        _move(
            uow,
            ret,
            S.RECEIVED,
            actor,
            f"{units} unit(s) received at {location}",
            {"received_at_location": location},
        )
        write_event(
            uow,
            ret.order_id,
            actor,
            "return_received",
            None,
            None,
            f"Return {number}: {units} unit(s) received at {location}",
            {"return": number, "location": location},
        )
        uow.record(
            Event(
                "return.received",
                {
                    "number": number,
                    "order": ret.order_number,
                    "location": location,
                    "lines": [
                        {"sku": ln.sku, "quantity": got[ln.order_line_no]}
                        for ln in ret.lines
                        if got[ln.order_line_no]
                    ],
                },
                f"return:{number}",
            )
        )
        found = load_return(uow, number)
        uow.commit()
    return found


@dataclass(frozen=True)
class Inspection:
    line_no: int
    restock: int
    write_off: int = 0
    write_off_reason: str = ""
    bin: str | None = None  # where restocked units go (None: the location, no bin)


def inspect(uow: UnitOfWork, number: str, verdicts: Sequence[Inspection], *, actor: str) -> Return:
    """Each received unit is restocked (ledger ``return`` into the receiving location) or
    written off with a reason. The units count as returned on the order and are credited at
    what the customer paid for them.

    Raises: ReturnNotFound, IllegalReturnTransition, ValidationFailed.
    """
    with uow:
        ret = load_return(uow, number, lock=True)
        check_return_transition(number, ret.status, S.INSPECTED)
        by_line = {ln.order_line_no: ln for ln in ret.lines}
        given = {v.line_no: v for v in verdicts}
        errors = [
            FieldError(f"lines.{no}", "is named twice")
            for no in sorted(given)
            if sum(1 for v in verdicts if v.line_no == no) > 1
        ]
        errors += [
            FieldError(f"lines.{no}", "nothing of this line was received")
            for no, v in given.items()
            if no in by_line and by_line[no].quantity_received == 0 and (v.restock or v.write_off)
        ]
        for no, ln in by_line.items():
            v = given.get(no)
            if ln.quantity_received == 0:
                continue
            if v is None:
                errors.append(FieldError(f"lines.{no}", "say what happens to the received units"))
                continue
            if v.restock < 0 or v.write_off < 0:
                errors.append(FieldError(f"lines.{no}", "quantities cannot be negative"))
            elif v.restock + v.write_off != ln.quantity_received:
                errors.append(
                    FieldError(
                        f"lines.{no}",
                        f"{v.restock} restocked + {v.write_off} written off must make the "
                        f"{ln.quantity_received} received",
                    )
                )
            if v.write_off and not v.write_off_reason.strip():
                errors.append(FieldError(f"lines.{no}.write_off_reason", "say why"))
        errors += [
            FieldError(f"lines.{no}", f"return {number} has no line {no}")
            for no in given
            if no not in by_line
        ]
        if errors:
            raise ValidationFailed(errors)
        location = ret.received_at_location or ""
        # the order's row first: two returns of one line credit its units in turn
        uow.conn.execute(
            sa.select(orders.c.id).where(orders.c.id == ret.order_id).with_for_update()
        ).one()
        order = load_order(uow, ret.order_id)
        order_line = {ln.line_no: ln for ln in order.lines}
        checked = [given[no] for no, ln in by_line.items() if ln.quantity_received > 0]
        restock = [
            StockLine(by_line[v.line_no].sku, v.restock, bin=v.bin) for v in checked if v.restock
        ]
        if restock:
            restock_returned_in_transaction(
                uow, location, restock, reference=f"return:{number}", actor=actor
            )
        for no, ln in by_line.items():
            if ln.quantity_received == 0:
                continue
            v = given[no]
            ol = order_line[no]
            credit = value_of_units(
                ol.total_amount, _kept(ol), ol.quantity_returned, ln.quantity_received
            )
            uow.conn.execute(
                return_lines.update()
                .where(_l.return_id == ret.id, _l.order_line_no == no)
                .values(
                    quantity_restocked=v.restock,
                    quantity_written_off=v.write_off,
                    write_off_reason=v.write_off_reason.strip(),
                    credit_amount=credit,
                )
            )
            uow.conn.execute(
                order_lines.update()
                .where(order_lines.c.order_id == ret.order_id, order_lines.c.line_no == no)
                .values(quantity_returned=order_lines.c.quantity_returned + ln.quantity_received)
            )
        restocked = sum(v.restock for v in checked)
        written = sum(v.write_off for v in checked)
        text = f"Inspected: {restocked} restocked at {location}, {written} written off"
        _move(uow, ret, S.INSPECTED, actor, text, {})
        write_event(
            uow,
            ret.order_id,
            actor,
            "return_inspected",
            None,
            None,
            f"Return {number}: {text}",
            {"return": number},
        )
        uow.record(
            Event(
                "return.inspected",
                {
                    "number": number,
                    "order": ret.order_number,
                    "location": location,
                    "restocked": restocked,
                    "written_off": written,
                    "lines": [
                        {
                            "sku": by_line[v.line_no].sku,
                            "reason": by_line[v.line_no].reason.value,
                            "restocked": v.restock,
                            "written_off": v.write_off,
                        }
                        for v in checked
                    ],
                },
                f"return:{number}",
            )
        )
        found = load_return(uow, number)
        uow.commit()
    return found


# ---------------------------------------------------------------- resolution


def quote(uow: UnitOfWork, number: str) -> RefundQuote:
    """What the return gives back by its policy (once inspected: the received units; before:
    what was asked back). Raises: ReturnNotFound."""
    with uow:
        return _quote(uow, load_return(uow, number))


def _quote(uow: UnitOfWork, ret: Return) -> RefundQuote:
    order = load_order(uow, ret.order_id)
    by_no = {ln.line_no: ln for ln in order.lines}
    inspected = ret.status not in (S.REQUESTED, S.APPROVED, S.IN_TRANSIT, S.RECEIVED)
    credit_lines = []
    for ln in ret.lines:
        if inspected:
            value, units = ln.credit_amount, ln.quantity_received
        else:
            ol = by_no[ln.order_line_no]
            units = ln.quantity_received if ret.status is S.RECEIVED else ln.quantity
            value = value_of_units(ol.total_amount, _kept(ol), ol.quantity_returned, units)
        if units:
            credit_lines.append(CreditLine(ln.sku, units, value, ln.reason))
    # everything came back: every unit the order kept (not cancelled) was shipped and returned
    kept = sum(_kept(ol) for ol in order.lines)
    returned = sum(ol.quantity_returned for ol in order.lines)
    if not inspected:
        returned += sum(c.units for c in credit_lines)
    shipped_all = all(ol.quantity_shipped >= _kept(ol) for ol in order.lines)
    # what the customer paid for shipping, its tax included (tax-exclusive prices add it)
    shipping_paid = max(order.total_amount - sum(ol.total_amount for ol in order.lines), 0)
    shipping_refunded = _shipping_refunded_before(uow, ret)
    return refund_quote(
        credit_lines,
        ret.policy,
        label_cost=ret.label_cost_amount if ret.method is ReturnMethod.SHIP_BACK else 0,
        original_shipping=max(shipping_paid - shipping_refunded, 0),
        everything_returned=kept > 0 and shipped_all and returned >= kept,
        fmt=lambda amount: ret.money(amount).format(),
    )


def _kept(line: Any) -> int:
    """The units of an order line the customer bought: ordered less cancelled (a line's
    total covers these once cancelled units are priced out)."""
    return int(line.quantity_ordered - line.quantity_cancelled)


def _shipping_refunded_before(uow: UnitOfWork, ret: Return) -> int:
    """Original shipping already given back by an earlier return of the same order."""
    rows = uow.conn.execute(
        sa.select(return_events.c.data)
        .join(returns, returns.c.id == return_events.c.return_id)
        .where(_r.order_id == ret.order_id, _r.id != ret.id, _r.status == S.REFUNDED.value)
    ).scalars()
    return sum(int((d or {}).get("original_shipping", 0)) for d in rows)


@dataclass(frozen=True)
class Refunded:
    ret: Return
    problems: list[str]  # payments the gateway could not reach now (the worker goes on)


def refund(
    db: Database,
    gateways: Gateways,
    number: str,
    amount: int | None,
    *,
    actor: str,
    note: str = "",
) -> Refunded:
    """Refund the inspected return to the order's payments, newest first (what each has
    captured and not yet refunded); ``amount`` below the policy's figure gives a partial
    refund. Never more than the policy's figure, never more than was captured.

    Raises: ReturnNotFound, IllegalReturnTransition (already refunded: no double refund),
    ValidationFailed, RefundNotPossible.
    """
    with db.uow() as uow:
        ret = load_return(uow, number, lock=True)
        check_return_transition(number, ret.status, S.REFUNDED)
        q = _quote(uow, ret)
        give = q.total if amount is None else amount
        _check_amount(ret, give, q)
        if give == 0:
            raise ValidationFailed.single("amount", "nothing to refund; close the return instead")
        found = payments_of(uow, ret.order_id)
        refundable = sum(max(p.refundable, 0) for p in found)
        if give > refundable:
            raise RefundNotPossible(
                f"{ret.money(give).format()} cannot be refunded: the order's payments hold "
                f"{ret.money(refundable).format()} that can be given back. Use store credit.",
                number=number,
                refundable=refundable,
            )
        text = f"Refund of {ret.money(give).format()} to the original payment"
        _move(
            uow,
            ret,
            S.REFUNDED,
            actor,
            text + (f" ({note.strip()})" if note.strip() else ""),
            {"resolution": Resolution.REFUND.value, "refund_amount": give},
        )
        uow.commit()
    refunded, problems = _refund_payments(
        db, gateways, found, give, actor=actor, reason=f"return {number}"
    )
    left = give - refunded
    if refunded == 0:
        _undo(db, number, actor, "Refund failed: " + "; ".join(problems), resolution=True)
        raise RefundNotPossible(
            f"Nothing could be refunded for {number}: {'; '.join(problems)}", number=number
        )
    with db.uow() as uow:
        ret = load_return(uow, number)
        if left > 0:  # what went through is what the return says it refunded
            uow.conn.execute(returns.update().where(_r.id == ret.id).values(refund_amount=refunded))
            problems.append(f"{ret.money(left).format()} could not be refunded")
        _log(
            uow,
            ret.id,
            actor,
            None,
            None,
            f"Refunded {ret.money(refunded).format()}"
            + (f"; not refunded: {ret.money(left).format()}" if left else ""),
            # the order's shipping counts as given back only when all of it was
            {"original_shipping": q.original_shipping if refunded == q.total else 0},
        )
        write_event(
            uow,
            ret.order_id,
            actor,
            "return_refunded",
            None,
            None,
            f"Return {number}: refunded {ret.money(refunded).format()}",
            {"return": number, "amount": refunded},
        )
        uow.record(
            Event(
                "return.refunded",
                {
                    "number": number,
                    "order": ret.order_number,
                    "resolution": Resolution.REFUND.value,
                    "amount": refunded,
                    "currency": ret.currency,
                },
                f"return:{number}",
            )
        )
        uow.commit()
    with db.reader() as uow:
        return Refunded(load_return(uow, number), problems)


def _refund_payments(
    db: Database,
    gateways: Gateways,
    found: Sequence[Payment],
    amount: int,
    *,
    actor: str,
    reason: str,
) -> tuple[int, list[str]]:
    """Give ``amount`` back on the order's payments, newest first, each up to what it can
    give back. A gateway that does not answer leaves its refund pending (the worker settles
    it) and counts as given. Returns what was given and what went wrong."""
    left, given, problems = amount, 0, []
    for payment in sorted(found, key=lambda p: p.id, reverse=True):
        take = min(left, max(payment.refundable, 0))
        if left <= 0:
            break
        if take <= 0:
            continue
        try:
            operations.refund(db, gateways, payment.id, take, actor=actor, reason=reason)
        except GatewayUnavailable:  # recorded as pending: the worker completes it
            problems.append(f"{payment.describe()}: the gateway is unreachable; retried later")
        except OmsError as e:
            problems.append(f"{payment.describe()}: {e.detail}")
            continue
        except Exception as e:  # noqa: BLE001 - said on the return, never left half done
            log.exception("returns.refund_failed", reason=reason, payment=payment.id)
            problems.append(f"{payment.describe()}: {type(e).__name__}")
            continue
        left -= take
        given += take
    return given, problems


def _check_amount(ret: Return, give: int, q: RefundQuote) -> None:
    if isinstance(give, bool) or give < 0:
        raise ValidationFailed.single("amount", "cannot be negative")
    if give > q.total:
        raise ValidationFailed.single(
            "amount",
            f"{ret.money(give).format()} is more than the {ret.money(q.total).format()} "
            "this return gives back",
        )


def store_credit(
    db: Database,
    gateways: Gateways,
    number: str,
    amount: int | None,
    *,
    actor: str,
) -> Return:
    """Pay the return out as store credit: a gift card in the customer's name. Its code is
    derived from the return's number with the server's key, so a retry finds the same card.

    Raises: ReturnNotFound, IllegalReturnTransition, ValidationFailed, RefundNotPossible.
    """
    cards = gateways.gift_cards
    if cards is None:
        raise RefundNotPossible("Store credit needs the gift card gateway, which is not set up.")
    with db.uow() as uow:
        ret = load_return(uow, number, lock=True)
        check_return_transition(number, ret.status, S.REFUNDED)
        q = _quote(uow, ret)
        give = q.total if amount is None else amount
        _check_amount(ret, give, q)
        if give == 0:
            raise ValidationFailed.single("amount", "nothing to credit; close the return instead")
        order = load_order(uow, ret.order_id)
        customer = customer_number(order.customer_id)
        code = credit_code(number)
        _move(
            uow,
            ret,
            S.REFUNDED,
            actor,
            f"Store credit of {ret.money(give).format()}",
            {
                "resolution": Resolution.STORE_CREDIT.value,
                "refund_amount": give,
                "store_credit_code": code,
            },
            data={"original_shipping": q.original_shipping if give == q.total else 0},
        )
        uow.commit()
    try:
        try:
            cards.issue(
                Money(give, ret.currency),
                issued_by=actor,
                customer=customer,
                note=f"Store credit for return {number} of order {ret.order_number}",
                code=code,
            )
        except GiftCardExists:
            # issued by an earlier attempt of this return — unless the code is another card's
            card = cards.card(code)
            if (card.initial, card.currency, card.customer) != (give, ret.currency, customer):
                raise RefundNotPossible(
                    f"Gift card {card.masked} exists already and is not this return's.",
                    number=number,
                ) from None
    except Exception as e:
        why = e.detail if isinstance(e, OmsError) else type(e).__name__
        _undo(db, number, actor, f"Store credit failed: {why}", resolution=True)
        raise
    with db.uow() as uow:
        ret = load_return(uow, number)
        write_event(
            uow,
            ret.order_id,
            actor,
            "return_refunded",
            None,
            None,
            f"Return {number}: store credit {ret.money(give).format()} on {code}",
            {"return": number, "amount": give, "store_credit": code},
        )
        uow.record(
            Event(
                "return.refunded",
                {
                    "number": number,
                    "order": ret.order_number,
                    "resolution": Resolution.STORE_CREDIT.value,
                    "amount": give,
                    "currency": ret.currency,
                    "store_credit_code": code,
                },
                f"return:{number}",
            )
        )
        found = load_return(uow, number)
        uow.commit()
    return found


def credit_code(number: str) -> str:
    """A gift card code that only the server can derive from the return's number."""
    key = secret_key(get_settings()).encode()
    digest = hmac.new(key, f"store-credit:{number}".encode(), hashlib.sha256).digest()
    chars = "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:12])
    return f"GC-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


@dataclass(frozen=True)
class Exchanged:
    ret: Return
    order: Order  # the replacement order
    credit: int  # what the returned units were worth
    charged: int  # what the customer owes on the replacement order
    refunded: int  # the difference given back when the replacement is worth less
    problems: list[str]


def exchange(db: Database, gateways: Gateways, number: str, *, actor: str) -> Exchanged:
    """Replace the returned units with a new order flagged ``replacement`` (high priority),
    shipped like any order. Each line is replaced by its exchange SKU (else the same SKU) in
    the same quantity (or the one asked for). The returned units' value pays for it: worth
    less, the new order is free and the difference is refunded (no more than a refund of the
    return would give by its policy: restocking fee and label deducted); worth more, the
    customer owes the difference on the new order.

    Raises: ReturnNotFound, IllegalReturnTransition, NotReturnable (the channel does not
    exchange), OrderNotSourceable, InactiveSku …
    """
    with db.reader() as uow:
        ret = load_return(uow, number)
        order = load_order(uow, ret.order_id)
    check_return_transition(number, ret.status, S.EXCHANGED)
    if not ret.policy.exchanges:
        raise NotReturnable(f"Channel {ret.channel} does not exchange.", number=number)
    credit = ret.credit
    cash = quote(db.reader(), number).total  # what a refund would give back
    by_no = {ol.line_no: ol for ol in order.lines}
    priced = [
        LineInput(
            sku,
            qty,
            unit_price=by_no[ln.order_line_no].unit_price_amount if sku == ln.sku else None,
        )
        for sku, qty, ln in (
            (ln.exchange_sku or ln.sku, ln.exchange_quantity or ln.quantity_received, ln)
            for ln in ret.lines
            if ln.quantity_received > 0
        )
    ]
    draft = quote_order(db.reader(), _replacement(order, ret, priced, discount=0)).totals
    worth = draft.total
    if worth <= credit:  # worth no more than what came back: free of charge
        data = _replacement(
            order, ret, [LineInput(x.sku, x.quantity, unit_price=0) for x in priced], 0
        )
    else:  # the returned units pay for part of it: a discount of their value
        off = credit if order.prices_include_tax else credit * draft.subtotal // worth
        data = _replacement(order, ret, priced, discount=min(off, draft.subtotal))
    with db.uow() as uow:
        ret = load_return(uow, number, lock=True)
        _move(
            uow,
            ret,
            S.EXCHANGED,
            actor,
            "Exchange: a replacement order is placed",
            {"resolution": Resolution.EXCHANGE.value},
        )
        uow.commit()
    try:
        placed = place_order(db.uow(), data, actor=actor).order
    except Exception as e:
        why = e.detail if isinstance(e, OmsError) else type(e).__name__
        _undo(db, number, actor, f"Exchange failed: {why}", resolution=True)
        raise
    charged = placed.total_amount
    difference = max(min(credit, cash) - worth, 0)
    problems: list[str] = []
    refunded = 0
    if difference > 0:
        with db.reader() as uow:
            found = payments_of(uow, order.id)
        refunded, problems = _refund_payments(
            db, gateways, found, difference, actor=actor, reason=f"exchange {number}: difference"
        )
        left = difference - refunded
        if left > 0:
            problems.append(
                f"{Money(left, order.currency).format()} of the difference could not be "
                "refunded: give it as store credit"
            )
    with db.uow() as uow:
        ret = load_return(uow, number, lock=True)
        uow.conn.execute(
            returns.update()
            .where(_r.id == ret.id)
            .values(exchange_order_number=placed.number, refund_amount=refunded)
        )
        text = f"Replacement order {placed.number}"
        if charged:
            text += f": {ret.money(charged).format()} to pay (worth more than the return)"
        if refunded:
            text += f"; difference refunded: {ret.money(refunded).format()}"
        _log(uow, ret.id, actor, None, None, text, {"order": placed.number})
        write_event(
            uow,
            ret.order_id,
            actor,
            "return_exchanged",
            None,
            None,
            f"Return {number}: replaced by {placed.number}",
            {"return": number, "replacement": placed.number},
        )
        write_event(
            uow,
            placed.id,
            actor,
            "replacement",
            None,
            None,
            f"Replacement for return {number} of {ret.order_number}",
            {"return": number, "original": ret.order_number},
        )
        uow.record(
            Event(
                "return.exchanged",
                {
                    "number": number,
                    "order": ret.order_number,
                    "replacement": placed.number,
                    "charged": charged,
                    "refunded": refunded,
                    "currency": ret.currency,
                },
                f"return:{number}",
            )
        )
        found_ret = load_return(uow, number)
        uow.commit()
    with db.reader() as uow:
        replacement = load_order(uow, placed.id)
    return Exchanged(found_ret, replacement, credit, charged, refunded, problems)


def _replacement(order: Order, ret: Return, lines: list[LineInput], discount: int) -> OrderInput:
    address = order.shipping_address or order.billing_address
    return OrderInput(
        channel=order.channel,
        email=order.email,
        currency=order.currency,
        lines=lines,
        billing_address=PostalAddress(**_address(order.billing_address)),
        shipping_address=None if order.pickup_location else PostalAddress(**_address(address)),
        pickup_location=order.pickup_location,
        external_id=ret.number,  # the channel's unique external id: one replacement per return
        locale=order.locale,
        discount=discount,
        shipping_amount=0,
        shipping_service=order.shipping_service,
        notes=f"Replacement for return {ret.number} of order {order.number}",
        tags=["exchange"],
        special_codes=[SpecialCode.REPLACEMENT],
    )


def _address(data: dict[str, Any]) -> dict[str, Any]:
    known = set(PostalAddress.__dataclass_fields__)
    return {k: v for k, v in data.items() if k in known}


# ---------------------------------------------------------------- shared steps


def _move(
    uow: UnitOfWork,
    ret: Return,
    to: ReturnStatus,
    actor: str,
    text: str,
    values: dict[str, Any],
    *,
    data: dict[str, Any] | None = None,
) -> None:
    check_return_transition(ret.number, ret.status, to)
    done = uow.conn.execute(
        returns.update()
        .where(_r.id == ret.id, _r.version == ret.version)
        .values(status=to.value, updated_at=clock.now(), version=_r.version + 1, **values)
    )
    if done.rowcount != 1:  # someone else moved it since it was read
        raise IllegalReturnTransition(
            f"Return {ret.number} was changed meanwhile; reload it.", number=ret.number
        )
    _log(uow, ret.id, actor, ret.status, to, text, data or {})
    if to is not ret.status:
        uow.record(
            Event(
                "return.status_changed",
                {
                    "number": ret.number,
                    "order": ret.order_number,
                    "from": ret.status.value,
                    "to": to.value,
                },
                f"return:{ret.number}",
            )
        )


def _log(
    uow: UnitOfWork,
    return_id: int,
    actor: str,
    before: ReturnStatus | None,
    after: ReturnStatus | None,
    text: str,
    data: dict[str, Any],
) -> None:
    uow.conn.execute(
        return_events.insert().values(
            return_id=return_id,
            at=clock.now(),
            actor=actor,
            from_status=before.value if before else None,
            to_status=after.value if after else None,
            text=text,
            data=data,
        )
    )


def _undo(db: Database, number: str, actor: str, text: str, *, resolution: bool) -> None:
    """A resolution's call failed: the return waits for a decision again (inspected)."""
    with db.uow() as uow:
        ret = load_return(uow, number, lock=True)
        uow.conn.execute(
            returns.update()
            .where(_r.id == ret.id)
            .values(
                status=S.INSPECTED.value,
                resolution=None if resolution else ret.resolution,
                refund_amount=0,
                store_credit_code=None,
                updated_at=clock.now(),
                version=_r.version + 1,
            )
        )
        _log(uow, ret.id, actor, ret.status, S.INSPECTED, text, {})
        uow.commit()


def refundable_now(uow: UnitOfWork, number: str) -> int:
    """What the order's payments can still give back (for the console's refund form)."""
    with uow:
        ret = load_return(uow, number)
        return sum(max(p.refundable, 0) for p in payments_of(uow, ret.order_id))


# ---------------------------------------------------------------- the label as a PDF


def label_pdf(uow: UnitOfWork, number: str) -> bytes:
    """The return label of an approved return sent back by parcel: from the customer to the
    return location, with the return's tracking number as a Code128.

    Raises: ReturnNotFound, NotReturnable (no label: brought to a store, or not approved).
    """
    from openoms.fulfillment import documents
    from openoms.fulfillment.services.paperwork import location_party, party_of

    with uow:
        ret = load_return(uow, number)
        if not ret.tracking_number or ret.status in (S.REQUESTED, S.REJECTED):
            raise NotReturnable(
                f"Return {number} has no return label (it is {ret.status.value.replace('_', ' ')}"
                f"{', brought to a store' if ret.method is ReturnMethod.IN_STORE else ''}).",
                number=number,
            )
        order = load_order(uow, ret.order_id)
        to = location_party(uow, return_location(uow, ret), f"Returns — {ret.number}")
        carriers = {
            c.code: c for c in fulfilment_setup.carriers_in_transaction(uow, active_only=False)
        }
        services = {
            s.code: s for s in fulfilment_setup.services_in_transaction(uow, active_only=False)
        }
        weight = _weight_g(uow, ret)
    carrier = carriers.get(ret.carrier or "")
    service = services.get(ret.service or "")
    return documents.shipping_label_pdf(
        documents.LabelData(
            tracking_number=ret.tracking_number,
            carrier=carrier.name if carrier else (ret.carrier or ""),
            service=(service.name if service else (ret.service or "")) + " — RETURN",
            ship_from=party_of(order.shipping_address or order.billing_address),
            ship_to=to,
            weight=f"{weight / 1000:.2f} kg (estimated)",
            package="1 of 1",
            order_number=ret.order_number,
            ship_date=ret.updated_at.date().isoformat(),
            reference=ret.number,
        )
    )


# ---------------------------------------------------------------- carrier scans of return labels

_MOVING = frozenset(
    {ShipmentStatus.ACCEPTED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY}
)


def record_carrier_scans(
    uow: UnitOfWork, scans: list[tracking.ScanIn], source: str, actor: str
) -> set[str]:
    """Scans of return labels, inside the caller's transaction: the first one that moves the
    parcel puts an approved return in transit; each scan goes on the return's timeline
    once (a delivered parcel still waits for staff to receive it). Returns the tracking
    numbers that are return labels."""
    numbers = sorted({s.tracking_number for s in scans})
    owners = dict(
        uow.conn.execute(
            sa.select(_r.tracking_number, _r.number).where(_r.tracking_number.in_(numbers))
        ).all()
    )
    for scan in sorted(scans, key=lambda s: s.at):
        number = owners.get(scan.tracking_number)
        if number is None:
            continue
        ret = load_return(uow, number, lock=True)
        key = f"{scan.status.value}@{scan.at.isoformat()}"
        if any(e.data.get("scan") == key for e in ret.events):
            continue  # the same scan again
        what = scan.status.value.replace("_", " ")
        text = f"Carrier ({source}): {what}" + (f" at {scan.location}" if scan.location else "")
        if ret.status is S.APPROVED and (
            scan.status in _MOVING or scan.status is ShipmentStatus.DELIVERED
        ):
            _move(uow, ret, S.IN_TRANSIT, actor, text, {}, data={"scan": key})
        else:
            _log(uow, ret.id, actor, None, None, text, {"scan": key})
    return set(owners)


tracking.register_other_parcels("returns", record_carrier_scans)
