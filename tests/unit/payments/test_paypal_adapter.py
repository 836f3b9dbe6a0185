"""The PayPal gateway against recorded PayPal answers: token, requests, mapping, refusals,
refunds spread over captures, retries.

``RecordedPayPal`` plays PayPal from the JSON fixtures in tests/fixtures/payments/paypal: it
expects the requests of a scenario in order, keeps every request it gets, and remembers
``PayPal-Request-Id`` values as PayPal does (a request id seen before answers the stored
result again and does nothing).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from openoms.integrations.payments.paypal import (
    LIVE_BASE_URL,
    PayPalGateway,
    paypal_amount,
)
from openoms.payments.model import (
    AuthorizationStatus,
    CheckResult,
    GatewayMisconfigured,
    GatewayUnavailable,
    ImpossiblePaymentCall,
    UnknownPayment,
)
from openoms.shared import clock
from openoms.shared.money import Money

FIXTURES = Path(__file__).parents[2] / "fixtures" / "payments" / "paypal"
CLIENT_ID = "AbX9kq2LmN0pQrS7tUvW1xYz3aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefgh"
CLIENT_SECRET = "EJk3LmN4oP5qR6sT7uV8wX9yZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD"
ORDER = "8XG54163JL5281019"
AUTH = "3C679366HH908993F"
CAP1, CAP2 = "4KT07498NV7265321", "9RC22187MJ6617733"  # 40.00 older, 60.00 newer
NOW = datetime(2026, 5, 7, 12, 0, tzinfo=UTC)
TOKEN = "/v1/oauth2/token"
AUTH_PATH = f"/v2/payments/authorizations/{AUTH}"
ORDER_PATH = f"/v2/checkout/orders/{ORDER}"


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


@dataclass
class Step:
    """One request PayPal expects, and what it answers."""

    method: str
    path: str
    answer: str | dict[str, Any]
    status: int = 200
    unreachable: bool = False  # the connection fails before PayPal sees the request
    answer_lost: bool = False  # PayPal acts, then the connection drops before the answer


@dataclass
class RecordedPayPal:
    steps: list[Step]
    requests: list[httpx.Request] = field(default_factory=list)
    performed: list[Step] = field(default_factory=list)
    request_ids: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request_id = request.headers.get("PayPal-Request-Id")
        if request_id in self.request_ids:
            status, answer = self.request_ids[request_id]
            return httpx.Response(status, json=answer)
        assert self.steps, f"unexpected request {request.method} {request.url.path}"
        step = self.steps.pop(0)
        assert (request.method, request.url.path) == (step.method, step.path)
        if step.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        answer = fixture(step.answer) if isinstance(step.answer, str) else step.answer
        self.performed.append(step)
        if request_id is not None:
            self.request_ids[request_id] = (step.status, answer)
        if step.answer_lost:
            raise httpx.ReadError("connection reset by peer", request=request)
        return httpx.Response(step.status, json=answer)

    def gateway(self) -> PayPalGateway:
        return PayPalGateway(CLIENT_ID, CLIENT_SECRET, transport=httpx.MockTransport(self))

    def calls(self, path_end: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(path_end)]

    def money_moves(self) -> list[Step]:
        return [s for s in self.performed if s.method == "POST" and s.path != TOKEN]

    def finished(self) -> bool:
        return not self.steps


def paypal(*steps: Step) -> RecordedPayPal:
    return RecordedPayPal(list(steps))


def token(answer: str | dict[str, Any] = "oauth_token", status: int = 200) -> Step:
    return Step("POST", TOKEN, answer, status)


def state(authorization: str, order: str) -> tuple[Step, Step]:
    """The two reads of an authorization's state: itself, then its order."""
    return Step("GET", AUTH_PATH, authorization), Step("GET", ORDER_PATH, order)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


BEARER = f"Bearer {fixture('oauth_token')['access_token']}"


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


# --- token ----------------------------------------------------------------------------------


def test_the_token_is_fetched_with_client_credentials_once_and_cached() -> None:
    recorded = paypal(
        token(),
        *state("authorization_created", "order_authorized"),
        *state("authorization_created", "order_authorized"),
    )
    gateway = recorded.gateway()

    gateway.status(AUTH)
    gateway.status(AUTH)

    (fetch,) = recorded.calls(TOKEN)
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert fetch.headers["Authorization"] == f"Basic {credentials}"
    assert fetch.content == b"grant_type=client_credentials"
    assert fetch.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert all(r.headers["Authorization"] == BEARER for r in recorded.requests[1:])
    assert recorded.finished()


