"""The customer's tracking page in Chromium on a phone: a signed link, no sign-in, each
parcel with its carrier, tracking number and delivery; an altered link finds nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from tests.e2e.api.client import ApiClient
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot


@pytest.fixture
def api(site: Site) -> Iterator[ApiClient]:
    client = ApiClient(site.url)
    client.sign_in(f"sales@{DOMAIN}", DEMO_PASSWORD)
    yield client
    client.close()


def test_a_customer_follows_a_delivered_parcel_on_a_phone(phone: Page, api: ApiClient) -> None:
    delivered = api.get("/shipments", params={"status": "delivered"}).json()
    assert delivered, "the demo delivers some parcels"
    shipment = delivered[0]
    url = api.get(f"/orders/{shipment['order']}/tracking-link").json()["url"]
    path = "/track/" + url.rsplit("/track/", 1)[1]

    phone.goto(path)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Order {shipment['order']}")
    expect(phone.get_by_role("status")).to_have_text("Delivered.")
    parcel = phone.locator(".parcel").first
    expect(parcel).to_contain_text(shipment["packages"][0]["tracking_number"])
    expect(parcel).to_contain_text("Delivered")
    expect(phone.locator("ul.moments li").first).to_contain_text("Delivered")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "no sideways scrolling on a phone"
    shot(phone, "tracking-page")

    phone.goto(path[:-3] + "abc")
    expect(phone.get_by_role("heading", level=1)).to_have_text("We could not find this order")


def test_the_demo_warehouse_shows_its_morning(desktop: Page, phone: Page) -> None:
    """The demo's Rotterdam shift as the warehouse sees it (the README's pictures)."""
    from tests.e2e.browser.pages import sign_in

    sign_in(desktop, "warehouse")
    desktop.goto("/console/fulfilment?location=WH-RTM")
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Fulfilment")
    expect(desktop.locator("main")).to_contain_text("FO-")
    shot(desktop, "fulfilment-queue")
    desktop.goto("/console/fulfilment/pick-lists")
    desktop.locator("a.ff-card", has_text="WH-RTM").first.click()
    expect(desktop.get_by_label("Scan or type the code")).to_be_focused()

    sign_in(phone, "warehouse")
    phone.goto(desktop.url.replace(desktop.url.split("/console")[0], ""))
    expect(phone.get_by_label("Scan or type the code")).to_be_visible()
    shot(phone, "fulfilment-pick")
