"""PostgreSQL: the trigger that numbers an order at COMMIT also tells the committing
connection the number

A ``RAISE NOTICE`` (message ``openoms:order_numbered``, detail ``<order id> <number>``)
arrives with the COMMIT's answer, so placing an order needs no round trip to read its number
back (``openoms.orders.numbering``). Otherwise the function is the one of revision 0007.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NUMBERED = "  UPDATE orders SET number = num WHERE id = NEW.id;\n"
TOLD = (
    NUMBERED + "  RAISE NOTICE USING MESSAGE = 'openoms:order_numbered',"
    " DETAIL = NEW.id::text || ' ' || num;\n"
)


def _function_of_0007() -> str:
    path = Path(__file__).with_name("0007_order_numbers_at_commit.py")
    spec = importlib.util.spec_from_file_location("openoms_migration_0007", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function: str = module.FUNCTION
    assert NUMBERED in function
    return function


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_function_of_0007().replace(NUMBERED, TOLD))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_function_of_0007())
