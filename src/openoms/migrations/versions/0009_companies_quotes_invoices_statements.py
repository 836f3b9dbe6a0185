"""B2B: companies and their contacts, quotes and their versions, invoices and their
payments, imported bank statement lines

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 05:52:35.524415
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openoms.infra.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vat_id", sa.String(length=40), server_default="", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit_limit", sa.BigInteger(), nullable=True),
        sa.Column("payment_terms", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("code", name=op.f("uq_companies_code")),
    )
    op.create_table(
        "statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("counterparty", sa.String(length=200), server_default="", nullable=False),
        sa.Column("transaction_id", sa.String(length=120), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("item_kind", sa.String(length=10), nullable=True),
        sa.Column("item_number", sa.String(length=20), nullable=True),
        sa.Column("applied_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("excess_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=False),
        sa.Column("imported_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_lines")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_statement_lines_fingerprint")),
    )
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_lines_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_statement_lines_outcome"), ["outcome"], unique=False)

    op.create_table(
        "company_contacts",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=60), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_contacts_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_company_contacts_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("company_id", "customer_id", name=op.f("pk_company_contacts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_company_contacts_customer_id")),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "billing_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "shipping_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("subtotal_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_quotes_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("number", name=op.f("uq_quotes_number")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_status"), ["status"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_terms", sa.String(length=20), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "overdue_notified_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= total_amount", name=op.f("ck_invoices_paid_within")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_invoices_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_status"), ["status"], unique=False)

    op.create_table(
        "quote_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_versions_quote_id_quotes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_versions")),
        sa.UniqueConstraint("quote_id", "version", name=op.f("uq_quote_versions_quote_id_version")),
    )
    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), server_default="", nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", openoms.infra.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_payments_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payments")),
    )
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_payments_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_payments_invoice_id"))

    op.drop_table("invoice_payments")
    op.drop_table("quote_versions")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_status"))
        batch_op.drop_index(batch_op.f("ix_invoices_order_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_due_on"))
        batch_op.drop_index(batch_op.f("ix_invoices_company_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_status"))
        batch_op.drop_index(batch_op.f("ix_quotes_company_id"))

    op.drop_table("quotes")
    op.drop_table("company_contacts")
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_lines_outcome"))
        batch_op.drop_index(batch_op.f("ix_statement_lines_import_id"))

    op.drop_table("statement_lines")
    op.drop_table("companies")
