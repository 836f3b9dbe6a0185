"""B2B tables: companies and their contacts, quotes with their versions, invoices with
their payments, and imported bank statement lines. Amounts in minor units."""

from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

_BIG = sa.BigInteger

companies = sa.Table(
    "companies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("vat_id", sa.String(40), nullable=False, server_default=""),
    sa.Column("currency", sa.String(3), nullable=False),  # of the credit limit
    sa.Column("credit_limit", _BIG, nullable=True),  # None: no limit
    sa.Column("payment_terms", sa.String(20), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

company_contacts = sa.Table(
    "company_contacts",
    metadata,
    sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id"), primary_key=True),
    # a person buys for one company
    sa.Column(
        "customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True, unique=True
    ),
    sa.Column("role", sa.String(60), nullable=False, server_default=""),
)

quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id"), nullable=False, index=True),
    sa.Column("contact_email", sa.String(254), nullable=False),
    sa.Column("channel_code", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("lines", JSON, nullable=False),
    sa.Column("billing_address", JSON, nullable=False),
    sa.Column("shipping_address", JSON, nullable=True),
    sa.Column("subtotal_amount", _BIG, nullable=False),
    sa.Column("discount_amount", _BIG, nullable=False),
    sa.Column("tax_amount", _BIG, nullable=False),
    sa.Column("total_amount", _BIG, nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("order_number", sa.String(20), nullable=True),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("decided_at", UtcDateTime(), nullable=True),
)

# What each version of a quote said when it was replaced (a sent quote edited).
quote_versions = sa.Table(
    "quote_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("quote_id", sa.Integer, sa.ForeignKey("quotes.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("quote_id", "version"),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id"), nullable=False, index=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("order_number", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total_amount", _BIG, nullable=False),
    sa.Column("paid_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("payment_terms", sa.String(20), nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False, index=True),
    sa.Column("overdue_notified_at", UtcDateTime(), nullable=True),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("paid_amount >= 0 AND paid_amount <= total_amount", name="paid_within"),
)

invoice_payments = sa.Table(
    "invoice_payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), nullable=False, index=True),
    sa.Column("amount", _BIG, nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("reference", sa.String(200), nullable=False, server_default=""),
    sa.Column("method", sa.String(20), nullable=False),  # bank_transfer, card, cash, other
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

statement_lines = sa.Table(
    "statement_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.String(40), nullable=False, index=True),
    sa.Column("file_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("row", sa.Integer, nullable=False),
    sa.Column("booked", sa.Date, nullable=False),
    sa.Column("amount", _BIG, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("counterparty", sa.String(200), nullable=False, server_default=""),
    sa.Column("transaction_id", sa.String(120), nullable=True),
    # the same bank line imported twice is recognised and not applied again
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("outcome", sa.String(12), nullable=False, index=True),
    sa.Column("item_kind", sa.String(10), nullable=True),
    sa.Column("item_number", sa.String(20), nullable=True),
    sa.Column("applied_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("excess_amount", _BIG, nullable=False, server_default="0"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("imported_by", sa.String(120), nullable=False),
    sa.Column("imported_at", UtcDateTime(), nullable=False),
)
