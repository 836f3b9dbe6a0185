"""order reservations owned by the order's id instead of its number

An order's number is now taken as the last write of its transaction, after its stock is
reserved, so reservations name the order by id.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE reservations SET owner_ref = ("
        " SELECT CAST(orders.id AS VARCHAR(120)) FROM orders"
        " WHERE orders.number = reservations.owner_ref)"
        " WHERE owner_type = 'order_line'"
        " AND EXISTS (SELECT 1 FROM orders WHERE orders.number = reservations.owner_ref)"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE reservations SET owner_ref = ("
        " SELECT orders.number FROM orders"
        " WHERE CAST(orders.id AS VARCHAR(120)) = reservations.owner_ref)"
        " WHERE owner_type = 'order_line'"
        " AND EXISTS (SELECT 1 FROM orders"
        " WHERE CAST(orders.id AS VARCHAR(120)) = reservations.owner_ref)"
    )
