"""The alerts inbox in Chromium: the demo's alerts with the open count in the menu, one
acknowledged on a phone, several at once on a desktop; read-only staff and a store clerk
see what is theirs to see."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from openoms.alerts import services as alerts
from openoms.alerts.model import AlertEmails
from openoms.infra import outbox
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.notifications import services as notifications
from openoms.shared.events import Event
from tests.builders import random_code
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in

QUIET = alerts.AlertMail(AlertEmails())


def _dispatch(site: Site) -> None:
    """What the worker does every round: the outbox's events make their messages and raise
    their alerts."""
    outbox.register_consumer("notifications", notifications.queue_for_events)
    outbox.register_consumer("alerts", lambda uow, ev: alerts.raise_for_events(uow, ev, QUIET))
    dispatch_events(site.db)


def _open_count(page: Page) -> int:
    menu = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Alerts")
    )
    found = re.search(r"\d+", menu.inner_text())
    return int(found.group()) if found else 0


def test_an_alert_is_acknowledged_from_the_inbox_on_a_phone(phone: Page, site: Site) -> None:
    _dispatch(site)
    sign_in(phone, "warehouse")
    before = _open_count(phone)
    assert before >= 1

    phone.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Alerts")
    ).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Alerts")
    inbox = phone.get_by_role("list", name="Open alerts")
    low = inbox.get_by_role("listitem").filter(has_text="Low stock:").first
    expect(low).to_contain_text("at ST-AMS")
    title = low.get_by_role("heading").inner_text()
    expect(low.get_by_role("link", name=title)).to_have_attribute(
        "href", re.compile(r"^/console/inventory/.+\?location=ST-AMS$")
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "alerts-inbox")

    low.get_by_role("button", name="Acknowledge").click()

    expect(phone.locator(".flash.success")).to_contain_text(f"Acknowledged: {title}.")
    expect(phone.get_by_role("list", name="Open alerts")).not_to_contain_text(title)
    assert _open_count(phone) == before - 1
    phone.get_by_role("link", name="Acknowledged").click()
    done = phone.get_by_role("listitem").filter(has_text=title)
    expect(done).to_contain_text("Acknowledged by user:warehouse@")


def test_selected_alerts_are_acknowledged_together(desktop: Page, site: Site) -> None:
    skus = [random_code("SKU") for _ in range(2)]
    with site.db.uow() as uow:
        for sku in skus:
            uow.record(
                Event(
                    "inventory.count_needed", {"location": "WH-RTM", "sku": sku, "bin": "A-01-01"}
                )
            )
        uow.commit()
    _dispatch(site)
    sign_in(desktop, "manager")
    desktop.goto("/console/alerts")
    desktop.get_by_role("link", name=re.compile("^Count needed")).click()
    for sku in skus:
        desktop.get_by_label(f"Select: Count {sku} at WH-RTM").check()
    shot(desktop, "alerts-selected")

    desktop.get_by_role("button", name="Acknowledge selected").click()

    expect(desktop.locator(".flash.success")).to_contain_text("Acknowledged 2 alerts.")
    for sku in skus:
        expect(desktop.get_by_role("list", name="Open alerts")).not_to_contain_text(sku)
    expect(desktop.get_by_role("link", name=re.compile("^Count needed"))).to_have_attribute(
        "aria-current", "true"
    )


def test_read_only_staff_see_alerts_without_acknowledging(desktop: Page, site: Site) -> None:
    _dispatch(site)
    sign_in(desktop, "viewer")
    desktop.goto("/console/alerts?state=all")
    expect(desktop.get_by_role("list", name="Alerts").get_by_role("listitem").first).to_be_visible()
    expect(desktop.get_by_role("button", name=re.compile("Acknowledge"))).to_have_count(0)
    expect(desktop.get_by_role("checkbox")).to_have_count(0)


def test_a_store_clerk_sees_the_alerts_of_the_store_only(phone: Page, site: Site) -> None:
    _dispatch(site)
    sign_in(phone, "clerk.ams")
    phone.goto("/console/alerts?state=all")
    items = phone.get_by_role("list", name="Alerts").get_by_role("listitem")
    expect(items.first).to_be_visible()
    for text in items.all_inner_texts():
        assert "ST-AMS" in text
    expect(phone.get_by_role("list", name="Alerts")).not_to_contain_text("fraud review")
