"""Messages in the console, in Chromium: an order's mails with their status and a resend,
and the templates previewed in German on a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from openoms.infra import outbox
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.notifications import services as notifications
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot, sign_in


def test_customer_service_sends_an_orders_confirmation_again(desktop: Page, site: Site) -> None:
    outbox.register_consumer("notifications", notifications.queue_for_events)
    dispatch_events(site.db)  # what the worker does every round
    sign_in(desktop, "sales")
    desktop.goto("/console/orders/SO-000002")
    panel = desktop.get_by_role("region", name="Messages")
    expect(panel).to_contain_text("Order confirmation")
    expect(panel).to_contain_text("SO-000002")  # in the customer's language
    expect(panel).to_contain_text("Queued")
    panel.get_by_role("button", name="Send again").first.click()
    expect(desktop.locator(".flash.success")).to_contain_text("queued again")
    expect(desktop.get_by_role("region", name="Messages").locator("tbody tr")).to_have_count(2)
    shot(desktop, "order-messages")


def test_the_templates_are_previewed_in_german_on_a_phone(phone: Page) -> None:
    sign_in(phone, "sales")
    phone.goto("/console/settings/messages")
    phone.get_by_label("Message").select_option("shipped")
    phone.get_by_label("Language").select_option("de")
    phone.get_by_role("button", name="Show").click()
    expect(phone.get_by_role("heading", level=2)).to_have_text(
        "Ihre Bestellung SO-000123 ist unterwegs"
    )
    expect(phone.locator("pre")).to_contain_text("Sendungsnummer PX000000014NL")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "message-preview")
