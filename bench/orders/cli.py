"""``python -m bench orders``: 3-line orders through HTTP on SQLite and PostgreSQL.

Each backend gets a scratch database migrated by ``oms db upgrade`` and the real server
(``oms serve``) in its own process; clients run here. Ceilings in the same run: an empty
endpoint (GET /api/v1/ping) and the order's minimal SQL through the bare driver.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

from rich.console import Console

from bench.machine import busy_note, describe_machine
from bench.orders.report import print_run, write_json
from bench.orders.settings import QUICK, OrderSettings
from bench.orders.suite import BackendRun, run_backend
from bench.scratch import postgres_problem
from bench.settings import POSTGRES_ENV, postgres_url_from_env

WIDTH = 170


def main(argv: list[str] | None = None) -> int:
    settings = _parse(argv)
    console = Console(width=None if sys.stdout.isatty() else WIDTH)
    machine = {**describe_machine(), "load_average_1m_start": f"{os.getloadavg()[0]:.2f}"}
    console.print(f"[dim]{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}[/]")
    notes = [note] if (note := busy_note()) else []
    runs: list[BackendRun] = []
    for backend in settings.backends:
        url = postgres_url_from_env() if backend == "postgresql" else None
        if backend == "postgresql" and (problem := _postgres_problem(url)):
            notes.append(problem)
            continue
        runs.append(run_backend(backend, settings, url, console))
        print_run(console, runs[-1])
    machine["load_average_1m_end"] = f"{os.getloadavg()[0]:.2f}"
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"[dim]results written to {write_json(runs, settings, machine, notes)}[/]")
    return 0 if all(not r.drift for r in runs) else 1


def _postgres_problem(url: str | None) -> str | None:
    if url is None:
        return f"PostgreSQL skipped: set {' or '.join(POSTGRES_ENV)}"
    return postgres_problem(url)


def _parse(argv: list[str] | None) -> OrderSettings:
    args = _parser().parse_args(argv)
    chosen: dict[str, Any] = {k: v for k, v in vars(args).items() if v is not None and k != "quick"}
    if args.backend:
        chosen["backends"] = (chosen.pop("backend"),)
    if "clients" in chosen:
        chosen["clients"] = tuple(chosen["clients"])
    base = dataclasses.replace(OrderSettings(), **QUICK) if args.quick else OrderSettings()
    return dataclasses.replace(base, **chosen)


def _parser() -> argparse.ArgumentParser:
    defaults = OrderSettings()
    parser = argparse.ArgumentParser(prog="python -m bench orders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    options = (
        ("--seconds", float, defaults.seconds, "measured time per figure"),
        ("--warmup", float, defaults.warmup, "unmeasured warm-up before each figure"),
        ("--postgres-workers", int, defaults.postgres_workers, "oms serve --workers"),
        ("--sqlite-workers", int, defaults.sqlite_workers, "oms serve --workers"),
        ("--skus", int, defaults.sku_count, "SKUs in the spread-out mix"),
    )
    for flag, kind, default, text in options:
        dest = "sku_count" if flag == "--skus" else None
        parser.add_argument(flag, type=kind, dest=dest, help=f"{text} (default {default})")
    parser.add_argument(
        "--clients", type=int, nargs="+", help=f"concurrent clients (default {defaults.clients})"
    )
    parser.add_argument("--backend", choices=defaults.backends, help="only this one")
    return parser