def test_the_token_is_renewed_shortly_before_it_expires() -> None:
    later = {**fixture("oauth_token"), "access_token": "A21AAsecondTokenForTheSameApp"}
    recorded = paypal(
        token(),
        *state("authorization_created", "order_authorized"),
        token(later),
        *state("authorization_created", "order_authorized"),
    )
    gateway = recorded.gateway()

    gateway.status(AUTH)
    with clock.frozen(NOW + timedelta(seconds=32400) - timedelta(minutes=4)):
        gateway.status(AUTH)

    assert len(recorded.calls(TOKEN)) == 2
    assert recorded.requests[-1].headers["Authorization"] == "Bearer A21AAsecondTokenForTheSameApp"


def test_a_refused_token_is_renewed_once_and_the_request_sent_again() -> None:
    renewed = {**fixture("oauth_token"), "access_token": "A21AArenewedAfterRevocation"}
    recorded = paypal(
        token(),
        Step("GET", AUTH_PATH, "error_invalid_token", status=401),
        token(renewed),
        *state("authorization_created", "order_authorized"),
    )

    payment = recorded.gateway().status(AUTH)

    first_get, second_get = recorded.calls(AUTH_PATH)
    assert first_get.headers["Authorization"] == BEARER
    assert second_get.headers["Authorization"] == "Bearer A21AArenewedAfterRevocation"
    assert payment.status is AuthorizationStatus.AUTHORIZED
    assert recorded.finished()


def test_refused_client_credentials_are_a_configuration_error() -> None:
    recorded = paypal(token("error_invalid_client", status=401))

    with pytest.raises(GatewayMisconfigured) as misconfigured:
        recorded.gateway().status(AUTH)

    assert misconfigured.value.kind == "unavailable"


# --- authorize ------------------------------------------------------------------------------


def test_authorize_authorizes_the_approved_order() -> None:
    recorded = paypal(token(), Step("POST", f"{ORDER_PATH}/authorize", "order_authorized", 201))

    answer = recorded.gateway().authorize(ORDER, eur(10000), idempotency_key="auth-ord-1001")

    request = recorded.requests[-1]
    assert str(request.url) == f"https://api-m.sandbox.paypal.com{ORDER_PATH}/authorize"
    assert request.headers["Authorization"] == BEARER
    assert request.headers["PayPal-Request-Id"] == "auth-ord-1001"
    assert request.headers["Prefer"] == "return=representation"
    assert request.headers["Content-Type"] == "application/json"
    assert body(request) == {}
    assert answer.approved
    assert answer.reference == AUTH
    assert answer.amount == eur(10000)
    assert answer.expires_at == datetime(2026, 6, 2, 10, 0, 3, tzinfo=UTC)
    assert (answer.avs, answer.cvc) == (CheckResult.UNAVAILABLE, CheckResult.UNAVAILABLE)


def test_an_instrument_decline_is_an_answer_not_an_error() -> None:
    recorded = paypal(
        token(), Step("POST", f"{ORDER_PATH}/authorize", "error_instrument_declined", 422)
    )

    answer = recorded.gateway().authorize(ORDER, eur(10000), idempotency_key="auth-ord-1002")

    assert not answer.approved
    assert answer.reference is None
    assert answer.decline_code == "instrument_declined"
    assert "declined by the processor or bank" in answer.message


def test_a_denied_authorization_is_a_decline() -> None:
    denied = fixture("order_authorized")
    denied["purchase_units"][0]["payments"]["authorizations"][0]["status"] = "DENIED"
    recorded = paypal(token(), Step("POST", f"{ORDER_PATH}/authorize", denied, 201))

    answer = recorded.gateway().authorize(ORDER, eur(10000), idempotency_key="auth-ord-1003")

    assert not answer.approved
    assert answer.decline_code == "denied"


def test_an_authorization_of_another_amount_is_voided_and_refused() -> None:
    recorded = paypal(
        token(),
        Step("POST", f"{ORDER_PATH}/authorize", "order_authorized", 201),
        Step("POST", f"{AUTH_PATH}/void", "authorization_voided"),
    )

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().authorize(ORDER, eur(9000), idempotency_key="auth-ord-1004")

    assert refused.value.data["authorized"] == 10000
    (void,) = recorded.calls("/void")
    assert void.headers["PayPal-Request-Id"].startswith("oms-void-")
    assert void.content == b""


