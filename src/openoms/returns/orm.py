"""Returns tables: returns (RMA), their lines and timeline, and each channel's policy.

Money in minor units of the order's currency.
"""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

_BIG = sa.BigInteger

returns = sa.Table(
    "returns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("order_number", sa.String(20), nullable=False),
    sa.Column("channel_code", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("opened_by", sa.String(10), nullable=False),  # customer | staff
    sa.Column("method", sa.String(12), nullable=False),  # ship_back | in_store
    sa.Column("preferred_resolution", sa.String(16), nullable=False),
    sa.Column("drop_off_location", sa.String(64), nullable=True),  # in_store: where it goes
    sa.Column("customer_note", sa.Text, nullable=False, server_default=""),
    # the policy that applied when the return was opened (the channel's may change later)
    sa.Column("policy", JSON, nullable=False),
    # the return label (ship_back, once approved)
    sa.Column("carrier_code", sa.String(32), nullable=True),
    sa.Column("service_code", sa.String(64), nullable=True),
    sa.Column("tracking_number", sa.String(40), nullable=True, unique=True),
    sa.Column("label_cost_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("received_at_location", sa.String(64), nullable=True),
    # resolution
    sa.Column("resolution", sa.String(16), nullable=True),
    sa.Column("refund_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("store_credit_code", sa.String(24), nullable=True),
    sa.Column("exchange_order_number", sa.String(20), nullable=True),
    sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)

return_lines = sa.Table(
    "return_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("return_id", sa.Integer, sa.ForeignKey("returns.id"), nullable=False, index=True),
    sa.Column("order_line_no", sa.Integer, nullable=False),
    sa.Column("sku_code", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(24), nullable=False, index=True),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("quantity_received", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_restocked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quantity_written_off", sa.Integer, nullable=False, server_default="0"),
    sa.Column("write_off_reason", sa.Text, nullable=False, server_default=""),
    # what the received units are worth to the customer (set at inspection)
    sa.Column("credit_amount", _BIG, nullable=False, server_default="0"),
    # exchange: what the customer wants instead
    sa.Column("exchange_sku", sa.String(64), nullable=True),
    sa.Column("exchange_quantity", sa.Integer, nullable=True),
    sa.UniqueConstraint("return_id", "order_line_no"),
)

return_events = sa.Table(
    "return_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("return_id", sa.Integer, sa.ForeignKey("returns.id"), nullable=False, index=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("from_status", sa.String(20), nullable=True),
    sa.Column("to_status", sa.String(20), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("data", JSON, nullable=False),
)

channel_returns = sa.Table(
    "channel_returns",
    metadata,
    sa.Column("channel_code", sa.String(64), primary_key=True),
    sa.Column("window_days", sa.Integer, nullable=False),
    sa.Column("reasons", JSON, nullable=False),
    sa.Column("shipping_paid_by", sa.String(10), nullable=False),
    sa.Column("restocking_fee_percent", sa.String(8), nullable=False),
    sa.Column("exchanges", sa.Boolean, nullable=False),
    sa.Column("return_service", sa.String(64), nullable=True),
)
