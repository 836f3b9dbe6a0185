"""Payments on the order page: add a payment, capture, record money received, void and
refund. Each calls the payments service the API calls; what the service refuses comes back
to the order as an error message, and nothing moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from openoms.console.orders import check_in_scope, order_action
from openoms.console.pages import page, user_of
from openoms.console.payment_panel import ADDABLE, AWAITING
from openoms.identity.model import Permission as P
from openoms.orders import queries
from openoms.payments.model import (
    GatewayUnavailable,
    PaymentMethod,
    PaymentNotFound,
    PaymentState,
)
from openoms.payments.services import operations, order_payments
from openoms.payments.services.operations import PaymentInput
from openoms.payments.services.records import Payment, load_payment
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money

router = APIRouter(include_in_schema=False)  # pages, not API

Amount = Annotated[str, Form(max_length=30)]
Reason = Annotated[str, Form(max_length=2000)]


@router.post("/orders/{number}/payments", dependencies=[page(P.ORDERS_EDIT)])
def add_payment(
    request: Request,
    number: str,
    method: Annotated[str, Form(max_length=30)] = "",
    token: Annotated[str, Form(max_length=120)] = "",
    amount: Amount = "",
) -> Response:
    """Take a payment for the order: a bank transfer or cash on delivery then waits for its
    money; a card (by its token) is authorized now."""
    db, gateways = request.app.state.db, request.app.state.gateways

    def pay() -> Payment:
        chosen = _method(method)
        currency = queries.get_order(db.reader(), number).currency
        data = PaymentInput(
            chosen,
            token=token.strip() or None,
            amount=_amount(amount, currency),
        )
        return order_payments.pay_order(db, gateways, number, data, actor=user_of(request).actor)

    return order_action(request, number, "Payment", pay, said=_added)


def _method(text: str) -> PaymentMethod:
    """Raises: ValidationFailed."""
    choices = ", ".join(m.value.replace("_", " ") for m in ADDABLE)
    try:
        method = PaymentMethod(text)
    except ValueError:
        raise ValidationFailed.single("method", f"choose one of {choices}") from None
    if method not in ADDABLE:
        raise ValidationFailed.single("method", f"choose one of {choices}")
    return method


def _added(p: Payment) -> str | tuple[str, str]:
    money = p.money(p.amount).format()
    if p.state is PaymentState.FAILED:
        why = p.message or p.decline_code or "declined"
        return "error", f"Payment of {money} on {p.describe()} declined: {why}"
    if p.state is PaymentState.PENDING:
        return "info", (
            f"Payment of {money} on {p.describe()} is pending: the gateway has not answered "
            "yet; it is asked again shortly."
        )
    if p.state is PaymentState.AWAITING_FUNDS:
        return f"Added {p.describe()} of {money}: awaiting the money."
    verb = "Captured" if p.state is PaymentState.CAPTURED else "Authorized"
    return f"{verb} {money} on {p.describe()}"


@router.post(
    "/orders/{number}/payments/{payment_id}/capture", dependencies=[page(P.PAYMENTS_CAPTURE)]
)
def capture(
    request: Request, number: str, payment_id: int, amount: Amount = "", reason: Reason = ""
) -> Response:
    """Capture part or all (blank amount) of an authorization, or record money received
    for a bank transfer, cash on delivery or invoice."""
    payment = _payment_of(request, number, payment_id)
    db, gateways = request.app.state.db, request.app.state.gateways
    received = not payment.method.online
    action = "Recording the money" if received else "Capture"

    def take() -> int:
        wanted = _amount(amount, payment.currency)
        _gateway_call(
            "capture",
            lambda: operations.capture(
                db, gateways, payment.id, wanted, actor=user_of(request).actor, reason=reason
            ),
        )
        return payment.capturable if wanted is None else wanted

    def said(taken: int) -> str:
        money = payment.money(taken).format()
        if received:
            return f"Recorded {money} received by {payment.describe()}"
        return f"Captured {money} on {payment.describe()}"

    return order_action(request, number, action, take, said=said)


@router.post("/orders/{number}/payments/{payment_id}/void", dependencies=[page(P.PAYMENTS_CAPTURE)])
def void(request: Request, number: str, payment_id: int, reason: Reason = "") -> Response:
    """Release what is authorized and not captured; for a bank transfer, cash on delivery
    or invoice: stop waiting for the money."""
    payment = _payment_of(request, number, payment_id)
    db, gateways = request.app.state.db, request.app.state.gateways
    release = payment.authorized - payment.captured

    def cancel() -> Payment:
        return _gateway_call(
            "void",
            lambda: operations.void(
                db, gateways, payment.id, actor=user_of(request).actor, reason=reason
            ),
        )

    def said(_done: Payment) -> str:
        if not payment.method.online and payment.state in AWAITING:
            return f"Stopped waiting for {payment.money(release).format()} by {payment.describe()}"
        return f"Voided {payment.money(release).format()} on {payment.describe()}"

    return order_action(request, number, "Void", cancel, said=said)


@router.post(
    "/orders/{number}/payments/{payment_id}/refund", dependencies=[page(P.PAYMENTS_REFUND)]
)
def refund(
    request: Request, number: str, payment_id: int, amount: Amount = "", reason: Reason = ""
) -> Response:
    """Give back part or all (blank amount) of what was captured, never more."""
    payment = _payment_of(request, number, payment_id)
    db, gateways = request.app.state.db, request.app.state.gateways

    def give() -> int:
        wanted = _amount(amount, payment.currency)
        _gateway_call(
            "refund",
            lambda: operations.refund(
                db, gateways, payment.id, wanted, actor=user_of(request).actor, reason=reason
            ),
        )
        return payment.refundable if wanted is None else wanted

    def said(given: int) -> str:
        return f"Refunded {payment.money(given).format()} on {payment.describe()}"

    return order_action(request, number, "Refund", give, said=said)


def _amount(text: str, currency: str) -> int | None:
    """A form's amount in minor units; blank: None (all). Raises: ValidationFailed."""
    if not text.strip():
        return None
    minor = Money.parse(text.strip(), currency, field="amount").amount_minor
    if minor <= 0:
        raise ValidationFailed.single("amount", "must be greater than zero")
    return minor


def _payment_of(request: Request, number: str, payment_id: int) -> Payment:
    """The payment of the path, when the user sees the order and it is the order's.

    Raises: OrderNotFound, PaymentNotFound.
    """
    check_in_scope(request, number)
    with request.app.state.db.reader() as uow:
        payment = load_payment(uow, payment_id)
    if payment.order_number != number:
        raise PaymentNotFound(f"Order {number} has no payment {payment_id}.", id=payment_id)
    return payment


def _gateway_call(movement: str, call: Callable[[], Payment]) -> Payment:
    """Run a money movement; an unreachable gateway leaves it pending, and says so."""
    try:
        return call()
    except GatewayUnavailable as e:
        raise GatewayUnavailable(
            f"{e.detail} The {movement} is pending and is asked again shortly."
        ) from e
