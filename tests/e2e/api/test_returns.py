"""Returns over HTTP: a delivered order returned in a store and refunded to the card; the
policy per channel; a label for a parcel sent back; store credit; an exchange; and the
refusals (more than delivered, steps out of order, a second refund)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient
from tests.e2e.api.test_fulfilment import _box, _setup_carrier, _stocked
from tests.e2e.api.test_orders import make_channel, order_body
from tests.e2e.api.test_payments import payments, token

Json = dict[str, Any]


def _delivered(api: ApiClient, quantity: int = 2) -> tuple[str, str, str, str, str]:
    """A card-paid order of ``quantity`` bells at 15.00, shipped and delivered; returns
    (order number, channel, warehouse, store, the carrier service it was shipped with)."""
    service = _setup_carrier(api)
    _box(api)
    location, sku = _stocked(api)
    store = api.create_location(kind="store")
    channel = make_channel(api, locations=[location])
    body = order_body(
        channel,
        {"sku": sku, "quantity": quantity},
        payment={"method": "card", "token": token(api)},
    )
    placed = api.post("/orders", body)
    assert placed.status_code == 201, placed.text
    number = str(placed.json()["number"])
    (fo,) = api.get("/fulfilment-orders", params={"order": number}).json()
    wave = api.post("/waves", {"location": location, "fulfilment_orders": [fo["number"]]}).json()
    plist = wave["pick_lists"][0]
    scanned = api.post(f"/pick-lists/{plist['number']}/scans", {"code": sku, "quantity": quantity})
    assert scanned.status_code == 200, scanned.text
    assert api.post(f"/fulfilment-orders/{fo['number']}/pack", {}).status_code == 200
    shipped = api.post(f"/fulfilment-orders/{fo['number']}/ship", {})
    assert shipped.status_code == 201, shipped.text
    scan = {
        "tracking_number": shipped.json()["packages"][0]["tracking_number"],
        "status": "delivered",
        "at": datetime.now(UTC).isoformat(),
    }
    assert api.post("/tracking-events", {"events": [scan]}).status_code == 200
    return number, channel, location, store, service


@pytest.mark.covers(
    "GET /orders/{number}/returnable",
    "POST /orders/{number}/returns",
    "GET /returns",
    "GET /returns/{number}",
    "POST /returns/{number}/receive",
    "POST /returns/{number}/inspect",
    "GET /returns/{number}/refund-quote",
    "POST /returns/{number}/refund",
)
def test_an_online_order_is_returned_in_a_store_and_refunded_to_the_card(
    api: ApiClient,
) -> None:
    number, _channel, _warehouse, store, _service = _delivered(api)
    can = api.get(f"/orders/{number}/returnable")
    assert can.status_code == 200, can.text
    assert can.json()["open"] is True
    (line,) = can.json()["lines"]
    assert (line["delivered"], line["returnable"]) == (2, 2)
    assert line["unit_value"]["amount"] == "15.00"
    assert store in can.json()["drop_off_locations"]
    assert api.get("/orders/SO-999999999/returnable").status_code == 404

    body = {
        "lines": [{"line_no": 1, "quantity": 1, "reason": "too_small"}],
        "method": "in_store",
        "drop_off_location": store,
    }
    too_many = {**body, "lines": [{"line_no": 1, "quantity": 3, "reason": "too_small"}]}
    refused = api.post(f"/orders/{number}/returns", too_many)
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_returnable"
    assert "2 of 2 delivered" in refused.json()["detail"]
    bad = api.post(f"/orders/{number}/returns", {**body, "lines": [{"line_no": 1}]})
    assert bad.status_code == 422
    assert api.post("/orders/SO-999999999/returns", body).status_code == 404
    opened = api.post(f"/orders/{number}/returns", body)
    assert opened.status_code == 201, opened.text
    rma = opened.json()
    assert rma["status"] == "approved"  # opened by staff
    assert rma["opened_by"] == "staff"
    path = f"/returns/{rma['number']}"

    listed = api.get("/returns", params={"order": number})
    assert [r["number"] for r in listed.json()["items"]] == [rma["number"]]
    assert api.get("/returns", params={"status": "lost"}).status_code == 422
    assert api.get(path).json()["lines"][0]["reason"] == "too_small"
    assert api.get("/returns/RMA-999999").status_code == 404

    assert api.post(f"{path}/receive", {"location": ""}).status_code == 422
    assert api.post("/returns/RMA-999999/receive", {"location": store}).status_code == 404
    received = api.post(f"{path}/receive", {"location": store})
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"

    assert api.post(f"{path}/inspect", {"lines": []}).status_code == 422
    short = api.post(f"{path}/inspect", {"lines": [{"line_no": 1, "restock": 0}]})
    assert short.status_code == 422  # the received unit must be accounted for
    assert (
        api.post("/returns/RMA-999999/inspect", {"lines": [{"line_no": 1, "restock": 1}]})
    ).status_code == 404
    levels = {"sku": _sku_of(api, number), "location": store}
    before = api.get("/inventory/levels", params=levels)
    inspected = api.post(f"{path}/inspect", {"lines": [{"line_no": 1, "restock": 1}]})
    assert inspected.status_code == 200, inspected.text
    assert inspected.json()["lines"][0]["credit"]["amount"] == "15.00"
    after = api.get("/inventory/levels", params=levels)
    assert _on_hand(after.json()) == _on_hand(before.json()) + 1

    quote = api.get(f"{path}/refund-quote")
    assert quote.status_code == 200
    assert quote.json()["total"]["amount"] == "15.00"
    assert api.get("/returns/RMA-999999/refund-quote").status_code == 404

    over = api.post(f"{path}/refund", {"amount": "15.01"})
    assert over.status_code == 422
    assert api.post(f"{path}/refund", {"amount": "abc"}).status_code == 422
    assert api.post("/returns/RMA-999999/refund", {}).status_code == 404
    refunded = api.post(f"{path}/refund", {"note": "at the counter"})
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["return"]["status"] == "refunded"
    assert refunded.json()["problems"] == []
    (payment,) = payments(api, number)
    assert payment["refunded"]["amount"] == "15.00"
    again = api.post(f"{path}/refund", {})
    assert again.status_code == 409  # never twice
    (payment,) = payments(api, number)
    assert payment["refunded"]["amount"] == "15.00"

    order = api.get(f"/orders/{number}").json()
    assert order["lines"][0]["quantity_returned"] == 1
    kinds = [e["kind"] for e in api.get(f"/orders/{number}/timeline").json()]
    assert "return_requested" in kinds
    assert "return_refunded" in kinds


def _sku_of(api: ApiClient, number: str) -> str:
    return str(api.get(f"/orders/{number}").json()["lines"][0]["sku"])


def _on_hand(levels: Any) -> int:
    rows = levels if isinstance(levels, list) else levels.get("levels", levels.get("items", []))
    return sum(int(r["on_hand"]) for r in rows)


@pytest.mark.covers(
    "GET /channels/{code}/return-policy",
    "PUT /channels/{code}/return-policy",
    "GET /orders/{number}/return-link",
    "POST /returns/{number}/approve",
    "GET /returns/{number}/label.pdf",
    "POST /returns/{number}/in-transit",
    "POST /returns/{number}/store-credit",
)
def test_a_parcel_sent_back_with_a_label_paid_by_the_customer_becomes_store_credit(
    api: ApiClient, server: Any
) -> None:
    number, channel, warehouse, _store, service = _delivered(api)
    policy = {
        "window_days": 14,
        "reasons": ["too_small", "damaged"],
        "shipping_paid_by": "customer",
        "restocking_fee_percent": "10",
        "exchanges": False,
        "return_service": service,
    }
    assert (
        api.put(f"/channels/{channel}/return-policy", {**policy, "window_days": -1}).status_code
        == 422
    )
    assert api.put("/channels/NO-SUCH/return-policy", policy).status_code == 404
    saved = api.put(f"/channels/{channel}/return-policy", policy)
    assert saved.status_code == 200, saved.text
    assert api.get(f"/channels/{channel}/return-policy").json()["reasons"] == [
        "too_small",
        "damaged",
    ]
    assert api.get("/channels/NO-SUCH/return-policy").status_code == 404

    link = api.get(f"/orders/{number}/return-link")
    assert link.status_code == 200
    assert "/returns/new/" in link.json()["url"]
    assert api.get("/orders/SO-999999999/return-link").status_code == 404

    # a customer-style request (the API opens returns as staff: approved at once), so the
    # customer's path is taken through the service the self-service page uses
    from openoms.returns import services as svc

    ret = svc.open_return(
        server.db.uow(),
        number,
        svc.ReturnRequest([svc.LineRequest(1, 1, "too_small")], "ship_back"),
        actor="customer",
        by_customer=True,
    )
    path = f"/returns/{ret.number}"
    assert api.get(f"{path}/label.pdf").status_code == 409  # not approved: no label yet
    assert api.post(f"{path}/approve", {"note": 1}).status_code == 422
    assert api.post("/returns/RMA-999999/approve", {}).status_code == 404
    approved = api.post(f"{path}/approve", {"note": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["tracking_number"]
    assert approved.json()["label_cost"]["amount"] == "4.95"
    label = api.get(f"{path}/label.pdf")
    assert label.status_code == 200
    assert label.content.startswith(b"%PDF")
    assert api.get("/returns/RMA-999999/label.pdf").status_code == 404

    assert api.post("/returns/RMA-999999/in-transit").status_code == 404
    # the carrier's scan of the return label, like any parcel's, puts it in transit
    scan = {
        "tracking_number": approved.json()["tracking_number"],
        "status": "in_transit",
        "at": datetime.now(UTC).isoformat(),
        "location": "Hub",
    }
    assert api.post("/tracking-events", {"events": [scan]}).status_code == 200
    assert api.get(path).json()["status"] == "in_transit"
    assert api.post(f"{path}/in-transit").status_code == 409  # in transit already
    assert api.post(f"{path}/receive", {"location": warehouse}).status_code == 200
    inspected = api.post(
        f"{path}/inspect",
        {"lines": [{"line_no": 1, "restock": 0, "write_off": 1, "write_off_reason": "worn"}]},
    )
    assert inspected.status_code == 200, inspected.text
    quote = api.get(f"{path}/refund-quote").json()
    # 15.00 less 10 % restocking fee less the 4.95 label = 8.55
    assert quote["total"]["amount"] == "8.55"
    assert api.post(f"{path}/exchange").status_code == 409  # this channel does not exchange
    assert api.post(f"{path}/store-credit", {"amount": "-1"}).status_code == 422
    assert api.post("/returns/RMA-999999/store-credit", {}).status_code == 404
    credit = api.post(f"{path}/store-credit", {})
    assert credit.status_code == 200, credit.text
    assert credit.json()["resolution"] == "store_credit"
    assert credit.json()["refund"]["amount"] == "8.55"
    code = credit.json()["store_credit_code"]
    card = api.get(f"/gift-cards/{code}")
    assert card.status_code == 200, card.text
    assert card.json()["balance"]["amount"] == "8.55"


@pytest.mark.covers(
    "POST /returns/{number}/reject",
    "POST /returns/{number}/close",
    "POST /returns/{number}/exchange",
)
def test_reject_close_and_exchange(api: ApiClient, server: Any) -> None:
    from openoms.returns import services as svc

    number, _channel, _warehouse, store, _service = _delivered(api, quantity=3)
    asked = svc.open_return(
        server.db.uow(),
        number,
        svc.ReturnRequest([svc.LineRequest(1, 1, "changed_mind")], "in_store", "refund", store),
        actor="customer",
        by_customer=True,
    )
    path = f"/returns/{asked.number}"
    assert api.post(f"{path}/reject", {"reason": ""}).status_code == 422
    assert api.post("/returns/RMA-999999/reject", {"reason": "worn"}).status_code == 404
    rejected = api.post(f"{path}/reject", {"reason": "worn"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert api.post(f"{path}/close", {"reason": "done"}).status_code == 409

    body = {
        "lines": [{"line_no": 1, "quantity": 1, "reason": "too_small"}],
        "method": "in_store",
        "drop_off_location": store,
        "preferred_resolution": "exchange",
    }
    withdrawn = api.post(f"/orders/{number}/returns", body).json()
    assert api.post(f"/returns/{withdrawn['number']}/close", {}).status_code == 422
    assert api.post("/returns/RMA-999999/close", {"reason": "x"}).status_code == 404
    closed = api.post(f"/returns/{withdrawn['number']}/close", {"reason": "kept it after all"})
    assert closed.json()["status"] == "closed"

    swap = api.post(f"/orders/{number}/returns", body).json()
    spath = f"/returns/{swap['number']}"
    assert api.post(f"{spath}/exchange").status_code == 409  # not received yet
    api.post(f"{spath}/receive", {"location": store})
    api.post(f"{spath}/inspect", {"lines": [{"line_no": 1, "restock": 1}]})
    assert api.post("/returns/RMA-999999/exchange").status_code == 404
    assert api.post(f"/returns/{random_code('x')}/exchange").status_code in (404, 422)
    done = api.post(f"{spath}/exchange")
    assert done.status_code == 200, done.text
    replacement = done.json()["replacement_order"]
    assert done.json()["charged"]["amount"] == "0.00"
    new = api.get(f"/orders/{replacement}").json()
    assert "replacement" in new["special_codes"]
    assert new["totals"]["total"]["amount"] == "0.00"
    assert api.get(spath).json()["exchange_order"] == replacement


def test_a_customers_link_to_a_refund_in_a_store_never_beyond_what_was_captured(
    api: ApiClient, server: Any
) -> None:
    """The whole path the issue names: the customer asks through their signed link, staff
    approve, the parcel is brought to a store, restocked, refunded through the test gateway;
    the refund never exceeds what was captured, and the ledger verifies clean."""
    import re
    from urllib.parse import urlsplit

    import httpx

    number, _channel, _warehouse, store, _service = _delivered(api)
    (payment,) = payments(api, number)
    captured = int(payment["captured"]["amount_minor"])
    assert captured == 3000  # two bells at 15.00, captured at shipment
    # the customer: from the tracking page's link to the return form, one bell to the store
    link = api.get(f"/orders/{number}/return-link").json()["url"]
    form_url = server.url + urlsplit(link).path
    form = httpx.get(form_url)
    assert form.status_code == 200
    assert re.search(r'name="qty-1"', form.text)
    asked = httpx.post(
        form_url,
        data={
            "qty-1": "2",
            "reason-1": "damaged",
            "method": "in_store",
            "store": store,
            "resolution": "refund",
        },
    )
    assert asked.status_code == 303, asked.text
    (rma,) = api.get("/returns", params={"order": number}).json()["items"]
    assert (rma["status"], rma["opened_by"]) == ("requested", "customer")
    path = f"/returns/{rma['number']}"
    # staff approve; the customer brings both bells to the store; one goes back on the shelf
    assert api.post(f"{path}/approve", {}).json()["status"] == "approved"
    assert api.post(f"{path}/receive", {"location": store}).status_code == 200
    inspected = api.post(
        f"{path}/inspect",
        {"lines": [{"line_no": 1, "restock": 1, "write_off": 1, "write_off_reason": "cracked"}]},
    )
    assert inspected.status_code == 200, inspected.text
    # damaged, and everything came back: the items and the shipping, within what was captured
    quote = api.get(f"{path}/refund-quote").json()
    assert quote["items"]["amount"] == "30.00"
    refunded = api.post(f"{path}/refund", {})
    assert refunded.status_code == 200, refunded.text
    (payment,) = payments(api, number)
    assert int(payment["refunded"]["amount_minor"]) <= captured
    assert int(payment["refunded"]["amount_minor"]) == int(quote["total"]["amount_minor"])
    assert api.post(f"{path}/refund", {}).status_code == 409
    assert api.get("/inventory/verify").json() == []


def test_a_caller_limited_to_a_store_sees_and_acts_on_its_returns_only(
    api: ApiClient, server: Any
) -> None:
    from openoms.identity.model import Role
    from tests.builders import TEST_PASSWORD, make_user

    number, _channel, _warehouse, store, _service = _delivered(api)
    body = {
        "lines": [{"line_no": 1, "quantity": 1, "reason": "too_small"}],
        "method": "in_store",
        "drop_off_location": store,
    }
    theirs = api.post(f"/orders/{number}/returns", body).json()["number"]
    elsewhere = api.post(
        f"/orders/{number}/returns", {**body, "method": "ship_back", "drop_off_location": None}
    ).json()["number"]
    clerk = api.other()
    clerk.sign_in(make_user(server.db, Role.SALES, locations=[store]).email, TEST_PASSWORD)
    try:
        # the return brought to their store is theirs to see and receive
        assert clerk.get(f"/returns/{theirs}").status_code == 200
        assert clerk.post(f"/returns/{theirs}/receive", {"location": store}).status_code == 200
        # the web order and its parcel sent back to the warehouse do not exist for them
        for path in (
            f"/returns/{elsewhere}",
            f"/returns/{elsewhere}/refund-quote",
            f"/returns/{elsewhere}/label.pdf",
            f"/orders/{number}/returnable",
            f"/orders/{number}/return-link",
        ):
            assert clerk.get(path).status_code == 404, path
        assert clerk.post(f"/returns/{elsewhere}/close", {"reason": "x"}).status_code == 404
        assert clerk.post(f"/orders/{number}/returns", body).status_code == 404
        listed = clerk.get("/returns", params={"order": number}).json()["items"]
        assert [r["number"] for r in listed] == [theirs]
    finally:
        clerk.close()
    assert api.get(f"/returns/{elsewhere}").json()["status"] == "approved"
    # handed to the carrier without a scan: staff say so
    assert api.post(f"/returns/{elsewhere}/in-transit").json()["status"] == "in_transit"
