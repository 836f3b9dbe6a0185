"""The console's daily journeys in Chromium, at desktop and phone size."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from openoms.catalog.orm import skus
from openoms.orders.orm import orders
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in


def _barcode(site: Site) -> tuple[str, str]:
    with site.db.reader() as uow:
        code, barcode = uow.conn.execute(
            sa.select(skus.c.code, skus.c.barcode)
            .where(skus.c.barcode.is_not(None), skus.c.code.like("%-M"))
            .order_by(skus.c.id)
        ).first()  # type: ignore[misc]
    return str(code), str(barcode)


def test_sales_takes_a_phone_order_with_a_sku_found_by_barcode_then_holds_and_releases_it(
    desktop: Page, site: Site
) -> None:
    page = desktop
    code, barcode = _barcode(site)
    # given
    sign_in(page, "sales")
    page.get_by_role("link", name="Orders", exact=True).click()
    page.goto("/console/orders/new")
    page.get_by_label("Channel", exact=True).select_option("PHONE")
    page.get_by_label("Customer email").fill("caller@example.com")
    page.get_by_label("Customer name").fill("Carla Caller")
    page.get_by_label("Name", exact=True).fill("Carla Caller")
    page.get_by_label("Street and number").fill("Oudegracht 12")
    page.get_by_label("Postal code").fill("3511")
    page.get_by_label("City", exact=True).fill("Utrecht")
    page.get_by_label("Country (2 letters)").fill("NL")
    # when a scanner types the barcode and Enter
    search = page.get_by_label("Find a product by name, SKU or barcode")
    search.fill(barcode)
    search.press("Enter")
    # then the line is there, with its stock, and the server's totals
    expect(page.locator("#sku-0")).to_have_value(code)
    expect(page.locator("#qty-0")).to_have_value("1")
    expect(page.locator("#lines .line-info").first).to_contain_text("free:")
    expect(page.locator("[data-total=total]")).to_have_text(re.compile(r"€\d"))
    page.locator("#qty-0").fill("2")
    expect(page.locator("[data-total=tax_note]")).to_contain_text("21")
    shot(page, "order-new")
    # when
    page.get_by_role("button", name="Place order").click()
    # then
    expect(page).to_have_url(re.compile(r"/console/orders/SO-\d+$"))
    expect(page.locator(".flash.success")).to_contain_text("placed")
    expect(page.locator("h1 .badge").first).to_have_text("Allocated")
    expect(page.get_by_role("region", name="Lines")).to_contain_text(code)
    shot(page, "order-detail")
    # when the order is put on hold
    page.locator("summary", has_text="Put on hold").click()
    page.get_by_label("Reason for the hold").select_option("manual")
    page.get_by_label("Note on the hold").fill("Customer asked to wait")
    page.get_by_role("button", name="Put on hold").click()
    # then
    expect(page.locator("h1 .badge").first).to_have_text("On hold")
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("Customer asked to wait")
    # when released
    page.get_by_role("button", name="Release the hold").click()
    # then
    expect(page.locator("h1 .badge").first).to_have_text("Allocated")
    expect(page.locator(".flash.success")).to_contain_text("Released")


def test_a_bad_order_shows_each_error_next_to_its_field(desktop: Page) -> None:
    page = desktop
    sign_in(page, "sales")
    page.goto("/console/orders/new")
    page.get_by_label("Customer email").fill("not-an-email")
    page.locator("#sku-0").fill("NO-SUCH-SKU")
    page.get_by_role("button", name="Place order").click()

    expect(page.locator("#email-error")).to_contain_text("is not an email address")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lines-0-sku-error")).to_contain_text("no SKU or barcode")
    expect(page.locator("#line1-error")).to_contain_text("must not be empty")


def test_warehouse_adjusts_and_transfers_stock_on_a_phone(phone: Page, site: Site) -> None:
    page = phone
    code, _ = _barcode(site)
    # given
    sign_in(page, "warehouse")
    page.goto(f"/console/inventory?sku={code}")
    shot(page, "inventory")
    page.get_by_role("link", name=code).first.click()
    expect(page.get_by_role("heading", name=code)).to_be_visible()
    # when
    page.get_by_label("Location").first.select_option("WH-RTM")
    page.get_by_label("Units (+ adds, − removes)").fill("5")
    page.get_by_label("Reason").select_option("found")
    page.get_by_role("button", name="Adjust", exact=True).click()
    # then
    expect(page.locator(".flash.success")).to_contain_text(f"Adjusted {code} at WH-RTM by +5")
    expect(page.get_by_role("region", name="Movements")).to_contain_text("found")
    # when
    page.locator("summary", has_text="Transfer to another location").click()
    page.get_by_label("From").select_option("WH-RTM")
    page.get_by_label("To", exact=True).select_option("ST-AMS")
    page.get_by_label("Units", exact=True).fill("2")
    page.get_by_role("button", name="Request transfer").click()
    # then
    expect(page.locator(".flash.success")).to_contain_text("Transfer of 2")
    shot(page, "inventory-sku")
    page.goto("/console/inventory/transfers")
    row = page.locator("tr", has_text=code).first
    row.get_by_role("button", name="Ship").click()
    expect(page.locator(".flash.success")).to_contain_text("shipped")
    page.locator("tr", has_text=code).first.get_by_role("button", name="Receive").click()
    expect(page.locator(".flash.success")).to_contain_text("received")
    shot(page, "transfers")


def test_a_store_clerk_sees_only_their_store(desktop: Page, site: Site) -> None:
    page = desktop
    with site.db.reader() as uow:
        elsewhere = uow.conn.execute(
            sa.select(orders.c.number).where(
                orders.c.channel_code == "WEB-US", orders.c.pickup_location.is_(None)
            )
        ).scalar()
    assert elsewhere is not None
    # when
    sign_in(page, "clerk.ams")
    page.goto("/console/orders")
    # then
    channels = page.locator("td[data-label=Channel]").all_inner_texts()
    assert channels, "the clerk sees the store's orders"
    assert set(channels) <= {"POS-AMS", "WEB-EU", "PHONE", "KIOSK-BER", "MKT-ZAL"}
    expect(page.get_by_role("link", name=elsewhere)).to_have_count(0)
    page.goto(f"/console/orders/{elsewhere}")
    expect(page.get_by_role("heading", name="Order not found")).to_be_visible()
    page.goto("/console/inventory")
    locations = set(page.locator("td[data-label=Location]").all_inner_texts())
    assert locations == {"ST-AMS"}
    page.goto("/console/settings/users")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_dashboard_renders_its_charts(size: str, desktop: Page, phone: Page) -> None:
    page = desktop if size == "desktop" else phone
    sign_in(page, "manager")
    page.goto("/console")

    charts = page.locator(".chart svg[role=img]")
    expect(charts).to_have_count(3)
    expect(charts.nth(0)).to_have_attribute("aria-label", "Orders per day, last 14 days")
    box = charts.nth(0).bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    shot(page, "dashboard")


# Form fields a screen reader could not name: no <label for>, no wrapping label, no aria-label.
UNLABELLED = """
[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !el.labels.length && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML.slice(0, 80))
"""

PAGES = [
    ("dashboard", "/console"),
    ("orders", "/console/orders"),
    ("inventory", "/console/inventory"),
    ("inventory-low", "/console/inventory?low=1"),
    ("transfers", "/console/inventory/transfers"),
    ("customers", "/console/customers"),
    ("settings", "/console/settings"),
    ("settings-locations", "/console/settings/locations"),
    ("settings-channels", "/console/settings/channels"),
    ("settings-rates", "/console/settings/rates"),
    ("settings-webhooks", "/console/settings/webhooks"),
    ("settings-users", "/console/settings/users"),
    ("settings-audit", "/console/settings/audit"),
    ("settings-tokens", "/console/settings/tokens"),
    ("password", "/console/password"),
]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_renders_at_desktop_and_phone_size(
    size: str, desktop: Page, phone: Page, site: Site
) -> None:
    page = desktop if size == "desktop" else phone
    sign_in(page, "admin")
    with site.db.reader() as uow:
        number = uow.conn.execute(sa.select(orders.c.number).order_by(orders.c.id)).scalar()
    with site.db.reader() as uow:
        sku = uow.conn.execute(sa.select(skus.c.code).order_by(skus.c.id)).scalar()
    pages = [
        *PAGES,
        ("order", f"/console/orders/{number}"),
        ("order-form", "/console/orders/new"),
        ("inventory-sku", f"/console/inventory/{sku}"),
    ]
    for name, path in pages:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate(UNLABELLED) == [], f"{path} has form fields without a label"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= page.viewport_size["width"] + 1, f"{path} scrolls sideways at {size}"  # type: ignore[index]
        shot(page, name)
    page.goto("/console/customers")
    page.locator("td[data-label=Customer] a").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "customer")
    page.goto("/console/login")  # signed in already: the sign-in page still renders
    shot(page, "login")


def test_an_admin_sets_a_tax_rate_and_a_location_capacity(desktop: Page) -> None:
    page = desktop
    sign_in(page, "admin")
    # when
    page.goto("/console/settings/rates")
    page.get_by_label("Country").fill("BE")
    page.get_by_label("Rate (0.21 = 21 %)").fill("0.21")
    page.get_by_label("Name", exact=True).fill("BTW")
    page.get_by_role("button", name="Set tax rate").click()
    # then
    expect(page.locator(".flash.success")).to_contain_text("Tax rate for BE set")
    expect(page.get_by_role("region", name="Tax rates")).to_contain_text("BTW")
    # when
    page.goto("/console/settings/locations")
    page.locator("summary", has_text="Edit ST-BER").click()
    page.locator("#cap-ST-BER").fill("40")
    page.get_by_role("button", name="Save ST-BER").click()
    # then
    expect(page.locator(".flash.success")).to_contain_text("Location ST-BER saved")
    expect(page.locator("tr", has_text="ST-BER")).to_contain_text("40")


def test_the_console_works_from_the_keyboard(desktop: Page) -> None:
    page = desktop
    page.goto("/console/login")
    # the email field has the focus once the page is ready
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("sales@demo.openoms.dev")
    page.keyboard.press("Tab")
    page.keyboard.type("openoms-demo")
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_contain_text("Welcome")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="OpenOMS")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Orders", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/orders$"))
    page.get_by_label("Search").focus()
    page.keyboard.type("SO-000001")
    page.keyboard.press("Enter")
    expect(page.locator("td[data-label=Order]")).to_have_count(1)


# Each link of the top navigation as the window shows it: its box, and the window's width.
NAV_LINKS = """
[...document.querySelectorAll('header.top nav a')].map(a => {
  const box = a.getBoundingClientRect();
  return {text: a.textContent.trim(), left: box.left, right: box.right, top: box.top};
})
"""


@pytest.mark.parametrize("width", [1280, 900])
def test_every_navigation_link_is_in_sight_on_a_desktop(width: int, desktop: Page) -> None:
    """The administrator's navigation has more links than one row holds: past a phone's
    width they wrap into rows instead of scrolling out of sight."""
    page = desktop
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "admin")
    page.goto("/console/orders")
    links = page.evaluate(NAV_LINKS)
    assert len(links) >= 12, links  # the admin's links: more than a row of 1280 px holds
    hidden = [link["text"] for link in links if link["left"] < 0 or link["right"] > width]
    assert hidden == [], f"links out of sight at {width} px: {hidden}"
    assert len({round(link["top"]) for link in links}) >= 2  # wrapped, not squeezed
    nav = "document.querySelector('header.top nav')"
    assert page.evaluate(f"{nav}.scrollWidth <= {nav}.clientWidth")
