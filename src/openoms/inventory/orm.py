"""Inventory tables.

``stock_levels`` is keyed by (sku_id, location_id) and also carries the immutable SKU and
location codes, so the hot path (reserve by code) is one statement with no join into
another domain's tables. CHECK constraints repeat the stock rules as a last line of defence.
"""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import UtcDateTime

stock_levels = sa.Table(
    "stock_levels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku_id", sa.Integer, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("location_id", sa.Integer, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("sku_code", sa.String(64), nullable=False),
    sa.Column("location_code", sa.String(64), nullable=False),
    sa.Column("on_hand", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reserved", sa.Integer, nullable=False, server_default="0"),
    sa.Column("safety_stock", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("sku_id", "location_id"),
    sa.UniqueConstraint("sku_code", "location_code"),
    sa.Index("ix_stock_levels_location_id", "location_id"),
    sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    sa.CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
)

bin_stock = sa.Table(
    "bin_stock",
    metadata,
    sa.Column("sku_id", sa.Integer, sa.ForeignKey("skus.id"), primary_key=True),
    sa.Column("bin_id", sa.Integer, sa.ForeignKey("bins.id"), primary_key=True),
    sa.Column("location_id", sa.Integer, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Index("ix_bin_stock_sku_location", "sku_id", "location_id"),
    sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
)

stock_movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sku_id", sa.Integer, nullable=False),
    sa.Column("location_id", sa.Integer, nullable=False),
    sa.Column("bin_id", sa.Integer, sa.ForeignKey("bins.id"), nullable=True),
    sa.Column("on_hand_delta", sa.Integer, nullable=False),
    sa.Column("reserved_delta", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(40), nullable=True),
    sa.Column("reference", sa.String(120), nullable=False, server_default=""),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # A movement belongs to the stock row it changed: the check locks a row its transaction
    # holds already, not the SKU and location rows every order shares (migration 0017).
    sa.ForeignKeyConstraint(
        ["sku_id", "location_id"],
        ["stock_levels.sku_id", "stock_levels.location_id"],
        name="fk_stock_movements_stock_level",
    ),
    sa.Index("ix_stock_movements_sku_location", "sku_id", "location_id", "id"),
    sa.Index("ix_stock_movements_reference", "reference"),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("stock_level_id", sa.Integer, sa.ForeignKey("stock_levels.id"), nullable=False),
    sa.Column("sku_id", sa.Integer, nullable=False),
    sa.Column("location_id", sa.Integer, nullable=False),
    sa.Column("owner_type", sa.String(20), nullable=False),
    sa.Column("owner_ref", sa.String(120), nullable=False),
    # An order reserves per line: owner (order_line, "SO-000123"), owner_line 1, 2, …
    sa.Column("owner_line", sa.Integer, nullable=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("quantity_initial", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Index("ix_reservations_owner", "owner_type", "owner_ref"),
    sa.Index("ix_reservations_status_expires_at", "status", "expires_at"),
    sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
)

transfers = sa.Table(
    "transfers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("from_location_id", sa.Integer, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("to_location_id", sa.Integer, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("shipped_at", UtcDateTime(), nullable=True),
    sa.Column("received_at", UtcDateTime(), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)

transfer_lines = sa.Table(
    "transfer_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("transfer_id", sa.Integer, sa.ForeignKey("transfers.id"), nullable=False, index=True),
    sa.Column("sku_id", sa.Integer, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("sku_code", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("quantity_received", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reservation_id", sa.BigInteger, nullable=True),
)
