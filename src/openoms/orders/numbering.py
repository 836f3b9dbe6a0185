"""An order's gap-free number (``SO-000123``), taken as late as the engine allows.

Whoever takes the next number holds the counter row's lock until COMMIT, so every other
order waits that long: the lock must span as little as possible. On PostgreSQL the order
is written with a provisional number (``~…``) and a deferred trigger (migration 0007)
numbers it while the transaction commits, and writes its ``order.created`` event with the
number; the counter is locked for the commit alone, with no round trip to Python inside
it. The trigger also tells the committing connection the number (a NOTICE that arrives with
the COMMIT's answer, migration 0015), so it need not be read back. SQLite has one writer
at a time anyway: there the number is taken up front, and the event written by
:func:`openoms.orders.writer.record_created`.

Most orders need not even that: an order whose one write is the statement that holds its
stock, which commits by itself (``UnitOfWork.pending_first(last=True)``), is numbered by
that statement, after its stock locks (:meth:`OrderNumber.taken_by`). The order row is
then written once, with its number, and the trigger (which fires only for a provisional
number, migration 0022) has nothing to do.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import WritesFirst, json_document, notices, populated_columns
from openoms.infra.sequences import next_number
from openoms.orders.orm import orders

NUMBERED = "openoms:order_numbered"  # the trigger's notice; detail "<order id> <number>"

# The transaction-scoped advisory lock on an order's (channel, external id), as the trigger
# of migration 0023 takes it for a row written with a provisional number.
EXTERNAL_ID_CLAIM = (
    "order_claim AS (SELECT pg_advisory_xact_lock(CAST(%(claim_channel)s AS INTEGER),"
    " hashtext(CAST(%(claim_external_id)s AS TEXT))))"
)

_NUMBER_OF = sa.select(orders.c.number).where(orders.c.id == sa.bindparam("order_id"))


class OrderNumber:
    def __init__(self, conn: Connection) -> None:
        self.at_commit = conn.dialect.name == "postgresql"
        self.provisional = (
            f"~{secrets.token_hex(9)}" if self.at_commit else next_number(conn, "order", "SO")
        )
        self._dialect = conn.dialect
        self._taken: WritesFirst | None = None

    def taken_by(
        self, first: WritesFirst, row: dict[str, Any], created: dict[str, Any]
    ) -> WritesFirst:
        """``first`` for a last statement that commits by itself and, once it has taken
        its stock locks, takes the next number, writes the order ``row`` with it and the
        ``order.created`` event (``created``, its payload but the number), as the trigger
        does at commit for the other orders: the counter stays locked no longer than the
        stock rows.

        The order row goes in after the locks too, so its (channel, external id) is checked
        late; an order with an external id first claims it (``EXTERNAL_ID_CLAIM``, before
        the locks, as every order with one does when its row goes in: migration 0023).
        Another transaction placing the same order then makes this one wait before it has
        locked anything, not while it holds the stock rows and the counter that the other
        still needs."""
        params = {
            "order_row": json_document(row),
            "order_created": json_document(created),
            "order_placed_at": row["placed_at"],
        }
        before = None
        if row.get("external_id") is not None:
            params["claim_channel"] = row["channel_id"]
            params["claim_external_id"] = row["external_id"]
            before = ("order_claim", EXTERNAL_ID_CLAIM)
        taken = first.then(
            _taken_ctes(tuple(row), self._dialect),
            params,
            "(SELECT num FROM order_number)",
            before=before,
        )
        self._taken = taken
        return taken

    def final(self, conn: Connection, order_id: int) -> str:
        """The number the order got: as the statement that took it returned it, or as the
        trigger told it at COMMIT, else read back (PostgreSQL)."""
        if not self.at_commit:
            return self.provisional
        if self._taken is not None and self._taken.answered:
            number = self._taken.answered[0]
            assert number is not None, "the statement that numbers the order returns it"
            return str(number)
        wanted = f"{order_id} "
        for detail in reversed(notices(conn, NUMBERED)):
            if detail.startswith(wanted):
                return detail[len(wanted) :]
        # Not heard (client_min_messages above NOTICE): read it back, after COMMIT and
        # outside a transaction, one round trip instead of BEGIN, SELECT and ROLLBACK.
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        return str(auto.execute(_NUMBER_OF, {"order_id": order_id}).scalar_one())


@functools.lru_cache(maxsize=8)
def _taken_ctes(columns: tuple[str, ...], dialect: sa.Dialect) -> str:
    """The numbering of migration 0007's trigger as CTEs of a hold's statement that read
    ``locks_taken``: the counter is bumped after the stock rows are locked."""
    values = ", ".join(
        "n.num" if c == "number" else populated_columns(orders, [c], dialect) for c in columns
    )
    quote = dialect.identifier_preparer.quote
    return f"""order_number AS (
            INSERT INTO sequences (name, last_value) SELECT 'order', 1 FROM locks_taken
            ON CONFLICT (name) DO UPDATE SET last_value = sequences.last_value + 1
            RETURNING 'SO-' || lpad(CAST(last_value AS TEXT),
                greatest(6, length(CAST(last_value AS TEXT))), '0') AS num
        ),
        numbered_order AS (
            INSERT INTO orders ({", ".join(quote(c) for c in columns)})
            SELECT {values}
            FROM order_number n,
                jsonb_populate_record(NULL::orders, CAST(%(order_row)s AS jsonb)) AS r
        ),
        order_created AS (
            INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at)
            SELECT CAST(gen_random_uuid() AS TEXT), 'order.created', 'order:' || n.num,
                CAST(%(order_created)s AS jsonb) || jsonb_build_object('number', n.num),
                CAST(%(order_placed_at)s AS timestamptz)
            FROM order_number n
        )"""
