"""Payments over HTTP: an order paid by card at placement, a decline that holds it, a new
card, capture, partial refund, void on cancel, offline methods, and who may move money."""

from __future__ import annotations

from typing import Any

import pytest

from openoms.identity.model import Role
from tests.builders import TEST_PASSWORD, make_user
from tests.e2e.api.client import ApiClient, field_errors
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import make_channel, order_body, place, stocked_sku

Json = dict[str, Any]


def token(api: ApiClient, number: str = "4242 4242 4242 4242", **fields: Any) -> str:
    body = {"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123", **fields}
    response = api.post("/payments/test-card/tokens", body)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def paid_order(api: ApiClient, warehouse: str, card: str | None = None, **channel: Any) -> Json:
    sku = stocked_sku(api, warehouse)
    code = make_channel(api, **channel)
    payment = {"method": "card", "token": card or token(api)}
    return place(api, order_body(code, {"sku": sku, "quantity": 3}, payment=payment))


def payments(api: ApiClient, number: str) -> list[Json]:
    response = api.get(f"/orders/{number}/payments")
    assert response.status_code == 200, response.text
    return list(response.json())


@pytest.mark.covers("POST /payments/test-card/tokens")
def test_the_test_gateway_checks_cards_and_keeps_only_a_token(api: ApiClient) -> None:
    response = api.post(
        "/payments/test-card/tokens",
        {"number": "5555 5555 5555 4444", "exp_month": 1, "exp_year": 2099, "cvc": "123"},
    )
    assert response.status_code == 201
    card = response.json()
    assert (card["brand"], card["last4"]) == ("mastercard", "4444")
    assert "number" not in card
    bad = api.post(
        "/payments/test-card/tokens",
        {"number": "4242 4242 4242 4241", "exp_month": 13, "exp_year": 2020, "cvc": "1"},
    )
    assert bad.status_code == 422
    assert set(field_errors(bad)) == {"number", "exp_month", "cvc"}


@pytest.mark.covers(
    "POST /orders",
    "GET /orders/{number}/payments",
    "GET /orders/{number}/payments/{payment_id}",
    "POST /orders/{number}/payments/{payment_id}/capture",
    "POST /orders/{number}/payments/{payment_id}/refund",
)
def test_a_card_is_authorized_at_placement_captured_and_partly_refunded(
    api: ApiClient, warehouse: str
) -> None:
    order = paid_order(api, warehouse)
    number = order["number"]
    assert order["payment_status"] == "authorized"
    (payment,) = payments(api, number)
    assert payment["state"] == "authorized"
    assert payment["authorized"]["amount"] == "30.00"
    assert payment["card"] == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2099}
    base = f"/orders/{number}/payments/{payment['id']}"
    assert api.get(base).json()["id"] == payment["id"]
    # capture 20.00 of 30.00, then refund 5.00
    captured = api.post(f"{base}/capture", {"amount": "20.00"})
    assert captured.status_code == 200, captured.text
    assert captured.json()["captured"]["amount"] == "20.00"
    assert captured.json()["capturable"]["amount"] == "10.00"
    refunded = api.post(f"{base}/refund", {"amount": "5.00", "reason": "scratched"})
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["refundable"]["amount"] == "15.00"
    assert api.get(f"/orders/{number}").json()["payment_status"] == "partially_refunded"
    # more than is refundable, or a bad amount: a clear problem, nothing moved
    too_much = api.post(f"{base}/refund", {"amount": "15.01"})
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "payment_not_allowed"
    assert "€15.00" in too_much.json()["detail"]
    bad = api.post(f"{base}/refund", {"amount": "1.001"})
    assert bad.status_code == 422
    assert api.get(base).json()["refunded"]["amount"] == "5.00"
    kinds = [t["kind"] for t in api.get(base).json()["transactions"]]
    assert kinds == ["authorization", "capture", "refund"]
    timeline = api.get(f"/orders/{number}/timeline").json()
    assert [e["reason"] for e in timeline if e["kind"] == "payment"] == [
        "Authorized €30.00 on visa •••• 4242",
        "Captured €20.00 on visa •••• 4242",
        "Refunded €5.00 on visa •••• 4242",
    ]


@pytest.mark.covers("POST /orders/{number}/payments")
def test_a_declined_card_holds_the_order_until_another_card_pays(
    api: ApiClient, warehouse: str
) -> None:
    order = paid_order(api, warehouse, card=token(api, "4000 0000 0000 9995"))
    number = order["number"]
    assert (order["status"], order["hold_reason"]) == ("on_hold", "payment")
    assert order["payment_status"] == "failed"
    (failed,) = payments(api, number)
    assert failed["decline_code"] == "insufficient_funds"
    # the shop sends another card
    retry = api.post(f"/orders/{number}/payments", {"method": "card", "token": token(api)})
    assert retry.status_code == 201, retry.text
    assert retry.json()["state"] == "authorized"
    after = api.get(f"/orders/{number}").json()
    assert (after["status"], after["payment_status"]) == ("allocated", "authorized")


