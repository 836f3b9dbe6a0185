"""An order's gap-free number (``SO-000123``), taken as late as the engine allows.

Whoever takes the next number holds the counter row's lock until COMMIT, so every other
order waits that long: the lock must span as little as possible. On PostgreSQL the order
is written with a provisional number (``~…``) and a deferred trigger (migration 0007)
numbers it while the transaction commits, and writes its ``order.created`` event with the
number; the counter is locked for the commit alone, with no round trip to Python inside
it. The trigger also tells the committing connection the number (a NOTICE that arrives with
the COMMIT's answer, migration 0015), so it need not be read back. SQLite has one writer
at a time anyway: there the number is taken up front, and the event written by
:func:`openoms.orders.writer.created`.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import notices
from openoms.infra.sequences import next_number
from openoms.orders.orm import orders

NUMBERED = "openoms:order_numbered"  # the trigger's notice; detail "<order id> <number>"

_NUMBER_OF = sa.select(orders.c.number).where(orders.c.id == sa.bindparam("order_id"))


class OrderNumber:
    def __init__(self, conn: Connection) -> None:
        self.at_commit = conn.dialect.name == "postgresql"
        self.provisional = (
            f"~{secrets.token_hex(9)}" if self.at_commit else next_number(conn, "order", "SO")
        )

    def final(self, conn: Connection, order_id: int) -> str:
        """The number the order got; on PostgreSQL as the trigger told it at COMMIT, else
        read back."""
        if not self.at_commit:
            return self.provisional
        wanted = f"{order_id} "
        for detail in reversed(notices(conn, NUMBERED)):
            if detail.startswith(wanted):
                return detail[len(wanted) :]
        # Not heard (client_min_messages above NOTICE): read it back, after COMMIT and
        # outside a transaction, one round trip instead of BEGIN, SELECT and ROLLBACK.
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        return str(auto.execute(_NUMBER_OF, {"order_id": order_id}).scalar_one())
