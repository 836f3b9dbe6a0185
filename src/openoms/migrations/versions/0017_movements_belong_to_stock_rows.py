"""Stock movements: each belongs to its stock row (SKU, location), instead of pointing at
the SKU and the location apart

Every movement changes one stock row, and the code writes it in the transaction that
changed (and locked) that row; a foreign key to the row says so, and the check takes a lock
the transaction already holds. The two keys it replaces locked the SKU and the location rows
instead: a few rows that every concurrent order shares (three locations, the best sellers),
so each check piled another transaction onto a shared row lock (a new multixact, a WAL
record, a hot page). The stock row's own keys still tie it to its SKU and its location.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 01:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

STOCK_ROW = "fk_stock_movements_stock_level"
BY_SKU = "fk_stock_movements_sku_id_skus"
BY_LOCATION = "fk_stock_movements_location_id_locations"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Added without checking the ledger's rows, then checked apart: the check reads
        # the whole table, and VALIDATE lets stock keep moving while it does.
        op.drop_constraint(BY_SKU, "stock_movements", type_="foreignkey")
        op.drop_constraint(BY_LOCATION, "stock_movements", type_="foreignkey")
        op.execute(
            f"ALTER TABLE stock_movements ADD CONSTRAINT {STOCK_ROW} "
            "FOREIGN KEY (sku_id, location_id) REFERENCES stock_levels (sku_id, location_id) "
            "NOT VALID"
        )
        op.execute(f"ALTER TABLE stock_movements VALIDATE CONSTRAINT {STOCK_ROW}")
        return
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint(BY_SKU, type_="foreignkey")
        batch_op.drop_constraint(BY_LOCATION, type_="foreignkey")
        batch_op.create_foreign_key(
            STOCK_ROW, "stock_levels", ["sku_id", "location_id"], ["sku_id", "location_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint(STOCK_ROW, type_="foreignkey")
        batch_op.create_foreign_key(BY_SKU, "skus", ["sku_id"], ["id"])
        batch_op.create_foreign_key(BY_LOCATION, "locations", ["location_id"], ["id"])
