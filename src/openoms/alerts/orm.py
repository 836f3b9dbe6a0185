"""The staff alerts inbox: one row per alert, open until someone acknowledges it."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    # what the alert is about: "order:SO-000123", "sku:ABC@WH-1", "return:RMA-000001"
    sa.Column("subject", sa.String(200), nullable=False, index=True),
    sa.Column("data", JSON, nullable=False),
    # the location it happens at, when it has one: callers limited to some locations see
    # only the alerts at theirs
    sa.Column("location", sa.String(64), nullable=True),
    # the outbox event that raised it: an event makes an alert once
    sa.Column("event_id", sa.String(36), nullable=False),
    # the subject while the alert is open, for kinds that keep one open alert per subject
    # (low stock); cleared on acknowledgement. NULLs never collide, so the unique
    # constraint holds the rule across workers.
    sa.Column("open_subject", sa.String(200), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
    sa.Column("acknowledged_by", sa.String(200), nullable=True),
    sa.UniqueConstraint("event_id", "kind"),
    sa.UniqueConstraint("kind", "open_subject"),
    # the inbox lists open alerts newest first
    sa.Index("ix_alerts_acknowledged_at_id", "acknowledged_at", "id"),
)
