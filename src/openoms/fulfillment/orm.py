"""Fulfilment tables: fulfilment orders and their lines, waves, pick lists and their picks,
boxes, carriers and their services, shipments, packages and tracking events.

Weights in grams, dimensions in millimetres, money in minor units.
"""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

_BIG = sa.BigInteger

fulfilment_orders = sa.Table(
    "fulfilment_orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(24), nullable=False, unique=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("order_number", sa.String(20), nullable=False),
    sa.Column("location_code", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("ship_by", sa.Date, nullable=True),
    sa.Column("deliver_by", sa.Date, nullable=True),
    sa.Column("promise", sa.Text, nullable=False, server_default=""),
    sa.Column("service", sa.String(64), nullable=True),  # the order's requested service
    sa.Column("pickup", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pickup_code", sa.String(12), nullable=True),
    sa.Column("ready_at", UtcDateTime(), nullable=True),
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("waves.id"), nullable=True, index=True),
    # what the packer packed: [{"box", "length_mm", …, "weight_g", "items": [{sku, quantity}]}]
    sa.Column("packages", JSON, nullable=True),
    sa.Column("placed_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_fulfilment_orders_location_status", "location_code", "status"),
    # one pending fulfilment order per order and location
    sa.Index(
        "uq_fulfilment_orders_pending",
        "order_id",
        "location_code",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    ),
)

fulfilment_lines = sa.Table(
    "fulfilment_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "fulfilment_order_id",
        sa.Integer,
        sa.ForeignKey("fulfilment_orders.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("line_no", sa.Integer, nullable=False),  # the order line
    sa.Column("sku_code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("quantity_picked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_short", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_shipped", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("fulfilment_order_id", "line_no"),
    sa.CheckConstraint(
        "quantity >= 0 AND quantity_picked >= 0 AND quantity_short >= 0"
        " AND quantity_shipped >= 0 AND quantity_picked + quantity_short <= quantity"
        " AND quantity_shipped <= quantity_picked",
        name="quantities",
    ),
)

waves = sa.Table(
    "waves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("location_code", sa.String(64), nullable=False, index=True),
    sa.Column("strategy", sa.String(12), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("criteria", JSON, nullable=False),
    sa.Column("released_by", sa.String(120), nullable=False),
    sa.Column("released_at", UtcDateTime(), nullable=False),
)

pick_lists = sa.Table(
    "pick_lists",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("wave_id", sa.Integer, sa.ForeignKey("waves.id"), nullable=False, index=True),
    sa.Column("location_code", sa.String(64), nullable=False),
    sa.Column("strategy", sa.String(12), nullable=False),
    sa.Column("zone_code", sa.String(32), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("picker", sa.String(120), nullable=True),
    sa.Column("fulfilment_orders", JSON, nullable=False),  # numbers, in rank order
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime(), nullable=True),
)

picks = sa.Table(
    "picks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "pick_list_id", sa.Integer, sa.ForeignKey("pick_lists.id"), nullable=False, index=True
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("sku_code", sa.String(64), nullable=False),
    sa.Column("bin_code", sa.String(32), nullable=True),  # None: loose units
    sa.Column("zone_code", sa.String(32), nullable=True),
    # as planned; what is picked or short is kept per part (pick_parts), for each order
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.UniqueConstraint("pick_list_id", "seq"),
    sa.CheckConstraint("quantity > 0", name="quantities"),
)

# Which fulfilment line a pick's units are for: a batch or wave pick serves several.
pick_parts = sa.Table(
    "pick_parts",
    metadata,
    sa.Column("pick_id", sa.Integer, sa.ForeignKey("picks.id"), primary_key=True),
    sa.Column(
        "fulfilment_line_id",
        sa.Integer,
        sa.ForeignKey("fulfilment_lines.id"),
        primary_key=True,
        index=True,
    ),
    sa.Column("seq", sa.Integer, nullable=False),  # who is served first
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("quantity_picked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_short", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint(
        "quantity > 0 AND quantity_picked >= 0 AND quantity_short >= 0"
        " AND quantity_picked + quantity_short <= quantity",
        name="quantities",
    ),
)

boxes = sa.Table(
    "boxes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("length_mm", sa.Integer, nullable=False),
    sa.Column("width_mm", sa.Integer, nullable=False),
    sa.Column("height_mm", sa.Integer, nullable=False),
    sa.Column("tare_g", sa.Integer, nullable=False),
    sa.Column("max_weight_g", sa.Integer, nullable=False),
    sa.Column("cost", _BIG, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint(
        "length_mm > 0 AND width_mm > 0 AND height_mm > 0 AND tare_g >= 0"
        " AND max_weight_g > tare_g AND cost >= 0",
        name="sizes",
    ),
)

carriers = sa.Table(
    "carriers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("tracking_url", sa.String(300), nullable=False, server_default=""),
    sa.Column("dim_divisor", sa.Integer, nullable=False, server_default="5000"),
    sa.Column("tracking_prefix", sa.String(2), nullable=False),  # S10 service indicator
    # the carrier API that buys its labels ("shippo"); None: our own labels and numbers
    sa.Column("api", sa.String(20), nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

carrier_services = sa.Table(
    "carrier_services",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("carrier_code", sa.String(32), sa.ForeignKey("carriers.code"), nullable=False),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    # the rate card as data: zone rules, weight breaks, transit days per zone
    sa.Column("zones", JSON, nullable=False),
    sa.Column("breaks", JSON, nullable=False),
    sa.Column("transit_days", JSON, nullable=False),
    sa.Column("fuel_surcharge_pct", sa.String(12), nullable=False, server_default="0"),
    sa.Column("cutoff", sa.String(5), nullable=False),  # HH:MM, local time of the location
    sa.Column("max_weight_g", sa.Integer, nullable=True),
    sa.Column("api_service", sa.String(64), nullable=True),  # the API's name for it
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("code"),
)

shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column(
        "fulfilment_order_id",
        sa.Integer,
        sa.ForeignKey("fulfilment_orders.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("location_code", sa.String(64), nullable=False),
    sa.Column("carrier_code", sa.String(32), nullable=False),
    sa.Column("service_code", sa.String(32), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("rate_amount", _BIG, nullable=False),
    sa.Column("rate_currency", sa.String(3), nullable=False),
    sa.Column("rate_reason", sa.Text, nullable=False, server_default=""),
    # what the shipped units are worth in the order's currency (the part to capture)
    sa.Column("value_amount", _BIG, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("ship_to", JSON, nullable=False),
    sa.Column("promised_date", sa.Date, nullable=True),
    sa.Column("eta", sa.Date, nullable=True),
    sa.Column("shipped_at", UtcDateTime(), nullable=False),
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("late_flagged_at", UtcDateTime(), nullable=True),
    sa.Column("shipped_by", sa.String(120), nullable=False),
)

packages = sa.Table(
    "packages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("shipment_id", sa.Integer, sa.ForeignKey("shipments.id"), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("box_code", sa.String(32), nullable=True),  # None: the packer's own size
    sa.Column("length_mm", sa.Integer, nullable=False),
    sa.Column("width_mm", sa.Integer, nullable=False),
    sa.Column("height_mm", sa.Integer, nullable=False),
    sa.Column("weight_g", sa.Integer, nullable=False),  # actual, box included
    sa.Column("dim_weight_g", sa.Integer, nullable=False),
    sa.Column("billable_weight_g", sa.Integer, nullable=False),
    sa.Column("tracking_number", sa.String(40), nullable=False, unique=True),
    sa.Column("items", JSON, nullable=False),  # {"sku": quantity}
    # a label bought through a carrier API: the document and the provider's purchase id
    sa.Column("label_pdf", sa.LargeBinary, nullable=True),
    sa.Column("label_reference", sa.String(120), nullable=True),
    sa.UniqueConstraint("shipment_id", "seq"),
)

tracking_events = sa.Table(
    "tracking_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("shipment_id", sa.Integer, sa.ForeignKey("shipments.id"), nullable=False, index=True),
    sa.Column("tracking_number", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("location", sa.String(200), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("eta", sa.Date, nullable=True),
    sa.Column("source", sa.String(60), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    # carriers repeat scans: the same scan twice is one event
    sa.UniqueConstraint("tracking_number", "status", "at"),
)

location_fulfilment = sa.Table(
    "location_fulfilment",
    metadata,
    sa.Column("location_code", sa.String(64), primary_key=True),
    sa.Column("pick_strategy", sa.String(12), nullable=False),
    sa.Column("batch_size", sa.Integer, nullable=False, server_default="8"),
    sa.Column("pickup_days", sa.Integer, nullable=False, server_default="7"),
)

# What a channel promises: orders placed before the cut-off (local time of the shipping
# location) leave that working day, after ``handling_days``, and arrive within
# ``delivery_days`` working days of leaving; the rate policy picks the carrier service.
channel_fulfilment = sa.Table(
    "channel_fulfilment",
    metadata,
    sa.Column("channel_code", sa.String(64), primary_key=True),
    sa.Column("cutoff", sa.String(5), nullable=False, server_default="14:00"),
    sa.Column("handling_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivery_days", sa.Integer, nullable=False, server_default="3"),
    sa.Column("rate_policy", sa.String(20), nullable=False, server_default="cheapest_on_time"),
    # days after delivery the follow-up asks for a rating; 0: no follow-up
    sa.Column("follow_up_days", sa.Integer, nullable=False, server_default="7"),
)
