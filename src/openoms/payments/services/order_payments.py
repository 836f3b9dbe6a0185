"""Payments as part of an order's life: paying at placement, a declined card putting the
order on hold, a new card releasing it, cancelling that voids or refunds, and capturing
what a shipment sends."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from openoms.channels import services as channels
from openoms.infra.db import Database, UnitOfWork
from openoms.orders import lifecycle, placement
from openoms.orders.model import HoldReason, Order, OrderStatus
from openoms.orders.queries import load_order, order_id_of
from openoms.payments.fraud import Decision, Screening
from openoms.payments.gateways import Gateways
from openoms.payments.model import (
    CapturePolicy,
    GatewayUnavailable,
    ImpossiblePaymentCall,
    PaymentMethod,
    PaymentNotAllowed,
    PaymentState,
    UnknownPayment,
)
from openoms.payments.services import operations, screening
from openoms.payments.services.operations import PaymentInput
from openoms.payments.services.records import Payment, payments_of
from openoms.payments.services.screening import Client
from openoms.shared.errors import OmsError
from openoms.shared.events import Event

log = structlog.get_logger()

HOLDABLE = (
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
)


def pay_order(
    db: Database, gateways: Gateways, number: str, data: PaymentInput, *, actor: str
) -> Payment:
    """Take a payment for an order (at placement, or a new card after a decline).

    A declined payment puts the order on hold (reason ``payment``); an approved one releases
    an order held for payment; a channel that captures at placement captures at once.
    Raises: as ``operations.start_payment``.
    """
    if data.method is PaymentMethod.INVOICE:
        _check_on_terms(db, number)
    payment = operations.start_payment(db, gateways, number, data, actor=actor)
    if payment.state is PaymentState.FAILED:
        _hold_for_payment(db, number, payment, actor=actor)
    elif payment.state is PaymentState.AUTHORIZED:
        with db.reader() as uow:
            order = load_order(uow, payment.order_id)
            channel = channels.get_in_transaction(uow, order.channel)
        if channel.spec.payment_capture is CapturePolicy.AT_PLACEMENT:
            try:
                payment = operations.capture(
                    db, gateways, payment.id, None, actor=actor, reason="captured at placement"
                )
            except (GatewayUnavailable, ImpossiblePaymentCall, UnknownPayment) as e:
                log.warning("payments.capture_at_placement_failed", order=number, error=e.detail)
        _release_payment_hold(db, number, actor=actor)
    return payment


def _check_on_terms(db: Database, number: str) -> None:
    """Raises: PaymentNotAllowed (the customer buys for no company)."""
    from openoms.receivables.services.companies import company_of_customer

    with db.reader() as uow:
        order = load_order(uow, order_id_of(uow, number))
        if company_of_customer(uow, order.customer_id) is None:
            raise PaymentNotAllowed(
                f"Payment on terms is for company customers; {order.email} is no company's "
                "contact.",
                number=number,
            )


def place(
    db: Database,
    gateways: Gateways,
    data: placement.OrderInput,
    payment: PaymentInput | None,
    client: Client | None = None,
    *,
    actor: str,
) -> placement.Placed:
    """Place an order and do what follows a new one (:func:`after_placement`).

    An order with nothing to pay now is screened inside its placement's transaction (one
    commit, not two); the decision is acted on after it commits, as ever. An order with a
    payment is paid first and screened after, so the screening sees the card's checks.

    Raises: what ``placement.place_order`` raises.
    """
    if payment is not None:
        placed = placement.place_order(db.uow(), data, actor=actor)
        order = after_placement(
            db, gateways, placed.order, payment, client, created=placed.created, actor=actor
        )
        return placement.Placed(order, placed.created)
    screen = screening.ScreenAtPlacement(client or Client(), actor)
    placed = placement.place_order(db.uow(), data, actor=actor, on_placement=screen)
    found = placed.checked
    if not isinstance(found, Screening) or found.decision is Decision.ACCEPT:
        return placed  # not screened (sent before, or a till), or nothing to act on
    screening.act_on(db, gateways, placed.order, found, actor=actor)
    with db.reader() as uow:
        return placement.Placed(load_order(uow, placed.order.id), created=True)


def after_placement(
    db: Database,
    gateways: Gateways,
    order: Order,
    data: PaymentInput | None,
    client: Client | None = None,
    *,
    created: bool = True,
    actor: str,
) -> Order:
    """What follows a new order: the payment that came with it, then fraud screening (which
    sees the card's AVS and CVC results). A channel that sends the same order again gets no
    second payment and no second screening. Returns the order as it is now."""
    if not created:
        # sent again: paid and screened the first time, unless the first attempt stopped
        # before its payment was recorded
        if data is not None:
            with db.reader() as uow:
                unpaid = not payments_of(uow, order.id)
            if unpaid:
                pay_order(db, gateways, order.number, data, actor=actor)
                with db.reader() as uow:
                    return load_order(uow, order.id)
        return order
    paid = data is not None
    if data is not None:
        pay_order(db, gateways, order.number, data, actor=actor)
        if data.method is PaymentMethod.INVOICE:
            from openoms.receivables.services.companies import check_credit

            check_credit(db, order.number, actor=actor)
        with db.reader() as uow:
            order = load_order(uow, order.id)
    found = screening.screen_order(db, gateways, order, client or Client(), actor=actor, paid=paid)
    if not paid and (found is None or found.decision is Decision.ACCEPT):
        return order  # nothing changed since it was placed
    with db.reader() as uow:
        return load_order(uow, order.id)


def _hold_for_payment(db: Database, number: str, payment: Payment, *, actor: str) -> None:
    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, number))
        if order.status not in HOLDABLE:
            return
        lifecycle.hold_in_transaction(
            uow,
            order,
            HoldReason.PAYMENT,
            actor=actor,
            note=f"payment declined: {payment.message or payment.decline_code}",
        )
        uow.commit()


def _release_payment_hold(db: Database, number: str, *, actor: str) -> None:
    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, number))
        if order.status is not OrderStatus.ON_HOLD or order.hold_reason != HoldReason.PAYMENT:
            return
        lifecycle.release_in_transaction(uow, order, actor=actor, note="payment authorized")
        uow.commit()


@dataclass(frozen=True)
class Settled:
    order: Order
    problems: list[str]  # payments that could not be settled now (the worker goes on)


def cancel_order(
    db: Database, gateways: Gateways, number: str, *, actor: str, reason: str
) -> Settled:
    """Cancel the order, then void what is authorized and refund what was captured.

    Raises: OrderNotFound, IllegalOrderTransition, ValidationFailed.
    """
    order = lifecycle.cancel_order(db.uow(), number, actor=actor, reason=reason)
    problems = []
    with db.reader() as uow:
        found = payments_of(uow, order.id)
    for payment in found:
        why = f"order cancelled: {reason}"
        try:
            if payment.voidable or payment.state in (
                PaymentState.AWAITING_FUNDS,
                PaymentState.PARTIALLY_PAID,
            ):
                operations.void(db, gateways, payment.id, actor=actor, reason=why)
            if payment.refundable > 0:
                operations.refund(db, gateways, payment.id, None, actor=actor, reason=why)
        except GatewayUnavailable:
            problems.append(f"{payment.describe()}: the gateway is unreachable; retried later")
        except (ImpossiblePaymentCall, UnknownPayment, PaymentNotAllowed) as e:
            problems.append(f"{payment.describe()}: {e.detail}")
    with db.reader() as uow:
        return Settled(load_order(uow, order.id), problems)


def capture_shipped(
    db: Database, gateways: Gateways, number: str, amount: int, *, actor: str
) -> int:
    """Capture ``amount`` (what a shipment sends, in the order's currency) from the order's
    card and wallet authorizations, oldest first. Offline methods are not touched (cash is
    collected at delivery, invoices are paid on terms). Returns the amount captured.

    Raises: OrderNotFound.
    """
    with db.reader() as uow:
        found = payments_of(uow, order_id_of(uow, number))
    left = amount
    for payment in found:
        if left <= 0:
            break
        if not payment.method.online or payment.capturable <= 0:
            continue
        take = min(left, payment.capturable)
        try:
            operations.capture(db, gateways, payment.id, take, actor=actor, reason="shipment")
        except GatewayUnavailable:
            pass  # the capture is recorded as pending: the worker completes it
        except OmsError as e:
            log.warning("payments.capture_at_shipment_failed", order=number, error=e.detail)
            with db.uow() as uow:  # finance must act: a new authorization, or chase it
                uow.record(
                    Event(
                        "alert.capture_failed",
                        {
                            "order": number,
                            "payment": payment.id,
                            "amount": take,
                            "reason": e.detail,
                        },
                        f"order:{number}",
                    )
                )
                uow.commit()
            continue
        left -= take
    return amount - left


def collect_cash_in_transaction(
    uow: UnitOfWork, order_id: int, amount: int, *, actor: str, reference: str
) -> int:
    """Cash on delivery handed over at the door (a delivered shipment) or at the counter (a
    pickup): up to ``amount`` is recorded as received on the order's cash-on-delivery
    payments, inside the caller's transaction. Returns what was recorded."""
    left = amount
    for payment in payments_of(uow, order_id):
        if left <= 0:
            break
        if payment.method is not PaymentMethod.CASH_ON_DELIVERY or payment.capturable <= 0:
            continue
        take = min(left, payment.capturable)
        operations.receive_in_transaction(
            uow, payment.id, take, actor=actor, reason=f"cash collected, {reference}"
        )
        left -= take
    return amount - left
