"""Carts over HTTP: lines hold stock at once, checkout keeps it, expired carts are listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openoms.carts.expiry import expire_carts
from openoms.shared import clock
from tests.e2e.api.client import ApiClient, field_errors
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import ADDRESS, make_channel, stocked_sku

Json = dict[str, Any]
NO_CART = "no-such-cart-token"
# Carts that expire are made in the past: their cart.abandoned events must not look newer
# than the webhook subscriptions later tests create (a subscription hears only later events).
PAST = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)


def open_cart(api: ApiClient, channel: str, *lines: tuple[str, int], **fields: Any) -> Json:
    body: Json = {
        "channel": channel,
        "currency": "EUR",
        "lines": [{"sku": s, "quantity": q} for s, q in lines],
    }
    body.update(fields)
    response = api.post("/carts", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def checkout_body(**fields: Any) -> Json:
    body: Json = {"billing_address": ADDRESS, "shipping_address": ADDRESS}
    body.update(fields)
    return body


def expire_all(server: RunningServer, cart: Json) -> None:
    at = datetime.fromisoformat(cart["expires_at"]) + timedelta(seconds=1)
    with clock.frozen(at):
        while expire_carts(server.app.state.db):
            pass


@pytest.mark.covers("POST /carts", "GET /carts/{token}")
def test_a_cart_is_opened_with_lines_that_hold_stock_at_once(
    api: ApiClient, warehouse: str
) -> None:
    # given
    sku = stocked_sku(api, warehouse, units=5)
    channel = make_channel(api)
    # when
    cart = open_cart(api, channel, (sku, 2), email="ana@example.com")
    # then
    assert cart["status"] == "open"
    assert cart["ttl_minutes"] == 30
    assert cart["value"] == {"currency": "EUR", "amount": "20.00", "amount_minor": 2000}
    assert cart["lines"][0]["unit_price"]["amount"] == "10.00"
    assert api.level(sku, warehouse)["reserved"] == 2
    assert api.get(f"/carts/{cart['token']}").json() == cart
    assert api.get(f"/carts/{NO_CART}").status_code == 404


@pytest.mark.covers("POST /carts")
def test_a_bad_cart_names_every_bad_field(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse, units=1)
    channel = make_channel(api)

    bad = api.post(
        "/carts",
        {"channel": channel, "currency": "EUR", "ttl_minutes": 0, "lines": [{"sku": sku}]},
    )
    unknown_currency = api.post("/carts", {"channel": channel, "currency": "XXX"})
    short = api.post(
        "/carts", {"channel": channel, "currency": "EUR", "lines": [{"sku": sku, "quantity": 2}]}
    )
    no_channel = api.post("/carts", {"channel": "NO-SUCH-CHANNEL", "currency": "EUR"})
    not_sold = api.post("/carts", {"channel": channel, "currency": "USD"})

    assert set(field_errors(bad)) == {"ttl_minutes", "lines[0].quantity"}
    assert field_errors(unknown_currency) == {
        "currency": "'XXX' is not an active ISO 4217 currency code"
    }
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_stock")
    assert short.json()["shortages"] == [
        {"sku": sku, "location": None, "requested": 2, "available": 1}
    ]
    assert no_channel.status_code == 404
    assert not_sold.json()["code"] == "currency_not_sold"
    assert api.level(sku, warehouse)["reserved"] == 0


@pytest.mark.covers(
    "POST /carts/{token}/lines",
    "PUT /carts/{token}/lines/{sku}",
    "DELETE /carts/{token}/lines/{sku}",
)
def test_lines_are_added_changed_and_removed_and_stock_follows(
    api: ApiClient, warehouse: str
) -> None:
    sku = stocked_sku(api, warehouse, units=10)
    token = open_cart(api, make_channel(api))["token"]

    added = api.post(f"/carts/{token}/lines", {"sku": sku, "quantity": 3})
    more = api.post(f"/carts/{token}/lines", {"sku": sku, "quantity": 1})
    assert more.json()["lines"][0]["quantity"] == 4
    assert api.level(sku, warehouse)["reserved"] == 4
    fewer = api.put(f"/carts/{token}/lines/{sku}", {"quantity": 1})
    assert fewer.json()["value"]["amount"] == "10.00"
    assert api.level(sku, warehouse)["reserved"] == 1
    removed = api.http.delete(f"/carts/{token}/lines/{sku}")

    assert (added.status_code, fewer.status_code, removed.status_code) == (200, 200, 200)
    assert removed.json()["lines"] == []
    assert api.level(sku, warehouse)["reserved"] == 0


@pytest.mark.covers(
    "POST /carts/{token}/lines",
    "PUT /carts/{token}/lines/{sku}",
    "DELETE /carts/{token}/lines/{sku}",
)
def test_line_changes_refuse_bad_input_unknown_things_and_missing_stock(
    api: ApiClient, warehouse: str
) -> None:
    sku = stocked_sku(api, warehouse, units=2)
    token = open_cart(api, make_channel(api), (sku, 1))["token"]

    assert field_errors(api.post(f"/carts/{token}/lines", {"sku": sku, "quantity": 0})) == {
        "quantity": "Input should be greater than 0"
    }
    assert api.put(f"/carts/{token}/lines/{sku}", {"quantity": "many"}).status_code == 422
    assert api.post(f"/carts/{NO_CART}/lines", {"sku": sku, "quantity": 1}).status_code == 404
    assert api.put(f"/carts/{NO_CART}/lines/{sku}", {"quantity": 1}).status_code == 404
    assert api.http.delete(f"/carts/{NO_CART}/lines/{sku}").status_code == 404
    unknown_line = api.http.delete(f"/carts/{token}/lines/NO-SUCH-SKU")
    assert unknown_line.json()["code"] == "cart_line_not_found"
    unknown_sku = api.post(f"/carts/{token}/lines", {"sku": "NO-SUCH-SKU", "quantity": 1})
    assert unknown_sku.json()["code"] == "sku_not_found"
    short = api.put(f"/carts/{token}/lines/{sku}", {"quantity": 3})
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_stock")
    assert api.get(f"/carts/{token}").json()["lines"][0]["quantity"] == 1
    assert api.level(sku, warehouse)["reserved"] == 1


@pytest.mark.covers("PATCH /carts/{token}")
def test_an_update_sets_the_email_and_keeps_the_cart_alive(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    with clock.frozen(PAST):
        cart = open_cart(api, make_channel(api), (sku, 1), ttl_minutes=60)

    later = PAST + timedelta(minutes=50)
    with clock.frozen(later):
        updated = api.patch(f"/carts/{cart['token']}", {"email": "Late@Example.com"})

    assert updated.status_code == 200
    assert updated.json()["email"] == "late@example.com"
    assert datetime.fromisoformat(updated.json()["expires_at"]) == later + timedelta(minutes=60)
    assert field_errors(api.patch(f"/carts/{cart['token']}", {"email": "nope"})) == {
        "email": "'nope' is not an email address"
    }
    assert api.patch(f"/carts/{cart['token']}", {"colour": "red"}).status_code == 422
    assert api.patch(f"/carts/{NO_CART}", {}).status_code == 404


@pytest.mark.covers("POST /carts/{token}/checkout")
def test_checkout_places_the_order_with_the_carts_stock_once(
    api: ApiClient, warehouse: str
) -> None:
    # given
    sku = stocked_sku(api, warehouse, units=5)
    cart = open_cart(api, make_channel(api), (sku, 2), email="buyer@example.com")
    token = cart["token"]
    # when
    first = api.post(f"/carts/{token}/checkout", checkout_body(shipping_amount="4.95"))
    again = api.post(f"/carts/{token}/checkout", checkout_body())
    # then
    assert (first.status_code, again.status_code) == (201, 200)
    order = first.json()
    assert again.json()["number"] == order["number"]
    assert order["status"] == "allocated"
    assert order["totals"]["total"]["amount"] == "24.95"
    assert order["allocations"] == [
        {"line_no": 1, "sku": sku, "location": warehouse, "quantity": 2}
    ]
    assert api.level(sku, warehouse)["reserved"] == 2
    closed = api.get(f"/carts/{token}").json()
    assert (closed["status"], closed["order_number"]) == ("checked_out", order["number"])
    refused = api.post(f"/carts/{token}/lines", {"sku": sku, "quantity": 1})
    assert (refused.status_code, refused.json()["code"]) == (409, "cart_closed")


@pytest.mark.covers("POST /carts/{token}/checkout")
def test_checkout_refuses_bad_details_and_unknown_carts(api: ApiClient, warehouse: str) -> None:
    sku = stocked_sku(api, warehouse)
    channel = make_channel(api)
    token = open_cart(api, channel, (sku, 1))["token"]

    no_email = api.post(f"/carts/{token}/checkout", checkout_body())
    bad = api.post(
        f"/carts/{token}/checkout",
        checkout_body(email="a@example.com", shipping_amount="1.999", shipping_address=None),
    )
    no_address = api.post(f"/carts/{token}/checkout", {"email": "a@example.com"})
    empty = api.post(
        f"/carts/{open_cart(api, channel)['token']}/checkout", checkout_body(email="a@b.nl")
    )

    assert field_errors(no_email) == {"email": "the cart has no email: give the customer's"}
    assert set(field_errors(bad)) == {"shipping_amount"}
    assert set(field_errors(no_address)) == {"billing_address"}
    assert (empty.status_code, empty.json()["code"]) == (409, "cart_empty")
    assert api.post(f"/carts/{NO_CART}/checkout", checkout_body()).status_code == 404
    assert api.get(f"/carts/{token}").json()["status"] == "open"


@pytest.mark.covers("GET /carts/abandoned", "POST /carts/{token}/checkout")
def test_expired_carts_are_listed_for_follow_up_and_can_still_be_checked_out(
    api: ApiClient, server: RunningServer, warehouse: str
) -> None:
    # given two carts of one channel that ran out of time, one with an email
    sku = stocked_sku(api, warehouse, units=3)
    channel = make_channel(api)
    with clock.frozen(PAST):
        known = open_cart(api, channel, (sku, 2), email="back@example.com", ttl_minutes=1)
        anonymous = open_cart(api, channel, (sku, 1), ttl_minutes=1)
    # when
    expire_all(server, max(known, anonymous, key=lambda c: c["expires_at"]))
    # then their stock is free again and they are listed, newest first
    assert api.level(sku, warehouse)["reserved"] == 0
    every = api.get("/carts/abandoned", params={"channel": channel, "limit": 1}).json()
    rest = api.get(
        "/carts/abandoned", params={"channel": channel, "cursor": every["next_cursor"]}
    ).json()
    assert {c["token"] for c in every["items"] + rest["items"]} == {
        known["token"],
        anonymous["token"],
    }
    with_email = api.get(
        "/carts/abandoned", params={"channel": channel, "with_email_only": "true"}
    ).json()
    assert [(c["token"], c["value"]["amount"]) for c in with_email["items"]] == [
        (known["token"], "20.00")
    ]
    assert api.get("/carts/abandoned", params={"cursor": "garbage"}).status_code == 422
    assert api.get("/carts/abandoned", params={"since": "yesterday"}).status_code == 422
    # and when they come back after another shopper took 2 of the 3 units
    open_cart(api, channel, (sku, 2))
    short = api.post(f"/carts/{known['token']}/checkout", checkout_body())
    placed = api.post(
        f"/carts/{anonymous['token']}/checkout", checkout_body(email="late@example.com")
    )
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_stock")
    assert [s["sku"] for s in short.json()["shortages"]] == [sku]
    assert api.get(f"/carts/{known['token']}").json()["status"] == "abandoned"
    assert placed.status_code == 201
    assert api.level(sku, warehouse)["reserved"] == 3
