"""PostgreSQL: the numbering trigger fires only for an order with a provisional number

Most orders are now numbered by the statement that holds their stock, after its stock
locks (``openoms.orders.numbering``), and are written once, with their number. The trigger
of revision 0007 stays for the other orders (from a cart, a new customer's, one with
nothing to hold), written with a provisional number (``~…``); its ``WHEN`` condition is
checked as the row is inserted, so an order numbered already queues no trigger event at all
(before, every order queued one, to be called at COMMIT and return at once).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

DROP = "DROP TRIGGER IF EXISTS orders_numbered_at_commit ON orders"
CREATE = """
CREATE CONSTRAINT TRIGGER orders_numbered_at_commit
AFTER INSERT ON orders
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW {when}EXECUTE FUNCTION openoms_number_order()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DROP)
    op.execute(CREATE.format(when="WHEN (left(NEW.number, 1) = '~') "))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DROP)
    op.execute(CREATE.format(when=""))
