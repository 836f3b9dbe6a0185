"""``python -m bench [reservations|orders|orders-ab|orders-count|screening-history|console|
packing] [options]``: the benchmarks.

Without a name both run, the reservation benchmark first (the options then are its own);
``python -m bench orders --help`` and ``python -m bench reservations --help`` list each one's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from rich.console import Console

from bench.machine import busy_note, describe_machine
from bench.orders.cli import main as orders_main
from bench.report import print_results, write_json
from bench.scratch import Scratch, postgres_problem, scratch_postgres, scratch_sqlite
from bench.settings import POSTGRES_ENV, BenchSettings, postgres_url_from_env
from bench.suite import BackendResult, run_backend

WIDTH = 150  # when piped (make bench | tee), keep the table on one line per row
ScratchFactory = Callable[[], AbstractContextManager[Scratch]]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "orders":
        return orders_main(args[1:])
    if args and args[0] == "orders-ab":
        from bench.orders.ab import main as ab_main

        return ab_main(args[1:])
    if args and args[0] == "orders-count":
        from bench.orders.count import main as count_main

        return count_main(args[1:])
    if args and args[0] == "screening-history":
        from bench.orders.history import main as history_main

        return history_main(args[1:])
    if args and args[0] == "reservations":
        return reservations_main(args[1:])
    if args and args[0] == "packing":
        from bench.packing import main as packing_main

        return packing_main(args[1:])
    if args and args[0] == "console":
        from bench.console import main as console_main

        return console_main(args[1:])
    status = reservations_main(args)
    return orders_main([]) or status


def reservations_main(argv: list[str]) -> int:
    """``reserve_stock`` against the bare guarded UPDATE."""
    settings = _parse(argv)
    console = Console(width=None if sys.stdout.isatty() else WIDTH)
    machine = {**describe_machine(), "load_average_1m_start": f"{os.getloadavg()[0]:.2f}"}
    console.print(f"[dim]{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}[/]")
    results: list[BackendResult] = []
    notes = [note] if (note := busy_note()) else []
    for factory in _backends(settings, notes):
        with factory() as scratch:
            results.append(run_backend(scratch, settings, console))
    machine["load_average_1m_end"] = f"{os.getloadavg()[0]:.2f}"
    print_results(console, results, notes)
    path = write_json(results, settings, machine, notes)
    console.print(f"[dim]results written to {path}[/]")
    return 0 if all(not r.drift for r in results) else 1


def _backends(settings: BenchSettings, notes: list[str]) -> Iterator[ScratchFactory]:
    """SQLite always; PostgreSQL when a URL is set and the server answers (else a note)."""
    pool = settings.clients + 4
    yield lambda: scratch_sqlite(pool)
    url = postgres_url_from_env()
    if url is None:
        notes.append(f"PostgreSQL rows skipped: set {' or '.join(POSTGRES_ENV)}")
        return
    if problem := postgres_problem(url):
        notes.append(problem)
        return
    yield lambda: scratch_postgres(url, pool)


def _parse(argv: list[str]) -> BenchSettings:
    args = _parser().parse_args(argv)
    return BenchSettings(
        seconds=args.seconds, warmup=args.warmup, clients=args.clients, sku_count=args.skus
    )


def _parser() -> argparse.ArgumentParser:
    defaults = BenchSettings()
    parser = argparse.ArgumentParser(
        prog="python -m bench [reservations]",
        description="reserve_stock against the bare guarded UPDATE (reservations per second)",
    )
    options = (
        ("--seconds", float, defaults.seconds, "measured time per figure"),
        ("--warmup", float, defaults.warmup, "unmeasured warm-up before each figure"),
        ("--clients", int, defaults.clients, "threads in the concurrent rows"),
        ("--skus", int, defaults.sku_count, "SKUs in the spread-out mix"),
    )
    for flag, kind, default, text in options:
        parser.add_argument(flag, type=kind, default=default, help=f"{text} (default {default})")
    return parser