def test_an_unknown_order_is_an_unknown_payment() -> None:
    recorded = paypal(token(), Step("POST", f"{ORDER_PATH}/authorize", "error_not_found", 404))

    with pytest.raises(UnknownPayment):
        recorded.gateway().authorize(ORDER, eur(10000), idempotency_key="auth-ord-1005")


# --- capture --------------------------------------------------------------------------------


def test_a_partial_capture_keeps_the_rest_authorized_until_the_final_capture() -> None:
    recorded = paypal(
        token(),
        *state("authorization_created", "order_authorized"),
        Step("POST", f"{AUTH_PATH}/capture", "capture_partial", 201),
        *state("authorization_partially_captured", "order_partially_captured"),
        Step("POST", f"{AUTH_PATH}/capture", "capture_final", 201),
    )
    gateway = recorded.gateway()

    first = gateway.capture(AUTH, eur(4000), idempotency_key="capture-shp-1")
    second = gateway.capture(AUTH, eur(6000), idempotency_key="capture-shp-2")

    one, two = recorded.calls("/capture")
    assert one.headers["PayPal-Request-Id"] == "capture-shp-1"
    assert body(one) == {
        "amount": {"currency_code": "EUR", "value": "40.00"},
        "final_capture": False,
    }
    assert two.headers["PayPal-Request-Id"] == "capture-shp-2"
    assert body(two) == {
        "amount": {"currency_code": "EUR", "value": "60.00"},
        "final_capture": True,
    }
    assert first.status is AuthorizationStatus.PARTIALLY_CAPTURED
    assert (first.captured, first.capturable) == (eur(4000), eur(6000))
    assert second.status is AuthorizationStatus.CAPTURED
    assert (second.captured, second.capturable, second.refundable) == (
        eur(10000),
        eur(0),
        eur(10000),
    )
    assert len(recorded.calls(TOKEN)) == 1
    assert recorded.finished()


def test_capturing_more_than_is_still_authorized_is_refused_locally() -> None:
    recorded = paypal(
        token(), *state("authorization_partially_captured", "order_partially_captured")
    )

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().capture(AUTH, eur(7000), idempotency_key="capture-shp-2")

    assert refused.value.data["capturable"] == 6000
    assert recorded.money_moves() == []


def test_a_capture_in_another_currency_is_refused_locally() -> None:
    recorded = paypal(token(), *state("authorization_created", "order_authorized"))

    with pytest.raises(ImpossiblePaymentCall, match="in EUR, not HUF"):
        recorded.gateway().capture(AUTH, Money(123450, "HUF"), idempotency_key="capture-huf")
    assert recorded.money_moves() == []


# --- void -----------------------------------------------------------------------------------


def test_void_voids_the_authorization() -> None:
    recorded = paypal(
        token(),
        *state("authorization_created", "order_authorized"),
        Step("POST", f"{AUTH_PATH}/void", "authorization_voided"),
    )

    voided = recorded.gateway().void(AUTH, idempotency_key="void-ord-1001")

    (request,) = recorded.calls("/void")
    assert request.headers["PayPal-Request-Id"] == "void-ord-1001"
    assert request.content == b""
    assert voided.status is AuthorizationStatus.VOIDED
    assert (voided.captured, voided.capturable) == (eur(0), eur(0))


def test_void_of_a_fully_captured_authorization_is_refused() -> None:
    recorded = paypal(token(), *state("authorization_captured", "order_captured"))

    with pytest.raises(ImpossiblePaymentCall, match="refund it instead"):
        recorded.gateway().void(AUTH, idempotency_key="void-late")
    assert recorded.money_moves() == []


# --- refund ---------------------------------------------------------------------------------


def test_a_partial_refund_refunds_the_newest_capture() -> None:
    recorded = paypal(
        token(),
        *state("authorization_captured", "order_captured"),
        Step("POST", f"/v2/payments/captures/{CAP2}/refund", "refund_partial", 201),
    )

    refunded = recorded.gateway().refund(AUTH, eur(2500), idempotency_key="refund-rma-7")

    (request,) = recorded.calls("/refund")
    assert request.url.path == f"/v2/payments/captures/{CAP2}/refund"
    request_id = request.headers["PayPal-Request-Id"]
    assert request_id.startswith("oms-refund-")
    assert request_id != "refund-rma-7"
    assert body(request) == {
        "amount": {"currency_code": "EUR", "value": "25.00"},
        "custom_id": fixture("refund_partial")["custom_id"],
    }
    assert refunded.status is AuthorizationStatus.CAPTURED
    assert (refunded.captured, refunded.refunded, refunded.refundable) == (
        eur(10000),
        eur(2500),
        eur(7500),
    )


