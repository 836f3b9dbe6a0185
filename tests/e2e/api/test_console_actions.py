"""Console actions that cannot be done say why, in the flash message of the next page."""

from __future__ import annotations

import html
import re
from typing import Any

from openoms.identity.model import Role
from tests.builders import TEST_PASSWORD, make_user
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_fraud import risky_order
from tests.e2e.api.test_orders import make_channel, order_body, place, stocked_sku
from tests.e2e.api.test_payments import paid_order, payments, token


def _flash(client: ApiClient, path: str) -> str:
    page = client.http.get(client.base_url + path).text
    found = re.search(r'class="flash (\w+)"[^>]*>([^<]*)<', page)
    assert found, page[:500]
    return f"{found.group(1)}: {html.unescape(found.group(2))}"


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


# --- payments and fraud review on the console -------------------------------------------


def _console(server: RunningServer, api: ApiClient, role: Role) -> tuple[ApiClient, str]:
    """A browser-like client signed in by cookie as a new user of ``role``; its CSRF token."""
    browser = api.other()
    csrf = browser.sign_in(make_user(server.db, role).email, TEST_PASSWORD)
    return browser, csrf


def _payment_path(number: str, payment: dict[str, Any]) -> str:
    return f"/console/orders/{number}/payments/{payment['id']}"


