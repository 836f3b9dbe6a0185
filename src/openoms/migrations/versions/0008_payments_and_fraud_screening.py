"""Payments with their transactions, the test gateway's state, fraud screenings and the
blocklist; each order's payment status; each channel's capture policy and fraud rules

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 05:38:30.339715
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openoms.infra.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_blocklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_blocklist")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_fraud_blocklist_kind_value")),
    )
    op.create_table(
        "gateway_state",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_gateway_state")),
    )
    op.create_table(
        "fraud_screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("device_id", sa.String(length=120), nullable=True),
        sa.Column("card_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("review", sa.String(length=10), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("reviewed_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fraud_screenings_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_screenings")),
    )
    with op.batch_alter_table("fraud_screenings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fraud_screenings_card_fingerprint"), ["card_fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fraud_screenings_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fraud_screenings_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fraud_screenings_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_fraud_screenings_ip"), ["ip"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fraud_screenings_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fraud_screenings_review"), ["review"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=True),
        sa.Column("token", sa.String(length=120), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_exp_month", sa.Integer(), nullable=True),
        sa.Column("card_exp_year", sa.Integer(), nullable=True),
        sa.Column("card_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("authorized_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("captured_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("capture_pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refund_pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decline_code", sa.String(length=60), nullable=True),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("avs", sa.String(length=12), nullable=True),
        sa.Column("cvc", sa.String(length=12), nullable=True),
        sa.Column("expires_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "captured_amount + capture_pending <= authorized_amount",
            name=op.f("ck_payments_captured_within_authorized"),
        ),
        sa.CheckConstraint(
            "captured_amount >= 0 AND capture_pending >= 0 AND refunded_amount >= 0 AND refund_pending >= 0",
            name=op.f("ck_payments_amounts_not_negative"),
        ),
        sa.CheckConstraint(
            "refunded_amount + refund_pending <= captured_amount",
            name=op.f("ck_payments_refunded_within_captured"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_card_fingerprint"), ["card_fingerprint"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_reference"), ["reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_state"), ["state"], unique=False)

    op.create_table(
        "payment_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("gateway_reference", sa.String(length=120), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payment_transactions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_transactions_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transactions")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_payment_transactions_idempotency_key")
        ),
    )
    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_transactions_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_transactions_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_transactions_status"), ["status"], unique=False
        )

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment_capture",
                sa.String(length=20),
                server_default="at_shipment",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "fraud_rules",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment_status", sa.String(length=20), server_default="unpaid", nullable=False
            )
        )
        batch_op.create_index(
            batch_op.f("ix_orders_payment_status"), ["payment_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_payment_status"))
        batch_op.drop_column("payment_status")

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("fraud_rules")
        batch_op.drop_column("payment_capture")

    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_transactions_status"))
        batch_op.drop_index(batch_op.f("ix_payment_transactions_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_transactions_order_id"))

    op.drop_table("payment_transactions")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_state"))
        batch_op.drop_index(batch_op.f("ix_payments_reference"))
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))
        batch_op.drop_index(batch_op.f("ix_payments_card_fingerprint"))

    op.drop_table("payments")
    with op.batch_alter_table("fraud_screenings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_review"))
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_order_id"))
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_ip"))
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_email"))
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_device_id"))
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_created_at"))
        batch_op.drop_index(batch_op.f("ix_fraud_screenings_card_fingerprint"))

    op.drop_table("fraud_screenings")
    op.drop_table("gateway_state")
    op.drop_table("fraud_blocklist")
