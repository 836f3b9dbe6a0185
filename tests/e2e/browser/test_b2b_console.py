"""B2B in the console, in Chromium: finance records a part payment on an invoice and finds
what is still owed in the aging; the quote page and the B2B pages at phone size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from tests.builders import random_code
from tests.e2e.api.client import ApiClient
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in
from tests.e2e.browser.test_console import UNLABELLED

Json = dict[str, Any]
WAREHOUSE = "WH-RTM"  # a demo warehouse
CHANNEL = "B2B"  # the demo's B2B channel
ADDRESS = {
    "name": "Bea Buyer",
    "line1": "Fietsstraat 12",
    "city": "Utrecht",
    "postal_code": "3511 AA",
    "country": "NL",
}


@pytest.fixture
def api(site: Site) -> Iterator[ApiClient]:
    """The site's API, signed in as the demo administrator (to set up companies)."""
    client = ApiClient(site.url)
    client.sign_in(f"admin@{DOMAIN}", DEMO_PASSWORD)
    yield client
    client.close()


def _ok(response: Any) -> Json:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _company(api: ApiClient) -> tuple[str, str, str]:
    """A company on net 30 with one buyer: (code, name, buyer's email)."""
    code = random_code("CO")
    name = f"Velo {code[-4:]} BV"
    _ok(api.post("/companies", {"code": code, "name": name, "payment_terms": "net_30"}))
    email = f"{random_code('buyer').lower()}@velo.example"
    _ok(api.post(f"/companies/{code}/contacts", {"email": email, "name": "Bea Buyer"}))
    return code, name, email


def _sku(api: ApiClient) -> str:
    sku = random_code("SKU")
    api.create_product(
        [{"code": sku, "name": "Cargo bike", "prices": [{"currency": "EUR", "amount": "60.00"}]}]
    )
    api.receive(WAREHOUSE, sku, 10)
    return sku


def _invoice(api: ApiClient) -> tuple[str, str]:
    """An invoice of €145.20 (2 × €60.00 and 21 % tax) for an order on terms: (company name,
    invoice number)."""
    _code, name, email = _company(api)
    body = {
        "channel": CHANNEL,
        "customer": {"email": email, "name": "Bea Buyer"},
        "currency": "EUR",
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
        "lines": [{"sku": _sku(api), "quantity": 2}],
        "payment": {"method": "invoice"},
    }
    order = _ok(api.post("/orders", body))
    invoice = _ok(api.post(f"/orders/{order['number']}/invoices", {}))
    assert invoice["total"]["amount"] == "145.20"
    return name, str(invoice["number"])


# Elements whose right edge is past the viewport: what makes a page scroll sideways.
TOO_WIDE = """
[...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(el => el.outerHTML.slice(0, 80))
"""


def _fits(page: Page) -> None:
    width = page.viewport_size["width"]  # type: ignore[index]
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width + 1, f"{page.url} scrolls sideways: {page.evaluate(TOO_WIDE)[:5]}"
    assert page.evaluate(UNLABELLED) == [], f"{page.url} has form fields without a label"


def test_finance_records_a_part_payment_and_sees_it_in_the_aging(
    desktop: Page, api: ApiClient
) -> None:
    page = desktop
    name, invoice = _invoice(api)
    # given finance on the invoice list
    sign_in(page, "finance")
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Show").click()
    row = page.locator("tr", has_text=invoice)
    expect(row.locator("td[data-label=Balance]")).to_have_text("€145.20")
    _fits(page)
    shot(page, "b2b-invoices-open")
    row.get_by_role("link", name=invoice).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Invoice {invoice}")
    # when more than the balance is entered
    form = page.get_by_role("region", name="Record a payment")
    form.get_by_label(re.compile(r"^Amount in EUR")).fill("145.21")
    form.get_by_role("button", name="Record payment").click()
    # then it says why, and nothing is recorded
    expect(page.locator(".flash.error")).to_have_text(
        f"Payment not recorded: Invoice {invoice} has 145.20 EUR open; "
        "a payment of 145.21 EUR is larger."
    )
    expect(page.locator("#balance")).to_have_text("€145.20")
    # when part of it is recorded
    form.get_by_label(re.compile(r"^Amount in EUR")).fill("45.50")
    form.get_by_label("Reference").fill("NL91 transfer 0042")
    form.get_by_label("Method").select_option("bank_transfer")
    form.get_by_role("button", name="Record payment").click()
    # then
    expect(page.locator(".flash.success")).to_have_text(
        f"Recorded €45.50: €99.70 of invoice {invoice} is open."
    )
    expect(page.locator("h1 .badge").first).to_have_text("Partially paid")
    expect(page.locator("#balance")).to_have_text("€99.70")
    payments = page.get_by_role("region", name="Payments")
    expect(payments.locator("td[data-label=Reference]")).to_have_text("NL91 transfer 0042")
    shot(page, "b2b-invoice")
    # and the aging shows what is still owed, not yet due
    page.get_by_role("link", name="Aging", exact=True).click()
    owed = page.locator("#aging tbody tr", has_text=name)
    expect(owed.locator("td[data-label=Current]")).to_have_text("€99.70")
    expect(owed.locator("td[data-label='1–30']")).to_have_text("€0.00")
    expect(owed.locator("td[data-label=Total]")).to_have_text("€99.70")
    shot(page, "b2b-aging-part-paid")
    # long after the due date, the same balance is more than 90 days past due
    page.get_by_label("As of").fill("2099-01-01")
    page.get_by_role("button", name="Show").click()
    expect(
        page.locator("#aging tbody tr", has_text=name).locator("td[data-label='90+']")
    ).to_have_text("€99.70")