def test_a_refund_larger_than_the_newest_capture_spreads_over_captures_newest_first() -> None:
    recorded = paypal(
        token(),
        *state("authorization_captured", "order_captured"),
        Step("POST", f"/v2/payments/captures/{CAP2}/refund", "refund_newest_capture", 201),
        Step("POST", f"/v2/payments/captures/{CAP1}/refund", "refund_older_capture", 201),
    )

    refunded = recorded.gateway().refund(AUTH, eur(7000), idempotency_key="refund-order-1001-1")

    newest, older = recorded.calls("/refund")
    assert newest.url.path.endswith(f"{CAP2}/refund")
    assert body(newest)["amount"] == {"currency_code": "EUR", "value": "60.00"}
    assert older.url.path.endswith(f"{CAP1}/refund")
    assert body(older)["amount"] == {"currency_code": "EUR", "value": "10.00"}
    assert newest.headers["PayPal-Request-Id"] != older.headers["PayPal-Request-Id"]
    assert refunded.refunded == eur(7000)
    assert refunded.refundable == eur(3000)


def test_refunding_more_than_was_captured_is_refused_locally() -> None:
    recorded = paypal(
        token(), *state("authorization_partially_captured", "order_partially_captured")
    )

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().refund(AUTH, eur(5000), idempotency_key="refund-too-much")

    assert refused.value.data["refundable"] == 4000
    assert recorded.money_moves() == []


def test_a_refund_paypal_refuses_is_an_impossible_call() -> None:
    recorded = paypal(
        token(),
        *state("authorization_captured", "order_captured"),
        Step("POST", f"/v2/payments/captures/{CAP2}/refund", "error_refund_exceeded", 422),
    )

    with pytest.raises(ImpossiblePaymentCall) as refused:
        recorded.gateway().refund(AUTH, eur(2500), idempotency_key="refund-rma-9")

    assert refused.value.data["issues"] == ["REFUND_AMOUNT_EXCEEDED"]


# --- status, unknown references, errors -----------------------------------------------------


def test_status_reads_the_authorization_and_its_captures() -> None:
    recorded = paypal(
        token(), *state("authorization_partially_captured", "order_partially_captured")
    )

    payment = recorded.gateway().status(AUTH)

    assert payment.reference == AUTH
    assert payment.status is AuthorizationStatus.PARTIALLY_CAPTURED
    assert (payment.authorized, payment.captured, payment.refunded) == (
        eur(10000),
        eur(4000),
        eur(0),
    )
    assert payment.expires_at == datetime(2026, 6, 2, 10, 0, 3, tzinfo=UTC)


def test_an_authorization_past_its_expiration_time_has_expired() -> None:
    recorded = paypal(token(), *state("authorization_created", "order_authorized"))

    with clock.frozen(datetime(2026, 6, 3, tzinfo=UTC)):
        payment = recorded.gateway().status(AUTH)

    assert payment.status is AuthorizationStatus.EXPIRED
    assert payment.capturable == eur(0)


def test_an_unknown_reference_is_an_unknown_payment() -> None:
    recorded = paypal(token(), Step("GET", AUTH_PATH, "error_not_found", 404))

    with pytest.raises(UnknownPayment):
        recorded.gateway().capture(AUTH, eur(4000), idempotency_key="capture-missing")
    assert recorded.money_moves() == []


def test_a_network_error_is_gateway_unavailable() -> None:
    recorded = paypal(token(), Step("GET", AUTH_PATH, {}, unreachable=True))

    with pytest.raises(GatewayUnavailable):
        recorded.gateway().status(AUTH)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_is_gateway_unavailable(status: int) -> None:
    recorded = paypal(
        token(),
        *state("authorization_created", "order_authorized"),
        Step("POST", f"{AUTH_PATH}/capture", "error_internal", status),
    )

    with pytest.raises(GatewayUnavailable) as unavailable:
        recorded.gateway().capture(AUTH, eur(4000), idempotency_key="capture-shp-1")

    assert unavailable.value.data["status"] == status


