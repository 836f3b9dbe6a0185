"""Print the results as rich tables and keep them as JSON under bench/results/."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.settings import BenchSettings
from bench.suite import BackendResult, Row

TARGET_RATIO = 0.5
PG_UNSEEN = "[dim]postgresql: the listener does not see psycopg's implicit BEGIN, one per call.[/]"
RESULTS = Path(__file__).resolve().parent / "results"


def print_results(console: Console, results: list[BackendResult], notes: list[str]) -> None:
    if results:
        console.print(_figures_table(results))
        console.print(_statements_table(results))
    if any(r.backend == "postgresql" for r in results):
        console.print(PG_UNSEEN)
    for result in results:
        console.print(_ledger_verdict(result))
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")


def _figures_table(results: list[BackendResult]) -> Table:
    table = Table(title="reserve_stock vs. the bare guarded UPDATE (reservations per second)")
    for header in ("backend", "clients", "SKUs", "location", "service/s", "p50 ms", "p99 ms"):
        table.add_column(header, justify="right")
    for header in ("raw/s", "raw p50", "raw p99", "service/raw", "short", "errors"):
        table.add_column(header, justify="right")
    for result in results:
        for row in result.rows:
            table.add_row(*_cells(row))
        table.add_section()
    return table


def _cells(row: Row) -> list[str]:
    colour = "green" if row.ratio >= TARGET_RATIO else "red"
    errors = sum(row.service.errors.values()) + sum(row.raw.errors.values())
    return [
        row.backend,
        str(row.clients),
        f"{row.mix} ({row.sku_count:,})",
        row.location,
        f"{row.service.per_second:,.0f}",
        ms(row.service.p50_ms),
        ms(row.service.p99_ms),
        f"{row.raw.per_second:,.0f}",
        ms(row.raw.p50_ms),
        ms(row.raw.p99_ms),
        f"[{colour}]{row.ratio:.3f}x[/]",
        str(row.service.shortages + row.raw.shortages),
        str(errors),
    ]


def _statements_table(results: list[BackendResult]) -> Table:
    table = Table(title="What one reserve_stock call sends (before_cursor_execute, per call)")
    for header in ("backend", "location", "statements", "commits", "pool checkouts", "kinds"):
        table.add_column(header)
    for result in results:
        for count in result.statements:
            kinds = "\n".join(f"{n:g} × {kind}" for kind, n in count.by_kind.items())
            table.add_row(
                result.backend,
                count.location,
                f"{count.per_reservation:g}",
                f"{count.commits_per_reservation:g}",
                f"{count.checkouts_per_reservation:g}",
                kinds,
            )
    return table


def _ledger_verdict(result: BackendResult) -> str:
    if not result.drift:
        return f"[green]{result.backend}: ledger clean[/] (verify_ledger found no drift)"
    first = ", ".join(f"{d.what} {d.sku}@{d.location} {d.field}" for d in result.drift[:3])
    return f"[red]{result.backend}: ledger DRIFT in {len(result.drift)} places[/]: {first}"


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def write_json(
    results: list[BackendResult],
    settings: BenchSettings,
    machine: dict[str, str],
    notes: list[str],
) -> Path:
    document = {
        "settings": asdict(settings),
        "machine": machine,
        "backends": [_backend_json(r) for r in results],
        "notes": notes,
    }
    return write_document("reservations", document)


def write_document(benchmark: str, document: dict[str, Any]) -> Path:
    """bench/results/<benchmark>-<UTC time>.json, with the benchmark's name and end time."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS / f"{benchmark}-{now:%Y%m%dT%H%M%SZ}.json"
    stamped = {"benchmark": benchmark, "finished_at": now.isoformat(), **document}
    path.write_text(json.dumps(stamped, indent=2, default=str) + "\n")
    return path


def _backend_json(result: BackendResult) -> dict[str, Any]:
    return {
        "backend": result.backend,
        "version": result.version,
        "rows": [_row_json(row) for row in result.rows],
        "statements": [asdict(s) for s in result.statements],
        "ledger_clean": not result.drift,
        "drift": [asdict(d) for d in result.drift],
    }


def _row_json(row: Row) -> dict[str, Any]:
    return {
        **asdict(row),
        "service_per_second": row.service.per_second,
        "raw_per_second": row.raw.per_second,
        "ratio": row.ratio,
    }
