"""Console actions that cannot be done say why, in the flash message of the next page."""

from __future__ import annotations

import re

from openoms.identity.model import Role
from tests.builders import TEST_PASSWORD, make_user
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import make_channel, order_body, place, stocked_sku


def _flash(client: ApiClient, path: str) -> str:
    page = client.http.get(client.base_url + path).text
    found = re.search(r'class="flash (\w+)"[^>]*>([^<]*)<', page)
    assert found, page[:500]
    return f"{found.group(1)}: {found.group(2)}"


def test_a_refused_order_action_names_the_field_or_the_reason(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an order and a signed-in sales user
    sku = stocked_sku(api, warehouse, units=5)
    number = place(api, order_body(make_channel(api), {"sku": sku, "quantity": 1}))["number"]
    user = make_user(server.db, Role.SALES)
    browser = api.other()
    csrf = browser.sign_in(user.email, TEST_PASSWORD)
    base = f"{browser.base_url}/console/orders/{number}"
    # when a cancel is sent without a reason
    no_reason = browser.http.post(f"{base}/cancel", data={"csrf_token": csrf, "reason": " "})
    # then
    assert no_reason.status_code == 303
    assert _flash(browser, f"/console/orders/{number}") == (
        "error: Cancelled not done: reason: say why the order is cancelled"
    )
    # when a release is asked of an order that is not on hold
    browser.http.post(f"{base}/release", data={"csrf_token": csrf})
    # then
    assert _flash(browser, f"/console/orders/{number}") == (
        f"error: Released not done: Order {number} is allocated, not on hold."
    )
    # when it is cancelled with a reason
    browser.http.post(f"{base}/cancel", data={"csrf_token": csrf, "reason": "asked to"})
    # then
    assert _flash(browser, f"/console/orders/{number}") == "success: Cancelled: done."
    browser.close()


def test_a_refused_stock_action_names_the_field(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    sku = stocked_sku(api, warehouse, units=2)
    user = make_user(server.db, Role.WAREHOUSE)
    browser = api.other()
    csrf = browser.sign_in(user.email, TEST_PASSWORD)

    browser.http.post(
        f"{browser.base_url}/console/inventory/{sku}/adjust",
        data={"csrf_token": csrf, "location": warehouse, "quantity_delta": "0", "reason": "found"},
    )

    text = _flash(browser, f"/console/inventory/{sku}")
    assert text.startswith("error: Not done: quantity_delta: ")
    browser.close()
