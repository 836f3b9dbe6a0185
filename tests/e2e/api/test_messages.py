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


def test_a_customer_rates_an_order_and_reports_something_missing(
    api: ApiClient, server: RunningServer, warehouse: str
) -> None:
    import httpx
    import sqlalchemy as sa

    from openoms.selfservice.orm import cases, ratings

    sku = stocked_sku(api, warehouse)
    placed = api.post("/orders", order_body(make_channel(api), {"sku": sku, "quantity": 2}))
    number = placed.json()["number"]
    url = server.app.state.links.rating_url(number)
    path = server.url + "/rate/" + url.rsplit("/rate/", 1)[1]

    form = httpx.get(path)
    assert form.status_code == 200
    assert f"How was order {number}?" in form.text
    assert f'name="stars-{sku}"' in form.text
    empty = httpx.post(path, data={"arrived": "yes"})
    assert empty.status_code == 422
    assert "at least one rating" in empty.text
    sent = httpx.post(
        path,
        data={
            "stars-": "4",
            "comment-": "quick",
            f"stars-{sku}": "5",
            "arrived": "no",
            "missing": "one of the two bells",
        },
    )
    assert sent.status_code == 200
    assert "Customer service will get back to you" in sent.text
    again = httpx.post(path, data={"stars-": "2", "arrived": "yes"})  # changes the rating
    assert again.status_code == 200
    with server.db.reader() as uow:
        given = dict(
            uow.conn.execute(
                sa.select(ratings.c.sku_code, ratings.c.stars).where(
                    ratings.c.order_number == number
                )
            ).all()
        )
        opened = uow.conn.execute(
            sa.select(cases.c.kind, cases.c.text).where(cases.c.order_number == number)
        ).all()
    assert given == {"": 2, sku: 5}
    assert [tuple(c) for c in opened] == [("missing_items", "one of the two bells")]
    tampered = httpx.get(path[:-3] + "abc")
    assert tampered.status_code == 404
    assert httpx.post(path[:-3] + "abc", data={"stars-": "5"}).status_code == 404
