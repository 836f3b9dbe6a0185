"""Fan-out: each outbox event becomes one delivery per active subscription that wants it.

A worker takes the oldest undispatched events (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so
workers take disjoint batches; SQLite: ``BEGIN IMMEDIATE`` makes them take turns), inserts
the deliveries with insert-or-ignore on (subscription, event) and marks the events
dispatched, all in one transaction. Run twice, or by two workers, it creates each delivery
once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra import outbox
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.upsert import insert_for
from openoms.integrations.webhooks.model import DeliveryStatus, matches
from openoms.integrations.webhooks.orm import webhook_deliveries, webhook_subscriptions
from openoms.shared import clock
from openoms.shared.events import Event

BATCH_SIZE = 500
MAX_BATCHES = 20  # one call dispatches at most 10,000 events, then lets other jobs run


@dataclass(frozen=True)
class Target:
    subscription_id: str
    patterns: tuple[str, ...]
    created_at: datetime

    def wants(self, event: Event) -> bool:
        # A subscription hears what happens after it exists, never the history before it.
        return self.created_at <= event.occurred_at and matches(self.patterns, event.name)


def dispatch_events(
    db: Database, *, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES
) -> int:
    """Create the deliveries of every undispatched outbox event; returns how many events.

    Safe with any number of workers at once: an event is dispatched by one of them, and a
    delivery exists at most once per (subscription, event).
    """
    total = 0
    for _ in range(max_batches):
        taken, marked = dispatch_batch(db.uow(), batch_size)
        total += marked
        if taken < batch_size:
            break
    return total


def dispatch_batch(uow: UnitOfWork, limit: int) -> tuple[int, int]:
    """One transaction: (events taken, events this call marked dispatched)."""
    with uow:
        events = outbox.undispatched(uow.conn, limit)
        if not events:
            return 0, 0
        now = clock.now()
        rows = deliveries_for(events, active_targets(uow.conn), now)
        if rows:
            insert = insert_for(uow.conn, webhook_deliveries).on_conflict_do_nothing(
                index_elements=["subscription_id", "event_id"]
            )
            uow.conn.execute(insert, rows)
        for consume in outbox.consumers():
            consume(uow, events)
        marked = outbox.mark_dispatched(uow.conn, [e.id for e in events], now)
        uow.commit()
    return len(events), marked


def active_targets(conn: Connection) -> list[Target]:
    s = webhook_subscriptions.c
    rows = conn.execute(
        sa.select(s.id, s.events, s.created_at).where(s.is_active.is_(True)).order_by(s.id)
    )
    return [Target(r.id, tuple(r.events), r.created_at) for r in rows]


def deliveries_for(
    events: Sequence[Event], targets: Sequence[Target], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "subscription_id": target.subscription_id,
            "event_id": event.id,
            "event_name": event.name,
            "status": DeliveryStatus.PENDING.value,
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for target in targets
        if target.wants(event)
    ]
