"""Cart tables. Amounts are integer minor units of the cart's currency."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import UtcDateTime

carts = sa.Table(
    "carts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # The public handle, random (secrets.token_urlsafe): whoever has it may use the cart.
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), nullable=False),
    sa.Column("channel_code", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("ttl_minutes", sa.Integer, nullable=False),
    sa.Column("value_amount", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("abandoned_at", UtcDateTime(), nullable=True),
    sa.Column("checked_out_at", UtcDateTime(), nullable=True),
    sa.Column("order_number", sa.String(20), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # the expiry job's scan, and the follow-up list of abandoned carts
    sa.Index("ix_carts_status_expires_at", "status", "expires_at"),
    sa.Index("ix_carts_status_abandoned_at", "status", "abandoned_at"),
)

cart_lines = sa.Table(
    "cart_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cart_id", sa.Integer, sa.ForeignKey("carts.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("sku_code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_amount", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("cart_id", "sku_code"),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)
