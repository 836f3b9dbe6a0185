"""Alerts over HTTP: an order that takes a SKU's last units shows up in the inbox as low
stock, counted in the summary, read on its own, acknowledged once; read-only staff see it
but cannot acknowledge it."""

from __future__ import annotations

import pytest

from openoms.alerts import services as alerts
from openoms.alerts.model import AlertEmails
from openoms.identity.model import Role
from openoms.infra import outbox
from openoms.integrations.webhooks.fanout import dispatch_events
from tests.builders import TEST_PASSWORD, make_user
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import make_channel, order_body, stocked_sku

QUIET = alerts.AlertMail(AlertEmails())


def low_stock_alert(api: ApiClient, server: RunningServer, warehouse: str) -> dict[str, object]:
    """An order takes the last units of a fresh SKU; the worker's dispatch raises the alert."""
    outbox.register_consumer("alerts", lambda uow, ev: alerts.raise_for_events(uow, ev, QUIET))
    sku = stocked_sku(api, warehouse, units=2)
    placed = api.post("/orders", order_body(make_channel(api), {"sku": sku, "quantity": 2}))
    assert placed.status_code == 201, placed.text
    dispatch_events(server.db)  # what the worker does every round
    listed = api.get("/alerts", params={"kind": "low_stock", "limit": 200})
    assert listed.status_code == 200, listed.text
    (found,) = [a for a in listed.json()["items"] if a["subject"] == f"sku:{sku}@{warehouse}"]
    return dict(found)


@pytest.mark.covers(
    "GET /alerts",
    "GET /alerts/summary",
    "GET /alerts/{alert_id}",
    "POST /alerts/{alert_id}/acknowledge",
)
def test_a_low_stock_alert_is_listed_counted_read_and_acknowledged_once(
    api: ApiClient, server: RunningServer, warehouse: str
) -> None:
    alert = low_stock_alert(api, server, warehouse)
    assert alert["kind"] == "low_stock"
    assert alert["label"] == "Low stock"
    assert alert["is_open"] is True
    assert alert["location"] == warehouse
    assert str(alert["link"]).startswith("/console/inventory/")
    assert alert["data"]["on_hand"] == 2  # type: ignore[index]

    summary = api.get("/alerts/summary")
    assert summary.status_code == 200
    assert summary.json()["by_kind"]["low_stock"] >= 1
    assert summary.json()["open"] == sum(summary.json()["by_kind"].values())

    one = api.get(f"/alerts/{alert['id']}")
    assert one.status_code == 200
    assert one.json() == alert
    assert api.get("/alerts/999999999").status_code == 404
    assert api.get("/alerts/not-a-number").status_code == 422
    assert api.get("/alerts", params={"state": "closed"}).status_code == 422
    assert api.get("/alerts", params={"kind": "meteor"}).status_code == 422
    assert api.get("/alerts", params={"cursor": "not-ours"}).status_code == 422

    done = api.post(f"/alerts/{alert['id']}/acknowledge", {})
    assert done.status_code == 200, done.text
    assert done.json()["is_open"] is False
    assert done.json()["acknowledged_by"] == api.actor
    again = api.post(f"/alerts/{alert['id']}/acknowledge", {})
    assert again.status_code == 409
    assert again.json()["code"] == "alert_already_acknowledged"
    assert api.post("/alerts/999999999/acknowledge", {}).status_code == 404
    assert api.post("/alerts/not-a-number/acknowledge", {}).status_code == 422

    still_open = api.get("/alerts", params={"kind": "low_stock", "limit": 200}).json()["items"]
    assert alert["id"] not in [a["id"] for a in still_open]
    seen = api.get("/alerts", params={"state": "acknowledged", "limit": 200}).json()["items"]
    assert alert["id"] in [a["id"] for a in seen]


def test_the_inbox_pages_with_a_cursor(
    api: ApiClient, server: RunningServer, warehouse: str
) -> None:
    low_stock_alert(api, server, warehouse)
    low_stock_alert(api, server, warehouse)

    first = api.get("/alerts", params={"state": "all", "limit": 1}).json()
    second = api.get("/alerts", params={"state": "all", "limit": 1, "cursor": first["next_cursor"]})

    assert second.status_code == 200
    assert second.json()["items"][0]["id"] < first["items"][0]["id"]


def test_read_only_staff_see_alerts_but_cannot_acknowledge_them(
    api: ApiClient, server: RunningServer, warehouse: str
) -> None:
    alert = low_stock_alert(api, server, warehouse)
    reader = api.other()
    reader.sign_in(make_user(server.db, Role.READ_ONLY).email, TEST_PASSWORD)
    try:
        assert reader.get(f"/alerts/{alert['id']}").status_code == 200
        refused = reader.post(f"/alerts/{alert['id']}/acknowledge", {})
        assert refused.status_code == 403
        assert api.get(f"/alerts/{alert['id']}").json()["is_open"] is True
    finally:
        reader.close()
    anonymous = api.other()
    try:
        assert anonymous.get("/alerts").status_code == 401
    finally:
        anonymous.close()
