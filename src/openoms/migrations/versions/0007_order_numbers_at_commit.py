"""PostgreSQL: an order gets its gap-free number, and its order.created event, at COMMIT

A deferred constraint trigger numbers each order written with a provisional number
(``~…``) while its transaction commits, and writes the order's ``order.created`` outbox
row with that number. The counter row is then locked only for the commit itself. SQLite
(one writer at a time) numbers orders up front and needs nothing here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION openoms_number_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  num text;
BEGIN
  IF left(NEW.number, 1) <> '~' THEN
    RETURN NULL;  -- numbered already (written with its number, or by another path)
  END IF;
  INSERT INTO sequences (name, last_value) VALUES ('order', 1)
    ON CONFLICT (name) DO UPDATE SET last_value = sequences.last_value + 1
    RETURNING last_value INTO n;
  num := 'SO-' || lpad(n::text, greatest(6, length(n::text)), '0');
  UPDATE orders SET number = num WHERE id = NEW.id;
  -- the same event as openoms.orders.writer.created writes on SQLite
  INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at)
  VALUES (
    gen_random_uuid()::text,
    'order.created',
    'order:' || num,
    jsonb_build_object(
      'number', num,
      'channel', NEW.channel_code,
      'status', NEW.status,
      'total_amount', NEW.total_amount,
      'currency', NEW.currency
    ),
    NEW.placed_at
  );
  RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE CONSTRAINT TRIGGER orders_numbered_at_commit
AFTER INSERT ON orders
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION openoms_number_order()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS orders_numbered_at_commit ON orders")
    op.execute("DROP FUNCTION IF EXISTS openoms_number_order()")
