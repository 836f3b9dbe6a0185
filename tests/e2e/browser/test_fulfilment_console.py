"""Fulfilment in the console, in Chromium: a warehouse worker on a phone releases a wave,
picks by scanning barcodes (a wrong one first), packs as proposed and ships; at a store's
desk a wrong pickup code is refused. Each test builds its own location, stock, carrier and
order through the API, so no demo work gets in the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from tests.builders import random_barcode, random_code
from tests.e2e.api.client import ApiClient
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in
from tests.e2e.browser.test_console import UNLABELLED

Json = dict[str, Any]
ADDRESS = {
    "name": "Ana Buyer",
    "line1": "Main 1",
    "city": "Utrecht",
    "postal_code": "3511",
    "country": "NL",
}


@pytest.fixture
def api(site: Site) -> Iterator[ApiClient]:
    """The site's API, signed in as the demo administrator (to set up the warehouse)."""
    client = ApiClient(site.url)
    client.sign_in(f"admin@{DOMAIN}", DEMO_PASSWORD)
    yield client
    client.close()


def _created(response: Any) -> Json:
    assert response.status_code == 201, response.text
    return dict(response.json())


def _carrier(api: ApiClient) -> str:
    """A carrier with one service to the Netherlands; returns the service's name."""
    carrier = random_code("C")
    _created(
        api.post(
            "/carriers",
            {
                "code": carrier,
                "name": "Parcel Co",
                "tracking_url": "https://track.example/{tracking}",
                "tracking_prefix": "PC",
            },
        )
    )
    _created(
        api.post(
            "/carrier-services",
            {
                "carrier": carrier,
                "code": random_code("S"),
                "name": "Standard",
                "currency": "EUR",
                "zones": [{"zone": "NL", "country": "NL"}],
                "breaks": [{"zone": "NL", "up_to_g": 30000, "base": 495}],
                "transit_days": {"NL": 1},
                "cutoff": "23:59",
            },
        )
    )
    return "Standard"


def _box(api: ApiClient) -> str:
    code = random_code("BX")
    body = {
        "code": code,
        "name": "Small box",
        "length_mm": 250,
        "width_mm": 200,
        "height_mm": 150,
        "tare_g": 150,
        "max_weight_g": 10000,
        "cost": 60,
        "currency": "EUR",
    }
    _created(api.post("/boxes", body))
    return code


def _sku(api: ApiClient, name: str) -> tuple[str, str]:
    """A SKU with its size, weight and barcode; returns (code, barcode)."""
    code, barcode = random_code("SKU"), random_barcode()
    api.create_product(
        [
            {
                "code": code,
                "name": name,
                "barcode": barcode,
                "weight_g": 200,
                "dimensions": {"length_mm": 80, "width_mm": 80, "height_mm": 60},
                "prices": [{"currency": "EUR", "amount": "15.00"}],
            }
        ]
    )
    return code, barcode


def _order(api: ApiClient, location: str, sku: str, units: int, **fields: Any) -> str:
    channel = _created(
        api.post(
            "/channels",
            {
                "code": random_code("CH"),
                "name": "Shop",
                "kind": "web_shop",
                "currencies": ["EUR"],
                "locations": [location],
            },
        )
    )["code"]
    body = {
        "channel": channel,
        "customer": {"email": f"{random_code('c').lower()}@example.com", "name": "Ana"},
        "currency": "EUR",
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
        "lines": [{"sku": sku, "quantity": units}],
        **fields,
    }
    order = _created(api.post("/orders", body))
    assert order["status"] == "allocated", order
    return str(order["number"])


def _fulfilment_order(api: ApiClient, number: str) -> str:
    response = api.get("/fulfilment-orders", params={"order": number})
    assert response.status_code == 200, response.text
    (fo,) = response.json()
    return str(fo["number"])


def _fits(page: Page) -> None:
    """Every field has a label, and nothing scrolls sideways."""
    assert page.evaluate(UNLABELLED) == [], f"{page.url} has form fields without a label"
    width = page.viewport_size["width"]  # type: ignore[index]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, page.url


