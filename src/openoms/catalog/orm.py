"""Catalog tables. Codes are immutable once created: other domains key on them."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("categories.id"), nullable=True),
    sa.Column("path", sa.String(500), nullable=False, unique=True),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("brand", sa.String(120), nullable=True, index=True),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.id"), nullable=True, index=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("attributes", JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

skus = sa.Table(
    "skus",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False, index=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("barcode", sa.String(14), nullable=True, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("weight_g", sa.Integer, nullable=True),
    sa.Column("length_mm", sa.Integer, nullable=True),
    sa.Column("width_mm", sa.Integer, nullable=True),
    sa.Column("height_mm", sa.Integer, nullable=True),
    sa.Column("unit_cost_amount", sa.BigInteger, nullable=True),
    sa.Column("cost_currency", sa.String(3), nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("attributes", JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)

sku_prices = sa.Table(
    "sku_prices",
    metadata,
    sa.Column("sku_id", sa.Integer, sa.ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
)
