"""The Stripe gateway against recorded Stripe answers: requests, mapping, refusals, retries.

``RecordedStripe`` plays Stripe from the JSON fixtures in tests/fixtures/payments/stripe:
it expects the requests of a scenario in order, keeps every request it gets, and remembers
idempotency keys as Stripe does (the same key and body answers the stored response again;
the same key with another body is an ``idempotency_error``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from openoms.integrations.payments.stripe import (
    STRIPE_API_VERSION,
    GatewayMisconfigured,
    StripeGateway,
    from_stripe_amount,
    to_stripe_amount,
)
from openoms.payments.model import (
    AuthorizationStatus,
    CheckResult,
    GatewayUnavailable,
    ImpossiblePaymentCall,
    UnknownPayment,
)
from openoms.shared import clock
from openoms.shared.money import Money

FIXTURES = Path(__file__).parents[2] / "fixtures" / "payments" / "stripe"
API_KEY = "sk_test_51TFa0aLkdIwHu7ixOpenOmsUnitTests"
PI = "pi_3TFa9kLkdIwHu7ix1yGq4Rd2"
PM = "pm_1TFa9jLkdIwHu7ixQ2wXbN0p"
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
CREATED = datetime(2026, 5, 4, 9, 58, 12, tzinfo=UTC)


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def intent(name: str = "payment_intent_authorized", **changes: Any) -> dict[str, Any]:
    """A recorded PaymentIntent with some fields changed (``charge`` changes the charge)."""
    found = copy.deepcopy(fixture(name))
    for key, value in changes.pop("charge", {}).items():
        found["latest_charge"][key] = value
    found.update(changes)
    return found


@dataclass
class Step:
    """One request Stripe expects, and what it answers."""

    method: str
    path: str
    answer: str | dict[str, Any]
    status: int = 200
    unreachable: bool = False  # the connection fails before Stripe sees the request
    answer_lost: bool = False  # Stripe acts, then the connection drops before the answer


@dataclass
class RecordedStripe:
    steps: list[Step]
    requests: list[httpx.Request] = field(default_factory=list)
    performed: list[Step] = field(default_factory=list)
    keys: dict[str, tuple[bytes, int, dict[str, Any]]] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key in self.keys:
            body, status, answer = self.keys[key]
            if body != request.content:
                return httpx.Response(400, json=fixture("error_idempotency"))
            return httpx.Response(status, json=answer)
        assert self.steps, f"unexpected request {request.method} {request.url.path}"
        step = self.steps.pop(0)
        assert (request.method, request.url.path) == (step.method, step.path)
        if step.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        answer = fixture(step.answer) if isinstance(step.answer, str) else step.answer
        self.performed.append(step)
        if request.method == "POST" and key is not None:
            self.keys[key] = (request.content, step.status, answer)
        if step.answer_lost:
            raise httpx.ReadError("connection reset by peer", request=request)
        return httpx.Response(step.status, json=answer)

    def gateway(self) -> StripeGateway:
        return StripeGateway(API_KEY, transport=httpx.MockTransport(self))

    def posted(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]

    def finished(self) -> bool:
        return not self.steps


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode())


def stripe(*steps: Step) -> RecordedStripe:
    return RecordedStripe(list(steps))


def get_intent(answer: str | dict[str, Any], status: int = 200) -> Step:
    return Step("GET", f"/v1/payment_intents/{PI}", answer, status)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


# --- authorize ------------------------------------------------------------------------------


def test_authorize_creates_a_confirmed_manual_capture_payment_intent() -> None:
    recorded = stripe(Step("POST", "/v1/payment_intents", "payment_intent_authorized"))

    answer = recorded.gateway().authorize(PM, eur(10000), idempotency_key="auth-ord-1001")

    (request,) = recorded.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.stripe.com/v1/payment_intents"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Idempotency-Key"] == "auth-ord-1001"
    assert request.headers["Stripe-Version"] == STRIPE_API_VERSION
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request) == [
        ("amount", "10000"),
        ("currency", "eur"),
        ("payment_method", PM),
        ("payment_method_types[]", "card"),
        ("confirm", "true"),
        ("capture_method", "manual"),
        ("error_on_requires_action", "true"),
        ("payment_method_options[card][request_multicapture]", "if_available"),
        ("expand[]", "latest_charge"),
    ]
    assert answer.approved
    assert answer.reference == PI
    assert answer.amount == eur(10000)
    assert answer.decline_code is None
    assert (answer.avs, answer.cvc) == (CheckResult.PASS, CheckResult.PASS)
    assert answer.expires_at == datetime(2026, 5, 11, 9, 58, 12, tzinfo=UTC)  # capture_before
    assert answer.message == "Authorized on visa ending 4242."


def test_authorize_reads_failed_checks_and_defaults_the_expiry_to_seven_days() -> None:
    answered = intent()
    card = answered["latest_charge"]["payment_method_details"]["card"]
    card["checks"] = {
        "address_line1_check": "pass",
        "address_postal_code_check": "fail",
        "cvc_check": "unchecked",
    }
    del card["capture_before"]
    recorded = stripe(Step("POST", "/v1/payment_intents", answered))

    answer = recorded.gateway().authorize(PM, eur(10000), idempotency_key="auth-ord-1002")

    assert answer.approved
    assert (answer.avs, answer.cvc) == (CheckResult.FAIL, CheckResult.UNAVAILABLE)
    assert answer.expires_at == CREATED + timedelta(days=7)


def test_a_card_decline_is_an_answer_not_an_error() -> None:
    recorded = stripe(Step("POST", "/v1/payment_intents", "error_card_declined", status=402))

    answer = recorded.gateway().authorize(PM, eur(10000), idempotency_key="auth-ord-1003")

    assert not answer.approved
    assert answer.reference is None
    assert answer.decline_code == "insufficient_funds"
    assert answer.message == "Your card has insufficient funds."
    assert answer.amount == eur(10000)


def test_an_authorization_of_nothing_is_refused_before_stripe_is_asked() -> None:
    recorded = stripe()
    with pytest.raises(ImpossiblePaymentCall):
        recorded.gateway().authorize(PM, eur(0), idempotency_key="auth-ord-1004")
    with pytest.raises(ImpossiblePaymentCall):
        recorded.gateway().authorize(PM, eur(100), idempotency_key="")
    assert recorded.requests == []


# --- capture --------------------------------------------------------------------------------


def test_a_partial_capture_keeps_the_rest_authorized_until_the_final_capture() -> None:
    recorded = stripe(
        get_intent("payment_intent_authorized"),
        Step("POST", f"/v1/payment_intents/{PI}/capture", "payment_intent_partially_captured"),
        get_intent("payment_intent_partially_captured"),
        Step("POST", f"/v1/payment_intents/{PI}/capture", "payment_intent_captured"),
    )
    gateway = recorded.gateway()

    first = gateway.capture(PI, eur(4000), idempotency_key="capture-shp-1")
    second = gateway.capture(PI, eur(6000), idempotency_key="capture-shp-2")

    one, two = recorded.posted()
    assert one.headers["Idempotency-Key"] == "capture-shp-1"
    assert form(one) == [
        ("amount_to_capture", "4000"),
        ("final_capture", "false"),
        ("expand[]", "latest_charge"),
    ]
    assert two.headers["Idempotency-Key"] == "capture-shp-2"
    assert form(two) == [
        ("amount_to_capture", "6000"),
        ("final_capture", "true"),
        ("expand[]", "latest_charge"),
    ]
    assert recorded.requests[0].url.params.get_list("expand[]") == ["latest_charge"]
    assert first.status is AuthorizationStatus.PARTIALLY_CAPTURED
    assert (first.captured, first.capturable) == (eur(4000), eur(6000))
    assert second.status is AuthorizationStatus.CAPTURED
    assert (second.authorized, second.captured, second.capturable) == (
        eur(10000),
        eur(10000),
        eur(0),
    )
    assert second.refundable == eur(10000)
    assert recorded.finished()


def test_capturing_more_than_is_still_authorized_is_refused_locally() -> None:
    recorded = stripe(get_intent("payment_intent_partially_captured"))

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().capture(PI, eur(7000), idempotency_key="capture-shp-2")

    assert refused.value.data["capturable"] == 6000
    assert recorded.posted() == []


def test_a_partial_capture_is_refused_when_the_card_has_no_multicapture() -> None:
    single = intent(charge={})
    single["latest_charge"]["payment_method_details"]["card"]["multicapture"] = {
        "status": "unavailable"
    }
    recorded = stripe(get_intent(single))

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().capture(PI, eur(4000), idempotency_key="capture-shp-1")

    assert refused.value.data["multicapture"] == "unavailable"
    assert recorded.posted() == []


def test_a_full_capture_without_multicapture_sends_no_final_capture_flag() -> None:
    single = intent()
    single["latest_charge"]["payment_method_details"]["card"]["multicapture"] = {
        "status": "unavailable"
    }
    recorded = stripe(
        get_intent(single),
        Step("POST", f"/v1/payment_intents/{PI}/capture", "payment_intent_captured"),
    )

    captured = recorded.gateway().capture(PI, eur(10000), idempotency_key="capture-all")

    (request,) = recorded.posted()
    assert form(request) == [("amount_to_capture", "10000"), ("expand[]", "latest_charge")]
    assert captured.status is AuthorizationStatus.CAPTURED


def test_capture_in_another_currency_or_after_a_void_is_refused_locally() -> None:
    recorded = stripe(
        get_intent("payment_intent_authorized"), get_intent("payment_intent_canceled")
    )
    gateway = recorded.gateway()

    with pytest.raises(ImpossiblePaymentCall, match="in EUR, not USD"):
        gateway.capture(PI, Money(4000, "USD"), idempotency_key="capture-usd")
    with pytest.raises(ImpossiblePaymentCall, match="voided"):
        gateway.capture(PI, eur(4000), idempotency_key="capture-after-void")
    assert recorded.posted() == []


# --- void -----------------------------------------------------------------------------------


def test_void_cancels_the_payment_intent() -> None:
    recorded = stripe(
        get_intent("payment_intent_authorized"),
        Step("POST", f"/v1/payment_intents/{PI}/cancel", "payment_intent_canceled"),
    )

    voided = recorded.gateway().void(PI, idempotency_key="void-ord-1001")

    (request,) = recorded.posted()
    assert request.url.path == f"/v1/payment_intents/{PI}/cancel"
    assert request.headers["Idempotency-Key"] == "void-ord-1001"
    assert form(request) == [("expand[]", "latest_charge")]
    assert voided.status is AuthorizationStatus.VOIDED
    # Stripe marks the released hold as refunded on the charge; no money was refunded.
    assert (voided.captured, voided.refunded, voided.capturable) == (eur(0), eur(0), eur(0))


def test_void_after_a_partial_capture_releases_the_rest_with_a_final_capture_of_nothing() -> None:
    closed = intent(
        "payment_intent_partially_captured",
        status="succeeded",
        amount_capturable=0,
        charge={"captured": True},
    )
    recorded = stripe(
        get_intent("payment_intent_partially_captured"),
        Step("POST", f"/v1/payment_intents/{PI}/capture", closed),
    )

    voided = recorded.gateway().void(PI, idempotency_key="void-rest-1001")

    (request,) = recorded.posted()
    assert form(request) == [
        ("amount_to_capture", "0"),
        ("final_capture", "true"),
        ("expand[]", "latest_charge"),
    ]
    assert voided.status is AuthorizationStatus.VOIDED
    assert (voided.captured, voided.capturable, voided.refundable) == (eur(4000), eur(0), eur(4000))


def test_void_of_a_fully_captured_payment_is_refused() -> None:
    recorded = stripe(get_intent("payment_intent_captured"))
    with pytest.raises(ImpossiblePaymentCall, match="refund it instead"):
        recorded.gateway().void(PI, idempotency_key="void-late")
    assert recorded.posted() == []


# --- refund ---------------------------------------------------------------------------------


def test_a_partial_refund_is_one_refund_on_the_payment_intent() -> None:
    recorded = stripe(
        get_intent("payment_intent_captured"),
        Step("POST", "/v1/refunds", "refund_partial"),
    )

    refunded = recorded.gateway().refund(PI, eur(2500), idempotency_key="refund-rma-7")

    (request,) = recorded.posted()
    assert request.headers["Idempotency-Key"] == "refund-rma-7"
    assert form(request) == [
        ("payment_intent", PI),
        ("amount", "2500"),
        ("expand[]", "charge"),
        ("expand[]", "payment_intent"),
    ]
    assert refunded.status is AuthorizationStatus.CAPTURED
    assert (refunded.captured, refunded.refunded, refunded.refundable) == (
        eur(10000),
        eur(2500),
        eur(7500),
    )


def test_refunding_more_than_was_captured_is_refused_locally() -> None:
    recorded = stripe(get_intent("payment_intent_partially_captured"))

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().refund(PI, eur(5000), idempotency_key="refund-too-much")

    assert refused.value.data["refundable"] == 4000
    assert recorded.posted() == []


def test_a_refund_stripe_refuses_is_an_impossible_call() -> None:
    # 75.00 refunded of 100.00: 30.00 may be the retry of an earlier refund, so Stripe is asked.
    mostly_refunded = intent("payment_intent_captured", charge={"amount_refunded": 7500})
    recorded = stripe(
        get_intent(mostly_refunded),
        Step("POST", "/v1/refunds", "error_refund_too_large", status=400),
    )

    with pytest.raises(ImpossiblePaymentCall, match="greater than unrefunded amount"):
        recorded.gateway().refund(PI, eur(3000), idempotency_key="refund-rma-8")


# --- status, unknown references, errors -----------------------------------------------------


def test_status_maps_the_payment_intent() -> None:
    recorded = stripe(get_intent("payment_intent_partially_captured"))

    payment = recorded.gateway().status(PI)

    assert payment.reference == PI
    assert payment.status is AuthorizationStatus.PARTIALLY_CAPTURED
    assert (payment.authorized, payment.captured, payment.refunded) == (
        eur(10000),
        eur(4000),
        eur(0),
    )
    assert payment.expires_at == datetime(2026, 5, 11, 9, 58, 12, tzinfo=UTC)


def test_an_authorization_stripe_canceled_by_itself_has_expired() -> None:
    expired = intent("payment_intent_canceled", cancellation_reason="automatic")
    recorded = stripe(get_intent(expired), get_intent(expired))
    gateway = recorded.gateway()

    assert gateway.status(PI).status is AuthorizationStatus.EXPIRED
    with pytest.raises(ImpossiblePaymentCall, match="expired"):
        gateway.void(PI, idempotency_key="void-expired")


def test_an_unknown_reference_is_an_unknown_payment() -> None:
    missing = "pi_3TFzzzLkdIwHu7ix0NoSuch0"
    path = f"/v1/payment_intents/{missing}"
    recorded = stripe(
        Step("GET", path, "error_resource_missing", status=404),
        Step("GET", path, "error_resource_missing", status=404),
    )
    gateway = recorded.gateway()

    with pytest.raises(UnknownPayment):
        gateway.status(missing)
    with pytest.raises(UnknownPayment):
        gateway.capture(missing, eur(100), idempotency_key="capture-missing")
    assert recorded.posted() == []


def test_a_network_error_is_gateway_unavailable() -> None:
    recorded = stripe(Step("POST", "/v1/payment_intents", {}, unreachable=True))

    with pytest.raises(GatewayUnavailable):
        recorded.gateway().authorize(PM, eur(10000), idempotency_key="auth-ord-1005")


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_server_error_or_rate_limit_is_gateway_unavailable(status: int) -> None:
    recorded = stripe(Step("POST", "/v1/payment_intents", "error_api", status=status))

    with pytest.raises(GatewayUnavailable) as unavailable:
        recorded.gateway().authorize(PM, eur(10000), idempotency_key="auth-ord-1006")

    assert unavailable.value.data["status"] == status


def test_a_refused_api_key_is_a_configuration_error() -> None:
    recorded = stripe(get_intent("error_invalid_api_key", status=401))

    with pytest.raises(GatewayMisconfigured) as misconfigured:
        recorded.gateway().status(PI)

    assert misconfigured.value.kind == "unavailable"


def test_a_missing_api_key_is_refused_at_once() -> None:
    with pytest.raises(GatewayMisconfigured):
        StripeGateway("")


# --- retries ----------------------------------------------------------------------------------


def test_a_retry_after_a_lost_answer_does_not_authorize_twice() -> None:
    recorded = stripe(
        Step("POST", "/v1/payment_intents", "payment_intent_authorized", answer_lost=True)
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.authorize(PM, eur(10000), idempotency_key="auth-ord-1007")
    again = gateway.authorize(PM, eur(10000), idempotency_key="auth-ord-1007")

    first, second = recorded.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "auth-ord-1007"
    assert first.content == second.content
    assert len(recorded.performed) == 1  # one PaymentIntent, one hold on the card
    assert again.approved
    assert again.reference == PI


def test_a_retry_after_a_lost_capture_answer_does_not_capture_twice() -> None:
    recorded = stripe(
        get_intent("payment_intent_authorized"),
        Step(
            "POST",
            f"/v1/payment_intents/{PI}/capture",
            "payment_intent_partially_captured",
            answer_lost=True,
        ),
        get_intent("payment_intent_partially_captured"),  # Stripe did capture 40.00
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.capture(PI, eur(4000), idempotency_key="capture-shp-1")
    again = gateway.capture(PI, eur(4000), idempotency_key="capture-shp-1")

    first, second = recorded.posted()
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.content == second.content
    assert [s.method for s in recorded.performed].count("POST") == 1
    assert again.captured == eur(4000)
    assert again.capturable == eur(6000)
    assert recorded.finished()


def test_a_retry_of_a_lost_final_capture_is_answered_not_refused() -> None:
    # The capture of the last 60.00 went through and closed the PaymentIntent; locally it
    # now looks like more than is capturable, yet it is the same call and Stripe answers it.
    recorded = stripe(
        get_intent("payment_intent_partially_captured"),
        Step(
            "POST", f"/v1/payment_intents/{PI}/capture", "payment_intent_captured", answer_lost=True
        ),
        get_intent("payment_intent_captured"),
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.capture(PI, eur(6000), idempotency_key="capture-shp-2")
    again = gateway.capture(PI, eur(6000), idempotency_key="capture-shp-2")

    first, second = recorded.posted()
    assert first.content == second.content
    assert dict(form(second))["final_capture"] == "true"
    assert [s.method for s in recorded.performed].count("POST") == 1
    assert again.status is AuthorizationStatus.CAPTURED
    assert again.captured == eur(10000)


def test_a_retry_of_a_lost_refund_does_not_refund_twice() -> None:
    refunded = copy.deepcopy(fixture("refund_partial"))
    refunded["amount"] = 8000
    refunded["charge"]["amount_refunded"] = 8000
    recorded = stripe(
        get_intent("payment_intent_captured"),
        Step("POST", "/v1/refunds", refunded, answer_lost=True),
        get_intent(intent("payment_intent_captured", charge={"amount_refunded": 8000})),
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.refund(PI, eur(8000), idempotency_key="refund-rma-10")
    again = gateway.refund(PI, eur(8000), idempotency_key="refund-rma-10")

    first, second = recorded.posted()
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.content == second.content
    assert [s.method for s in recorded.performed].count("POST") == 1
    assert (again.refunded, again.refundable) == (eur(8000), eur(2000))


def test_a_retried_capture_is_sent_as_first_sent_even_when_it_now_looks_final() -> None:
    # 50.00 of 100.00 was captured (not final) but the answer was lost; now the same 50.00
    # is all that is left, which alone would make the capture final.
    half = intent(
        "payment_intent_partially_captured",
        amount_capturable=5000,
        amount_received=5000,
        charge={"amount_captured": 5000},
    )
    recorded = stripe(
        get_intent("payment_intent_authorized"),
        Step("POST", f"/v1/payment_intents/{PI}/capture", half, answer_lost=True),
        get_intent(half),
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.capture(PI, eur(5000), idempotency_key="capture-shp-3")
    again = gateway.capture(PI, eur(5000), idempotency_key="capture-shp-3")

    sent = [dict(form(r)).get("final_capture") for r in recorded.posted()]
    assert sent == ["false", "true", "false"]  # refused as another request, then replayed
    assert [s.method for s in recorded.performed].count("POST") == 1
    assert again.captured == eur(5000)
    assert again.status is AuthorizationStatus.PARTIALLY_CAPTURED


def test_a_key_used_for_another_request_is_refused() -> None:
    recorded = stripe(
        get_intent("payment_intent_authorized"),
        Step("POST", f"/v1/payment_intents/{PI}/capture", "payment_intent_partially_captured"),
        get_intent("payment_intent_partially_captured"),
    )
    gateway = recorded.gateway()
    gateway.capture(PI, eur(4000), idempotency_key="capture-shp-1")

    with pytest.raises(ImpossiblePaymentCall, match="another request"):
        gateway.capture(PI, eur(3000), idempotency_key="capture-shp-1")


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "stripe_amount"),
    [
        (Money(1234, "EUR"), 1234),
        (Money(1200, "JPY"), 1200),
        (Money(5120, "KWD"), 5120),
        (Money(500, "ISK"), 50000),  # whole krónur, sent with two decimals
        (Money(123450, "HUF"), 123450),
    ],
)
def test_amounts_go_to_stripe_in_its_minor_units(money: Money, stripe_amount: int) -> None:
    assert to_stripe_amount(money) == stripe_amount
    assert from_stripe_amount(stripe_amount, money.currency.lower()) == money


def test_amounts_stripe_cannot_take_are_refused() -> None:
    with pytest.raises(ImpossiblePaymentCall):
        to_stripe_amount(Money(5125, "KWD"))  # three decimals must end in 0