def test_the_live_base_url_is_used_when_given() -> None:
    recorded = paypal(token(), *state("authorization_created", "order_authorized"))
    gateway = PayPalGateway(
        CLIENT_ID, CLIENT_SECRET, base_url=LIVE_BASE_URL, transport=httpx.MockTransport(recorded)
    )

    gateway.status(AUTH)

    assert {r.url.host for r in recorded.requests} == {"api-m.paypal.com"}


# --- retries ----------------------------------------------------------------------------------


def test_a_retry_after_a_lost_capture_answer_does_not_capture_twice() -> None:
    recorded = paypal(
        token(),
        *state("authorization_created", "order_authorized"),
        Step("POST", f"{AUTH_PATH}/capture", "capture_partial", 201, answer_lost=True),
        *state("authorization_partially_captured", "order_partially_captured"),
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.capture(AUTH, eur(4000), idempotency_key="capture-shp-1")
    again = gateway.capture(AUTH, eur(4000), idempotency_key="capture-shp-1")

    first, second = recorded.calls("/capture")
    assert first.headers["PayPal-Request-Id"] == second.headers["PayPal-Request-Id"]
    assert len(recorded.money_moves()) == 1
    assert again.captured == eur(4000)
    assert again.status is AuthorizationStatus.PARTIALLY_CAPTURED
    assert recorded.finished()


def test_a_retry_of_a_lost_final_capture_is_answered_not_refused() -> None:
    recorded = paypal(
        token(),
        *state("authorization_partially_captured", "order_partially_captured"),
        Step("POST", f"{AUTH_PATH}/capture", "capture_final", 201, answer_lost=True),
        *state("authorization_captured", "order_captured"),
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.capture(AUTH, eur(6000), idempotency_key="capture-shp-2")
    again = gateway.capture(AUTH, eur(6000), idempotency_key="capture-shp-2")

    first, second = recorded.calls("/capture")
    assert first.headers["PayPal-Request-Id"] == second.headers["PayPal-Request-Id"]
    assert len(recorded.money_moves()) == 1
    assert again.status is AuthorizationStatus.CAPTURED
    assert again.captured == eur(10000)


def test_a_retry_of_a_refund_over_captures_never_refunds_twice() -> None:
    recorded = paypal(
        token(),
        *state("authorization_captured", "order_captured"),
        Step(
            "POST",
            f"/v2/payments/captures/{CAP2}/refund",
            "refund_newest_capture",
            201,
            answer_lost=True,
        ),
        # PayPal refunded 60.00 of the newest capture; the order now says so.
        *state("authorization_captured", "order_newest_capture_refunded"),
        Step("POST", f"/v2/payments/captures/{CAP1}/refund", "refund_older_capture", 201),
    )
    gateway = recorded.gateway()

    with pytest.raises(GatewayUnavailable):
        gateway.refund(AUTH, eur(7000), idempotency_key="refund-order-1001-1")
    again = gateway.refund(AUTH, eur(7000), idempotency_key="refund-order-1001-1")

    lost, replayed, older = recorded.calls("/refund")
    assert lost.url.path == replayed.url.path == f"/v2/payments/captures/{CAP2}/refund"
    assert lost.headers["PayPal-Request-Id"] == replayed.headers["PayPal-Request-Id"]
    assert older.url.path == f"/v2/payments/captures/{CAP1}/refund"
    assert body(older)["amount"] == {"currency_code": "EUR", "value": "10.00"}
    refunds = [s.answer for s in recorded.money_moves()]
    assert refunds == ["refund_newest_capture", "refund_older_capture"]  # 60.00 + 10.00, once
    assert again.refunded == eur(7000)
    assert recorded.finished()


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "value"),
    [
        (Money(1234, "EUR"), "12.34"),
        (Money(1200, "JPY"), "1200"),
        (Money(123400, "HUF"), "1234"),  # PayPal counts forints in whole units
        (Money(5, "USD"), "0.05"),
    ],
)
def test_amounts_go_to_paypal_as_decimal_strings(money: Money, value: str) -> None:
    assert paypal_amount(money) == {"currency_code": money.currency, "value": value}


def test_fractions_paypal_does_not_count_are_refused() -> None:
    with pytest.raises(ImpossiblePaymentCall):
        paypal_amount(Money(123450, "HUF"))
