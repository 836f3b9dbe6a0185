"""The statement budget of placing an order: a deterministic guard on the hot path's cost.

Speed itself is measured by ``python -m bench orders`` (docs/benchmarks.md), never by a timed
test; what a test can pin down is how many statements one order sends to the database.
"""

from __future__ import annotations

from openoms.accounting import services as accounting
from openoms.infra.db import Database
from openoms.orders.placement import LineInput, OrderInput, place_order
from tests.builders import address, make_channel, make_location, make_skus, random_code, stock
from tests.sql_events import recorded

BUDGET = 12  # the ceiling; each engine is held to what it does today:
BY_ENGINE = {"sqlite": 12, "postgresql": 2}
UTRECHT = {"latitude": 52.09, "longitude": 5.12}


def test_a_three_line_order_from_a_known_customer_sends_at_most_12_statements_2_on_postgresql(
    db: Database,
) -> None:
    """Counted: every statement the engine executes during the one ``place_order`` call, as
    SQLAlchemy's ``before_cursor_execute`` event sees it — each SELECT, INSERT, UPDATE and
    upsert once (an executemany of several rows counts once), and on SQLite the ``BEGIN
    IMMEDIATE`` the engine sends itself. On PostgreSQL the reads before the order is
    written (prices, customer, stock, the order's id) are one statement
    (``infra.db.read_at_once``), and the order's rows ride on the statement that holds its
    stock: two statements in all. Not
    counted, because that event never sees them: PostgreSQL's BEGIN (psycopg opens the
    transaction implicitly) and the COMMIT on either engine (a DBAPI call, not a
    statement).

    Everything is configured before the call: the customer exists (an earlier order made it,
    which also created the order-number counter), the channel, NL tax rate and stock are
    set, and the order is in EUR, the base currency, so no FX rate is read.
    """
    # given
    skus = make_skus(db, 3)
    location = make_location(db).code
    for sku in skus:
        stock(db, sku, location, 10)
    accounting.set_tax_rate(db.uow(), "NL", "", "0.21", "BTW")
    channel = make_channel(db)
    email = f"{random_code('c').lower()}@example.com"
    place_order(db.uow(), _order(channel, email, skus[:1]), actor="test")
    # when
    with recorded(db.engine) as sent:
        placed = place_order(db.uow(), _order(channel, email, skus), actor="test")
    seen = sent.sql(80)
    # then
    assert placed.created
    assert len(placed.order.lines) == 3
    budget = min(BUDGET, BY_ENGINE[db.engine.dialect.name])
    assert len(seen) <= budget, f"{len(seen)} statements:\n" + "\n".join(seen)
    assert placed.order.number.startswith("SO-")  # final: the trigger told it at COMMIT


def _order(channel: str, email: str, skus: list[str]) -> OrderInput:
    return OrderInput(
        channel=channel,
        email=email,
        currency="EUR",
        lines=[LineInput(sku, 1) for sku in skus],
        billing_address=address(**UTRECHT),  # type: ignore[arg-type]
        shipping_address=address(**UTRECHT),  # type: ignore[arg-type]
        external_id=random_code("X"),
    )
