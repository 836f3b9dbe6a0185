"""Orders and fraud screenings: indexes kept for the queries that read them

Every index is written at every insert, and the orders' indexes twice per order on
PostgreSQL (the number written at COMMIT is a second version of the row, see 0007).
- ``orders.payment_status`` had an index no query reads: dropped.
- ``orders.priority`` is read for the orders worth hurrying (``min_priority``); most orders
  have priority 0, so the index now holds only the others.
- ``fraud_screenings.created_at`` alone is read by nobody since the velocity indexes
  (identifier, created_at) of 0016: dropped.
- ``fraud_screenings.review`` served the review queue (decision ``review``, not reviewed
  yet) badly: most screenings pass and have no review, so its NULL entries were most of
  it. The queue now has an index of its own, on the screenings sent to review only.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 02:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

URGENT = sa.text("priority > 0")
TO_REVIEW = sa.text("decision = 'review'")


def upgrade() -> None:
    op.drop_index("ix_orders_payment_status", table_name="orders")
    op.drop_index("ix_orders_priority", table_name="orders")
    op.create_index(
        "ix_orders_priority", "orders", ["priority"], postgresql_where=URGENT, sqlite_where=URGENT
    )
    op.drop_index("ix_fraud_screenings_created_at", table_name="fraud_screenings")
    op.drop_index("ix_fraud_screenings_review", table_name="fraud_screenings")
    op.create_index(
        "ix_fraud_screenings_to_review",
        "fraud_screenings",
        ["id"],
        postgresql_where=TO_REVIEW,
        sqlite_where=TO_REVIEW,
    )


def downgrade() -> None:
    op.drop_index("ix_fraud_screenings_to_review", table_name="fraud_screenings")
    op.create_index("ix_fraud_screenings_review", "fraud_screenings", ["review"])
    op.create_index("ix_fraud_screenings_created_at", "fraud_screenings", ["created_at"])
    op.drop_index("ix_orders_priority", table_name="orders")
    op.create_index("ix_orders_priority", "orders", ["priority"])
    op.create_index("ix_orders_payment_status", "orders", ["payment_status"])
