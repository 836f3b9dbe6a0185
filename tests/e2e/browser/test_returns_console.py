"""Returns in the console, in Chromium at phone size: an online order is brought back to a
store's counter, received, inspected and refunded there; a customer's request is approved
from the queue, and a refund above what the return gives back is refused with nothing
changed. Each test builds its own delivered, card-paid order (a warehouse, a store, a web
shop), so the demo's returns stay as they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from openoms.identity.model import Role
from openoms.returns import services as returns
from tests.builders import TEST_PASSWORD, make_user
from tests.e2e.api.client import ApiClient
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in
from tests.e2e.browser.test_console import UNLABELLED
from tests.integration.returns_setup import Delivered, delivered_order

Json = dict[str, Any]


@pytest.fixture
def api(site: Site) -> Iterator[ApiClient]:
    """The site's API, signed in as the demo administrator (to check money and stock)."""
    client = ApiClient(site.url)
    client.sign_in(f"admin@{DOMAIN}", DEMO_PASSWORD)
    yield client
    client.close()


def _sign_in_as(page: Page, email: str) -> None:
    page.goto("/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash.success")).to_contain_text("Welcome")


def _fits(page: Page) -> None:
    """Every field has a label, and nothing scrolls sideways."""
    assert page.evaluate(UNLABELLED) == [], f"{page.url} has form fields without a label"
    width = page.viewport_size["width"]  # type: ignore[index]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, page.url


def _refunded(api: ApiClient, number: str) -> int:
    """What the order's payments gave back, in minor units."""
    response = api.get(f"/orders/{number}/payments")
    assert response.status_code == 200, response.text
    return sum(int(p["refunded"]["amount_minor"]) for p in response.json())


