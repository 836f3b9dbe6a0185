"""Fraud screenings: the velocity rules' indexes take the window too, and skip what is not
given

Each velocity rule counts earlier screenings with one identifier (email, IP, device, card)
within a time window. The indexes are now (identifier, created_at), so a count reads the
window only, not every screening ever made with that identifier; and the IP, device and
card indexes hold only the screenings that have one (most orders have none, and each such
row cost an index entry of NULL).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OPTIONAL = ("ip", "device_id", "card_fingerprint")


def upgrade() -> None:
    for column in ("email", *OPTIONAL):
        op.drop_index(f"ix_fraud_screenings_{column}", table_name="fraud_screenings")
    op.create_index(
        "ix_fraud_screenings_email_created_at", "fraud_screenings", ["email", "created_at"]
    )
    for column in OPTIONAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_fraud_screenings_{column}_created_at",
            "fraud_screenings",
            [column, "created_at"],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    for column in ("email", *OPTIONAL):
        op.drop_index(f"ix_fraud_screenings_{column}_created_at", table_name="fraud_screenings")
        op.create_index(f"ix_fraud_screenings_{column}", "fraud_screenings", [column])