def test_the_quote_page_on_a_phone(phone: Page, api: ApiClient) -> None:
    page = phone
    # given a quote sent once and changed since (two versions)
    code, _name, email = _company(api)
    sku = _sku(api)
    body: Json = {
        "company": code,
        "contact_email": email,
        "channel": CHANNEL,
        "currency": "EUR",
        "lines": [{"sku": sku, "quantity": 4, "unit_price": "55.00"}],
        "billing_address": {**ADDRESS, "company": "Velo BV"},
        "notes": "Delivery in two weeks; prices include VAT.",
    }
    number = _ok(api.post("/quotes", body))["number"]
    _ok(api.post(f"/quotes/{number}/send"))
    body["lines"] = [{"sku": sku, "quantity": 6, "unit_price": "52.50"}]
    _ok(api.put(f"/quotes/{number}", body))
    # when sales opens it on a phone
    sign_in(page, "sales")
    page.goto(f"/console/quotes/{number}")
    # then it fits the screen, with its version history and actions
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Quote {number}")
    expect(page.locator("h1")).to_contain_text("version 2")
    lines = page.get_by_role("region", name="Lines")
    expect(lines.locator("td[data-label=Quantity]")).to_have_text("6")
    expect(lines.locator("td[data-label=Total]")).to_have_text("€381.15")  # 6 × €52.50 and 21 % tax
    earlier = page.get_by_role("region", name="Earlier versions")
    expect(earlier).to_contain_text("Version 1: €266.20")
    actions = page.get_by_role("region", name="Actions")
    expect(actions.get_by_role("button", name="Mark as sent")).to_be_visible()
    expect(actions.get_by_role("link", name="Change")).to_be_visible()
    _fits(page)
    shot(page, "b2b-quote")
    # when it is sent and accepted
    actions.get_by_role("button", name="Mark as sent").click()
    expect(page.locator(".flash.success")).to_contain_text("version 2 marked as sent")
    page.get_by_role("button", name="Mark accepted and place the order").click()
    # then the order is linked
    expect(page.locator(".flash.success")).to_contain_text(f"Quote {number} accepted: order SO-")
    expect(page.locator("h1 .badge").first).to_have_text("Accepted")
    page.get_by_role("region", name="Summary").get_by_role("link", name=re.compile("^SO-")).click()
    expect(page).to_have_url(re.compile(r"/console/orders/SO-\d+$"))
    _fits(page)


def test_the_quote_form_shows_the_server_totals_as_lines_are_typed(
    desktop: Page, api: ApiClient
) -> None:
    page = desktop
    code, name, _email = _company(api)
    sku = _sku(api)
    sign_in(page, "sales")
    page.goto(f"/console/companies/{code}")
    page.get_by_role("link", name="New quote").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"New quote for {name}")
    page.get_by_label("Street and number", exact=True).fill("Fietsstraat 12")
    page.get_by_label("City", exact=True).fill("Utrecht")
    page.get_by_label("Country (2 letters)", exact=True).fill("NL")
    page.get_by_label("Line 1 SKU or barcode").fill(sku)
    page.get_by_label("Line 1 quantity").fill("3")
    page.get_by_label("Line 1 unit price").fill("50.00")
    expect(page.locator("[data-total=total]")).to_have_text("€181.50")  # 21 % tax added
    expect(page.locator("#lines .line-info").first).to_have_text("Cargo bike")
    page.get_by_role("button", name="Add a line").click()
    expect(page.locator("#lines tbody tr")).to_have_count(6)
    shot(page, "b2b-quote-new")
    page.get_by_role("button", name="Save draft quote").click()
    expect(page.locator(".flash.success")).to_contain_text("saved as a draft for €181.50")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_b2b_pages_fit_at_desktop_and_phone_size(size: str, desktop: Page, phone: Page) -> None:
    page = desktop if size == "desktop" else phone
    sign_in(page, "admin")
    for name, path in [
        ("b2b-companies", "/console/companies"),
        ("b2b-quotes", "/console/quotes"),
        ("b2b-invoices", "/console/invoices?overdue=1"),
        ("b2b-aging", "/console/aging"),
        ("b2b-bank", "/console/bank"),
    ]:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        _fits(page)
        shot(page, name)
    page.goto("/console/companies")
    page.locator("td[data-label=Company] a").first.click()
    expect(page.get_by_role("region", name="Contacts")).to_be_visible()
    _fits(page)
    shot(page, "b2b-company")
