"""One backend: scratch database, seed, real server, HTTP and raw SQL figures in turn, ledger."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import psycopg
from rich.console import Console

from bench.orders import figures
from bench.orders.cpu import postgres_cpu, tree_cpu_seconds
from bench.orders.database import deadlocks, driver_target, scratch_url, server_version
from bench.orders.load import HttpMeasurement, Target
from bench.orders.rawshop import load_raw_shop
from bench.orders.seed import Shop, seed_shop
from bench.orders.server import migrate, running_server
from bench.orders.settings import MIXES, OrderSettings
from bench.orders.statements import OrderStatements, count_order_statements
from bench.timing import Measurement, Window
from openoms.infra.db import Database
from openoms.inventory.verify import Drift, verify_ledger

LOGS = Path(__file__).resolve().parent.parent / "results"


@dataclass(frozen=True)
class CpuPerOrder:
    """Milliseconds of CPU per order placed in a figure, by where it was spent: the server's
    processes (none for the raw SQL), the PostgreSQL server (NaN on SQLite, where the
    database works inside the server or client process, and for a server elsewhere), and
    the benchmark's clients."""

    server: float
    database: float
    client: float

    @property
    def total(self) -> float:
        return self.server + (0.0 if math.isnan(self.database) else self.database) + self.client


@dataclass(frozen=True)
class OrderRow:
    clients: int
    mix: str
    http: HttpMeasurement
    ping: HttpMeasurement
    raw: Measurement  # probed: the clients' CPU, the database server's CPU

    @property
    def to_raw(self) -> float:
        return _ratio(self.http.result, self.raw)

    @property
    def http_cpu(self) -> CpuPerOrder:
        m = self.http
        return _per_order(m.result, m.server_cpu, m.database_cpu, m.client_cpu)

    @property
    def raw_cpu(self) -> CpuPerOrder:
        client, database = self.raw.probed or (math.nan, math.nan)
        return _per_order(self.raw, 0.0, database, client)

    @property
    def cpu_to_raw(self) -> float:
        """The raw order's CPU over the HTTP order's: what HTTP/raw would be if the machine
        were busy with nothing else and every core went to orders."""
        http, raw = self.http_cpu.total, self.raw_cpu.total
        return raw / http if http > 0 else math.nan

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
        database_cpu = None if run.backend == "sqlite" else postgres_cpu(driver)
        target = Target(server.url, lambda: tree_cpu_seconds(server.pid), database_cpu)
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
                args = (driver, raw_shop, mix, n, window, settings.lines, database_cpu)
                figure = partial(figures.raw_orders, *args)
                raw[n, mix] = _raw_figure(window, figure)
                _progress(console, run.backend, n, mix, "raw SQL orders", raw[n, mix], None)
                run.deadlocks_raw = _add_deadlocks(db, run.deadlocks_raw, before)
    run.server_log = [line for line in log.read_text().splitlines() if line.strip()]
    return http, pings, raw


def _raw_figure(window: Window, figure: Callable[[], Measurement]) -> Measurement:
    """The figure, or none with the reason when a client could not even connect (a
    PostgreSQL server shared with other work may run out of connection slots)."""
    try:
        return figure()
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


def _per_order(m: Measurement, server: float, database: float, client: float) -> CpuPerOrder:
    """From cores busy during the window to milliseconds per order placed."""
    rate = m.per_second
    if not rate:
        return CpuPerOrder(math.nan, math.nan, math.nan)
    return CpuPerOrder(server / rate * 1000, database / rate * 1000, client / rate * 1000)


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
    if http is not None:
        cpu = f"  CPU: server {http.server_cpu:.2f}, client {http.client_cpu:.2f}"
        if not math.isnan(http.database_cpu):
            cpu += f", database {http.database_cpu:.2f}"
    elif result.probed:
        client, database = result.probed
        cpu = f"  CPU: client {client:.2f}"
        cpu += "" if math.isnan(database) else f", database {database:.2f}"
    else:
        cpu = ""
    problems = sum(result.errors.values()) + result.shortages
    console.print(
        f"  {backend:<10} {clients:>2} client(s) {mix:<6} {what:<15}"
        f" {result.per_second:>9,.0f}/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  problems {problems}{cpu}"
    )
