"""Channels and customers over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, field_errors
from tests.e2e.api.test_orders import make_channel, order_body, place, stocked_sku


@pytest.mark.covers(
    "POST /channels", "GET /channels", "GET /channels/{code}", "PATCH /channels/{code}"
)
def test_a_channel_is_configured_read_and_changed(api: ApiClient, warehouse: str) -> None:
    code = make_channel(
        api,
        kind="marketplace",
        currencies=["EUR", "USD"],
        stock_buffer=2,
        sourcing_policy="priority",
        locations=[warehouse],
    )
    channel = api.get(f"/channels/{code}").json()
    assert (channel["kind"], channel["currencies"], channel["stock_buffer"]) == (
        "marketplace",
        ["EUR", "USD"],
        2,
    )
    assert code in [c["code"] for c in api.get("/channels").json()]
    changed = api.patch(f"/channels/{code}", {"allow_backorder": True, "is_active": False})
    assert (changed.json()["allow_backorder"], changed.json()["is_active"]) == (True, False)
    refused = api.post("/orders", order_body(code, {"sku": "X", "quantity": 1}))
    assert refused.json()["code"] == "channel_inactive"
    bad = api.post(
        "/channels",
        {"code": "bad code", "name": "Ok", "kind": "web_shop", "currencies": ["EUR", "XXX"]},
    )
    assert {"code", "currencies[1]"} <= set(field_errors(bad))
    assert api.patch(f"/channels/{code}", {"stock_buffer": -1}).status_code == 422
    assert api.get("/channels/NOPE").status_code == 404
    assert api.patch("/channels/NOPE", {"name": "x"}).status_code == 404
    assert (
        api.post(
            "/channels", {"code": code, "name": "Again", "kind": "kiosk", "currencies": ["EUR"]}
        ).status_code
        == 409
    )


@pytest.mark.covers("GET /channels/{code}/availability")
def test_a_channel_may_sell_its_locations_stock_less_its_buffer(api: ApiClient) -> None:
    mine, other = api.create_location(), api.create_location()
    sku = stocked_sku(api, mine, units=10)
    api.receive(other, sku, 7)
    code = make_channel(api, locations=[mine], stock_buffer=3)
    found = api.get(f"/channels/{code}/availability", params={"sku": f"{sku},NOPE"}).json()
    assert found == [{"sku": sku, "available": 7}, {"sku": "NOPE", "available": 0}]
    assert api.get(f"/channels/{code}/availability").status_code == 422
    assert api.get("/channels/NOPE/availability", params={"sku": sku}).status_code == 404


def customer_body(**fields: Any) -> dict[str, Any]:
    body = {
        "email": f"{random_code('c').lower()}@example.com",
        "name": "Kim Lee",
        "tags": ["vip"],
        "locale": "de_DE",
    }
    body.update(fields)
    return body


@pytest.mark.covers(
    "POST /customers",
    "GET /customers/{number}",
    "PATCH /customers/{number}",
    "POST /customers/{number}/emails",
    "POST /customers/{number}/addresses",
)
def test_a_customer_profile_is_kept(api: ApiClient) -> None:
    created = api.post(
        "/customers",
        customer_body(
            addresses=[
                {
                    "kind": "shipping",
                    "address": {"line1": "Main 1", "city": "Berlin", "country": "DE"},
                }
            ]
        ),
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["addresses"][0]["is_default"] is True
    more = api.post(f"/customers/{number}/emails", {"email": "Second.Address@Example.com"})
    assert "second.address@example.com" in more.json()["emails"]
    assert api.post(f"/customers/{number}/emails", {"email": "broken"}).status_code == 422
    address = {"kind": "billing", "address": {"line1": "Main 2", "city": "Berlin", "country": "DE"}}
    assert api.post(f"/customers/{number}/addresses", address).status_code == 201
    assert (
        api.post(
            f"/customers/{number}/addresses", {"kind": "billing", "address": {"country": "QQ"}}
        ).status_code
        == 422
    )
    patched = api.patch(
        f"/customers/{number}", {"marketing_consent": True, "notes": "prefers mail"}
    )
    assert patched.json()["marketing_consent"] is True
    assert patched.json()["consent_changed_at"] is not None
    assert api.patch(f"/customers/{number}", {"name": None}).status_code == 422
    assert api.get(f"/customers/{number}").json()["notes"] == "prefers mail"
    for path in ("", "/emails", "/addresses"):
        assert api.post(f"/customers/CUS-999999999{path}", address).status_code in (404, 405, 422)
    assert api.get("/customers/CUS-999999999").status_code == 404
    assert api.get("/customers/nonsense").status_code == 404
    assert api.patch("/customers/CUS-999999999", {"notes": "x"}).status_code == 404
    assert api.post("/customers/CUS-999999999/emails", {"email": "a@b.cd"}).status_code == 404


def test_a_second_customer_with_a_known_email_is_a_conflict(api: ApiClient) -> None:
    body = customer_body()
    assert api.post("/customers", body).status_code == 201
    again = api.post("/customers", {**body, "email": body["email"].upper()})
    assert again.json()["code"] == "duplicate_email"
    bad = api.post("/customers", customer_body(email="no-at-sign", locale="english"))
    assert set(field_errors(bad)) == {"email", "locale"}


@pytest.mark.covers("GET /customers", "GET /customers/{number}/orders")
def test_customers_are_found_and_their_orders_listed(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    email = f"{random_code('shopper').lower()}@example.com"
    channel = make_channel(api)
    body = order_body(channel, {"sku": sku, "quantity": 1}, customer={"email": email})
    numbers = [place(api, body)["number"] for _ in range(2)]
    [customer] = api.get("/customers", params={"q": email}).json()["items"]
    history = api.get(f"/customers/{customer['number']}/orders").json()["items"]
    assert [o["number"] for o in history] == numbers[::-1]
    by_tag = api.get("/customers", params={"tag": "vip", "limit": 1}).json()
    assert len(by_tag["items"]) <= 1
    assert api.get("/customers", params={"limit": 0}).status_code == 422
    assert api.get("/customers/CUS-999999999/orders").status_code == 404
    assert (
        api.get(f"/customers/{customer['number']}/orders", params={"limit": 0}).status_code == 422
    )
    listed = api.get("/orders", params={"customer": customer["number"]}).json()["items"]
    assert len(listed) == 2
