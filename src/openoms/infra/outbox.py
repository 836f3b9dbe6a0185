"""The transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime
from openoms.shared.events import Event

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, index=True),
    sa.Column("aggregate", sa.String(120), nullable=False, server_default=""),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False, index=True),
)


def write(conn: Connection, events: Sequence[Event]) -> None:
    conn.execute(
        outbox_events.insert(),
        [
            {
                "id": e.id,
                "name": e.name,
                "aggregate": e.aggregate,
                "payload": e.payload,
                "occurred_at": e.occurred_at,
            }
            for e in events
        ],
    )
