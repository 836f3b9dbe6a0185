"""``python -m bench orders-ab --base REV``: this checkout's orders against another
revision's, served at the same time.

This machine's speed drifts by tens of percent within minutes, so two figures taken one
after the other compare the minutes as much as the code. Here both codes serve at once,
each with its own scratch PostgreSQL database (migrated by its own ``oms db upgrade``,
seeded alike), its own ``oms serve`` and the same number of clients sending the same kind
of orders over the same windows. Each side's CPU per order is read apart: its server's
process tree, and the PostgreSQL backends of its connections (named by ``PGAPPNAME``).
Both sides live through the same drift, so the ratio of their CPU per order is what the
code changed. Throughput is not compared: two servers sharing two cores split them as the
scheduler pleases.

The other revision runs from a ``git worktree`` (removed afterwards) on ``PYTHONPATH``;
the seeding is this checkout's, so both revisions must share the tables it writes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.machine import describe_machine
from bench.orders import figures
from bench.orders.cpu import backends_cpu_seconds, tree_cpu_seconds
from bench.orders.database import driver_target, scratch_url
from bench.orders.load import HttpMeasurement, Target
from bench.orders.seed import Shop, seed_shop
from bench.orders.server import migrate, running_server
from bench.orders.settings import MIXES, OrderSettings
from bench.report import write_document
from bench.settings import POSTGRES_ENV, postgres_url_from_env
from bench.timing import Window
from openoms.infra.db import Database

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Side:
    name: str  # "this" or "base"
    code: Path  # the checkout whose src/ the server runs

    @property
    def env(self) -> dict[str, str]:
        return {"PYTHONPATH": str(self.code / "src"), "PGAPPNAME": f"oms-bench-ab-{self.name}"}


@dataclass(frozen=True)
class Figure:
    """One side's figure in one round: orders a second, and CPU milliseconds per order."""

    orders_per_second: float
    server_ms: float
    database_ms: float

    @property
    def total_ms(self) -> float:
        return self.server_ms + self.database_ms


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = postgres_url_from_env()
    if url is None:
        raise SystemExit(f"set {' or '.join(POSTGRES_ENV)}")
    console = Console(width=None if sys.stdout.isatty() else 150)
    settings = OrderSettings()
    rounds: list[dict[str, Figure]] = []
    with ExitStack() as stack:
        base = stack.enter_context(_worktree(args.base))
        sides = [Side("this", REPO), Side("base", base)]
        targets: dict[str, Target] = {}
        shops: dict[str, Shop] = {}
        for side in sides:
            db_url = stack.enter_context(scratch_url("postgresql", url))
            migrate(db_url, side.env)
            db = Database.from_url(db_url, pool_size=2)
            try:
                shops[side.name] = seed_shop(
                    db, settings.sku_count, settings.units_per_level, settings.customers
                )
            finally:
                db.dispose()
            log = LOGS / f"orders-ab-{side.name}.log"
            LOGS.mkdir(parents=True, exist_ok=True)
            server = stack.enter_context(running_server(db_url, args.workers, log, side.env))
            targets[side.name] = Target(
                server.url,
                partial(tree_cpu_seconds, server.pid),
                partial(backends_cpu_seconds, driver_target(db_url), side.env["PGAPPNAME"]),
            )
        console.print(f"this checkout against {args.base} ({_describe(base)}), {args.mix} orders")
        console.print("[dim]each side: orders/s, CPU ms per order (server + PostgreSQL)[/]")
        window = Window(args.warmup, args.seconds)
        for number in range(1, args.rounds + 1):
            found = _round(targets, shops, args.mix, args.clients, window, settings.lines)
            rounds.append(found)
            this, other = found["this"], found["base"]
            console.print(
                f"  round {number}: this {_line(this)} | base {_line(other)}"
                f" | this/base {this.total_ms / other.total_ms:.3f}"
            )
    _summary(console, rounds)
    path = write_document(
        "orders-ab",
        {
            "base": args.base,
            "settings": vars(args),
            "machine": describe_machine(),
            "rounds": [{k: asdict(v) for k, v in r.items()} for r in rounds],
        },
    )
    console.print(f"[dim]results written to {path}[/]")
    return 0


def _round(
    targets: dict[str, Target],
    shops: dict[str, Shop],
    mix: str,
    clients: int,
    window: Window,
    lines: int,
) -> dict[str, Figure]:
    """Both sides' figures over the same window (an error in either is raised here)."""
    with ThreadPoolExecutor(len(targets)) as pool:
        started = {
            name: pool.submit(
                figures.http_orders, targets[name], shops[name], mix, clients, window, lines
            )
            for name in targets
        }
        return {name: _figure(future.result()) for name, future in started.items()}


def _figure(m: HttpMeasurement) -> Figure:
    rate = m.result.per_second
    if not rate:
        raise RuntimeError(f"no order placed in the window: {m.result.errors}")
    return Figure(rate, m.server_cpu / rate * 1000, m.database_cpu / rate * 1000)


def _line(f: Figure) -> str:
    """Orders a second; CPU ms per order (server + PostgreSQL)."""
    return (
        f"{f.orders_per_second:4.0f}/s {f.total_ms:.3f} ms"
        f" ({f.server_ms:.3f} + {f.database_ms:.3f})"
    )


def _summary(console: Console, rounds: list[dict[str, Figure]]) -> None:
    table = Table(title="CPU per order, this checkout against the base, same windows")
    for column in ("", "this (median)", "base (median)", "this/base (median of rounds)", "range"):
        table.add_column(column, justify="right")
    for label, part in (
        ("server ms/order", "server_ms"),
        ("PostgreSQL ms/order", "database_ms"),
        ("total ms/order", "total_ms"),
    ):
        this = [getattr(r["this"], part) for r in rounds]
        base = [getattr(r["base"], part) for r in rounds]
        ratios = [a / b for a, b in zip(this, base, strict=True)]
        table.add_row(
            label,
            f"{statistics.median(this):.3f}",
            f"{statistics.median(base):.3f}",
            f"{statistics.median(ratios):.3f}",
            f"{min(ratios):.3f} – {max(ratios):.3f}",
        )
    console.print(table)


@contextmanager
def _worktree(revision: str) -> Iterator[Path]:
    """The revision checked out in a temporary worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="oms-bench-ab-") as folder:
        path = Path(folder) / "base"
        _git("worktree", "add", "--detach", str(path), revision)
        try:
            yield path
        finally:
            _git("worktree", "remove", "--force", str(path))


def _git(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=os.environ
    )
    return done.stdout.strip()


def _describe(path: Path) -> str:
    return _git("log", "-1", "--format=%h %s", cwd=path)[:70]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench orders-ab", description=__doc__)
    parser.add_argument("--base", required=True, help="the revision to compare with (git)")
    parser.add_argument("--rounds", type=int, default=6, help="figures per side (default 6)")
    parser.add_argument("--clients", type=int, default=8, help="clients per side (default 8)")
    parser.add_argument("--mix", choices=MIXES, default="spread", help="default spread")
    parser.add_argument("--seconds", type=float, default=5.0, help="window (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    return parser
