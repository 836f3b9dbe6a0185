from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import UtcDateTime

# Rates are exact decimals stored as text: "0.2100" (21 %), "1.08250000" (1 USD in EUR).
tax_rates = sa.Table(
    "tax_rates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("region", sa.String(40), nullable=False, server_default=""),
    sa.Column("rate", sa.String(12), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("country", "region"),
)

fx_rates = sa.Table(
    "fx_rates",
    metadata,
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("rate_to_base", sa.String(24), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
