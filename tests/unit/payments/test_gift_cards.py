"""Gift cards: the balance is the funds; holds take it, voids and refunds give it back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from openoms.payments.giftcards import (
    GiftCardExists,
    GiftCardGateway,
    GiftCardNotFound,
    normalize_code,
)
from openoms.payments.model import AuthorizationStatus, ImpossiblePaymentCall, UnknownPayment
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def gateway() -> GiftCardGateway:
    return GiftCardGateway()


def test_a_hold_takes_the_amount_off_the_balance_and_a_void_gives_back_the_rest(
    gateway: GiftCardGateway,
) -> None:
    card = gateway.issue(eur(5000), issued_by="fin")
    held = gateway.authorize(card.code, eur(3000), idempotency_key="k1")
    assert held.approved
    assert gateway.card(card.code).balance == 2000
    assert held.reference is not None
    gateway.capture(held.reference, eur(1000), idempotency_key="k2")
    voided = gateway.void(held.reference, idempotency_key="k3")
    assert voided.status is AuthorizationStatus.VOIDED
    assert gateway.card(card.code).balance == 4000  # 2000 left + 2000 released


def test_a_refund_goes_back_onto_the_card(gateway: GiftCardGateway) -> None:
    card = gateway.issue(eur(5000), issued_by="fin")
    held = gateway.authorize(card.code, eur(5000), idempotency_key="k1")
    assert held.reference is not None
    gateway.capture(held.reference, eur(5000), idempotency_key="k2")
    assert gateway.card(card.code).balance == 0
    gateway.refund(held.reference, eur(1250), idempotency_key="k3")
    assert gateway.card(card.code).balance == 1250
    with pytest.raises(ImpossiblePaymentCall):
        gateway.refund(held.reference, eur(3751), idempotency_key="k4")


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("spent", "insufficient_balance"),
        ("inactive", "gift_card_inactive"),
        ("expired", "gift_card_expired"),
        ("dollars", "currency_mismatch"),
    ],
)
def test_a_card_that_cannot_pay_declines(gateway: GiftCardGateway, setup: str, code: str) -> None:
    expires = NOW.date() + timedelta(days=1)
    card = gateway.issue(eur(1000), issued_by="fin", expires_on=expires)
    amount = eur(1000)
    if setup == "spent":
        amount = eur(1001)
    elif setup == "inactive":
        gateway.deactivate(card.code)
    elif setup == "dollars":
        amount = Money(1000, "USD")
    with clock.frozen(NOW + timedelta(days=2 if setup == "expired" else 0)):
        answer = gateway.authorize(card.code, amount, idempotency_key="k")
    assert (answer.approved, answer.decline_code) == (False, code)
    if setup != "inactive":
        assert gateway.card(card.code).balance == 1000


def test_the_same_key_holds_once(gateway: GiftCardGateway) -> None:
    card = gateway.issue(eur(1000), issued_by="fin")
    first = gateway.authorize(card.code, eur(600), idempotency_key="same")
    again = gateway.authorize(card.code, eur(600), idempotency_key="same")
    assert first == again
    assert gateway.card(card.code).balance == 400


def test_codes_are_read_as_people_type_them(gateway: GiftCardGateway) -> None:
    card = gateway.issue(eur(1000), issued_by="fin", code="gc 7k2m x9qa 44bd")
    assert card.code == "GC-7K2M-X9QA-44BD"
    assert normalize_code("7K2MX9QA44BD") == card.code
    assert gateway.card("gc-7k2m-x9qa-44bd").balance == 1000
    with pytest.raises(GiftCardExists):
        gateway.issue(eur(1), issued_by="fin", code=card.code)
    with pytest.raises(GiftCardNotFound):
        gateway.card("GC-AAAA-BBBB-CCCC")
    with pytest.raises(UnknownPayment):
        gateway.authorize("GC-AAAA-BBBB-CCCC", eur(1), idempotency_key="x")


def test_issuing_needs_a_positive_amount_and_a_future_date(gateway: GiftCardGateway) -> None:
    with pytest.raises(ValidationFailed) as e:
        gateway.issue(eur(0), issued_by="fin", expires_on=date(2020, 1, 1))
    assert {err.field for err in e.value.errors} == {"amount", "expires_on"}


def test_store_credit_belongs_to_a_customer(gateway: GiftCardGateway) -> None:
    gateway.issue(eur(1500), issued_by="cs", customer="CUS-000042", note="late delivery")
    gateway.issue(eur(500), issued_by="cs")
    mine = gateway.cards(customer="CUS-000042")
    assert [(c.balance, c.note) for c in mine] == [(1500, "late delivery")]
    assert len(gateway.cards()) == 2
