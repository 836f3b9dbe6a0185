"""Orders over HTTP: every channel kind, four currencies, idempotency, lifecycle, queries."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, field_errors

Json = dict[str, Any]
KINDS = ["web_shop", "marketplace", "point_of_sale", "phone", "b2b", "kiosk"]
ADDRESS = {
    "name": "Ana Buyer",
    "line1": "Main 1",
    "city": "Utrecht",
    "postal_code": "3511",
    "country": "NL",
    "latitude": 52.09,
    "longitude": 5.12,
}


def make_channel(api: ApiClient, **fields: Any) -> str:
    body = {"code": random_code("CH"), "name": "Test", "kind": "web_shop", "currencies": ["EUR"]}
    body.update(fields)
    response = api.post("/channels", body)
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def stocked_sku(api: ApiClient, location: str, units: int = 20, **price: str) -> str:
    prices = [{"currency": c.upper(), "amount": a} for c, a in (price or {"eur": "10.00"}).items()]
    product = api.create_product([{"code": random_code("SKU"), "name": "Thing", "prices": prices}])
    sku = str(product["skus"][0]["code"])
    api.receive(location, sku, units)
    return sku


def order_body(channel: str, *lines: Json, **fields: Any) -> Json:
    body: Json = {
        "channel": channel,
        "customer": {"email": f"{random_code('c').lower()}@example.com", "name": "Ana"},
        "currency": "EUR",
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
        "lines": list(lines),
    }
    body.update(fields)
    return body


def place(api: ApiClient, body: Json, **kwargs: Any) -> Json:
    response = api.post("/orders", body, **kwargs)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.covers("POST /orders", "GET /orders/{number}", "PUT /tax-rates")
@pytest.mark.parametrize("kind", KINDS)
def test_every_channel_kind_places_an_order_that_is_allocated(
    api: ApiClient, warehouse: str, kind: str
) -> None:
    # given
    assert (
        api.put("/tax-rates", {"country": "NL", "rate": "0.21", "name": "BTW"}).status_code == 200
    )
    sku = stocked_sku(api, warehouse)
    channel = make_channel(api, kind=kind)
    # when
    order = place(api, order_body(channel, {"sku": sku, "quantity": 2}))
    # then
    assert order["status"] == "allocated"
    assert order["totals"]["total"] == {"currency": "EUR", "amount": "20.00", "amount_minor": 2000}
    assert order["totals"]["tax"]["amount"] == "3.47"
    assert order["allocations"] == [
        {"line_no": 1, "sku": sku, "location": warehouse, "quantity": 2}
    ]
    fetched = api.get(f"/orders/{order['number']}")
    assert fetched.json() == order
    assert api.level(sku, warehouse)["reserved"] == 2


@pytest.mark.covers("POST /orders", "PUT /fx-rates", "GET /fx-rates")
@pytest.mark.parametrize(
    ("currency", "country", "rate", "price", "included", "tax", "total", "fx", "base_total"),
    [
        ("EUR", "DE", "0.19", "119.00", True, "19.00", "119.00", None, "119.00"),
        ("USD", "US", "0.0825", "10.00", False, "0.83", "10.83", "0.92", "9.96"),
        ("JPY", "JP", "0.10", "1980", True, "180", "1980", "0.0062", "12.28"),
        ("KWD", "KW", "0.05", "12.345", False, "0.617", "12.962", "2.98", "38.63"),
    ],
)
def test_totals_are_exact_in_each_currency_and_converted_to_the_base(
    api: ApiClient,
    warehouse: str,
    currency: str,
    country: str,
    rate: str,
    price: str,
    included: bool,
    tax: str,
    total: str,
    fx: str | None,
    base_total: str,
) -> None:
    # given
    api.put("/tax-rates", {"country": country, "rate": rate, "name": "tax"})
    if fx:
        assert api.put("/fx-rates", {"currency": currency, "rate_to_base": fx}).status_code == 200
    sku = stocked_sku(api, warehouse, **{currency.lower(): price})
    channel = make_channel(api, currencies=[currency], prices_include_tax=included)
    address = {**ADDRESS, "country": country}
    # when
    order = place(
        api,
        order_body(
            channel,
            {"sku": sku, "quantity": 1},
            currency=currency,
            billing_address=address,
            shipping_address=address,
        ),
    )
    # then
    assert order["totals"]["tax"]["amount"] == tax
    assert order["totals"]["total"]["amount"] == total
    assert order["totals"]["base_total"]["amount"] == base_total
    rates = api.get("/fx-rates").json()
    assert rates["base_currency"] == "EUR"


def test_bad_rates_are_refused(api: ApiClient) -> None:
    bad_tax = api.put("/tax-rates", {"country": "ZZ", "rate": "1.5"})
    assert set(field_errors(bad_tax)) == {"country", "rate"}
    bad_fx = api.put("/fx-rates", {"currency": "USD", "rate_to_base": "0"})
    assert bad_fx.status_code == 422
    assert api.put("/fx-rates", {"currency": "XXX", "rate_to_base": "1"}).status_code == 422


@pytest.mark.covers("GET /tax-rates")
def test_tax_rates_are_listed(api: ApiClient) -> None:
    api.put("/tax-rates", {"country": "BE", "rate": "0.21", "name": "BTW"})
    rates = api.get("/tax-rates").json()
    assert {"country": "BE", "region": "", "rate": "0.21", "name": "BTW"} in rates


@pytest.mark.covers("POST /orders")
def test_a_bad_order_names_every_bad_field_and_changes_nothing(
    api: ApiClient, warehouse: str
) -> None:
    sku = stocked_sku(api, warehouse, units=5)
    channel = make_channel(api)
    body = order_body(
        channel,
        {"sku": sku, "quantity": 1, "unit_price": "1.999"},
        {"sku": sku, "quantity": 1, "discount": "-1"},
        customer={"email": "nope"},
    )
    response = api.post("/orders", body)
    assert response.status_code == 422
    assert set(field_errors(response)) == {"lines[0].unit_price", "lines[1].discount", "email"}
    zero = api.post("/orders", order_body(channel, {"sku": sku, "quantity": 0}))
    assert set(field_errors(zero)) == {"lines[0].quantity"}
    unknown = api.post("/orders", order_body(channel, {"sku": "NO-SUCH", "quantity": 1}))
    assert unknown.status_code == 404
    wrong_currency = api.post(
        "/orders", order_body(channel, {"sku": sku, "quantity": 1}, currency="USD")
    )
    assert wrong_currency.json()["code"] == "currency_not_sold"
    short = api.post("/orders", order_body(channel, {"sku": sku, "quantity": 6}))
    assert short.status_code == 409
    assert short.json()["shortages"] == [{"line": 1, "sku": sku, "short": 1}]
    assert api.level(sku, warehouse)["reserved"] == 0


@pytest.mark.covers("POST /orders")
def test_the_same_external_id_from_two_keys_gives_one_order(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    body = order_body(make_channel(api), {"sku": sku, "quantity": 1}, external_id=random_code("M"))
    first = api.post("/orders", body, headers={"Idempotency-Key": random_code("k")})
    second = api.post("/orders", body, headers={"Idempotency-Key": random_code("k")})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert api.level(sku, warehouse)["reserved"] == 1


def test_twenty_concurrent_identical_submissions_make_one_order(
    api: ApiClient, warehouse: str
) -> None:
    sku = stocked_sku(api, warehouse)
    body = order_body(make_channel(api), {"sku": sku, "quantity": 1}, external_id=random_code("M"))
    key = random_code("key")
    barrier = threading.Barrier(20)

    def submit(_i: int) -> tuple[int, str]:
        barrier.wait()
        response = api.post("/orders", body, headers={"Idempotency-Key": key})
        return response.status_code, response.json().get("number", "")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(submit, range(20)))
    numbers = {n for status, n in results if status in (200, 201)}
    assert len(numbers) == 1, results
    assert api.level(sku, warehouse)["reserved"] == 1


@pytest.mark.covers(
    "POST /orders/{number}/hold",
    "POST /orders/{number}/release",
    "POST /orders/{number}/cancel",
    "POST /orders/{number}/notes",
    "GET /orders/{number}/timeline",
)
def test_an_order_is_held_released_noted_and_cancelled(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    number = place(api, order_body(make_channel(api), {"sku": sku, "quantity": 3}))["number"]
    held = api.post(f"/orders/{number}/hold", {"reason": "manual", "note": "call the customer"})
    assert held.json()["status"] == "on_hold"
    again = api.post(f"/orders/{number}/hold", {"reason": "fraud"})
    assert again.status_code == 409
    assert api.post(f"/orders/{number}/hold", {"reason": "whim"}).status_code == 422
    assert api.post(f"/orders/{number}/release", {"note": 5}).status_code == 422
    assert api.post(f"/orders/{number}/release").json()["status"] == "allocated"
    assert api.post(f"/orders/{number}/notes", {"text": "called, all fine"}).status_code == 201
    assert api.post(f"/orders/{number}/notes", {"text": ""}).status_code == 422
    assert api.post(f"/orders/{number}/cancel", {"reason": ""}).status_code == 422
    cancelled = api.post(f"/orders/{number}/cancel", {"reason": "customer asked"})
    assert cancelled.json()["status"] == "cancelled"
    assert api.level(sku, warehouse)["reserved"] == 0
    assert api.post(f"/orders/{number}/release").status_code == 409
    timeline = api.get(f"/orders/{number}/timeline").json()
    assert [e["to_status"] for e in timeline if e["to_status"]] == [
        "placed",
        "confirmed",
        "allocated",
        "on_hold",
        "allocated",
        "cancelled",
    ]
    assert [e["reason"] for e in timeline if e["kind"] == "note"] == ["called, all fine"]
    valid = {
        "hold": {"reason": "manual"},
        "release": {},
        "cancel": {"reason": "x"},
        "notes": {"text": "x"},
    }
    for path, body in valid.items():
        assert api.post(f"/orders/SO-999999999/{path}", body).status_code == 404
    assert api.get("/orders/SO-999999999/timeline").status_code == 404
    assert api.get("/orders/SO-999999999").status_code == 404


@pytest.mark.covers("GET /orders")
def test_orders_are_listed_with_filters_and_pages(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    channel = make_channel(api)
    tag = random_code("t").lower()
    numbers = [
        place(
            api,
            order_body(
                channel,
                {"sku": sku, "quantity": 1},
                tags=[tag],
                special_codes=["rush"] if i == 0 else [],
            ),
        )["number"]
        for i in range(3)
    ]
    page = api.get("/orders", params={"channel": channel, "limit": 2}).json()
    rest = api.get("/orders", params={"channel": channel, "cursor": page["next_cursor"]}).json()
    assert [o["number"] for o in page["items"] + rest["items"]] == numbers[::-1]
    assert [
        o["number"]
        for o in api.get("/orders", params={"tag": tag, "min_priority": 50}).json()["items"]
    ] == [numbers[0]]
    everyone = api.get("/orders", params={"tag": tag, "min_priority": 0}).json()["items"]
    assert [o["number"] for o in everyone] == numbers[::-1]  # priority 0 counts too
    by_text = api.get("/orders", params={"q": numbers[1]}).json()["items"]
    assert [o["number"] for o in by_text] == [numbers[1]]
    assert api.get("/orders", params={"status": "allocated", "channel": channel}).json()["items"]
    assert api.get("/orders", params={"status": "bogus"}).status_code == 422
    assert api.get("/orders", params={"cursor": "garbage"}).status_code == 422


@pytest.mark.covers("POST /orders/{number}/cancel-lines", "PUT /orders/{number}/shipping-address")
def test_an_order_is_changed_before_it_ships(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse, units=10)
    number = place(api, order_body(make_channel(api), {"sku": sku, "quantity": 4}))["number"]
    cut = api.post(f"/orders/{number}/cancel-lines", {"lines": {"1": 1}, "reason": "one less"})
    assert cut.status_code == 200, cut.text
    assert cut.json()["lines"][0]["quantity_cancelled"] == 1
    assert api.level(sku, warehouse)["reserved"] == 3
    too_many = api.post(f"/orders/{number}/cancel-lines", {"lines": {"1": 9}, "reason": "x"})
    assert set(field_errors(too_many)) == {"lines.1"}
    new_address = {**ADDRESS, "city": "Amersfoort", "postal_code": "3811"}
    moved = api.put(f"/orders/{number}/shipping-address", {"shipping_address": new_address})
    assert moved.json()["shipping_address"]["city"] == "Amersfoort"
    assert api.level(sku, warehouse)["reserved"] == 3
    bad = api.put(
        f"/orders/{number}/shipping-address", {"shipping_address": {**new_address, "country": "QQ"}}
    )
    assert bad.status_code == 422
    assert (
        api.post(
            "/orders/SO-999999999/cancel-lines", {"lines": {"1": 1}, "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        api.put(
            "/orders/SO-999999999/shipping-address", {"shipping_address": new_address}
        ).status_code
        == 404
    )
    api.post(f"/orders/{number}/cancel", {"reason": "done"})
    late = api.put(f"/orders/{number}/shipping-address", {"shipping_address": new_address})
    assert late.status_code == 409


@pytest.mark.covers("POST /orders/{number}/changes")
def test_a_change_set_answers_with_the_balance(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse, units=10)
    extra = stocked_sku(api, warehouse, units=10, eur="5.00")
    number = place(api, order_body(make_channel(api), {"sku": sku, "quantity": 2}))["number"]
    changed = api.post(
        f"/orders/{number}/changes",
        {"changes": [{"line": 1, "quantity": 3}, {"sku": extra, "quantity": 1}]},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["version"], body["balance"]["amount"]) == (2, "15.00")
    assert [ln["quantity_ordered"] for ln in body["order"]["lines"]] == [3, 1]
    bad = api.post(f"/orders/{number}/changes", {"changes": [{"quantity": 1}]})
    assert set(field_errors(bad)) == {"changes[0].sku"}
    bad_price = api.post(
        f"/orders/{number}/changes",
        {"changes": [{"sku": extra, "quantity": 1, "unit_price": "1.001"}]},
    )
    assert set(field_errors(bad_price)) == {"changes[0].unit_price"}
    assert api.post(f"/orders/{number}/changes", {"changes": []}).status_code == 422
    missing = api.post("/orders/SO-999999999/changes", {"changes": [{"line": 1, "quantity": 1}]})
    assert missing.status_code == 404
    api.post(f"/orders/{number}/cancel", {"reason": "done"})
    late = api.post(f"/orders/{number}/changes", {"changes": [{"line": 1, "quantity": 1}]})
    assert late.status_code == 409


@pytest.mark.covers("POST /orders/{number}/resource")
def test_an_order_is_sourced_again_when_stock_arrives_nearer(api: ApiClient) -> None:
    # given an order that could only come from far away (Reno), and backordered units
    far = api.create_location(latitude=39.53, longitude=-119.81, timezone="America/Los_Angeles")
    near = api.create_location()  # Amsterdam, 40 km from Utrecht
    sku = stocked_sku(api, far, units=2)
    channel = make_channel(api, allow_backorder=True, locations=[far, near])
    order = place(api, order_body(channel, {"sku": sku, "quantity": 3}))
    assert [(a["location"], a["quantity"]) for a in order["allocations"]] == [(far, 2)]
    assert order["status"] == "backordered"
    # when stock arrives nearby and the order is sourced again
    api.receive(near, sku, 5)
    again = api.post(f"/orders/{order['number']}/resource")
    # then
    assert again.status_code == 200, again.text
    body = again.json()
    assert [(a["location"], a["quantity"]) for a in body["allocations"]] == [(near, 3)]
    assert body["status"] == "allocated"
    assert api.level(sku, far)["reserved"] == 0
    assert api.level(sku, near)["reserved"] == 3
    timeline = api.get(f"/orders/{order['number']}/timeline").json()
    assert any(e["kind"] == "re_sourced" for e in timeline)
    assert api.post("/orders/SO-999999999/resource").status_code == 404
    api.post(f"/orders/{order['number']}/cancel", {"reason": "test"})
    assert api.post(f"/orders/{order['number']}/resource").status_code == 409