def _accept_confirmations(page: Page) -> None:
    """Danger buttons ask before they act (console.js); the clerk says yes."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def test_an_online_order_is_returned_and_refunded_in_a_store(
    phone: Page, site: Site, api: ApiClient
) -> None:
    page = phone
    # given a web-shop order (2 x 25.00 + 1 x 40.00) paid by test card, shipped and delivered,
    # and a clerk of the store who also serves the web shop's customers at the counter
    d: Delivered = delivered_order(site.db)
    clerk = make_user(site.db, Role.SALES, locations=[d.store], channels=[d.channel])
    sku = d.skus[0]
    on_hand = api.level(sku, d.store)["on_hand"]
    assert _refunded(api, d.number) == 0
    _accept_confirmations(page)
    # when the clerk opens the order and starts a return of one unit
    _sign_in_as(page, clerk.email)
    page.goto(f"/console/orders/{d.number}")
    panel = page.get_by_role("region", name="Returns")
    expect(panel).to_contain_text("3 unit(s) can still come back")
    shot(page, "order-returns")
    expect(page.get_by_role("link", name="The customer's return page")).to_have_attribute(
        "href", re.compile(r"/returns/new/")
    )
    panel.get_by_role("link", name="Start a return").click()
    expect(page.get_by_role("heading", name=f"Return from order {d.number}")).to_be_visible()
    expect(page.get_by_label("Brought to a store (at the counter)")).to_be_checked()
    expect(page.get_by_label("Store it is brought to")).to_have_value(d.store)
    _fits(page)
    shot(page, "return-new")
    page.get_by_label(f"Units of {sku}").fill("1")
    page.get_by_label(f"Reason for {sku}").select_option("too_small")
    page.get_by_label(f"Comment on {sku}").fill("Fits like a glove, a size too small")
    page.get_by_role("button", name="Open the return").click()
    # then it is opened and approved at once, to be brought to the store
    expect(page).to_have_url(re.compile(r"/console/returns/RMA-\d+$"))
    rma = page.url.rsplit("/", 1)[1]
    expect(page.locator(".flash.success")).to_contain_text(
        f"Return {rma} opened and approved for 1 unit(s): bring it to {d.store}."
    )
    expect(page.locator("h1 .badge")).to_have_text("Approved")
    # when it is received at the store, as asked
    receiving = page.get_by_role("region", name="Receive")
    expect(receiving.get_by_label("Received at")).to_have_value(d.store)
    expect(receiving.get_by_label(f"Units of {sku} that arrived (1 asked back)")).to_have_value("1")
    _fits(page)
    receiving.get_by_role("button", name="Receive").click()
    expect(page.locator(".flash.success")).to_contain_text(f"1 unit(s) received at {d.store}")
    # and inspected: back on the shelf
    inspecting = page.get_by_role("region", name="Inspect")
    expect(inspecting.get_by_label("Restock")).to_have_value("1")
    _fits(page)
    inspecting.get_by_role("button", name="Inspected").click()
    expect(page.locator(".flash.success")).to_have_text(
        f"{rma} inspected: 1 restocked, 0 written off."
    )
    # then the quote says what it gives back and why
    refund = page.get_by_role("region", name="Refund")
    expect(refund.locator("#quote-total")).to_have_text("€25.00")
    expect(refund.locator(".ff-why")).to_contain_text("Items: €25.00")
    expect(refund.get_by_label(re.compile(r"^Amount to refund"))).to_have_value("25.00")
    _fits(page)
    shot(page, "return-refund")
    # when the clerk refunds it to the card
    refund.get_by_role("button", name="Refund to the original payment").click()
    # then the return is refunded, the card got the money back, the unit is in the store
    expect(page.locator(".flash.success")).to_have_text(
        f"{rma} refunded: €25.00 to the original payment."
    )
    expect(page.locator("h1 .badge")).to_have_text("Refunded")
    expect(page.locator("#refunded-amount")).to_have_text("€25.00")
    _fits(page)
    shot(page, "return-refunded")
    assert _refunded(api, d.number) == 2500
    assert api.level(sku, d.store)["on_hand"] == on_hand + 1
    returned = api.get(f"/returns/{rma}").json()
    assert (returned["status"], returned["received_at_location"]) == ("refunded", d.store)


def test_a_store_clerk_takes_back_any_web_order_by_its_number_and_email(
    phone: Page, site: Site, api: ApiClient
) -> None:
    page = phone
    # given a web order shipped from the warehouse, and a clerk who sees only their store
    d: Delivered = delivered_order(site.db)
    clerk = make_user(site.db, Role.SALES, locations=[d.store])
    email = api.get(f"/orders/{d.number}").json()["email"]
    _sign_in_as(page, clerk.email)
    # the order is not theirs to browse
    assert page.goto(f"/console/orders/{d.number}").status == 404  # type: ignore[union-attr]
    assert page.goto(f"/console/orders/{d.number}/returns/new").status == 404  # type: ignore[union-attr]
    # when the customer brings it to the counter: a wrong email finds nothing
    page.goto("/console/returns")
    page.get_by_role("link", name="Take back an order at the counter").click()
    _fits(page)
    page.get_by_label("Order number").fill(d.number.lower())
    page.get_by_label("Customer's email").fill("someone.else@example.com")
    page.get_by_role("button", name="Find the order").click()
    expect(page.locator(".flash.error")).to_contain_text("No order with that number and email")
    expect(page.get_by_label("Order number")).to_have_value(d.number)
    # the right pair opens its return form, at the clerk's store
    page.get_by_label("Customer's email").fill(email.upper())
    page.get_by_role("button", name="Find the order").click()
    expect(page.get_by_role("heading", name=f"Return from order {d.number}")).to_be_visible()
    expect(page.get_by_label("Store it is brought to")).to_have_value(d.store)
    page.get_by_label(f"Units of {d.skus[1]}").fill("1")
    page.get_by_label(f"Reason for {d.skus[1]}").select_option("defective")
    page.get_by_role("button", name="Open the return").click()
    # then the return is theirs to receive; the order stays out of their reach
    expect(page).to_have_url(re.compile(r"/console/returns/RMA-\d+$"))
    expect(page.get_by_role("region", name="Receive")).to_be_visible()
    expect(page.get_by_role("link", name=d.number)).to_have_count(0)
    _fits(page)


def test_a_customers_request_is_approved_and_a_refund_above_the_quote_is_refused(
    phone: Page, site: Site, api: ApiClient
) -> None:
    page = phone
    # given a customer asked, through their link, to send one unit of line 2 back
    d = delivered_order(site.db)
    asked = returns.open_return(
        site.db.uow(),
        d.number,
        returns.ReturnRequest(
            [returns.LineRequest(2, 1, "changed_mind", "Not my colour")],
            method="in_store",
            drop_off_location=d.store,
        ),
        actor="customer",
        by_customer=True,
    )
    _accept_confirmations(page)
    # when customer service looks at the queue
    sign_in(page, "sales")
    page.get_by_role("link", name=re.compile(r"^Returns")).first.click()
    expect(page.get_by_role("heading", name="Returns", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Returns by status").get_by_role(
        "link", name=re.compile(r"^To approve")
    ).click()
    row = page.locator("tr", has_text=asked.number)
    expect(row.locator("td[data-label=Status]")).to_have_text("Requested")
    expect(row.locator("td[data-label=Units]")).to_have_text("1")
    expect(row.locator("td[data-label=Reasons]")).to_have_text("Changed my mind")
    expect(row.locator("td[data-label=Customer]")).to_contain_text("@example.com")
    _fits(page)
    shot(page, "returns-queue")
    # and approves it
    row.get_by_role("link", name=asked.number).click()
    deciding = page.get_by_role("region", name="Approve or reject")
    deciding.get_by_label("Note (optional)").fill("Bring it to the store, with the receipt")
    deciding.get_by_role("button", name="Approve").click()
    # then it waits to be brought to the store
    expect(page.locator(".flash.success")).to_have_text(
        f"{asked.number} approved: to be brought to {d.store}."
    )
    expect(page.locator("h1 .badge")).to_have_text("Approved")
    # given it arrived and was put back on the shelf
    returns.receive(site.db.uow(), asked.number, d.store, None, actor="store")
    returns.inspect(site.db.uow(), asked.number, [returns.Inspection(2, restock=1)], actor="store")
    page.reload()
    refund = page.get_by_role("region", name="Refund")
    expect(refund.locator("#quote-total")).to_have_text("€40.00")
    # when someone types more than the quote
    refund.get_by_label(re.compile(r"^Amount to refund")).fill("45.00")
    refund.get_by_role("button", name="Refund to the original payment").click()
    # then it is refused, saying why, the amount typed is kept, and nothing moved
    expect(page.get_by_role("alert")).to_have_text(
        "Refund not done: amount: €45.00 is more than the €40.00 this return gives back"
    )
    amount = page.get_by_role("region", name="Refund").get_by_label(re.compile(r"^Amount"))
    expect(amount).to_have_value("45.00")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.locator("h1 .badge")).to_have_text("Inspected")
    _fits(page)
    assert _refunded(api, d.number) == 0
    assert api.get(f"/returns/{asked.number}").json()["status"] == "inspected"


def test_a_channels_return_policy_is_set_and_a_bad_fee_refused_next_to_the_field(
    phone: Page, site: Site, api: ApiClient
) -> None:
    page = phone
    # given a web shop with the default policy
    d = delivered_order(site.db)
    sign_in(page, "manager")
    page.goto("/console/settings/fulfilment#returns")
    form = page.get_by_role("form", name=f"Return policy of {d.channel}")
    expect(form.get_by_label("Window (days)")).to_have_value("30")
    _fits(page)
    # when the fee is not a number
    form.get_by_label("Window (days)").fill("14")
    form.get_by_label("Changed my mind").uncheck()
    form.get_by_label("Restocking fee %").fill("ten")
    form.get_by_role("button", name=f"Save returns of {d.channel}").click()
    # then the field says why, what was typed is kept, and nothing was saved
    form = page.get_by_role("form", name=f"Return policy of {d.channel}")
    fee = form.get_by_label("Restocking fee %")
    expect(fee).to_have_attribute("aria-invalid", "true")
    expect(form.locator(f"#returns-{d.channel}-restocking_fee_percent-error")).to_have_text(
        "'ten' is not a number"
    )
    expect(form.get_by_label("Window (days)")).to_have_value("14")
    expect(form.get_by_label("Changed my mind")).not_to_be_checked()
    assert api.get(f"/channels/{d.channel}/return-policy").json()["window_days"] == 30
    # when it is put right, with the customer paying the way back
    fee.fill("10")
    form.get_by_label("Return shipping paid by").select_option("customer")
    form.get_by_role("button", name=f"Save returns of {d.channel}").click()
    # then it is saved
    expect(page.locator(".flash.success")).to_have_text(
        f"The return policy of {d.channel} saved: 14 days."
    )
    saved = api.get(f"/channels/{d.channel}/return-policy").json()
    assert (saved["window_days"], saved["shipping_paid_by"]) == (14, "customer")
    assert saved["restocking_fee_percent"] == "10"
    assert "changed_mind" not in saved["reasons"]


def _inspected(site: Site, d: Delivered, line: int, reason: str) -> str:
    """A counter return of one unit of ``line``, received and restocked at the store."""
    ret = returns.open_return(
        site.db.uow(),
        d.number,
        returns.ReturnRequest(
            [returns.LineRequest(line, 1, reason)], "in_store", "refund", d.store
        ),
        actor="cs",
        by_customer=False,
    )
    returns.receive(site.db.uow(), ret.number, d.store, None, actor="store")
    returns.inspect(site.db.uow(), ret.number, [returns.Inspection(line, restock=1)], actor="s")
    return ret.number


def test_store_credit_and_an_exchange_from_the_return_page(
    phone: Page, site: Site, api: ApiClient
) -> None:
    page = phone
    d: Delivered = delivered_order(site.db)
    clerk = make_user(site.db, Role.SALES, locations=[d.store], channels=[d.channel])
    _accept_confirmations(page)
    _sign_in_as(page, clerk.email)
    # store credit: a gift card in the customer's name for the quote's amount
    credit = _inspected(site, d, 2, "changed_mind")
    page.goto(f"/console/returns/{credit}")
    page.get_by_text("Store credit instead").click()
    page.get_by_role("button", name="Give store credit").click()
    flash = page.locator(".flash.success")
    expect(flash).to_contain_text(f"{credit}: store credit of €40.00 on gift card GC-")
    code = re.search(r"GC-[0-9A-Z-]{14}", flash.inner_text())
    assert code is not None
    expect(page.get_by_role("heading", name="Store credit", exact=True)).to_be_visible()
    card = api.get(f"/gift-cards/{code.group(0)}")
    assert card.status_code == 200, card.text
    assert card.json()["balance"]["amount"] == "40.00"
    assert _refunded(api, d.number) == 0
    # an exchange: the same item again, free, placed as a replacement order
    swap = _inspected(site, d, 1, "too_small")
    page.goto(f"/console/returns/{swap}")
    page.get_by_text("Exchange", exact=True).click()
    page.get_by_role("button", name="Place the replacement order").click()
    expect(page.locator(".flash.success")).to_contain_text(f"{swap} exchanged: replacement order")
    expect(page.get_by_role("heading", name="Exchanged", exact=True)).to_be_visible()
    replacement = page.locator("dd a").first.inner_text()
    order = api.get(f"/orders/{replacement}").json()
    assert "replacement" in order["special_codes"]
    assert order["totals"]["total"]["amount"] == "0.00"
    _fits(page)
