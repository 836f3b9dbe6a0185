"""One backend: scratch database, seed, real server, HTTP and raw SQL figures in turn, ledger."""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from rich.console import Console

from bench.orders import figures
from bench.orders.cpu import tree_cpu_seconds
from bench.orders.database import deadlocks, driver_target, scratch_url, server_version
from bench.orders.load import HttpMeasurement, Target
from bench.orders.rawshop import RawShop, load_raw_shop
from bench.orders.seed import Shop, seed_shop
from bench.orders.server import migrate, running_server
from bench.orders.settings import MIXES, OrderSettings
from bench.orders.statements import OrderStatements, count_order_statements
from bench.timing import Measurement, Window
from openoms.infra.db import Database
from openoms.inventory.verify import Drift, verify_ledger

LOGS = Path(__file__).resolve().parent.parent / "results"


@dataclass(frozen=True)
class OrderRow:
    clients: int
    mix: str
    http: HttpMeasurement
    ping: HttpMeasurement
    raw: Measurement

    @property
    def to_raw(self) -> float:
        return _ratio(self.http.result, self.raw)

    @property
    def to_ping(self) -> float:
        return _ratio(self.http.result, self.ping.result)


@dataclass
class BackendRun:
    backend: str
    workers: int
    version: str = ""
    rows: list[OrderRow] = field(default_factory=list)
    statements: OrderStatements | None = None
    drift: list[Drift] = field(default_factory=list)
    deadlocks_http: int | None = None
    deadlocks_raw: int | None = None
    server_log: list[str] = field(default_factory=list)


def run_backend(
    backend: str, settings: OrderSettings, postgres_url: str | None, console: Console
) -> BackendRun:
    run = BackendRun(backend, settings.workers(backend))
    with scratch_url(backend, postgres_url) as url:
        console.print(f"[bold]{backend}[/]: oms db upgrade, seeding…")
        migrate(url)
        db = Database.from_url(url, pool_size=4)
        try:
            _measure(run, db, url, settings, console)
        finally:
            db.dispose()
    return run


def _measure(
    run: BackendRun, db: Database, url: str, settings: OrderSettings, console: Console
) -> None:
    """With the server up: per load, ping, then each mix through HTTP and at once its raw
    SQL ceiling; then, server gone: statements and the ledger."""
    shop = seed_shop(db, settings.sku_count, settings.units_per_level, settings.customers)
    run.version = server_version(db)
    http, pings, raw = _phases(run, db, url, shop, settings, console)
    run.statements = count_order_statements(db, shop, settings.lines, settings.statement_sample)
    run.drift = verify_ledger(db.reader())
    run.rows = [
        OrderRow(n, mix, http[n, mix], pings[n], raw[n, mix])
        for n in settings.clients
        for mix in MIXES
    ]


def _phases(
    run: BackendRun, db: Database, url: str, shop: Shop, settings: OrderSettings, console: Console
) -> tuple[
    dict[tuple[int, str], HttpMeasurement],
    dict[int, HttpMeasurement],
    dict[tuple[int, str], Measurement],
]:
    """Each raw figure runs right after its HTTP figure, the server idle: the machine's
    speed drifts by tens of percent within minutes, and a ratio of two figures taken a
    minute apart measured the drift as much as the code. The raw orders' reserved units are
    given back after each figure (``figures.raw_orders``), so the ledger verified at the
    end still explains every unit the server moved."""
    window = Window(settings.warmup, settings.seconds)
    log = LOGS / f"orders-server-{run.backend}.log"
    LOGS.mkdir(parents=True, exist_ok=True)
    raw_shop = load_raw_shop(db, shop)
    driver = driver_target(url)
    http, pings, raw = {}, {}, {}
    with running_server(url, run.workers, log) as server:
        console.print(f"  oms serve --workers {run.workers} at {server.url} (pid {server.pid})")
        target = Target(server.url, lambda: tree_cpu_seconds(server.pid))
        for n in settings.clients:
            pings[n] = figures.ping(target, n, window)
            _progress(console, run.backend, n, "", "ping", pings[n].result, pings[n])
            for mix in MIXES:
                before = deadlocks(db)
                got = figures.http_orders(target, shop, mix, n, window, settings.lines)
                http[n, mix] = got
                _progress(console, run.backend, n, mix, "HTTP orders", got.result, got)
                run.deadlocks_http = _add_deadlocks(db, run.deadlocks_http, before)
                before = deadlocks(db)
                raw[n, mix] = _raw_figure(driver, raw_shop, mix, n, window, settings.lines)
                _progress(console, run.backend, n, mix, "raw SQL orders", raw[n, mix], None)
                run.deadlocks_raw = _add_deadlocks(db, run.deadlocks_raw, before)
    run.server_log = [line for line in log.read_text().splitlines() if line.strip()]
    return http, pings, raw


def _raw_figure(
    target: str, shop: RawShop, mix: str, clients: int, window: Window, lines: int
) -> Measurement:
    """The figure, or none with the reason when a client could not even connect (a
    PostgreSQL server shared with other work may run out of connection slots)."""
    try:
        return figures.raw_orders(target, shop, mix, clients, window, lines)
    except (sqlite3.Error, psycopg.Error) as e:
        reason = f"{type(e).__name__}: {' '.join(str(e).split())[:80]}"
        return Measurement(0, window.seconds, 0, {reason: 1}, math.nan, math.nan)


def _add_deadlocks(db: Database, total: int | None, before: int | None) -> int | None:
    """``total`` plus the deadlocks PostgreSQL counted since ``before`` (None on SQLite)."""
    if before is None:
        return None
    time.sleep(1.0)  # backends report their statistics at most once a second
    now = deadlocks(db)
    return None if now is None else (total or 0) + now - before


def _ratio(a: Measurement, b: Measurement) -> float:
    return a.per_second / b.per_second if b.reserved else float("nan")


def _progress(
    console: Console,
    backend: str,
    clients: int,
    mix: str,
    what: str,
    result: Measurement,
    http: HttpMeasurement | None,
) -> None:
    cpu = f"  CPU: server {http.server_cpu:.2f}, client {http.client_cpu:.2f}" if http else ""
    problems = sum(result.errors.values()) + result.shortages
    console.print(
        f"  {backend:<10} {clients:>2} client(s) {mix:<6} {what:<15}"
        f" {result.per_second:>9,.0f}/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  problems {problems}{cpu}"
    )
