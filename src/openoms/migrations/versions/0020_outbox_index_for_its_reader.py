"""The outbox: one index, on the events not dispatched yet, for the one query that reads them

Every order writes an outbox row (``order.created``, at COMMIT on PostgreSQL), and so does
every other change that records an event. The table had three indexes besides its key:
``name`` (read by no query), ``occurred_at`` and ``dispatched_at``, all of them written at
every insert and the last two again when the event is dispatched. The dispatcher's query
(``infra.outbox.undispatched``: not dispatched yet, oldest first) is served by one index on
``(occurred_at, id)`` of the rows not dispatched yet; it stays as small as the backlog, and
a dispatched event leaves it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PENDING = sa.text("dispatched_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_events_pending",
        "outbox_events",
        ["occurred_at", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.drop_index("ix_outbox_events_name", table_name="outbox_events")
    op.drop_index("ix_outbox_events_occurred_at", table_name="outbox_events")
    op.drop_index("ix_outbox_events_dispatched_at", table_name="outbox_events")


def downgrade() -> None:
    op.create_index("ix_outbox_events_dispatched_at", "outbox_events", ["dispatched_at"])
    op.create_index("ix_outbox_events_occurred_at", "outbox_events", ["occurred_at"])
    op.create_index("ix_outbox_events_name", "outbox_events", ["name"])
    op.drop_index("ix_outbox_events_pending", table_name="outbox_events")
