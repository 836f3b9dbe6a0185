"""PostgreSQL: an order written with a provisional number claims its external id

A transaction-scoped advisory lock on (channel id, hash of the external id), taken as the
row goes in. An order numbered by the statement that holds its stock writes its row only
after its stock locks (``openoms.orders.numbering``), so the unique (channel, external id)
would make it wait for another transaction's same order while it holds stock rows and the
order counter, which that transaction needs at its COMMIT: a deadlock. Such an order takes
the same lock before any of its locks instead, and so waits holding nothing; the other
orders take it here, as their row goes in (before their stock locks, too).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 15:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION openoms_claim_external_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(NEW.channel_id, hashtext(NEW.external_id));
  RETURN NEW;
END
$$
"""

TRIGGER = """
CREATE TRIGGER orders_claim_external_id
BEFORE INSERT ON orders
FOR EACH ROW
WHEN (NEW.external_id IS NOT NULL AND left(NEW.number, 1) = '~')
EXECUTE FUNCTION openoms_claim_external_id()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS orders_claim_external_id ON orders")
    op.execute("DROP FUNCTION IF EXISTS openoms_claim_external_id()")
