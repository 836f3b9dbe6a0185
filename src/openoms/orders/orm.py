"""Order tables. Amounts are integer minor units of the order's currency."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

_BIG = sa.BigInteger

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), nullable=False),
    sa.Column("channel_code", sa.String(64), nullable=False, index=True),
    sa.Column("external_id", sa.String(120), nullable=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("locale", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("status_before_hold", sa.String(20), nullable=True),
    sa.Column("hold_reason", sa.String(20), nullable=True),
    sa.Column("payment_status", sa.String(20), nullable=False, server_default="unpaid"),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("special_codes", JSON, nullable=False),
    sa.Column("billing_address", JSON, nullable=False),
    sa.Column("shipping_address", JSON, nullable=True),
    sa.Column("pickup_location", sa.String(64), nullable=True),
    sa.Column("shipping_service", sa.String(64), nullable=True),
    sa.Column("subtotal_amount", _BIG, nullable=False),
    sa.Column("discount_amount", _BIG, nullable=False),
    sa.Column("shipping_amount", _BIG, nullable=False),
    sa.Column("tax_amount", _BIG, nullable=False),
    sa.Column("total_amount", _BIG, nullable=False),
    sa.Column("prices_include_tax", sa.Boolean, nullable=False),
    sa.Column("base_currency", sa.String(3), nullable=False),
    sa.Column("base_total_amount", _BIG, nullable=True),
    sa.Column("fx_rate", sa.String(24), nullable=True),
    sa.Column("sales_rep", sa.String(120), nullable=True),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("tags", JSON, nullable=False),
    sa.Column("sourcing", JSON, nullable=False),
    sa.Column("placed_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # A channel that sends the same order twice gets the first one back.
    sa.UniqueConstraint("channel_id", "external_id"),
    # A customer's orders, and those before a given one (the screening's history): one
    # range of this index, as long as the customer's history (migration 0019).
    sa.Index("ix_orders_customer_id_id", "customer_id", "id"),
    # The orders worth hurrying (``min_priority``); most orders have priority 0, and the
    # index is written twice per order on PostgreSQL (migration 0018).
    sa.Index(
        "ix_orders_priority",
        "priority",
        postgresql_where=sa.text("priority > 0"),
        sqlite_where=sa.text("priority > 0"),
    ),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("sku_id", sa.Integer, sa.ForeignKey("skus.id"), nullable=False),
    sa.Column("sku_code", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("quantity_ordered", sa.Integer, nullable=False),
    sa.Column("quantity_allocated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_backordered", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_shipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_cancelled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_returned", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unit_price_amount", _BIG, nullable=False),
    sa.Column("discount_amount", _BIG, nullable=False),
    sa.Column("tax_rate", sa.String(12), nullable=False),
    sa.Column("tax_amount", _BIG, nullable=False),
    sa.Column("total_amount", _BIG, nullable=False),
    sa.UniqueConstraint("order_id", "line_no"),
    sa.CheckConstraint(
        "quantity_allocated + quantity_backordered + quantity_shipped + quantity_cancelled"
        " <= quantity_ordered",
        name="quantities_within_ordered",
    ),
)

order_events = sa.Table(
    "order_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("from_status", sa.String(20), nullable=True),
    sa.Column("to_status", sa.String(20), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("data", JSON, nullable=False),
    sa.Index("ix_order_events_order_id_id", "order_id", "id"),
)
