from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("currencies", JSON, nullable=False),
    sa.Column("locations", JSON, nullable=False),
    sa.Column("allow_backorder", sa.Boolean, nullable=False),
    sa.Column("stock_buffer", sa.Integer, nullable=False),
    sa.Column("sourcing_policy", sa.String(20), nullable=False),
    sa.Column("prices_include_tax", sa.Boolean, nullable=False),
    sa.Column("ship_from_store", sa.Boolean, nullable=False),
    sa.Column("cart_ttl_minutes", sa.Integer, nullable=False),
    sa.Column("payment_capture", sa.String(20), nullable=False, server_default="at_shipment"),
    sa.Column("fraud_rules", JSON, nullable=True),  # None: the default rules
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
