"""PostgreSQL: a stock hold's statement fails as a whole when a stock row lacks the units

``openoms_require_held(wanted, held)`` raises SQLSTATE ``OM001`` when a hold's statement
(``openoms.inventory.holds``) updated fewer stock rows than it was asked to: the statement
then writes nothing (its order, reservations, movements and events included). Before, it
returned the rows it held and the caller rolled back; failing inside the statement is what
lets the statement commit by itself, outside a transaction, when it is the last write of
an order's placement (``UnitOfWork.begin_at_first_write``): no BEGIN and no COMMIT round
trip.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION openoms_require_held(wanted integer, held bigint)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF held < wanted THEN
    RAISE EXCEPTION USING
      ERRCODE = 'OM001',
      MESSAGE = 'openoms: stock moved',
      DETAIL = held || ' of ' || wanted || ' stock rows had the units';
  END IF;
  RETURN true;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION openoms_require_held(integer, bigint)")
