"""Every message to a customer, as rendered and as sent."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import UtcDateTime

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    # the outbox event it answers: one message per (event, kind); resends have none
    sa.Column("event_id", sa.String(36), nullable=True),
    sa.Column("order_number", sa.String(20), nullable=True, index=True),
    sa.Column("to_address", sa.String(254), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=True, index=True),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("provider_message_id", sa.String(200), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("event_id", "kind"),
)