def test_sales_cannot_refund_from_the_console(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an order paid by card and captured at placement
    order = paid_order(api, warehouse, payment_capture="at_placement")
    (payment,) = payments(api, order["number"])
    assert payment["state"] == "captured"
    sales, csrf = _console(server, api, Role.SALES)
    # when sales posts the refund form
    response = sales.http.post(
        sales.base_url + _payment_path(order["number"], payment) + "/refund",
        data={"csrf_token": csrf, "amount": "5.00", "reason": "scratched"},
    )
    # then it is refused and nothing moves
    assert response.status_code == 403
    assert "payments.refund" in response.text
    (after,) = payments(api, order["number"])
    assert after["refunded"]["amount"] == "0.00"
    # and the order page offers sales no refund
    page = sales.http.get(f"{sales.base_url}/console/orders/{order['number']}").text
    assert "/refund" not in page
    assert "Payments" in page
    sales.close()


def test_a_refused_refund_says_why_and_moves_nothing(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given a captured card payment of €30.00
    order = paid_order(api, warehouse, payment_capture="at_placement")
    number = order["number"]
    (payment,) = payments(api, number)
    finance, csrf = _console(server, api, Role.FINANCE)
    refund = finance.base_url + _payment_path(number, payment) + "/refund"
    # when more than is refundable is asked
    response = finance.http.post(refund, data={"csrf_token": csrf, "amount": "30.01"})
    # then back to the order with the reason, nothing refunded
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/orders/{number}"
    assert _flash(finance, f"/console/orders/{number}") == (
        f"error: Refund not done: Cannot refund €30.01: €30.00 of payment {payment['id']} "
        "is refundable."
    )
    # when the amount has too many decimals
    finance.http.post(refund, data={"csrf_token": csrf, "amount": "1.001"})
    # then the field is named
    assert _flash(finance, f"/console/orders/{number}") == (
        "error: Refund not done: amount: EUR amounts have 2 decimal places at most, got '1.001'"
    )
    (after,) = payments(api, number)
    assert (after["refunded"]["amount"], after["state"]) == ("0.00", "captured")
    assert [t["kind"] for t in after["transactions"]] == ["authorization", "capture"]
    # when a part is refunded
    finance.http.post(refund, data={"csrf_token": csrf, "amount": "5.00", "reason": "dented"})
    # then
    assert _flash(finance, f"/console/orders/{number}") == (
        "success: Refunded €5.00 on visa •••• 4242"
    )
    assert api.get(f"/orders/{number}").json()["payment_status"] == "partially_refunded"
    # a payment of another order is not found through this one
    other = paid_order(api, warehouse)
    (elsewhere,) = payments(api, other["number"])
    wrong = finance.http.post(
        finance.base_url + _payment_path(number, elsewhere) + "/capture",
        data={"csrf_token": csrf},
    )
    assert wrong.status_code == 404
    finance.close()


def test_capture_and_void_through_the_console(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an authorized card payment of €30.00 (captured at shipment)
    order = paid_order(api, warehouse)
    number = order["number"]
    (payment,) = payments(api, number)
    finance, csrf = _console(server, api, Role.FINANCE)
    base = finance.base_url + _payment_path(number, payment)
    page = finance.http.get(f"{finance.base_url}/console/orders/{number}").text
    assert 'value="30.00"' in page  # the capture amount is prefilled with what is capturable
    # when part is captured
    response = finance.http.post(f"{base}/capture", data={"csrf_token": csrf, "amount": "20.00"})
    # then
    assert response.status_code == 303
    assert _flash(finance, f"/console/orders/{number}") == (
        "success: Captured €20.00 on visa •••• 4242"
    )
    (after,) = payments(api, number)
    assert (after["captured"]["amount"], after["capturable"]["amount"]) == ("20.00", "10.00")
    # when the rest is voided
    finance.http.post(f"{base}/void", data={"csrf_token": csrf, "reason": "one item short"})
    # then
    assert _flash(finance, f"/console/orders/{number}") == (
        "success: Voided €10.00 on visa •••• 4242"
    )
    (voided,) = payments(api, number)
    assert (voided["state"], voided["capturable"]["amount"]) == ("captured", "0.00")
    # when captured again: nothing is left
    finance.http.post(f"{base}/capture", data={"csrf_token": csrf})
    assert _flash(finance, f"/console/orders/{number}").startswith(
        "error: Capture not done: Nothing is left to capture"
    )
    finance.close()


def test_a_phone_order_is_paid_by_bank_transfer_from_the_console(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an order without payment
    sku = stocked_sku(api, warehouse, units=5)
    number = place(api, order_body(make_channel(api), {"sku": sku, "quantity": 2}))["number"]
    sales, sales_csrf = _console(server, api, Role.SALES)
    add = f"{sales.base_url}/console/orders/{number}/payments"
    # when sales adds a cheque, then a bank transfer
    sales.http.post(add, data={"csrf_token": sales_csrf, "method": "cheque"})
    assert _flash(sales, f"/console/orders/{number}").startswith(
        "error: Payment not done: method: choose one of"
    )
    sales.http.post(add, data={"csrf_token": sales_csrf, "method": "bank_transfer"})
    # then it waits for the money
    assert _flash(sales, f"/console/orders/{number}") == (
        "success: Added bank transfer of €20.00: awaiting the money."
    )
    (payment,) = payments(api, number)
    assert payment["state"] == "awaiting_funds"
    # when finance records the money received
    finance, csrf = _console(server, api, Role.FINANCE)
    finance.http.post(
        finance.base_url + _payment_path(number, payment) + "/capture",
        data={"csrf_token": csrf, "amount": "", "reason": "statement 2026-03-02"},
    )
    # then
    assert _flash(finance, f"/console/orders/{number}") == (
        "success: Recorded €20.00 received by bank transfer"
    )
    assert api.get(f"/orders/{number}").json()["payment_status"] == "paid"
    # a declined card is recorded, said as an error, and holds the order for payment
    number = place(api, order_body(make_channel(api), {"sku": sku, "quantity": 1}))["number"]
    declined = token(api, "4000 0000 0000 9995")
    sales.http.post(
        f"{sales.base_url}/console/orders/{number}/payments",
        data={"csrf_token": sales_csrf, "method": "card", "token": declined},
    )
    assert _flash(sales, f"/console/orders/{number}") == (
        "error: Payment of €10.00 on visa •••• 9995 declined: The card has insufficient funds."
    )
    assert api.get(f"/orders/{number}").json()["hold_reason"] == "payment"
    sales.close()
    finance.close()


def test_fraud_review_and_the_blocklist_from_the_console(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an order held for review
    order = risky_order(api, warehouse)
    number = order["number"]
    finance, csrf = _console(server, api, Role.FINANCE)
    queue = finance.http.get(f"{finance.base_url}/console/fraud").text
    assert f'href="/console/orders/{number}"' in queue
    assert "Billing country DE differs from shipping country NL" in queue
    # when approved from the queue
    response = finance.http.post(
        f"{finance.base_url}/console/orders/{number}/fraud-review/approve",
        data={"csrf_token": csrf, "note": "known buyer", "back": "queue"},
    )
    # then back to the queue, the order goes on
    assert response.headers["location"] == "/console/fraud"
    assert _flash(finance, "/console/fraud") == f"success: Approved {number}: allocated."
    assert api.get(f"/orders/{number}").json()["status"] == "allocated"
    done = finance.http.get(f"{finance.base_url}/console/fraud?waiting=false").text
    assert "known buyer" in done
    # when approved again
    finance.http.post(
        f"{finance.base_url}/console/orders/{number}/fraud-review/approve",
        data={"csrf_token": csrf},
    )
    assert _flash(finance, f"/console/orders/{number}") == (
        f"error: Approval not done: Order {number} was approved already."
    )
    # the blocklist: a bad value is named, a good one added and removed
    blocklist = f"{finance.base_url}/console/fraud/blocklist"
    finance.http.post(blocklist, data={"csrf_token": csrf, "kind": "ip", "value": "no-ip"})
    assert _flash(finance, "/console/fraud/blocklist").startswith("error: Not blocked: value: ")
    address = f"@{number.lower()}.example"
    finance.http.post(blocklist, data={"csrf_token": csrf, "kind": "email", "value": address})
    assert _flash(finance, "/console/fraud/blocklist") == f"success: Blocked email {address}."
    (entry,) = [e for e in api.get("/fraud/blocklist").json() if e["value"] == address]
    finance.http.post(f"{blocklist}/{entry['id']}/remove", data={"csrf_token": csrf})
    assert _flash(finance, "/console/fraud/blocklist") == "success: Removed from the blocklist."
    assert address not in [e["value"] for e in api.get("/fraud/blocklist").json()]
    # when another held order is rejected from its page
    other = risky_order(api, warehouse)["number"]
    response = finance.http.post(
        f"{finance.base_url}/console/orders/{other}/fraud-review/reject",
        data={"csrf_token": csrf, "note": "stolen card", "back": "order"},
    )
    # then it is cancelled and its card voided
    assert response.headers["location"] == f"/console/orders/{other}"
    assert _flash(finance, f"/console/orders/{other}") == (
        f"success: Rejected {other}: cancelled, its payments voided or refunded."
    )
    assert [p["state"] for p in payments(api, other)] == ["voided"]
    # sales may not review
    sales, sales_csrf = _console(server, api, Role.SALES)
    assert sales.http.get(f"{sales.base_url}/console/fraud").status_code == 403
    finance.close()
    sales.close()


def test_cancelling_in_the_console_voids_the_card(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an order whose card is authorized
    order = paid_order(api, warehouse)
    sales, csrf = _console(server, api, Role.SALES)
    # when sales cancels it in the console
    sales.http.post(
        f"{sales.base_url}/console/orders/{order['number']}/cancel",
        data={"csrf_token": csrf, "reason": "customer changed their mind"},
    )
    # then the authorization is released, as the API's cancel does
    assert _flash(sales, f"/console/orders/{order['number']}") == "success: Cancelled: done."
    assert [p["state"] for p in payments(api, order["number"])] == ["voided"]
    sales.close()


def test_a_console_order_is_paid_as_chosen_and_screened(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    sku = stocked_sku(api, warehouse, units=5)
    channel = make_channel(api, kind="phone")
    sales, csrf = _console(server, api, Role.SALES)
    form = {
        "csrf_token": csrf,
        "channel": channel,
        "currency": "EUR",
        "email": "phone.buyer@example.com",
        "customer_name": "Phone Buyer",
        "delivery": "ship",
        "name": "Phone Buyer",
        "line1": "Main 1",
        "city": "Utrecht",
        "postal_code": "3511",
        "country": "NL",
        "sku": sku,
        "quantity": "1",
        "payment": "invoice",
    }
    # on terms without a company: the field says why, nothing is placed
    refused = sales.http.post(f"{sales.base_url}/console/orders/new", data=form)
    assert refused.status_code == 422
    assert "buys for no company" in refused.text
    # cash on delivery: placed, waiting for the money, screened
    placed = sales.http.post(
        f"{sales.base_url}/console/orders/new", data={**form, "payment": "cash_on_delivery"}
    )
    assert placed.status_code == 303
    number = placed.headers["location"].rsplit("/", 1)[-1]
    assert [p["method"] for p in payments(api, number)] == ["cash_on_delivery"]
    kinds = [e["kind"] for e in api.get(f"/orders/{number}/timeline").json()]
    assert "fraud_screening" in kinds
    sales.close()


def test_a_channel_captures_and_screens_as_set_in_the_console(
    server: RunningServer, api: ApiClient
) -> None:
    channel = make_channel(api)
    admin, csrf = _console(server, api, Role.ADMIN)
    url = f"{admin.base_url}/console/settings/channels/{channel}"
    form = {
        "csrf_token": csrf,
        "name": "Test",
        "currencies": "EUR",
        "sourcing_policy": "nearest",
        "stock_buffer": "0",
        "cart_ttl_minutes": "30",
        "is_active": "1",
        "payment_capture": "at_placement",
        "fraud_rules": "{not json",
    }
    admin.http.post(url, data=form)
    assert "not valid JSON" in _flash(admin, "/console/settings/channels")
    rules = '{"review_at": 20, "reject_at": 90, "rules": [{"kind": "avs_fail", "points": 20}]}'
    admin.http.post(url, data={**form, "fraud_rules": rules})
    saved = api.get(f"/channels/{channel}").json()
    assert saved["payment_capture"] == "at_placement"
    assert saved["fraud_rules"]["review_at"] == 20
    bad = '{"review_at": 20, "reject_at": 10, "rules": []}'
    admin.http.post(url, data={**form, "fraud_rules": bad})
    assert "fraud_rules" in _flash(admin, "/console/settings/channels")
    admin.http.post(url, data={**form, "fraud_rules": ""})
    assert api.get(f"/channels/{channel}").json()["fraud_rules"] is None
    admin.close()
