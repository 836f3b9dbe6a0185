"""Webhook deliveries end to end: events sent to a real HTTP receiver on 127.0.0.1.

The worker here is the test itself: it runs the two jobs (``dispatch_events``,
``deliver_due``) on the server's database with settings that make backoff tiny, until what
the test waits for has happened or a few seconds have passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.integrations.webhooks.relay import USER_AGENT, deliver_due
from openoms.integrations.webhooks.signing import parse_signature_header, verify_signature
from openoms.shared.events import Event
from tests.e2e.api.client import ApiClient, Json
from tests.e2e.api.conftest import RunningServer
from tests.receiver import Receiver, running_receiver

FAST = Settings(
    webhook_timeout_seconds=5,
    webhook_backoff_base_seconds=0.005,
    webhook_backoff_max_seconds=0.02,
    webhook_max_attempts=4,
)


@pytest.fixture
def db(server: RunningServer) -> Database:
    """The running server's database (not the SQLite/PostgreSQL ``db`` of integration tests)."""
    database: Database = server.app.state.db
    return database


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def subscribe(api: ApiClient, receiver: Receiver) -> Iterator[Callable[..., Json]]:
    made: list[str] = []

    def make(*events: str) -> Json:
        body = {"url": receiver.url, "events": list(events) or ["transfer.*"]}
        response = api.post("/webhooks", body)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        created: Json = response.json()
        return created

    yield make
    for webhook_id in made:
        api.http.delete(f"/webhooks/{webhook_id}")


def work_until(db: Database, done: Callable[[], bool], settings: Settings = FAST) -> None:
    """Run the webhook jobs as a worker does until ``done()``; fail after 10 s."""
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, "the webhook jobs did not get there in time"
        if not (dispatch_events(db) or deliver_due(db, settings)):
            time.sleep(0.002)  # the next attempt is due in a few milliseconds


def record_event(db: Database, name: str = "transfer.shipped") -> Event:
    """An event as any domain records it: in the outbox, in a committed transaction."""
    event = Event(name, {"number": "TR-TEST"}, "transfer:TR-TEST")
    with db.uow() as uow:
        uow.record(event)
        uow.commit()
    return event


def deliveries_of(api: ApiClient, webhook: Json, **params: str) -> list[Json]:
    response = api.get("/webhooks/deliveries", params={"webhook_id": webhook["id"], **params})
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


def delivery(api: ApiClient, delivery_id: str) -> Json:
    response = api.get(f"/webhooks/deliveries/{delivery_id}")
    assert response.status_code == 200, response.text
    found: Json = response.json()
    return found


@pytest.mark.covers("GET /webhooks/deliveries", "GET /webhooks/deliveries/{delivery_id}")
def test_a_transfer_reaches_its_subscriber_signed(
    api: ApiClient, db: Database, receiver: Receiver, subscribe: Callable[..., Json]
) -> None:
    # given a subscriber to requested transfers, and a transfer requested over the API
    webhook = subscribe("transfer.requested")
    source, target, sku = api.create_location(), api.create_location(), api.create_sku()
    api.receive(source, sku, 5)
    lines = [{"sku": sku, "quantity": 2}]
    body = {"from_location": source, "to_location": target, "lines": lines}
    transfer = api.post("/transfers", body).json()
    # when the worker runs
    work_until(db, lambda: len(receiver.requests) >= 1)
    # then the receiver got one signed request that says what happened
    [request] = receiver.requests
    assert verify_signature(webhook["secret"], request.body, request.headers["x-openoms-signature"])
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["x-openoms-event"] == "transfer.requested"
    sent = request.json()
    assert sent["type"] == "transfer.requested"
    assert sent["data"] == {"number": transfer["number"]}
    assert sent["id"] == request.headers["x-openoms-event-id"]
    assert sent["created_at"].endswith("Z")
    # and the delivery is recorded as delivered, with its one attempt
    [listed] = deliveries_of(api, webhook)
    assert listed["id"] == request.headers["x-openoms-delivery"]
    assert (listed["status"], listed["event"], listed["event_id"]) == (
        "delivered",
        "transfer.requested",
        sent["id"],
    )
    [attempt] = delivery(api, listed["id"])["attempts"]
    assert (attempt["status_code"], attempt["error"]) == (200, None)
    assert attempt["duration_ms"] >= 0