def test_a_picker_on_a_phone_releases_picks_packs_and_ships(phone: Page, api: ApiClient) -> None:
    page = phone
    # given a warehouse with the SKU in a bin, a carrier to NL, a box, and an order of two
    service = _carrier(api)
    _box(api)
    location = api.create_location()
    api.add_bins(location, ["A-01-01", "A-02-01"])
    sku, barcode = _sku(api, "Brass bell")
    api.receive(location, sku, 10, bin="A-02-01")
    number = _order(api, location, sku, 2)
    fo = _fulfilment_order(api, number)
    # the work queue shows it
    sign_in(page, "warehouse")
    page.get_by_role("link", name="Fulfilment").click()
    filters = page.get_by_role("search", name="Filter the work")
    filters.get_by_label("Location").select_option(location)
    filters.get_by_role("button", name="Show").click()
    row = page.locator("tr", has_text=fo)
    expect(row.locator("td[data-label=Status]")).to_contain_text("Pending")
    expect(row.locator("td[data-label=Units]")).to_have_text("2")
    _fits(page)
    shot(page, "fulfilment-queue")
    # when the picker releases a wave at the location
    release = page.get_by_role("region", name="Release a wave")
    release.get_by_label("Location").select_option(location)
    release.get_by_role("button", name="Release wave").click()
    expect(page).to_have_url(re.compile(r"/console/fulfilment/waves/WV-\d+$"))
    expect(page.locator(".flash.success")).to_contain_text(
        "1 fulfilment order(s) on 1 pick list(s)"
    )
    _fits(page)
    shot(page, "fulfilment-wave")
    page.locator("a.ff-card").first.click()
    # then the pick list shows the pick to do, large
    now = page.get_by_role("region", name=re.compile(r"^Pick 2 × "))
    expect(now).to_contain_text(sku)
    expect(now.locator(".ff-where")).to_contain_text("A-02-01")
    code = page.get_by_label("Scan or type the code")
    expect(code).to_be_focused()
    _fits(page)
    shot(page, "fulfilment-pick")
    # when a wrong code is scanned: a clear error, and nothing changes
    code.fill("NOT-THIS-ONE")
    code.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        f"Not picked: Wrong item: scanned NOT-THIS-ONE, the pick asks for {sku}"
    )
    expect(page.locator(".ff-pick").first).to_contain_text("0 / 2")
    expect(page.get_by_label("Scan or type the code")).to_be_focused()
    shot(page, "fulfilment-pick-wrong")
    # when the right barcode is scanned twice
    page.get_by_label("Scan or type the code").fill(barcode)
    page.get_by_label("Scan or type the code").press("Enter")
    expect(page.locator(".flash.success")).to_have_text(
        f"1 × {sku} picked from bin A-02-01. 1 more to pick here."
    )
    expect(page.locator(".ff-pick").first).to_contain_text("1 / 2")
    page.get_by_label("Scan or type the code").fill(barcode)
    page.get_by_role("button", name="Confirm pick").click()
    # then the list is complete
    expect(page.locator(".flash.success")).to_contain_text("The list is complete.")
    expect(page.locator(".ff-pick").first).to_contain_text("✓ Done")
    shot(page, "fulfilment-pick-done")
    # when the packer packs as proposed
    page.get_by_role("link", name=fo).click()
    packing = page.get_by_role("region", name="Pack")
    expect(packing).to_contain_text("Proposed boxes")
    _fits(page)
    shot(page, "fulfilment-order-picked")
    packing.get_by_role("button", name="Pack as proposed").click()
    expect(page.locator(".flash.success")).to_have_text(f"{fo} packed in 1 package(s) as proposed.")
    # then the rates are shown, the chosen one with its reason
    shipping = page.get_by_role("region", name="Ship")
    expect(shipping.locator("tr.ff-chosen")).to_contain_text(service)
    expect(shipping.locator(".ff-reason")).to_contain_text("Chosen: Parcel Co Standard")
    _fits(page)
    shot(page, "fulfilment-order-packed")
    # when shipped
    shipping.get_by_role("button", name="Ship").click()
    # then the shipment shows its tracking number and label
    expect(page).to_have_url(re.compile(r"/console/fulfilment/shipments/SH-\d+$"))
    expect(page.locator(".flash.success")).to_contain_text("tracking PC")
    tracking = page.locator("a.ff-tracking").first
    expect(tracking).to_have_text(re.compile(r"^PC\d{9}NL$"))
    expect(page.get_by_role("link", name="Label (PDF)")).to_have_attribute(
        "href", re.compile(r"^/api/v1/shipments/SH-\d+/packages/1/label\.pdf$")
    )
    _fits(page)
    shot(page, "fulfilment-shipment")
    assert api.get(f"/orders/{number}").json()["status"] == "shipped"