@pytest.mark.covers(
    "POST /orders/{number}/payments/{payment_id}/void", "POST /orders/{number}/cancel"
)
def test_void_and_cancel_release_the_authorization(api: ApiClient, warehouse: str) -> None:
    order = paid_order(api, warehouse)
    (payment,) = payments(api, order["number"])
    base = f"/orders/{order['number']}/payments/{payment['id']}"
    voided = api.post(f"{base}/void", {"reason": "customer paid by transfer"})
    assert voided.status_code == 200, voided.text
    assert voided.json()["state"] == "voided"
    again = api.post(f"{base}/void", {})
    assert again.status_code == 409
    # a second order: cancelling voids its card
    other = paid_order(api, warehouse)
    cancelled = api.post(f"/orders/{other['number']}/cancel", {"reason": "changed mind"})
    assert cancelled.status_code == 200, cancelled.text
    assert [p["state"] for p in payments(api, other["number"])] == ["voided"]


def test_a_bank_transfer_is_recorded_as_received(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    code = make_channel(api)
    order = place(
        api, order_body(code, {"sku": sku, "quantity": 1}, payment={"method": "bank_transfer"})
    )
    (payment,) = payments(api, order["number"])
    assert payment["state"] == "awaiting_funds"
    base = f"/orders/{order['number']}/payments/{payment['id']}"
    assert api.post(f"{base}/capture", {"reason": "statement 2026-11-20"}).status_code == 200
    assert api.get(f"/orders/{order['number']}").json()["payment_status"] == "paid"


@pytest.mark.covers(
    "POST /orders",
    "GET /orders/{number}/payments",
    "POST /orders/{number}/payments",
    "GET /orders/{number}/payments/{payment_id}",
    "POST /orders/{number}/payments/{payment_id}/capture",
    "POST /orders/{number}/payments/{payment_id}/void",
    "POST /orders/{number}/payments/{payment_id}/refund",
)
def test_payment_input_errors_name_their_fields(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    code = make_channel(api)
    body = order_body(
        code, {"sku": sku, "quantity": 1}, payment={"method": "card", "amount": "1.234"}
    )
    response = api.post("/orders", body)
    assert response.status_code == 422
    assert "payment.amount" in field_errors(response)
    missing = api.post("/orders/SO-999999999/payments", {"method": "bank_transfer"})
    assert missing.status_code == 404
    order = place(api, order_body(code, {"sku": sku, "quantity": 1}))
    number = order["number"]
    wrong = api.get(f"/orders/{number}/payments/999999")
    assert wrong.status_code == 404
    assert wrong.json()["code"] == "payment_not_found"
    assert api.get("/orders/SO-999999999/payments").status_code == 404
    assert api.get(f"/orders/{number}/payments/first").status_code == 422
    cheque = api.post(f"/orders/{number}/payments", {"method": "cheque"})
    assert cheque.status_code == 422
    assert "method" in field_errors(cheque)
    real = api.post(f"/orders/{number}/payments", {"method": "bank_transfer"}).json()["id"]
    for action in ("capture", "void", "refund"):
        unknown = api.post(f"/orders/{number}/payments/999999/{action}", {})
        assert unknown.status_code == 404, action
        bad = api.post(f"/orders/{number}/payments/{real}/{action}", {"reason": ["x"]})
        assert bad.status_code == 422, action
    assert api.get(f"/orders/{number}/payments/{real}").json()["state"] == "awaiting_funds"


def test_sales_may_take_payments_but_only_finance_moves_money(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    order = paid_order(api, warehouse)
    (payment,) = payments(api, order["number"])
    base = f"/orders/{order['number']}/payments/{payment['id']}"
    sales = api.other()
    sales.sign_in(make_user(server.db, Role.SALES).email, TEST_PASSWORD)
    finance = api.other()
    finance.sign_in(make_user(server.db, Role.FINANCE).email, TEST_PASSWORD)
    assert sales.post(f"{base}/capture", {}).status_code == 403
    assert finance.post(f"{base}/capture", {}).status_code == 200
    sales.close()
    finance.close()


@pytest.mark.covers(
    "POST /gift-cards",
    "GET /gift-cards",
    "GET /gift-cards/{code}",
    "POST /gift-cards/{code}/deactivate",
)
def test_a_gift_card_pays_part_of_an_order(api: ApiClient, warehouse: str) -> None:
    issued = api.post(
        "/gift-cards", {"amount": "10.00", "currency": "EUR", "note": "birthday present"}
    )
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    sku = stocked_sku(api, warehouse)
    channel = make_channel(api)
    payment = {"method": "gift_card", "token": code, "amount": "10.00"}
    order = place(api, order_body(channel, {"sku": sku, "quantity": 3}, payment=payment))
    assert order["payment_status"] == "authorized"
    assert api.get(f"/gift-cards/{code}").json()["balance"]["amount"] == "0.00"
    rest = api.post(f"/orders/{order['number']}/payments", {"method": "card", "token": token(api)})
    assert rest.json()["authorized"]["amount"] == "20.00"
    assert code in [c["code"] for c in api.get("/gift-cards").json()]
    gone = api.post(f"/gift-cards/{code}/deactivate")
    assert gone.status_code == 200
    assert gone.json()["is_active"] is False
    # bad input and unknown things
    assert api.post("/gift-cards", {"amount": "0.001", "currency": "EUR"}).status_code == 422
    assert api.get("/gift-cards", params={"customer": "nobody"}).status_code == 422
    assert api.get("/gift-cards/GC-AAAA-BBBB-CCCC").status_code == 404
    assert api.post("/gift-cards/GC-AAAA-BBBB-CCCC/deactivate").status_code == 404
    store_credit = api.post(
        "/gift-cards", {"amount": "5.00", "currency": "EUR", "customer": "someone"}
    )
    assert store_credit.status_code == 422
