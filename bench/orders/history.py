"""``python -m bench screening-history``: what the fraud screening's read of a customer's
earlier orders costs PostgreSQL as the orders table grows.

The benchmark's shop (200 customers) is seeded on a scratch database, ``--orders`` orders
are added by one SQL statement, spread evenly over the customers, and the statistics are
gathered (``ANALYZE``). Then the screening's query (``openoms.payments.services.screening
.VELOCITY``: velocity counts and the customer's history in one statement) runs as a
prepared statement ``--runs`` times, for random customers, each time on behalf of a new
order, with two indexes in turn: ``orders (customer_id)`` (before migration 0019) and
``orders (customer_id, id)`` (since), each under PostgreSQL's default plan choice and with
generic plans forced. Its PostgreSQL CPU per run is read from ``/proc/<backend
pid>/schedstat`` (so the server must run on this machine), beside the CPU of ``SELECT 1``
on the same connection, the cost of a statement that does nothing. The screenings table
holds nothing to count (the identifiers are an unknown email and no card, IP or device),
so the figures are the history's read and the statement's fixed cost.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from bench.orders.bodies import OrderMaker
from bench.orders.cpu import is_local_backend
from bench.orders.database import driver_target, scratch_url
from bench.orders.seed import seed_shop
from bench.orders.server import migrate
from bench.scratch import postgres_problem
from bench.settings import POSTGRES_ENV, postgres_url_from_env
from openoms.infra.db import Database
from openoms.orders.orm import orders
from openoms.orders.placement import place_order
from openoms.payments.services.screening import VELOCITY

# (index name, its columns): before migration 0019, and since; each measured alone
INDEXES = (
    ("ix_orders_customer_id", "customer_id"),
    ("ix_orders_customer_id_id", "customer_id, id"),
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    postgres = postgres_url_from_env()
    if postgres is None:
        raise SystemExit(f"set {' or '.join(POSTGRES_ENV)}")
    if problem := postgres_problem(postgres):
        raise SystemExit(problem)
    with scratch_url("postgresql", postgres) as url:
        migrate(url)
        db = Database.from_url(url, pool_size=2)
        shop = seed_shop(db, 10, 1_000_000, 200)
        placed = place_order(
            db.uow(), OrderMaker(shop, "spread", 3, "h").order_input(), actor="bench"
        )
        db.dispose()
        with psycopg.connect(driver_target(url), autocommit=True) as conn:
            if not is_local_backend(conn.info.backend_pid):
                raise SystemExit(
                    "the PostgreSQL server must run on this machine: its backend's CPU is read"
                    " from /proc"
                )
            _add_orders(conn, placed.order.id, args.orders)
            print(
                f"{args.orders:,} orders of 200 customers ({args.orders // 200:,} each),"
                f" {args.runs} runs a figure"
            )
            print(f"SELECT 1: {_cpu(conn, lambda: conn.execute('SELECT 1'), args.runs):.1f} µs")
            for name, columns in INDEXES:
                label = f"orders ({columns})"
                conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON orders ({columns})")
                for other, _ in INDEXES:
                    if other != name:
                        conn.execute(f"DROP INDEX IF EXISTS {other}")
                conn.execute("ANALYZE orders")
                for mode in ("auto", "force_generic_plan"):
                    figure = _screening_cpu(driver_target(url), mode, args.runs)
                    print(f"screening query, {label}, plan_cache_mode {mode}: {figure:.1f} µs")
    return 0


def _add_orders(conn: psycopg.Connection[Any], template: int, count: int) -> None:
    """``count`` copies of order ``template``'s row (no lines), each customer's in turn."""
    copied = [
        c.name
        for c in orders.columns
        if c.name not in ("id", "number", "external_id", "customer_id", "email")
    ]
    conn.execute("ALTER TABLE orders DISABLE TRIGGER USER")  # numbered here, not at COMMIT
    conn.execute(
        f"INSERT INTO orders (number, external_id, customer_id, email, {', '.join(copied)})"
        f" SELECT 'H-' || g, 'copy-' || g, e.customer_id, e.email,"
        f" {', '.join('o.' + name for name in copied)}"
        " FROM orders AS o CROSS JOIN generate_series(1, %s) AS g"
        " JOIN (SELECT customer_id, email, row_number() OVER (ORDER BY email) - 1 AS n"
        "       FROM customer_emails) AS e"
        " ON e.n = g %% (SELECT count(*) FROM customer_emails)"
        " WHERE o.id = %s",
        (count, template),
    )
    conn.execute("ALTER TABLE orders ENABLE TRIGGER USER")
    conn.execute("ANALYZE")


def _screening_cpu(target: str, mode: str, runs: int) -> float:
    """On a connection of its own: nothing prepared yet, ``plan_cache_mode`` as given."""
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(f"SET plan_cache_mode = {mode}")
        return _screening_cpu_on(conn, runs)


def _screening_cpu_on(conn: psycopg.Connection[Any], runs: int) -> float:
    compiled = VELOCITY.compile(dialect=pg_psycopg.dialect())
    sql = str(compiled)
    customers = [row[0] for row in conn.execute("SELECT id FROM customers").fetchall()]
    (next_id,) = conn.execute("SELECT max(id) + 1 FROM orders").fetchone() or (0,)
    rng = random.Random(7)
    since = datetime.now(UTC) - timedelta(minutes=60)

    def run() -> None:
        params = {k: v for k, v in compiled.params.items() if v is not None}
        params.update(customer_id=rng.choice(customers), order_id=next_id)
        for key in ("email", "card", "ip", "device"):
            params[key] = "buyer@bench.example" if key == "email" else None
            params[f"{key}_since"] = since
        conn.execute(sql, params, prepare=True).fetchall()

    return _cpu(conn, run, runs)


def _cpu(conn: psycopg.Connection[Any], run: Callable[[], object], runs: int) -> float:
    """PostgreSQL's CPU per call of ``run`` in µs, after 20 unmeasured calls."""
    for _ in range(20):
        run()
    stat = Path(f"/proc/{conn.info.backend_pid}/schedstat")
    before = int(stat.read_text().split()[0])
    for _ in range(runs):
        run()
    return (int(stat.read_text().split()[0]) - before) / runs / 1000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench screening-history", description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000, help="orders added (default 50,000)")
    parser.add_argument("--runs", type=int, default=400, help="runs a figure (default 400)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