def test_a_wrong_pickup_code_is_refused_at_the_desk(desktop: Page, api: ApiClient) -> None:
    page = desktop
    # given a pickup order at a store, picked
    store = api.create_location(kind="store", can_pickup=True)
    sku, _ = _sku(api, "Desk lamp")
    api.receive(store, sku, 3)
    number = _order(api, store, sku, 1, pickup_location=store, shipping_address=None)
    fo = _fulfilment_order(api, number)
    wave = _created(api.post("/waves", {"location": store, "fulfilment_orders": [fo]}))
    plist = wave["pick_lists"][0]
    scanned = api.post(f"/pick-lists/{plist['number']}/scans", {"code": sku})
    assert scanned.status_code == 200, scanned.text
    # when the clerk puts it at the counter
    sign_in(page, "warehouse")
    page.goto(f"/console/fulfilment/orders/{fo}")
    page.get_by_role("button", name="Ready for pickup").click()
    expect(page.locator(".flash.success")).to_contain_text("ready for pickup")
    # and enters a code that is not the customer's
    handover = page.get_by_role("region", name="Hand over")
    handover.get_by_label("Pickup code").fill("wrong1")
    handover.get_by_role("button", name="Hand over").click()
    # then it is refused and the order still waits
    expect(page.get_by_role("alert")).to_contain_text(
        f"Not handed over: That is not the pickup code of {fo}"
    )
    expect(page.locator("h1 .badge").first).to_have_text("Ready for pickup")
    _fits(page)
    shot(page, "fulfilment-pickup-refused")
    assert api.get(f"/orders/{number}").json()["status"] == "allocated"


def test_a_carrier_service_with_broken_json_is_refused_next_to_the_field(
    phone: Page, api: ApiClient
) -> None:
    page = phone
    # given a carrier
    _carrier(api)
    sign_in(page, "admin")
    page.goto("/console/settings")
    page.get_by_role("link", name=re.compile("^Fulfilment Boxes")).click()
    expect(page.get_by_role("heading", name="Fulfilment settings")).to_be_visible()
    _fits(page)
    shot(page, "fulfilment-settings")
    # when a service is added whose weight breaks are not JSON
    code = random_code("S")
    page.locator("summary", has_text="Add a service").click()
    form = page.locator("form[action='/console/settings/fulfilment/services']")
    form.get_by_label("Code").fill(code)
    form.get_by_label("Name").fill("Express")
    form.get_by_label("Weight breaks (JSON)").fill('[{"zone": "NL", "up_to_g": 30000,')
    form.get_by_role("button", name="Add service").click()
    # then the field says why, the text is kept, and nothing was saved
    form = page.locator("form[action='/console/settings/fulfilment/services']")
    breaks = form.get_by_label("Weight breaks (JSON)")
    expect(breaks).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#service-new-breaks-error")).to_contain_text("not JSON")
    expect(breaks).to_have_value('[{"zone": "NL", "up_to_g": 30000,')
    _fits(page)
    shot(page, "fulfilment-settings-refused")
    assert code not in [s["code"] for s in api.get("/carrier-services").json()]
    # when the breaks name a zone the service does not have
    breaks.fill('[{"zone": "XX", "up_to_g": 30000, "base": 495}]')
    form.get_by_role("button", name="Add service").click()
    # then the service's own check is shown next to the field
    form = page.locator("form[action='/console/settings/fulfilment/services']")
    expect(form.locator("#service-new-zones-error, #service-new-breaks-error")).not_to_have_count(0)
    # when it is put right
    form.get_by_label("Zones (JSON)").fill('[{"zone": "NL", "country": "NL"}]')
    form.get_by_label("Transit days per zone (JSON)").fill('{"NL": 1}')
    form.get_by_label("Weight breaks (JSON)").fill(
        '[{"zone": "NL", "up_to_g": 30000, "base": 695}]'
    )
    form.get_by_role("button", name="Add service").click()
    expect(page.locator(".flash.success")).to_have_text(f"Service {code} added.")
    assert code in [s["code"] for s in api.get("/carrier-services").json()]
