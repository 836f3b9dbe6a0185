"""The test card gateway: card checks, magic numbers, and every impossible call refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from openoms.payments.model import (
    AuthorizationStatus,
    CheckResult,
    ImpossiblePaymentCall,
    InvalidCard,
    UnknownPayment,
)
from openoms.payments.testcard import CardInput, TestCardGateway
from openoms.shared import clock
from openoms.shared.money import Money

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
EUR = "EUR"


def eur(amount: int) -> Money:
    return Money(amount, EUR)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def gateway() -> TestCardGateway:
    return TestCardGateway()


def card(gateway: TestCardGateway, number: str = "4242 4242 4242 4242", cvc: str = "123") -> str:
    return gateway.tokenize(CardInput(number, 12, 2030, cvc)).token


def authorized(
    gateway: TestCardGateway, amount: int = 10_000, number: str = "4242424242424242"
) -> str:
    token = card(gateway, number)
    answer = gateway.authorize(token, eur(amount), idempotency_key=f"authorize-{token}")
    assert answer.approved
    assert answer.reference is not None
    return answer.reference


def test_a_card_becomes_a_token_with_brand_last_four_and_a_stable_fingerprint(
    gateway: TestCardGateway,
) -> None:
    with clock.frozen(NOW):
        first = gateway.tokenize(CardInput("4242 4242 4242 4242", 12, 2030, "123"))
        again = gateway.tokenize(CardInput("4242424242424242", 1, 2031, "999"))
        master = gateway.tokenize(CardInput("5555555555554444", 6, 2029, "321"))
        amex = gateway.tokenize(CardInput("378282246310005", 6, 2029, "1234"))

    assert (first.brand, first.last4, first.exp_month, first.exp_year) == ("visa", "4242", 12, 2030)
    assert first.token != again.token
    assert first.fingerprint == again.fingerprint
    assert master.brand == "mastercard"
    assert amex.brand == "amex"
    assert "4242424242424242" not in repr(first)


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "fields"),
    [
        ("4242424242424241", 12, 2030, "123", {"number"}),
        ("4242", 12, 2030, "123", {"number"}),
        ("4242424242424242", 13, 2030, "123", {"exp_month"}),
        ("4242424242424242", 4, 2026, "123", {"exp_year"}),
        ("4242424242424242", 12, 2030, "12", {"cvc"}),
        ("378282246310005", 12, 2030, "123", {"cvc"}),
        ("1234", 0, 2020, "x", {"number", "exp_month", "cvc"}),
    ],
)
def test_bad_card_details_are_refused_field_by_field(
    gateway: TestCardGateway, number: str, month: int, year: int, cvc: str, fields: set[str]
) -> None:
    with clock.frozen(NOW), pytest.raises(InvalidCard) as refused:
        gateway.tokenize(CardInput(number, month, year, cvc))

    assert {e.field for e in refused.value.errors} == fields


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000127", "incorrect_cvc"),
        ("4000000000000069", "expired_card"),
    ],
)
def test_magic_numbers_are_declined_as_their_issuer_would(
    gateway: TestCardGateway, number: str, code: str
) -> None:
    answer = gateway.authorize(card(gateway, number), eur(5000), idempotency_key="k")

    assert not answer.approved
    assert answer.decline_code == code
    assert answer.reference is None


def test_approved_cards_report_their_cvc_and_address_checks(gateway: TestCardGateway) -> None:
    plain = gateway.authorize(card(gateway), eur(100), idempotency_key="a")
    bad_cvc = gateway.authorize(card(gateway, "4000000000000101"), eur(100), idempotency_key="b")
    bad_avs = gateway.authorize(card(gateway, "4000000000000010"), eur(100), idempotency_key="c")

    assert (plain.approved, plain.cvc, plain.avs) == (True, CheckResult.PASS, CheckResult.PASS)
    assert (bad_cvc.approved, bad_cvc.cvc) == (True, CheckResult.FAIL)
    assert (bad_avs.approved, bad_avs.avs) == (True, CheckResult.FAIL)


def test_partial_captures_add_up_to_the_authorization_and_no_further(
    gateway: TestCardGateway,
) -> None:
    reference = authorized(gateway, 10_000)

    first = gateway.capture(reference, eur(4_000), idempotency_key="c1")
    second = gateway.capture(reference, eur(6_000), idempotency_key="c2")

    assert first.status is AuthorizationStatus.PARTIALLY_CAPTURED
    assert (second.status, second.captured) == (AuthorizationStatus.CAPTURED, eur(10_000))
    with pytest.raises(ImpossiblePaymentCall):
        gateway.capture(reference, eur(1), idempotency_key="c3")


def test_capturing_more_than_is_authorized_is_refused(gateway: TestCardGateway) -> None:
    reference = authorized(gateway, 10_000)

    with pytest.raises(ImpossiblePaymentCall) as refused:
        gateway.capture(reference, eur(10_001), idempotency_key="c")

    assert refused.value.data == {"capturable": 10_000}
    assert gateway.status(reference).captured == eur(0)


@pytest.mark.parametrize("amount", [0, -5])
def test_nothing_or_less_cannot_be_captured_or_refunded(
    gateway: TestCardGateway, amount: int
) -> None:
    reference = authorized(gateway)
    gateway.capture(reference, eur(500), idempotency_key="c")

    with pytest.raises(ImpossiblePaymentCall):
        gateway.capture(reference, eur(amount), idempotency_key="c0")
    with pytest.raises(ImpossiblePaymentCall):
        gateway.refund(reference, eur(amount), idempotency_key="r0")
    with pytest.raises(ImpossiblePaymentCall):
        gateway.authorize(card(gateway), eur(amount), idempotency_key="a0")


def test_a_voided_authorization_cannot_be_captured(gateway: TestCardGateway) -> None:
    reference = authorized(gateway)

    voided = gateway.void(reference, idempotency_key="v")

    assert voided.status is AuthorizationStatus.VOIDED
    assert voided.capturable == eur(0)
    with pytest.raises(ImpossiblePaymentCall, match="voided"):
        gateway.capture(reference, eur(100), idempotency_key="c")


def test_a_fully_captured_payment_is_refunded_not_voided(gateway: TestCardGateway) -> None:
    reference = authorized(gateway, 1_000)
    gateway.capture(reference, eur(1_000), idempotency_key="c")

    with pytest.raises(ImpossiblePaymentCall, match="refund it instead"):
        gateway.void(reference, idempotency_key="v")


def test_refunds_never_exceed_what_was_captured(gateway: TestCardGateway) -> None:
    reference = authorized(gateway, 10_000)
    gateway.capture(reference, eur(6_000), idempotency_key="c")

    gateway.refund(reference, eur(2_500), idempotency_key="r1")
    after = gateway.refund(reference, eur(3_500), idempotency_key="r2")

    assert after.refunded == eur(6_000)
    assert after.refundable == eur(0)
    with pytest.raises(ImpossiblePaymentCall) as refused:
        gateway.refund(reference, eur(1), idempotency_key="r3")
    assert refused.value.data["refundable"] == 0


def test_nothing_uncaptured_can_be_refunded(gateway: TestCardGateway) -> None:
    reference = authorized(gateway)

    with pytest.raises(ImpossiblePaymentCall):
        gateway.refund(reference, eur(100), idempotency_key="r")


def test_an_authorization_expires_and_can_no_longer_be_captured(
    gateway: TestCardGateway,
) -> None:
    reference = authorized(gateway)
    instant = authorized(gateway, number="4000000000009987")

    with clock.frozen(NOW + timedelta(days=8)):
        expired = gateway.status(reference)
        with pytest.raises(ImpossiblePaymentCall, match="expired"):
            gateway.capture(reference, eur(100), idempotency_key="late")
        with pytest.raises(ImpossiblePaymentCall, match="expired"):
            gateway.void(reference, idempotency_key="late-void")
    assert expired.status is AuthorizationStatus.EXPIRED
    with pytest.raises(ImpossiblePaymentCall, match="expired"):
        gateway.capture(instant, eur(100), idempotency_key="at-once")


def test_a_call_in_another_currency_is_refused(gateway: TestCardGateway) -> None:
    reference = authorized(gateway)

    with pytest.raises(ImpossiblePaymentCall, match="EUR"):
        gateway.capture(reference, Money(100, "USD"), idempotency_key="c")


def test_a_repeated_key_answers_the_first_result_and_changes_nothing(
    gateway: TestCardGateway,
) -> None:
    reference = authorized(gateway, 10_000)

    first = gateway.capture(reference, eur(3_000), idempotency_key="same")
    again = gateway.capture(reference, eur(3_000), idempotency_key="same")

    assert again == first
    assert gateway.status(reference).captured == eur(3_000)
    with pytest.raises(ImpossiblePaymentCall, match="another request"):
        gateway.capture(reference, eur(4_000), idempotency_key="same")
    with pytest.raises(ImpossiblePaymentCall, match="idempotency key"):
        gateway.capture(reference, eur(1), idempotency_key="")


def test_unknown_tokens_and_references_are_not_found(gateway: TestCardGateway) -> None:
    with pytest.raises(UnknownPayment):
        gateway.authorize("tok_nope", eur(100), idempotency_key="a")
    with pytest.raises(UnknownPayment):
        gateway.capture("auth_nope", eur(100), idempotency_key="c")
    with pytest.raises(UnknownPayment):
        gateway.status("auth_nope")
