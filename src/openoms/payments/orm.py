"""Payment tables. Amounts are integer minor units of the order's currency.

A payment's running totals (authorized, captured, refunded, and what is asked of the
gateway but not answered yet) are kept on its row, and checked by the database: what is
captured never exceeds what was authorized, what is refunded never exceeds what was
captured. Every movement is a transaction row with its idempotency key.
"""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

_BIG = sa.BigInteger

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("gateway", sa.String(20), nullable=True),
    sa.Column("token", sa.String(120), nullable=True),
    sa.Column("reference", sa.String(120), nullable=True, index=True),
    sa.Column("card_brand", sa.String(20), nullable=True),
    sa.Column("card_last4", sa.String(4), nullable=True),
    sa.Column("card_exp_month", sa.Integer, nullable=True),
    sa.Column("card_exp_year", sa.Integer, nullable=True),
    sa.Column("card_fingerprint", sa.String(64), nullable=True, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", _BIG, nullable=False),
    sa.Column("authorized_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("captured_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("capture_pending", _BIG, nullable=False, server_default="0"),
    sa.Column("refunded_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("refund_pending", _BIG, nullable=False, server_default="0"),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("decline_code", sa.String(60), nullable=True),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("avs", sa.String(12), nullable=True),
    sa.Column("cvc", sa.String(12), nullable=True),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.CheckConstraint(
        "captured_amount + capture_pending <= authorized_amount", name="captured_within_authorized"
    ),
    sa.CheckConstraint(
        "refunded_amount + refund_pending <= captured_amount", name="refunded_within_captured"
    ),
    sa.CheckConstraint(
        "captured_amount >= 0 AND capture_pending >= 0 AND refunded_amount >= 0"
        " AND refund_pending >= 0",
        name="amounts_not_negative",
    ),
)

payment_transactions = sa.Table(
    "payment_transactions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payment_id", sa.Integer, sa.ForeignKey("payments.id"), nullable=False, index=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, index=True),
    sa.Column("amount", _BIG, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("gateway_reference", sa.String(120), nullable=True),
    sa.Column("error_code", sa.String(60), nullable=True),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("settled_at", UtcDateTime(), nullable=True),
)

# The built-in gateways' own state (test cards by token, gift cards with their balance,
# authorizations, used keys), kept apart from the payments as a real gateway keeps it on
# its side. No card numbers.
gateway_state = sa.Table(
    "gateway_state",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("data", JSON, nullable=False),
)

# Identifiers most orders lack (the shop sends them when it knows them): indexed where given.
VELOCITY_IDENTIFIERS = ("ip", "device_id", "card_fingerprint")

# One screening per order placement (and per re-screening); velocity rules count these.
fraud_screenings = sa.Table(
    "fraud_screenings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("reasons", JSON, nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("ip", sa.String(45), nullable=True),
    sa.Column("device_id", sa.String(120), nullable=True),
    sa.Column("card_fingerprint", sa.String(64), nullable=True),
    sa.Column("review", sa.String(10), nullable=True),  # approved | rejected
    sa.Column("reviewed_by", sa.String(120), nullable=True),
    sa.Column("reviewed_at", UtcDateTime(), nullable=True),
    sa.Column("review_note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # the review queue: the screenings that sent their order to review (migration 0018)
    sa.Index(
        "ix_fraud_screenings_to_review",
        "id",
        postgresql_where=sa.text("decision = 'review'"),
        sqlite_where=sa.text("decision = 'review'"),
    ),
    # the velocity rules' counts: one identifier within a window (migration 0016)
    sa.Index("ix_fraud_screenings_email_created_at", "email", "created_at"),
    *(
        sa.Index(
            f"ix_fraud_screenings_{column}_created_at",
            column,
            "created_at",
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
        )
        for column in VELOCITY_IDENTIFIERS
    ),
)

fraud_blocklist = sa.Table(
    "fraud_blocklist",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # email | ip | card | address
    sa.Column("value", sa.String(300), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("kind", "value"),
)
