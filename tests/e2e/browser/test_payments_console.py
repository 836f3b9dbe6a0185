"""Money and fraud review in the console, in Chromium: finance approves an order the
screening held, refunds part of a captured card payment, and works the payments panel on a
phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from tests.builders import random_code
from tests.e2e.api.client import ApiClient
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in
from tests.e2e.browser.test_console import UNLABELLED

Json = dict[str, Any]
WAREHOUSE = "WH-RTM"  # a demo warehouse
REVIEW_MISMATCH = {
    "review_at": 15,
    "reject_at": 100,
    "rules": [{"kind": "country_mismatch", "points": 15}],
}


@pytest.fixture
def api(site: Site) -> Iterator[ApiClient]:
    """The site's API, signed in as the demo administrator (to set up orders)."""
    client = ApiClient(site.url)
    client.sign_in(f"admin@{DOMAIN}", DEMO_PASSWORD)
    yield client
    client.close()


ADDRESS = {"name": "Ana Buyer", "line1": "Main 1", "city": "Utrecht", "postal_code": "3511"}


def make_channel(api: ApiClient, **fields: Any) -> str:
    body = {"code": random_code("CH"), "name": "Test", "kind": "web_shop", "currencies": ["EUR"]}
    response = api.post("/channels", {**body, **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def _order(api: ApiClient, channel: str, billing_country: str = "NL") -> Json:
    """An order of three units of a new SKU, paid by a Visa test card."""
    sku = random_code("SKU")
    api.create_product(
        [{"code": sku, "name": "Thing", "prices": [{"currency": "EUR", "amount": "10.00"}]}]
    )
    api.receive(WAREHOUSE, sku, 5)
    card = api.post(
        "/payments/test-card/tokens",
        {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2099, "cvc": "123"},
    )
    assert card.status_code == 201, card.text
    body = {
        "channel": channel,
        "customer": {"email": f"{random_code('c').lower()}@example.com", "name": "Ana"},
        "currency": "EUR",
        "billing_address": {**ADDRESS, "country": billing_country},
        "shipping_address": {**ADDRESS, "country": "NL"},
        "lines": [{"sku": sku, "quantity": 3}],
        "payment": {"method": "card", "token": card.json()["token"]},
    }
    response = api.post("/orders", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def payments(api: ApiClient, number: str) -> list[Json]:
    response = api.get(f"/orders/{number}/payments")
    assert response.status_code == 200, response.text
    return list(response.json())


def _accept(messages: list[str]) -> Any:
    def answer(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    return answer


def _fits(page: Page) -> None:
    width = page.viewport_size["width"]  # type: ignore[index]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, page.url


def test_finance_approves_an_order_held_for_fraud_review(
    desktop: Page, site: Site, api: ApiClient
) -> None:
    page = desktop
    # given an order whose billing country differs from its shipping country
    channel = make_channel(api, fraud_rules=REVIEW_MISMATCH)
    order = _order(api, channel, billing_country="DE")
    number = order["number"]
    assert (order["status"], order["hold_reason"]) == ("on_hold", "fraud")
    # the order page shows why it is held, with the verdict buttons
    sign_in(page, "finance")
    page.goto(f"/console/orders/{number}")
    held = page.get_by_role("region", name="Fraud review")
    expect(held).to_contain_text("score 15")
    expect(held).to_contain_text("Billing country DE differs from shipping country NL")
    expect(held.get_by_role("button", name="Approve")).to_be_visible()
    expect(held.get_by_role("button", name="Reject and cancel")).to_be_visible()
    shot(page, "order-fraud-hold")
    # when finance opens the review queue
    page.get_by_role("link", name=re.compile(r"^Fraud review")).click()
    expect(page).to_have_url(re.compile(r"/console/fraud$"))
    review = page.get_by_role("article", name=re.compile(number))
    expect(review).to_contain_text(order["email"])
    expect(review).to_contain_text("score 15")
    expect(review).to_contain_text("Billing country DE differs from shipping country NL")
    expect(review).to_contain_text(order["totals"]["total"]["amount"])
    shot(page, "fraud-queue")
    # and approves it with a note
    review.get_by_label(f"Note on {number}").fill("Known buyer, ships to the office")
    review.get_by_role("button", name="Approve").click()
    # then it leaves the queue and goes on
    expect(page.locator(".flash.success")).to_have_text(f"Approved {number}: allocated.")
    expect(page.get_by_role("article", name=re.compile(number))).to_have_count(0)
    page.get_by_role("link", name="Reviewed").click()
    row = page.locator("tr", has_text=number)
    expect(row.locator("td[data-label=Verdict]")).to_have_text("Approved")
    expect(row.locator("td[data-label=By]")).to_have_text(f"user:finance@{DOMAIN}")
    shot(page, "fraud-reviewed")
    row.get_by_role("link", name=number).click()
    expect(page.locator("h1 .badge").first).to_have_text("Allocated")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text(
        "Fraud screening: sent to review, score 15: Billing country DE differs from shipping "
        "country NL"
    )
    expect(timeline).to_contain_text("Fraud review: approved — “Known buyer, ships to the office”")
    expect(timeline).to_contain_text("On hold → Allocated")
    expect(page.get_by_role("region", name="Fraud review")).to_have_count(0)
    shot(page, "order-fraud-approved")


def test_finance_refunds_part_of_a_captured_card_payment(
    desktop: Page, site: Site, api: ApiClient
) -> None:
    page = desktop
    # given an order paid by card and captured at placement
    channel = make_channel(api, payment_capture="at_placement")
    order = _order(api, channel)
    number = order["number"]
    (payment,) = payments(api, number)
    assert payment["state"] == "captured"
    total = payment["captured"]["amount"]
    # when finance opens the order
    sign_in(page, "finance")
    page.goto(f"/console/orders/{number}")
    panel = page.get_by_role("region", name="Payments")
    card = panel.get_by_role("article", name=re.compile("visa •••• 4242"))
    expect(card.locator(".badge").first).to_have_text("Captured")
    expect(card.locator("td[data-label=Captured]")).to_have_text(f"€{total}")
    expect(card.locator("td[data-label=Refundable]")).to_have_text(f"€{total}")
    expect(page.locator("#payment-status")).to_have_text("Payment: paid")
    # the confirmation is asked; declined, nothing happens
    card.locator("summary", has_text="Refund").click()
    card.get_by_label(re.compile("Amount to refund")).fill("5.00")
    card.get_by_label("Reason for the refund").fill("Scratched on arrival")
    page.once("dialog", lambda dialog: dialog.dismiss())
    card.get_by_role("button", name="Refund").click()
    expect(page.locator(".flash")).to_have_count(0)
    # when confirmed
    asked: list[str] = []
    page.once("dialog", _accept(asked))
    card.get_by_role("button", name="Refund").click()
    # then
    expect(page.locator(".flash.success")).to_have_text("Refunded €5.00 on visa •••• 4242")
    assert asked == ["Refund?"]
    card = page.get_by_role("article", name=re.compile("visa •••• 4242"))
    expect(card.locator("td[data-label=Refunded]")).to_have_text("€5.00")
    refund_row = card.locator("table.transactions tr", has_text="Refund")
    expect(refund_row.locator("td[data-label=Amount]")).to_have_text("€5.00")
    expect(refund_row.locator("td[data-label=Status]")).to_have_text("Succeeded")
    expect(refund_row.locator("td[data-label=By]")).to_have_text(f"user:finance@{DOMAIN}")
    expect(refund_row.locator("td[data-label=Reason]")).to_have_text("Scratched on arrival")
    expect(page.locator("#payment-status")).to_have_text("Payment: partially refunded")
    expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "Payment: Refunded €5.00 on visa •••• 4242 (payment status: partially refunded)"
    )
    shot(page, "order-payment-refunded")
    left = card.locator("td[data-label=Refundable]").inner_text()
    # when more than is refundable is asked
    card.locator("summary", has_text="Refund").click()
    card.get_by_label(re.compile("Amount to refund")).fill("999.00")
    card.get_by_label("Reason for the refund").fill("Too much")
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Refund").click()
    # then the reason is shown and nothing changed
    expect(page.locator(".flash.error")).to_have_text(
        f"Refund not done: Cannot refund €999.00: {left} of payment {payment['id']} is refundable."
    )
    card = page.get_by_role("article", name=re.compile("visa •••• 4242"))
    expect(card.locator("td[data-label=Refunded]")).to_have_text("€5.00")
    expect(card.locator("table.transactions tbody tr")).to_have_count(3)
    expect(page.locator("#payment-status")).to_have_text("Payment: partially refunded")
    shot(page, "order-payment-refund-refused")
    (after,) = payments(api, number)
    assert after["refunded"]["amount"] == "5.00"


def test_the_payments_panel_works_on_a_phone(phone: Page, site: Site, api: ApiClient) -> None:
    page = phone
    # given an order whose card is authorized, to be captured at shipment
    channel = make_channel(api)
    order = _order(api, channel)
    number = order["number"]
    (payment,) = payments(api, number)
    assert payment["state"] == "authorized"
    # when finance opens it on a phone
    sign_in(page, "finance")
    page.goto(f"/console/orders/{number}")
    # then the panel fits the screen, every field has a label
    card = page.get_by_role("article", name=re.compile("visa •••• 4242"))
    expect(card.locator("td[data-label=Capturable]")).to_have_text(
        f"€{payment['capturable']['amount']}"
    )
    _fits(page)
    assert page.evaluate(UNLABELLED) == []
    # when part is captured
    card.locator("summary", has_text="Capture").click()
    amount = card.get_by_label(re.compile("Amount to capture"))
    expect(amount).to_have_value(payment["capturable"]["amount"])
    box = card.get_by_role("button", name="Capture").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    amount.fill("10.00")
    _fits(page)
    shot(page, "order-payments-capture")
    card.get_by_role("button", name="Capture").click()
    # then
    expect(page.locator(".flash.success")).to_have_text("Captured €10.00 on visa •••• 4242")
    card = page.get_by_role("article", name=re.compile("visa •••• 4242"))
    expect(card.locator("td[data-label=Captured]")).to_have_text("€10.00")
    expect(card.locator("table.transactions tbody tr")).to_have_count(2)
    expect(page.locator("#payment-status")).to_have_text("Payment: partially paid")
    _fits(page)
    shot(page, "order-payments")
    # the fraud pages fit too
    for name, path in [
        ("fraud-queue", "/console/fraud"),
        ("fraud-reviewed", "/console/fraud?waiting=false"),
        ("fraud-blocklist", "/console/fraud/blocklist"),
    ]:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate(UNLABELLED) == [], path
        _fits(page)
        shot(page, name)
