from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import UtcDateTime

locations = sa.Table(
    "locations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("address_line1", sa.String(200), nullable=False, server_default=""),
    sa.Column("address_line2", sa.String(200), nullable=False, server_default=""),
    sa.Column("city", sa.String(120), nullable=False, server_default=""),
    sa.Column("postal_code", sa.String(20), nullable=False, server_default=""),
    sa.Column("region", sa.String(120), nullable=False, server_default=""),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("can_ship", sa.Boolean, nullable=False),
    sa.Column("can_pickup", sa.Boolean, nullable=False),
    sa.Column("accepts_returns", sa.Boolean, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("daily_order_capacity", sa.Integer, nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

zones = sa.Table(
    "zones",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("location_id", sa.Integer, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.UniqueConstraint("location_id", "code"),
)

bins = sa.Table(
    "bins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("location_id", sa.Integer, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id"), nullable=False, index=True),
    sa.Column("code", sa.String(32), nullable=False),
    sa.UniqueConstraint("location_id", "code"),
)
