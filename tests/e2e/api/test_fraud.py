"""Fraud over HTTP: a risky order waits in review, staff approve or reject it; the
blocklist."""

from __future__ import annotations

from typing import Any

import pytest

from openoms.identity.model import Role
from tests.builders import TEST_PASSWORD, make_user, random_code
from tests.e2e.api.client import ApiClient, field_errors
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import ADDRESS, make_channel, order_body, stocked_sku
from tests.e2e.api.test_payments import payments, token

Json = dict[str, Any]
REVIEW_MISMATCH = {
    "review_at": 15,
    "reject_at": 100,
    "rules": [
        {"kind": "country_mismatch", "points": 15},
        {"kind": "blocklist_email", "points": 100, "force_decision": "reject"},
    ],
}


def risky_order(api: ApiClient, warehouse: str) -> Json:
    sku = stocked_sku(api, warehouse)
    channel = make_channel(api, fraud_rules=REVIEW_MISMATCH)
    berlin = {**ADDRESS, "country": "DE", "city": "Berlin", "postal_code": "10115"}
    body = order_body(
        channel,
        {"sku": sku, "quantity": 1},
        billing_address=berlin,
        payment={"method": "card", "token": token(api)},
        client={"ip": "198.51.100.20", "device_id": "d-42"},
    )
    response = api.post("/orders", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.covers("GET /fraud/reviews", "POST /orders/{number}/fraud-review/approve")
def test_a_risky_order_waits_in_review_until_approved(api: ApiClient, warehouse: str) -> None:
    order = risky_order(api, warehouse)
    assert (order["status"], order["hold_reason"]) == ("on_hold", "fraud")
    queue = api.get("/fraud/reviews").json()
    (mine,) = [r for r in queue if r["order"] == order["number"]]
    assert mine["score"] == 15
    assert mine["reasons"][0]["message"] == "Billing country DE differs from shipping country NL"
    approved = api.post(f"/orders/{order['number']}/fraud-review/approve", {"note": "known buyer"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "allocated"
    assert order["number"] not in [r["order"] for r in api.get("/fraud/reviews").json()]
    done = api.get("/fraud/reviews", params={"waiting": "false"}).json()
    assert [r["review"] for r in done if r["order"] == order["number"]] == ["approved"]
    again = api.post(f"/orders/{order['number']}/fraud-review/approve", {})
    assert again.status_code == 409
    assert api.get("/fraud/reviews", params={"waiting": "maybe"}).status_code == 422
    missing = api.post("/orders/SO-999999999/fraud-review/approve", {})
    assert missing.status_code == 404
    assert (
        api.post(f"/orders/{order['number']}/fraud-review/approve", {"note": 5}).status_code == 422
    )


@pytest.mark.covers("POST /orders/{number}/fraud-review/reject")
def test_rejecting_cancels_and_voids(api: ApiClient, warehouse: str) -> None:
    order = risky_order(api, warehouse)
    rejected = api.post(f"/orders/{order['number']}/fraud-review/reject", {"note": "stolen"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "cancelled"
    assert [p["state"] for p in payments(api, order["number"])] == ["voided"]
    assert api.post("/orders/SO-999999999/fraud-review/reject", {}).status_code == 404
    assert api.post(f"/orders/{order['number']}/fraud-review/reject", {"x": 1}).status_code == 422


@pytest.mark.covers(
    "GET /fraud/blocklist", "POST /fraud/blocklist", "DELETE /fraud/blocklist/{entry_id}"
)
def test_a_blocklisted_email_is_rejected_at_placement(api: ApiClient, warehouse: str) -> None:
    domain = f"{random_code('d').lower()}.example"
    entry = api.post("/fraud/blocklist", {"kind": "email", "value": f"@{domain}"})
    assert entry.status_code == 201, entry.text
    sku = stocked_sku(api, warehouse)
    channel = make_channel(api, fraud_rules=REVIEW_MISMATCH)
    body = order_body(
        channel, {"sku": sku, "quantity": 1}, payment={"method": "card", "token": token(api)}
    )
    body["customer"]["email"] = f"buyer@{domain}"
    order = api.post("/orders", body).json()
    assert order["status"] == "cancelled"
    assert order["payment_status"] == "unpaid"
    assert f"@{domain}" in [e["value"] for e in api.get("/fraud/blocklist").json()]
    bad = api.post("/fraud/blocklist", {"kind": "ip", "value": "not-an-ip"})
    assert bad.status_code == 422
    assert "value" in field_errors(bad)
    assert api.delete(f"/fraud/blocklist/{entry.json()['id']}").status_code == 204
    assert api.delete(f"/fraud/blocklist/{entry.json()['id']}").status_code == 404
    assert api.delete("/fraud/blocklist/abc").status_code == 422


def test_bad_fraud_rules_on_a_channel_name_the_field(api: ApiClient) -> None:
    body = {
        "code": random_code("CH"),
        "name": "Test",
        "kind": "web_shop",
        "currencies": ["EUR"],
        "fraud_rules": {"review_at": 10, "reject_at": 5, "rules": [{"kind": "nope", "points": 1}]},
    }
    response = api.post("/channels", body)
    assert response.status_code == 422
    assert any(f.startswith("fraud_rules.") for f in field_errors(response))


def test_a_fraud_hold_is_released_only_by_fraud_review(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    order = risky_order(api, warehouse)
    sales = api.other()
    sales.sign_in(make_user(server.db, Role.SALES).email, TEST_PASSWORD)
    refused = sales.post(f"/orders/{order['number']}/release", {"note": "looks fine"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "hold_not_releasable"
    assert api.get(f"/orders/{order['number']}").json()["hold_reason"] == "fraud"
    # a manual hold is theirs to release
    other = risky_order(api, warehouse)
    api.post(f"/orders/{other['number']}/fraud-review/approve", {})
    api.post(f"/orders/{other['number']}/hold", {"reason": "manual", "note": "wait"})
    assert sales.post(f"/orders/{other['number']}/release", {}).status_code == 200
    sales.close()
