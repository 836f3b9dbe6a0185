"""Webhook subscriptions over HTTP: create, read, change, rotate the secret, delete.

Subscriptions made here point at a closed local port and are deleted after each test, so
the delivery tests never send them anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.api.client import ApiClient, Json, field_errors

CLOSED_PORT_URL = "http://127.0.0.1:9/hooks"
MakeWebhook = Callable[..., Json]


@pytest.fixture
def make_webhook(api: ApiClient) -> Iterator[MakeWebhook]:
    made: list[str] = []

    def make(**overrides: Any) -> Json:
        body = {"url": CLOSED_PORT_URL, "events": ["transfer.*"], "description": "ERP"}
        body.update(overrides)
        response = api.post("/webhooks", body)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        made.append(created["id"])
        return created

    yield make
    for webhook_id in made:
        api.http.delete(f"/webhooks/{webhook_id}")


@pytest.mark.covers("POST /webhooks", "GET /webhooks/{webhook_id}")
def test_the_secret_is_shown_in_full_once_and_then_only_its_last_4_characters(
    api: ApiClient, make_webhook: MakeWebhook
) -> None:
    created = make_webhook(events=["transfer.shipped", "order.*"], is_active=False)

    fetched = api.get(f"/webhooks/{created['id']}")

    assert created["secret"].startswith("whsec_")
    assert created["secret_last4"] == created["secret"][-4:]
    assert {k: created[k] for k in ("url", "events", "description", "is_active")} == {
        "url": CLOSED_PORT_URL,
        "events": ["transfer.shipped", "order.*"],
        "description": "ERP",
        "is_active": False,
    }
    assert fetched.status_code == 200
    assert fetched.json() == {k: v for k, v in created.items() if k != "secret"}
    assert created["secret"] not in fetched.text


@pytest.mark.covers("GET /webhooks")
def test_webhooks_are_listed_without_their_secrets_and_filtered_by_active(
    api: ApiClient, make_webhook: MakeWebhook
) -> None:
    active, paused = make_webhook(), make_webhook(is_active=False)

    everything = api.get("/webhooks")
    only_paused = api.get("/webhooks", params={"active": "false"})
    bad = api.get("/webhooks", params={"active": "perhaps"})

    assert everything.status_code == only_paused.status_code == 200
    assert {active["id"], paused["id"]} <= {w["id"] for w in everything.json()}
    assert paused["id"] in {w["id"] for w in only_paused.json()}
    assert active["id"] not in {w["id"] for w in only_paused.json()}
    assert active["secret"] not in everything.text
    assert all("secret" not in w for w in everything.json())
    assert bad.status_code == 422
    assert list(field_errors(bad)) == ["active"]


@pytest.mark.covers("POST /webhooks")
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "ftp://example.com/hooks"}, "url"),
        ({"url": "https://user:secret@example.com/hooks"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": ""}, "url"),
        ({"events": ["transfer.shipped", "transfer.lost"]}, "events[1]"),
        ({"events": ["nothing.*"]}, "events[0]"),
        ({"events": []}, "events"),
        ({"description": "x" * 501}, "description"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_a_webhook_with_a_bad_field_is_refused_with_its_path(
    api: ApiClient, overrides: Json, field: str
) -> None:
    body = {"url": CLOSED_PORT_URL, "events": ["*"], **overrides}

    response = api.post("/webhooks", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers(
    "GET /webhooks/{webhook_id}",
    "PATCH /webhooks/{webhook_id}",
    "DELETE /webhooks/{webhook_id}",
    "POST /webhooks/{webhook_id}/rotate-secret",
    "POST /webhooks/{webhook_id}/replay-dead",
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/replay-dead"),
    ],
)
def test_an_unknown_webhook_is_404(api: ApiClient, method: str, suffix: str) -> None:
    body = {"is_active": True} if method == "PATCH" else None

    response = api.http.request(method, f"/webhooks/no-such-webhook{suffix}", json=body)

    assert response.status_code == 404
    assert response.json()["code"] == "webhook_not_found"


@pytest.mark.covers("PATCH /webhooks/{webhook_id}")
def test_a_webhook_changes_its_url_events_and_active_flag(
    api: ApiClient, make_webhook: MakeWebhook
) -> None:
    created = make_webhook()
    changes = {"url": "https://erp.example.com/v2/hooks", "events": ["*"], "is_active": False}

    response = api.patch(f"/webhooks/{created['id']}", changes)

    assert response.status_code == 200
    assert {k: response.json()[k] for k in changes} == changes
    assert response.json()["description"] == "ERP"
    assert response.json()["secret_last4"] == created["secret_last4"]
    assert api.get(f"/webhooks/{created['id']}").json() == response.json()


@pytest.mark.covers("PATCH /webhooks/{webhook_id}")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "mailto:ops@example.com"}, "url"),
        ({"events": ["transfer.*", "stock.*"]}, "events[1]"),
        ({"events": []}, "events"),
        ({"is_active": "sometimes"}, "is_active"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    api: ApiClient, make_webhook: MakeWebhook, changes: Json, field: str
) -> None:
    created = make_webhook()

    response = api.patch(f"/webhooks/{created['id']}", changes)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert api.get(f"/webhooks/{created['id']}").json()["events"] == ["transfer.*"]


@pytest.mark.covers("DELETE /webhooks/{webhook_id}")
def test_a_deleted_webhook_is_gone(api: ApiClient, make_webhook: MakeWebhook) -> None:
    created = make_webhook()

    deleted = api.http.delete(f"/webhooks/{created['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert api.get(f"/webhooks/{created['id']}").status_code == 404


@pytest.mark.covers("POST /webhooks/{webhook_id}/rotate-secret")
def test_rotating_gives_a_new_secret_shown_once(api: ApiClient, make_webhook: MakeWebhook) -> None:
    created = make_webhook()

    rotated = api.post(f"/webhooks/{created['id']}/rotate-secret")
    graceful = api.post(
        f"/webhooks/{created['id']}/rotate-secret", {"keep_previous_for_seconds": 3600}
    )

    assert rotated.status_code == graceful.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["secret_last4"] == rotated.json()["secret"][-4:]
    assert rotated.json()["previous_secret_expires_at"] is None
    assert graceful.json()["previous_secret_expires_at"] is not None
    assert (
        api.get(f"/webhooks/{created['id']}").json()["secret_last4"]
        == (graceful.json()["secret_last4"])
    )


@pytest.mark.covers("POST /webhooks/{webhook_id}/rotate-secret")
@pytest.mark.parametrize("keep", [-1, 8 * 24 * 3600, "a while"])
def test_a_grace_period_out_of_range_is_refused(
    api: ApiClient, make_webhook: MakeWebhook, keep: object
) -> None:
    created = make_webhook()

    response = api.post(
        f"/webhooks/{created['id']}/rotate-secret", {"keep_previous_for_seconds": keep}
    )

    assert response.status_code == 422
    assert list(field_errors(response)) == ["keep_previous_for_seconds"]
    assert api.get(f"/webhooks/{created['id']}").json()["secret_last4"] == created["secret_last4"]


@pytest.mark.covers("POST /webhooks/{webhook_id}/replay-dead")
def test_an_inactive_webhook_cannot_replay(api: ApiClient, make_webhook: MakeWebhook) -> None:
    created = make_webhook(is_active=False)

    response = api.post(f"/webhooks/{created['id']}/replay-dead")

    assert response.status_code == 409
    assert response.json()["code"] == "webhook_inactive"


@pytest.mark.covers("GET /webhooks/event-types")
def test_the_event_types_a_webhook_can_ask_for_are_listed(api: ApiClient) -> None:
    response = api.get("/webhooks/event-types")

    assert response.status_code == 200
    names = [t["name"] for t in response.json()]
    assert "transfer.shipped" in names
    assert names == sorted(names)
    assert all(t["description"] for t in response.json())


@pytest.mark.covers("GET /webhooks/deliveries")
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_delivery_filters_are_refused(api: ApiClient, params: Json, field: str) -> None:
    response = api.get("/webhooks/deliveries", params=params)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers(
    "GET /webhooks/deliveries/{delivery_id}", "POST /webhooks/deliveries/{delivery_id}/replay"
)
@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "/replay")])
def test_an_unknown_delivery_is_404(api: ApiClient, method: str, suffix: str) -> None:
    response = api.http.request(method, f"/webhooks/deliveries/no-such-delivery{suffix}")

    assert response.status_code == 404
    assert response.json()["code"] == "webhook_delivery_not_found"
