"""Webhook fan-out and claiming on a real database, SQLite and PostgreSQL.

Every test deletes the subscriptions it made (their deliveries go with them), so no test
claims another one's deliveries. Time moves by freezing the clock, never by sleeping.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.integrations.webhooks import services
from openoms.integrations.webhooks.claims import RetryPolicy, claim_due, record_outcome
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.integrations.webhooks.model import (
    DeliveryClaimLost,
    DeliveryNotReplayable,
    DeliveryStatus,
    Outcome,
    Subscription,
    SubscriptionNotFound,
    SubscriptionSpec,
)
from openoms.integrations.webhooks.queries import list_deliveries
from openoms.shared import clock
from openoms.shared.events import Event

pytestmark = pytest.mark.xdist_group("webhooks")

LEASE = timedelta(seconds=60)
FAILED = Outcome(500, "HTTP 500", 3)
OK = Outcome(200, None, 2)
POLICY = RetryPolicy(max_attempts=3, backoff_base_seconds=10, backoff_max_seconds=60)
Subscribe = Callable[..., Subscription]


def dispatch_all(db: Database) -> int:
    """Dispatch until nothing is left: other tests share the database and its outbox."""
    total = 0
    while done := dispatch_events(db):
        total += done
    return total


@pytest.fixture
def subscribe(db: Database) -> Iterator[Subscribe]:
    made: list[str] = []

    def make(*events: str, is_active: bool = True) -> Subscription:
        spec = SubscriptionSpec("http://127.0.0.1:9/hooks", events or ("*",), is_active=is_active)
        subscription, _secret = services.create_subscription(db.uow(), spec)
        made.append(subscription.id)
        return subscription

    yield make
    for subscription_id in made:
        with contextlib.suppress(SubscriptionNotFound):  # the test may have deleted it
            services.delete_subscription(db.uow(), subscription_id)


def record(db: Database, *names: str) -> list[Event]:
    events = [Event(name, {"n": i}, f"test:{i}") for i, name in enumerate(names)]
    with db.uow() as uow:
        for event in events:
            uow.record(event)
        uow.commit()
    return events


def deliveries(db: Database, subscription: Subscription) -> list[tuple[str, DeliveryStatus]]:
    found, _ = list_deliveries(db.reader(), subscription_id=subscription.id, limit=1000)
    return sorted((d.event_id, d.status) for d in found)


def dispatched_at(db: Database, event: Event) -> object:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(outbox_events.c.dispatched_at).where(outbox_events.c.id == event.id)
        ).scalar_one()


def test_an_event_becomes_one_delivery_per_active_subscription_that_wants_it(
    db: Database, subscribe: Subscribe
) -> None:
    # given
    exact, prefix, every = subscribe("transfer.shipped"), subscribe("transfer.*"), subscribe("*")
    other, paused = subscribe("order.*"), subscribe("*", is_active=False)
    [event] = record(db, "transfer.shipped")
    # when
    assert dispatch_all(db) >= 1
    # then
    pending = [(event.id, DeliveryStatus.PENDING)]
    assert [deliveries(db, s) for s in (exact, prefix)] == [pending] * 2
    # "*" also takes what other tests recorded meanwhile in the shared database
    assert [d for d in deliveries(db, every) if d[0] == event.id] == pending
    assert [d for d in deliveries(db, other) if d[0] == event.id] == []
    assert deliveries(db, paused) == []
    assert dispatched_at(db, event) is not None


def test_an_event_dispatched_twice_still_makes_one_delivery(
    db: Database, subscribe: Subscribe
) -> None:
    subscription = subscribe("transfer.*")
    [event] = record(db, "transfer.requested")
    dispatch_all(db)
    with db.engine.begin() as conn:  # as if a second worker had picked it up again
        conn.execute(
            outbox_events.update().where(outbox_events.c.id == event.id).values(dispatched_at=None)
        )

    dispatch_all(db)

    assert deliveries(db, subscription) == [(event.id, DeliveryStatus.PENDING)]
    assert dispatched_at(db, event) is not None


def test_a_subscription_hears_only_what_happens_after_it_exists(
    db: Database, subscribe: Subscribe
) -> None:
    [before] = record(db, "transfer.shipped")
    subscription = subscribe("*")
    [after] = record(db, "transfer.shipped")

    dispatch_all(db)

    assert deliveries(db, subscription) == [(after.id, DeliveryStatus.PENDING)]
    assert dispatched_at(db, before) is not None


def test_workers_dispatching_at_once_create_every_delivery_once(
    db: Database, subscribe: Subscribe
) -> None:
    # given 120 events and one subscription to all of them
    subscription = subscribe("transfer.*")
    events = record(db, *["transfer.requested"] * 120)
    barrier = threading.Barrier(4)

    def work(_i: int) -> int:
        barrier.wait()
        return dispatch_events(db, batch_size=10)

    # when four workers dispatch at the same instant
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(work, range(4)))
    # then none failed, and each event has exactly one delivery
    assert sum(counts) >= 120
    assert deliveries(db, subscription) == sorted((e.id, DeliveryStatus.PENDING) for e in events)


def test_a_due_delivery_is_claimed_by_one_worker_until_its_lease_ends(
    db: Database, subscribe: Subscribe
) -> None:
    # given a pending delivery
    subscription = subscribe("transfer.*")
    [event] = record(db, "transfer.shipped")
    dispatch_all(db)
    # when one worker claims it
    [claimed] = claim_due(db, limit=10, lease=LEASE)
    # then it carries what sending needs, and nobody else gets it while the lease runs
    assert (claimed.subscription_id, claimed.url) == (subscription.id, subscription.url)
    assert (claimed.event.id, claimed.event.name, claimed.event.payload) == (
        event.id,
        "transfer.shipped",
        {"n": 0},
    )
    assert len(claimed.signing_secrets) == 1
    assert claim_due(db, limit=10, lease=LEASE) == []
    assert deliveries(db, subscription) == [(event.id, DeliveryStatus.IN_FLIGHT)]


def test_a_claim_whose_worker_died_is_taken_over_and_the_late_worker_cannot_record(
    db: Database, subscribe: Subscribe
) -> None:
    # given a delivery claimed by a worker that then stops answering
    subscription = subscribe("transfer.*")
    record(db, "transfer.shipped")
    dispatch_all(db)
    [first] = claim_due(db, limit=10, lease=LEASE)
    # when its lease has run out, another worker claims and delivers it
    with clock.frozen(clock.now() + LEASE + timedelta(seconds=1)):
        [second] = claim_due(db, limit=10, lease=LEASE)
        record_outcome(db, second, OK, attempted_at=clock.now(), policy=POLICY)
    # then the first worker's late result is refused and changes nothing
    with pytest.raises(DeliveryClaimLost):
        record_outcome(db, first, FAILED, attempted_at=clock.now(), policy=POLICY)
    assert second.id == first.id
    assert second.claim_token != first.claim_token
    delivery = services.get_delivery(db.reader(), first.id)
    assert delivery.status is DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.attempts] == [200]
    assert deliveries(db, subscription) == [(first.event.id, DeliveryStatus.DELIVERED)]


def test_failures_back_off_and_the_last_one_leaves_the_delivery_dead(
    db: Database, subscribe: Subscribe
) -> None:
    # given a delivery whose receiver always fails
    subscribe("transfer.*")
    record(db, "transfer.shipped")
    dispatch_all(db)
    statuses = []
    at = clock.now()
    # when it is attempted whenever it is due
    for _ in range(POLICY.max_attempts):
        with clock.frozen(at):
            [claimed] = claim_due(db, limit=10, lease=LEASE)
            status, retry_at = record_outcome(db, claimed, FAILED, attempted_at=at, policy=POLICY)
            assert claim_due(db, limit=10, lease=LEASE) == []  # not due before its backoff
        statuses.append(status)
        at = retry_at or at
    # then it backed off twice, then died with every attempt kept
    assert statuses == [DeliveryStatus.PENDING, DeliveryStatus.PENDING, DeliveryStatus.DEAD]
    delivery = services.get_delivery(db.reader(), claimed.id)
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == (
        DeliveryStatus.DEAD,
        3,
        500,
    )
    assert [(a.status_code, a.error) for a in delivery.attempts] == [(500, "HTTP 500")] * 3
    with clock.frozen(at + timedelta(days=1)):
        assert claim_due(db, limit=10, lease=LEASE) == []


def test_backoff_waits_between_its_bounds(db: Database, subscribe: Subscribe) -> None:
    subscribe("transfer.*")
    record(db, "transfer.shipped")
    dispatch_all(db)
    [claimed] = claim_due(db, limit=10, lease=LEASE)

    before = clock.now()
    _status, retry_at = record_outcome(db, claimed, FAILED, attempted_at=before, policy=POLICY)

    assert retry_at is not None
    assert before + timedelta(seconds=5) <= retry_at <= clock.now() + timedelta(seconds=10)


def test_deliveries_of_an_inactive_subscription_wait_until_it_is_active(
    db: Database, subscribe: Subscribe
) -> None:
    subscription = subscribe("transfer.*")
    record(db, "transfer.shipped")
    dispatch_all(db)

    services.update_subscription(db.uow(), subscription.id, {"is_active": False})
    paused = claim_due(db, limit=10, lease=LEASE)
    services.update_subscription(db.uow(), subscription.id, {"is_active": True})
    resumed = claim_due(db, limit=10, lease=LEASE)

    assert paused == []
    assert [c.subscription_id for c in resumed] == [subscription.id]


def test_workers_claiming_at_once_never_share_a_delivery(
    db: Database, subscribe: Subscribe
) -> None:
    # given 40 due deliveries
    subscribe("transfer.*")
    record(db, *["transfer.shipped"] * 40)
    dispatch_all(db)
    barrier = threading.Barrier(4)

    def work(_i: int) -> list[str]:
        barrier.wait()
        taken: list[str] = []
        while batch := claim_due(db, limit=3, lease=LEASE):
            taken.extend(c.id for c in batch)
        return taken

    # when four workers claim until nothing is left
    with ThreadPoolExecutor(max_workers=4) as pool:
        claimed = [d for taken in pool.map(work, range(4)) for d in taken]
    # then each delivery went to exactly one of them
    assert len(claimed) == len(set(claimed)) == 40


def test_dead_and_delivered_deliveries_can_be_replayed_but_queued_ones_cannot(
    db: Database, subscribe: Subscribe
) -> None:
    # given one dead and one delivered delivery, and one still pending
    subscription = subscribe("transfer.*")
    record(db, "transfer.shipped", "transfer.shipped", "transfer.shipped")
    dispatch_all(db)
    dead, done, queued = claim_due(db, limit=3, lease=LEASE)
    one_shot = RetryPolicy(max_attempts=1, backoff_base_seconds=1, backoff_max_seconds=1)
    record_outcome(db, dead, FAILED, attempted_at=clock.now(), policy=one_shot)
    record_outcome(db, done, OK, attempted_at=clock.now(), policy=one_shot)
    record_outcome(db, queued, FAILED, attempted_at=clock.now(), policy=POLICY)
    # when / then
    replayed = services.replay_delivery(db.uow(), done.id)
    assert (replayed.status, replayed.attempt_count, replayed.delivered_at) == (
        DeliveryStatus.PENDING,
        0,
        None,
    )
    with pytest.raises(DeliveryNotReplayable):
        services.replay_delivery(db.uow(), queued.id)
    assert services.replay_dead(db.uow(), subscription.id) == 1
    assert services.replay_dead(db.uow(), subscription.id) == 0
    assert {c.id for c in claim_due(db, limit=10, lease=LEASE)} == {dead.id, done.id}
    assert len(services.get_delivery(db.reader(), dead.id).attempts) == 1


def test_deleting_a_subscription_removes_its_deliveries_and_attempts(
    db: Database, subscribe: Subscribe
) -> None:
    subscription = subscribe("transfer.*")
    record(db, "transfer.shipped")
    dispatch_all(db)
    [claimed] = claim_due(db, limit=10, lease=LEASE)
    record_outcome(db, claimed, FAILED, attempted_at=clock.now(), policy=POLICY)
    keep = subscribe("*")

    services.delete_subscription(db.uow(), subscription.id)

    assert deliveries(db, subscription) == []
    with pytest.raises(DeliveryClaimLost):  # a worker still holding it cannot write to it
        record_outcome(db, claimed, OK, attempted_at=clock.now(), policy=POLICY)
    assert services.get_subscription(db.reader(), keep.id).is_active
