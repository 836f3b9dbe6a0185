"""Two webhook workers, each on its own connections, against a real HTTP receiver.

On PostgreSQL the workers really run side by side (``SKIP LOCKED`` claims); on SQLite they
take turns at the write lock. Either way the receiver must see every event exactly once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.integrations.webhooks import services
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.integrations.webhooks.model import DeliveryStatus, SubscriptionSpec
from openoms.integrations.webhooks.queries import list_deliveries
from openoms.integrations.webhooks.relay import deliver_due
from openoms.integrations.webhooks.signing import verify_signature
from openoms.shared.events import Event
from tests.receiver import Receiver, running_receiver

pytestmark = pytest.mark.xdist_group("webhooks")

EVENTS = 200
DEADLINE_SECONDS = 20.0
SETTINGS = Settings(webhook_timeout_seconds=5, webhook_backoff_base_seconds=0.01)


@pytest.fixture
def two_workers(db: Database) -> Iterator[tuple[Database, Database]]:
    """Two engines on the test database: two workers share no connection."""
    url = db.engine.url.render_as_string(hide_password=False)
    first, second = Database.from_url(url, pool_size=10), Database.from_url(url, pool_size=10)
    yield first, second
    first.dispose()
    second.dispose()


def run_worker(db: Database, receiver: Receiver, done: threading.Event) -> None:
    """The worker loop: fan out, deliver, and wait briefly only when there was nothing to do."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done.is_set() and time.monotonic() < deadline:
        dispatched = dispatch_events(db, batch_size=50)
        sent = deliver_due(db, SETTINGS)
        if len(receiver.accepted()) >= EVENTS:
            done.set()
        elif not (dispatched or sent):
            done.wait(0.005)


def test_two_workers_deliver_200_events_each_exactly_once(
    db: Database, two_workers: tuple[Database, Database]
) -> None:
    with running_receiver() as receiver:
        # given a subscriber and 200 events
        subscription, secret = services.create_subscription(
            db.uow(), SubscriptionSpec(receiver.url, ("transfer.requested",))
        )
        with db.uow() as uow:
            for i in range(EVENTS):
                uow.record(Event("transfer.requested", {"n": i}))
            uow.commit()
        # when two workers run at once
        done = threading.Event()
        threads = [
            threading.Thread(target=run_worker, args=(worker, receiver, done))
            for worker in two_workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE_SECONDS + 5)
        # then every event arrived once, signed, and every delivery is recorded as delivered
        requests = receiver.requests
    ids = Counter(r.headers["x-openoms-event-id"] for r in requests)
    assert len(ids) == EVENTS
    assert set(ids.values()) == {1}
    assert sorted(r.json()["data"]["n"] for r in requests) == list(range(EVENTS))
    for r in requests:
        verify_signature(secret, r.body, r.headers["x-openoms-signature"])
    found, _ = list_deliveries(db.reader(), subscription_id=subscription.id, limit=1000)
    assert Counter(d.status for d in found) == {DeliveryStatus.DELIVERED: EVENTS}
    assert {d.attempt_count for d in found} == {1}
    with contextlib.suppress(Exception):
        services.delete_subscription(db.uow(), subscription.id)
