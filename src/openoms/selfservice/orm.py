"""What customers tell us through their links: ratings, cases for customer service, and the
order lookups that the rate limit counts."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import UtcDateTime

ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_number", sa.String(20), nullable=False, index=True),
    sa.Column("sku_code", sa.String(64), nullable=False),  # "": the order as a whole
    sa.Column("stars", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("order_number", "sku_code"),
    sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_number", sa.String(20), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),  # missing_items, …
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # open, closed
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# Order lookups by number and email, per client address, for rate limiting across processes
# (like sign-in attempts); rows older than the window are deleted by the next lookup.
lookup_attempts = sa.Table(
    "lookup_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("ip", sa.String(64), nullable=False, index=True),
    sa.Column("found", sa.Boolean, nullable=False),
)