def test_a_failing_receiver_is_retried_until_it_answers(
    api: ApiClient, db: Database, receiver: Receiver, subscribe: Callable[..., Json]
) -> None:
    # given a receiver that fails twice before it answers
    receiver.script([500, 503])
    webhook = subscribe()
    record_event(db)
    # when
    work_until(db, lambda: len(receiver.accepted()) == 1)
    # then the same delivery was sent three times, and each attempt is on record
    assert [r.status for r in receiver.requests] == [500, 503, 200]
    assert len({r.headers["x-openoms-delivery"] for r in receiver.requests}) == 1
    assert len({r.headers["x-openoms-event-id"] for r in receiver.requests}) == 1
    [listed] = deliveries_of(api, webhook)
    found = delivery(api, listed["id"])
    assert (found["status"], found["attempt_count"], found["last_status_code"]) == (
        "delivered",
        3,
        200,
    )
    assert [a["status_code"] for a in found["attempts"]] == [500, 503, 200]
    assert found["attempts"][0]["error"].startswith("HTTP 500")
    assert found["delivered_at"] is not None
    assert found["next_attempt_at"] is None


@pytest.mark.covers("POST /webhooks/deliveries/{delivery_id}/replay")
def test_a_dead_delivery_is_replayed_by_the_api(
    api: ApiClient, db: Database, receiver: Receiver, subscribe: Callable[..., Json]
) -> None:
    # given a receiver that is down for as long as the retries last
    receiver.then = 500
    webhook = subscribe()
    record_event(db)
    work_until(db, lambda: bool(deliveries_of(api, webhook, status="dead")))
    [dead] = deliveries_of(api, webhook, status="dead")
    assert (dead["attempt_count"], len(receiver.requests)) == (FAST.webhook_max_attempts, 4)
    # when it is back and someone replays the delivery
    receiver.then = 200
    replayed = api.post(f"/webhooks/deliveries/{dead['id']}/replay")
    again = api.post(f"/webhooks/deliveries/{dead['id']}/replay")
    work_until(db, lambda: len(receiver.accepted()) == 1)
    # then it is delivered; the queued delivery could not be replayed twice
    assert replayed.status_code == 202
    assert (replayed.json()["status"], replayed.json()["attempt_count"]) == ("pending", 0)
    assert again.status_code == 409
    assert again.json()["code"] == "webhook_delivery_not_replayable"
    found = delivery(api, dead["id"])
    assert found["status"] == "delivered"
    assert [a["status_code"] for a in found["attempts"]] == [500, 500, 500, 500, 200]


@pytest.mark.covers("POST /webhooks/{webhook_id}/replay-dead")
def test_every_dead_delivery_of_a_webhook_is_replayed_at_once(
    api: ApiClient, db: Database, receiver: Receiver, subscribe: Callable[..., Json]
) -> None:
    # given two dead deliveries
    receiver.then = 500
    webhook = subscribe()
    record_event(db)
    record_event(db, "transfer.cancelled")
    work_until(db, lambda: len(deliveries_of(api, webhook, status="dead")) == 2)
    receiver.then = 200
    # when
    response = api.post(f"/webhooks/{webhook['id']}/replay-dead")
    work_until(db, lambda: len(receiver.accepted()) == 2)
    # then
    assert response.status_code == 202
    assert response.json() == {"replayed": 2}
    assert {d["status"] for d in deliveries_of(api, webhook)} == {"delivered"}
    assert api.post(f"/webhooks/{webhook['id']}/replay-dead").json() == {"replayed": 0}


def test_deliveries_are_listed_newest_first_a_page_at_a_time(
    api: ApiClient, db: Database, subscribe: Callable[..., Json]
) -> None:
    # given five deliveries, not sent yet
    webhook = subscribe()
    names = ["transfer.shipped", "transfer.received"] * 2 + ["transfer.shipped"]
    events = []
    for name in names:
        events.append(record_event(db, name))
        dispatch_events(db)  # one at a time: each delivery has its own creation time
    # when the list is read two at a time
    pages, cursor = [], None
    while True:
        params = {
            "webhook_id": webhook["id"],
            "limit": "2",
            **({"cursor": cursor} if cursor else {}),
        }
        page = api.get("/webhooks/deliveries", params=params).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then every delivery appears once, newest first; filters narrow the list
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [d["event_id"] for p in pages for d in p] == [e.id for e in reversed(events)]
    assert len(deliveries_of(api, webhook, event="transfer.received")) == 2
    assert len(deliveries_of(api, webhook, status="pending")) == 5
    assert deliveries_of(api, webhook, status="delivered") == []


def test_after_a_rotation_with_grace_both_secrets_verify_the_next_delivery(
    api: ApiClient, db: Database, receiver: Receiver, subscribe: Callable[..., Json]
) -> None:
    webhook = subscribe()
    rotated = api.post(
        f"/webhooks/{webhook['id']}/rotate-secret", {"keep_previous_for_seconds": 600}
    ).json()
    record_event(db)

    work_until(db, lambda: len(receiver.requests) == 1)

    [request] = receiver.requests
    header = request.headers["x-openoms-signature"]
    assert len(parse_signature_header(header)[1]) == 2
    assert verify_signature(rotated["secret"], request.body, header)
    assert verify_signature(webhook["secret"], request.body, header)
