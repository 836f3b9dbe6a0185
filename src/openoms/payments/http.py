"""Payments API: an order's payments and their transactions; capture, void, refund; the
test card gateway's tokenizer (what a shop's checkout does with a real provider)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from openoms.identity.model import Permission as P
from openoms.orders.http import OrderNumber
from openoms.orders.queries import load_order, order_id_of
from openoms.payments.gateways import Gateways
from openoms.payments.giftcards import GiftCardGateway
from openoms.payments.model import PaymentNotFound
from openoms.payments.schemas import (
    AmountIn,
    CardTokenOut,
    GiftCardIn,
    GiftCardOut,
    PaymentIn,
    PaymentOut,
    TestCardIn,
    VoidIn,
    parse_amount,
)
from openoms.payments.services import operations, order_payments
from openoms.payments.services.records import Payment, load_payment, payments_of
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from openoms.web.auth import permit
from openoms.web.deps import Actor, DbDep, GatewaysDep, ReadUow

router = APIRouter(tags=["payments"])


@router.post(
    "/payments/test-card/tokens",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.ORDERS_CREATE)],
)
def tokenize_test_card(body: TestCardIn, gateways: GatewaysDep) -> CardTokenOut:
    """Check a card with the built-in test card gateway and get its token (see
    docs/payments.md for the card numbers that decline)."""
    gateway = gateways.test_card
    if gateway is None:
        raise ValidationFailed.single("gateway", "the test card gateway is switched off here")
    return CardTokenOut.of(gateway.tokenize(body.to_input()))


@router.get("/orders/{number}/payments", dependencies=[permit(P.ORDERS_VIEW)])
def list_payments(number: OrderNumber, uow: ReadUow) -> list[PaymentOut]:
    with uow:
        return [PaymentOut.of(p) for p in payments_of(uow, order_id_of(uow, number))]


@router.post(
    "/orders/{number}/payments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.ORDERS_EDIT)],
)
def add_payment(
    number: OrderNumber, body: PaymentIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> PaymentOut:
    """Take a payment for the order: a card or PayPal is authorized now (and captured when
    the channel captures at placement); an offline method waits for its money. A decline
    answers 201 with the failed payment and puts the order on hold (reason ``payment``); an
    approved payment releases an order held for payment."""
    with db.reader() as uow:
        currency = load_order(uow, order_id_of(uow, number)).currency
    data = body.to_input(currency)
    return PaymentOut.of(order_payments.pay_order(db, gateways, number, data, actor=actor))


def order_payment(number: OrderNumber, payment_id: int, db: DbDep) -> Payment:
    """The payment of the path, when it belongs to the order of the path."""
    with db.reader() as uow:
        payment = load_payment(uow, payment_id)
    if payment.order_number != number:
        raise PaymentNotFound(f"Order {number} has no payment {payment_id}.", id=payment_id)
    return payment


OrderPayment = Annotated[Payment, Depends(order_payment)]


@router.get("/orders/{number}/payments/{payment_id}", dependencies=[permit(P.ORDERS_VIEW)])
def get_payment(payment: OrderPayment) -> PaymentOut:
    return PaymentOut.of(payment)


@router.post(
    "/orders/{number}/payments/{payment_id}/capture", dependencies=[permit(P.PAYMENTS_CAPTURE)]
)
def capture_payment(
    payment: OrderPayment, body: AmountIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> PaymentOut:
    """Capture part or all of an authorization, or record money received for a bank
    transfer, cash on delivery or invoice."""
    amount = parse_amount(body.amount, payment.currency, "amount")
    done = operations.capture(db, gateways, payment.id, amount, actor=actor, reason=body.reason)
    return PaymentOut.of(done)


@router.post(
    "/orders/{number}/payments/{payment_id}/void", dependencies=[permit(P.PAYMENTS_CAPTURE)]
)
def void_payment(
    payment: OrderPayment, body: VoidIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> PaymentOut:
    return PaymentOut.of(operations.void(db, gateways, payment.id, actor=actor, reason=body.reason))


@router.post(
    "/orders/{number}/payments/{payment_id}/refund", dependencies=[permit(P.PAYMENTS_REFUND)]
)
def refund_payment(
    payment: OrderPayment, body: AmountIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> PaymentOut:
    """Refund part or all of what was captured (never more)."""
    amount = parse_amount(body.amount, payment.currency, "amount")
    done = operations.refund(db, gateways, payment.id, amount, actor=actor, reason=body.reason)
    return PaymentOut.of(done)


# --- gift cards and store credit ---------------------------------------------------------


def _gift_cards(gateways: Gateways) -> GiftCardGateway:
    found = gateways.gift_cards
    if found is None:  # always configured by bootstrap; a test app may leave it out
        raise ValidationFailed.single("gateway", "gift cards are not configured here")
    return found


@router.post(
    "/gift-cards", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.FINANCE_MANAGE)]
)
def issue_gift_card(body: GiftCardIn, gateways: GatewaysDep, actor: Actor) -> GiftCardOut:
    """A gift card, or store credit for a customer, with its amount; the code is generated.
    It pays like a card: ``{"method": "gift_card", "token": "<code>"}``."""
    amount = Money.parse(body.amount, body.currency.upper(), field="amount")
    card = _gift_cards(gateways).issue(
        amount,
        issued_by=actor,
        customer=body.customer,
        expires_on=body.expires_on,
        note=body.note,
    )
    return GiftCardOut.of(card)


@router.get("/gift-cards", dependencies=[permit(P.FINANCE_VIEW)])
def list_gift_cards(
    gateways: GatewaysDep,
    customer: Annotated[
        str | None, Query(pattern=r"^CUS-\d{6,18}$", description="store credit of a customer")
    ] = None,
) -> list[GiftCardOut]:
    return [GiftCardOut.of(c) for c in _gift_cards(gateways).cards(customer=customer)]


@router.get("/gift-cards/{code}", dependencies=[permit(P.ORDERS_VIEW)])
def get_gift_card(code: str, gateways: GatewaysDep) -> GiftCardOut:
    """A card's balance (customer service answers "how much is left on my card?")."""
    return GiftCardOut.of(_gift_cards(gateways).card(code))


@router.post("/gift-cards/{code}/deactivate", dependencies=[permit(P.FINANCE_MANAGE)])
def deactivate_gift_card(code: str, gateways: GatewaysDep) -> GiftCardOut:
    """Lost or stolen: nothing more can be paid with it; holds already made stand."""
    return GiftCardOut.of(_gift_cards(gateways).deactivate(code))
