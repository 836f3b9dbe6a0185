"""What the payment tests share: an order to pay, gateways over the test database, and a
gateway that loses its answers."""

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum import luhn

from openoms.infra.db import Database
from openoms.orders.model import Order
from openoms.orders.placement import LineInput, place_order
from openoms.payments.gateway_state import SqlGatewayState
from openoms.payments.gateways import Gateways
from openoms.payments.giftcards import GiftCardGateway
from openoms.payments.model import (
    Authorization,
    GatewayPayment,
    GatewayUnavailable,
    PaymentMethod,
)
from openoms.payments.services.operations import PaymentInput
from openoms.payments.testcard import CardInput, TestCardGateway
from openoms.shared.money import Money
from tests.builders import make_channel, make_location, make_sku, stock
from tests.integration.test_orders import _order

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
EXPIRES_AT_ONCE = "4000000000009987"


def fresh_card_number() -> str:
    """A valid Visa number no other test uses (its own fingerprint for velocity rules)."""
    body = "4" + "".join(random.choice("0123456789") for _ in range(14))
    return body + luhn.calc_check_digit(body)


def gateways_for(db: Database) -> Gateways:
    state = SqlGatewayState(db.engine)
    return Gateways({"test_card": TestCardGateway(state), "gift_card": GiftCardGateway(state)})


def gift_card(gateways: Gateways, amount: int) -> PaymentInput:
    cards = gateways.gift_cards
    assert cards is not None
    card = cards.issue(Money(amount, "EUR"), issued_by="test")
    return PaymentInput(PaymentMethod.GIFT_CARD, token=card.code.lower())


def card(gateways: Gateways, number: str = APPROVE) -> PaymentInput:
    gateway = gateways.test_card
    assert gateway is not None
    token = gateway.tokenize(CardInput(number, 12, 2099, "123"))
    return PaymentInput(PaymentMethod.CARD, token=token.token)


@dataclass
class Placed:
    order: Order
    channel: str


def an_order(
    db: Database, *, unit_price: int = 5000, quantity: int = 2, **channel: object
) -> Placed:
    """An order of ``quantity`` × ``unit_price`` (tax included), stock reserved."""
    code = make_channel(db, **channel)  # type: ignore[arg-type]
    sku, location = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, location, 50)
    placed = place_order(db.uow(), _order(code, LineInput(sku, quantity, unit_price)), actor="test")
    return Placed(placed.order, code)


class LosingGateway:
    """Does what it is asked, then loses the answer (a timeout) the first ``times`` calls:
    the caller cannot know whether money moved."""

    name = "test_card"

    def __init__(self, inner: TestCardGateway, times: int = 1) -> None:
        self.inner = inner
        self.times = times
        self.calls: list[tuple[str, str]] = []  # (call, idempotency key)

    def _lose(self) -> None:
        if self.times > 0:
            self.times -= 1
            raise GatewayUnavailable("The gateway timed out.")

    def authorize(self, token: str, amount: Money, *, idempotency_key: str) -> Authorization:
        self.calls.append(("authorize", idempotency_key))
        answer = self.inner.authorize(token, amount, idempotency_key=idempotency_key)
        self._lose()
        return answer

    def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        self.calls.append(("capture", idempotency_key))
        answer = self.inner.capture(reference, amount, idempotency_key=idempotency_key)
        self._lose()
        return answer

    def void(self, reference: str, *, idempotency_key: str) -> GatewayPayment:
        self.calls.append(("void", idempotency_key))
        answer = self.inner.void(reference, idempotency_key=idempotency_key)
        self._lose()
        return answer

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        self.calls.append(("refund", idempotency_key))
        answer = self.inner.refund(reference, amount, idempotency_key=idempotency_key)
        self._lose()
        return answer

    def status(self, reference: str) -> GatewayPayment:
        return self.inner.status(reference)
