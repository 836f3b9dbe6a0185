from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("company", sa.String(200), nullable=False, server_default=""),
    sa.Column("phones", JSON, nullable=False),
    sa.Column("locale", sa.String(10), nullable=False),
    sa.Column("tags", JSON, nullable=False),
    sa.Column("marketing_consent", sa.Boolean, nullable=False),
    sa.Column("consent_changed_at", UtcDateTime(), nullable=True),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Every address a customer is known by: the primary email is also listed here.
customer_emails = sa.Table(
    "customer_emails",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
)

customer_addresses = sa.Table(
    "customer_addresses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("address", JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)
