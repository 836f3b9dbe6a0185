"""Messages over HTTP: an order's confirmation listed with its status, sent again by hand,
and every template previewed in every language."""

from __future__ import annotations

import pytest

from openoms.infra import outbox
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.notifications import services as notifications
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import make_channel, order_body, stocked_sku


@pytest.mark.covers("GET /orders/{number}/messages", "POST /messages/{message_id}/resend")
def test_an_orders_messages_are_listed_and_sent_again(
    api: ApiClient, server: RunningServer, warehouse: str
) -> None:
    outbox.register_consumer("notifications", notifications.queue_for_events)
    sku = stocked_sku(api, warehouse)
    placed = api.post("/orders", order_body(make_channel(api), {"sku": sku, "quantity": 1}))
    assert placed.status_code == 201, placed.text
    number = placed.json()["number"]
    dispatch_events(server.db)  # what the worker does every round

    listed = api.get(f"/orders/{number}/messages")
    assert listed.status_code == 200
    (confirmation,) = listed.json()
    assert confirmation["kind"] == "order_confirmation"
    assert confirmation["status"] == "queued"
    assert confirmation["subject"] == f"Your order {number}"
    assert api.get("/orders/SO-999999999/messages").status_code == 404

    again = api.post(f"/messages/{confirmation['id']}/resend", {})
    assert again.status_code == 201
    assert again.json()["subject"] == confirmation["subject"]
    assert again.json()["id"] != confirmation["id"]
    assert len(api.get(f"/orders/{number}/messages").json()) == 2
    assert api.post("/messages/999999999/resend", {}).status_code == 404
    assert api.post("/messages/not-a-number/resend", {}).status_code == 422


@pytest.mark.covers("GET /message-templates/{kind}/preview")
def test_every_template_can_be_previewed(api: ApiClient) -> None:
    shown = api.get("/message-templates/shipped/preview", params={"locale": "de"})
    assert shown.status_code == 200
    assert shown.json()["subject"] == "Ihre Bestellung SO-000123 ist unterwegs"
    assert "PX000000014NL" in shown.json()["text"]
    assert shown.json()["html"].startswith("<!doctype html>")
    assert api.get("/message-templates/shipped/preview", params={"locale": "xx"}).status_code == 422
    assert api.get("/message-templates/no_such_kind/preview").status_code == 404
