"""A customer returns an item from a phone, without an account: from the tracking link to
the return form (one unit, a reason, a store to bring it to) to the return's number. The
order is the test's own, delivered today, so the demo's returns stay as they are."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from openoms.orders.queries import order_id_of
from openoms.returns import services as returns
from openoms.returns.model import ReturnReason, ReturnStatus
from tests.e2e.api.client import ApiClient
from tests.e2e.browser.conftest import Site
from tests.e2e.browser.pages import shot
from tests.e2e.browser.test_console import UNLABELLED
from tests.integration.returns_setup import delivered_order


@pytest.fixture
def api(site: Site) -> Iterator[ApiClient]:
    client = ApiClient(site.url)
    client.sign_in(f"admin@{DOMAIN}", DEMO_PASSWORD)
    yield client
    client.close()


def test_a_customer_returns_one_unit_in_a_store_from_a_phone(
    phone: Page, api: ApiClient, site: Site
) -> None:
    # given the tracking link from the customer's messages
    d = delivered_order(site.db)
    can = returns.returnable(site.db.reader(), d.number)
    line = can.lines[0]
    store = dict(can.drop_off_locations)[d.store]
    url = api.get(f"/orders/{d.number}/tracking-link").json()["url"]
    phone.goto("/track/" + url.rsplit("/track/", 1)[1])
    expect(phone.get_by_text("Returns possible until")).to_be_visible()
    # when the customer taps "Return items" and asks one unit back, to bring to a store
    phone.get_by_role("link", name="Return items").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Return items")
    assert phone.evaluate(UNLABELLED) == [], "every field has a label"
    item = phone.locator("fieldset.line", has_text=line.sku)
    item.get_by_label("How many to return").select_option("1")
    item.get_by_label("Why").select_option(label=ReturnReason.TOO_SMALL.label)
    phone.get_by_label("Bring it to one of our stores").check()
    phone.get_by_label("Which store").select_option(d.store)
    phone.get_by_label("Store credit").check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scroll"
    shot(phone, "return-start")
    phone.get_by_role("button", name="Request the return").click()
    # then the return's number and what happens next
    expect(phone.get_by_role("heading", level=1)).to_have_text("Return requested")
    with site.db.reader() as uow:
        (ret,) = returns.returns_of_order(uow, order_id_of(uow, d.number))
    expect(phone.get_by_role("status")).to_contain_text(ret.number)
    expect(phone.locator("main")).to_contain_text(f"bring the items to {store}")
    assert (ret.status, ret.opened_by, ret.drop_off_location) == (
        ReturnStatus.REQUESTED,
        "customer",
        d.store,
    )
    assert [(ln.order_line_no, ln.quantity, ln.reason) for ln in ret.lines] == [
        (line.line_no, 1, ReturnReason.TOO_SMALL)
    ]
    assert ret.preferred_resolution.value == "store_credit"
    shot(phone, "return-started")
    # and the tracking page lists it
    phone.get_by_role("link", name="Back to your order").click()
    expect(phone.locator(".return")).to_contain_text(f"{ret.number} · Requested")
    shot(phone, "tracking-page-returns")
