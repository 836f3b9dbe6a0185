"""The transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime
from openoms.shared.events import Event

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("aggregate", sa.String(120), nullable=False, server_default=""),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    # set once the event has been handed to its consumers (webhook fan-out)
    sa.Column("dispatched_at", UtcDateTime()),
    # the dispatcher's query (undispatched): the events not dispatched yet, oldest first
    sa.Index(
        "ix_outbox_events_pending",
        "occurred_at",
        "id",
        postgresql_where=sa.text("dispatched_at IS NULL"),
        sqlite_where=sa.text("dispatched_at IS NULL"),
    ),
)


def row(event: Event) -> dict[str, Any]:
    """The outbox row of an event recorded in a unit of work (written at its commit)."""
    return {
        "id": event.id,
        "name": event.name,
        "aggregate": event.aggregate,
        "payload": event.payload,
        "occurred_at": event.occurred_at,
    }


def undispatched(conn: Connection, limit: int) -> list[Event]:
    """The oldest events not yet dispatched, locked against other workers.

    PostgreSQL skips rows another worker holds (``FOR UPDATE SKIP LOCKED``); SQLite writers
    are serialised by ``BEGIN IMMEDIATE``, so the caller must be in a write transaction.
    """
    c = outbox_events.c
    query = (
        sa.select(c.id, c.name, c.aggregate, c.payload, c.occurred_at)
        .where(c.dispatched_at.is_(None))
        .order_by(c.occurred_at, c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [
        Event(r.name, r.payload, r.aggregate, id=r.id, occurred_at=r.occurred_at)
        for r in conn.execute(query)
    ]


def mark_dispatched(conn: Connection, event_ids: Sequence[str], at: datetime) -> int:
    """Mark events dispatched; returns how many this call marked (others were already)."""
    c = outbox_events.c
    result = conn.execute(
        outbox_events.update()
        .where(c.id.in_(event_ids), c.dispatched_at.is_(None))
        .values(dispatched_at=at)
    )
    return int(result.rowcount)


# Other consumers of the outbox (customer notifications …) see every event exactly once: in
# the transaction that dispatches it to the webhooks. A consumer gets the unit of work and
# the events; it must not commit.
Consumer = Callable[[Any, Sequence[Event]], None]
_CONSUMERS: dict[str, Consumer] = {}


def register_consumer(name: str, consumer: Consumer) -> None:
    _CONSUMERS[name] = consumer


def consumers() -> list[Consumer]:
    return list(_CONSUMERS.values())
