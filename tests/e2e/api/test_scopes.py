"""Users and tokens limited to some locations and channels see and change only those."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from openoms.identity.model import Permission, Role
from tests.builders import TEST_PASSWORD, make_token, make_user
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import make_channel, order_body, place, stocked_sku


@dataclass(frozen=True)
class Shop:
    store: str
    warehouse: str
    till: str  # the store's point-of-sale channel
    web: str
    sku: str
    store_orders: list[str]  # sold at the till, or picked up at the store
    web_order: str  # shipped from the warehouse


@pytest.fixture
def shop(api: ApiClient) -> Shop:
    store = api.create_location(kind="store", can_pickup=True, priority=1)
    warehouse = api.create_location(priority=2)
    till = make_channel(api, kind="point_of_sale", locations=[store])
    web = make_channel(api, locations=[warehouse, store])
    sku = stocked_sku(api, store, 10)
    api.receive(warehouse, sku, 10)
    line = {"sku": sku, "quantity": 1}
    handed_over = {"shipping_address": None, "pickup_location": store}
    at_till = place(api, order_body(till, line, **handed_over))["number"]
    pickup = place(api, order_body(web, line, shipping_address=None, pickup_location=store))[
        "number"
    ]
    far = {"line1": "1 Main St", "city": "Reno", "postal_code": "89501", "country": "US"}
    shipped = place(api, order_body(web, line, shipping_address=far))
    assert shipped["allocations"][0]["location"] == warehouse
    return Shop(store, warehouse, till, web, sku, [at_till, pickup], shipped["number"])


@pytest.fixture
def clerk(server: RunningServer, api: ApiClient, shop: Shop) -> Iterator[ApiClient]:
    """A store clerk: sales, limited to the store and its till, signed in by cookie."""
    user = make_user(server.db, Role.SALES, locations=[shop.store], channels=[shop.till])
    client = api.other()
    client.sign_in(user.email, TEST_PASSWORD)
    yield client
    client.close()


def test_a_store_clerk_lists_only_the_orders_of_their_store(clerk: ApiClient, shop: Shop) -> None:
    listed = {o["number"] for o in clerk.get("/orders", params={"limit": 200}).json()["items"]}

    assert set(shop.store_orders) <= listed
    assert shop.web_order not in listed


def test_a_store_clerk_cannot_open_or_change_another_stores_order_by_its_number(
    clerk: ApiClient, shop: Shop
) -> None:
    number = shop.web_order

    answers = [
        clerk.get(f"/orders/{number}"),
        clerk.get(f"/orders/{number}/timeline"),
        clerk.post(f"/orders/{number}/hold", {"reason": "manual"}),
        clerk.post(f"/orders/{number}/cancel", {"reason": "not mine"}),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert clerk.get(f"/orders/{shop.store_orders[0]}").status_code == 200
    assert clerk.post(f"/orders/{shop.store_orders[0]}/hold", {"reason": "manual"}).is_success


def test_a_store_clerk_takes_orders_at_their_till_only(clerk: ApiClient, shop: Shop) -> None:
    line = {"sku": shop.sku, "quantity": 1}

    handed_over = {"shipping_address": None, "pickup_location": shop.store}
    at_till = clerk.post("/orders", order_body(shop.till, line, **handed_over))
    on_the_web = clerk.post("/orders", order_body(shop.web, line))

    assert at_till.status_code == 201
    assert on_the_web.status_code == 403
    assert shop.till in on_the_web.json()["detail"]


def test_a_warehouse_user_sees_and_moves_stock_at_their_location_only(
    server: RunningServer, api: ApiClient, shop: Shop
) -> None:
    # given
    user = make_user(server.db, Role.WAREHOUSE, locations=[shop.warehouse])
    picker = api.other()
    picker.sign_in(user.email, TEST_PASSWORD)
    # when
    levels = picker.get("/inventory/levels", params={"sku": shop.sku}).json()["items"]
    elsewhere = picker.get("/inventory/levels", params={"location": shop.store}).json()["items"]
    movements = picker.get("/inventory/movements", params={"sku": shop.sku}).json()["items"]
    adjust_here = picker.post(
        "/inventory/adjustments",
        {"location": shop.warehouse, "sku": shop.sku, "quantity_delta": -1, "reason": "damaged"},
    )
    adjust_there = picker.post(
        "/inventory/adjustments",
        {"location": shop.store, "sku": shop.sku, "quantity_delta": -1, "reason": "damaged"},
    )
    send_to_store = picker.post(
        "/transfers",
        {
            "from_location": shop.warehouse,
            "to_location": shop.store,
            "lines": [{"sku": shop.sku, "quantity": 1}],
        },
    )
    other = api.create_location()
    between_others = picker.post(
        "/transfers",
        {
            "from_location": shop.store,
            "to_location": other,
            "lines": [{"sku": shop.sku, "quantity": 1}],
        },
    )
    # then
    assert {lv["location"] for lv in levels} == {shop.warehouse}
    assert elsewhere == []
    assert {m["location"] for m in movements} == {shop.warehouse}
    assert adjust_here.status_code == 201
    assert adjust_there.status_code == 403
    assert send_to_store.status_code == 201
    assert between_others.status_code == 403
    number = send_to_store.json()["number"]
    assert picker.post(f"/transfers/{number}/ship").status_code == 200
    assert picker.post(f"/transfers/{number}/receive").status_code == 403  # the store receives
    picker.close()


def test_a_token_limited_to_a_channel_sees_that_channels_orders(
    server: RunningServer, api: ApiClient, shop: Shop
) -> None:
    token = make_token(
        server.db,
        frozenset({Permission.ORDERS_VIEW, Permission.ORDERS_CREATE}),
        channels=[shop.web],
    )
    marketplace = api.other(token)

    listed = {
        o["number"] for o in marketplace.get("/orders", params={"limit": 200}).json()["items"]
    }

    assert shop.web_order in listed
    assert shop.store_orders[0] not in listed  # sold at the till
    assert marketplace.get(f"/orders/{shop.store_orders[0]}").status_code == 404
    assert (
        marketplace.post(
            "/orders", order_body(shop.till, {"sku": shop.sku, "quantity": 1})
        ).status_code
        == 403
    )
    marketplace.close()
