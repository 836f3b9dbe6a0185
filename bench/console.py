"""``python -m bench console``: how fast the console's pages answer with 100,000 orders.

A fresh database (SQLite file, or PostgreSQL with ``--backend postgresql``) gets the demo
merchant, then N more orders copied from the demo's in bulk (spread over 90 days, all
channels and statuses, the demo's customers). Each page is then fetched in-process
(Starlette's TestClient, signed in as the demo administrator) R times after a warm-up; the
median and the slowest are reported next to the same client's GET /api/v1/ping.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from contextlib import AbstractContextManager
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from bench.machine import describe_machine
from bench.scratch import Scratch, scratch_postgres, scratch_sqlite
from bench.settings import postgres_url_from_env
from openoms.customers.model import customer_number
from openoms.entrypoints.demo import load_demo
from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.orders.model import OrderStatus
from openoms.orders.orm import orders
from openoms.shared import clock
from openoms.web.app import create_app

PAGES = [
    ("dashboard", "/console"),
    ("orders, newest", "/console/orders"),
    ("orders on hold", "/console/orders?status=on_hold"),
    (
        "orders of a channel, a date range",
        "/console/orders?channel=WEB-EU&placed_from={from}&placed_to={to}",
    ),
    ("order search by email", "/console/orders?q={email}"),
    ("orders, page 50", None),
    ("an order", "/console/orders/SO-000010"),
    ("a customer with history", "/console/customers/{customer}"),
    ("customers search", "/console/customers?q=a"),
    ("inventory levels", "/console/inventory"),
    ("new order form", "/console/orders/new"),
]
STATUSES = [
    OrderStatus.ALLOCATED,
    OrderStatus.ALLOCATED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
    OrderStatus.ON_HOLD,
    OrderStatus.BACKORDERED,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench console", description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    console = Console()
    machine = describe_machine()
    console.print(f"[dim]{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}[/]")
    with _scratch(args.backend) as scratch:
        console.print(
            f"{scratch.backend} {scratch.version}: demo merchant, then {args.orders:,} orders…"
        )
        load_demo(scratch.db)
        started = time.perf_counter()
        _copy_orders(scratch.db, args.orders)
        console.print(f"  {args.orders:,} orders written in {time.perf_counter() - started:.1f} s")
        table = _measure(scratch, args.repeat)
    console.print(table)
    return 0


def _scratch(backend: str) -> AbstractContextManager[Scratch]:
    if backend == "postgresql":
        url = postgres_url_from_env()
        if url is None:
            raise SystemExit("set OMS_BENCH_POSTGRES_URL (or OMS_TEST_POSTGRES_URL)")
        return scratch_postgres(url, 10)
    return scratch_sqlite(10)


def _copy_orders(db: Database, count: int) -> None:
    """``count`` copies of the demo's orders, renumbered, over the last 90 days."""
    rng = random.Random(11)
    with db.reader() as uow:
        templates = [dict(r) for r in uow.conn.execute(sa.select(orders)).mappings()]
    now = clock.now()
    batch = []
    for i in range(count):
        row = dict(rng.choice(templates))
        row.pop("id")
        placed = now - timedelta(days=rng.random() * 90)
        row.update(
            number=f"BX-{i:07d}",
            external_id=None,
            status=rng.choice(STATUSES).value,
            placed_at=placed,
            updated_at=placed,
        )
        batch.append(row)
        if len(batch) == 5000 or i == count - 1:
            with db.uow() as uow:
                uow.conn.execute(orders.insert(), batch)
                uow.commit()
            batch = []


def _measure(scratch: Scratch, repeat: int) -> Table:
    settings = Settings(database_url="sqlite://", embedded_worker=False, secret_key="bench")
    app = create_app(settings, scratch.db)
    table = Table(title=f"Console pages with 100,000+ orders on {scratch.backend} (in-process)")
    for column in ("page", "median ms", "slowest ms", "× ping"):
        table.add_column(column, justify="left" if column == "page" else "right")
    with TestClient(app) as client:
        answer = client.post(
            "/console/login",
            data={"email": f"admin@{DOMAIN}", "password": DEMO_PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        ping = _time(client, "/api/v1/ping", repeat)
        table.add_row("GET /api/v1/ping (baseline)", f"{ping[0]:.1f}", f"{ping[1]:.1f}", "1.0")
        for name, path in PAGES:
            url = _url(client, scratch, path)
            median, slowest = _time(client, url, repeat)
            table.add_row(name, f"{median:.1f}", f"{slowest:.1f}", f"{median / ping[0]:.0f}")
    return table


def _url(client: TestClient, scratch: Scratch, path: str | None) -> str:
    with scratch.db.reader() as uow:
        email = uow.conn.execute(sa.select(orders.c.email).limit(1)).scalar()
        customer = uow.conn.execute(
            sa.select(orders.c.customer_id)
            .group_by(orders.c.customer_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).scalar()
    if path is None:  # follow the list's "older" link 49 times
        url = "/console/orders"
        for _ in range(49):
            text = client.get(url).text
            start = text.index('href="?cursor=') + 6
            url = "/console/orders" + text[start : text.index('"', start)].replace("&amp;", "&")
        return url
    today = clock.now().date()
    if customer is None:
        raise RuntimeError("the scratch database has no orders to browse")
    return path.format(
        email=email,
        customer=customer_number(int(customer)),
        **{"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()},
    )


def _time(client: TestClient, url: str, repeat: int) -> tuple[float, float]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        spent.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return statistics.median(spent), max(spent)
