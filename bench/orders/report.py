"""The order benchmark's tables, target verdicts and JSON (bench/results/orders-*.json)."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bench.orders.settings import OrderSettings
from bench.orders.suite import BackendRun, CpuPerOrder, OrderRow
from bench.report import ms, write_document

TO_RAW_MIN, TO_RAW_AIM = 0.25, 0.40  # PostgreSQL, 16 clients
P99_MAX_MS = 100.0
HOT_TO_SPREAD_MIN = 0.7
TARGET_CLIENTS = 16


def print_run(console: Console, run: BackendRun) -> None:
    console.print(_figures_table(run))
    for line in verdicts(run):
        console.print(line)
    if run.statements is not None:
        console.print(_statements_table(run))
    console.print(_ledger(run))
    if run.server_log:
        console.print(f"[yellow]server log: {len(run.server_log)} lines[/], first:")
        for line in run.server_log[:5]:
            console.print(f"  [dim]{line[:200]}[/]")


def _figures_table(run: BackendRun) -> Table:
    title = (
        f"3-line orders on {run.backend} {run.version}: HTTP (oms serve --workers {run.workers})"
        " against raw SQL and an empty endpoint"
    )
    table = Table(title=title)
    headers: tuple[str, ...] = ("clients", "mix", "HTTP orders/s", "p50 ms", "p99 ms")
    headers += ("raw SQL/s", "ping/s")
    headers += ("HTTP/raw", "HTTP/ping")
    headers += ("HTTP CPU ms/order", "raw CPU ms/order", "CPU raw/HTTP", "server cores")
    headers += ("409s", "errors")
    for header in headers:
        table.add_column(header, justify="right")
    for row in run.rows:
        table.add_row(*_cells(row))
    return table


def _cells(row: OrderRow) -> list[str]:
    http = row.http.result
    errors = {**http.errors, **{f"raw {k}": v for k, v in row.raw.errors.items()}}
    p99 = ms(http.p99_ms)
    return [
        str(row.clients),
        row.mix,
        f"{http.per_second:,.0f}",
        ms(http.p50_ms),
        p99 if http.p99_ms < P99_MAX_MS else f"[red]{p99}[/]",
        f"{row.raw.per_second:,.0f}",
        f"{row.ping.result.per_second:,.0f}",
        _times(row.to_raw),
        _times(row.to_ping),
        _cpu_cell(row.http_cpu, server=True),
        _cpu_cell(row.raw_cpu, server=False),
        _times(row.cpu_to_raw),
        f"{row.http.server_cpu:.2f}",
        str(http.shortages + row.raw.shortages),
        ", ".join(f"{k}: {v}" for k, v in errors.items()) or "0",
    ]


def _cpu_cell(cpu: CpuPerOrder, *, server: bool) -> str:
    """The total and its parts: (server +) database + client; the database is part of the
    server or client process on SQLite."""
    if math.isnan(cpu.total):
        return "—"
    parts = [cpu.server] if server else []
    parts += [] if math.isnan(cpu.database) else [cpu.database]
    parts.append(cpu.client)
    return f"{cpu.total:.2f} ({' + '.join(f'{p:.2f}' for p in parts)})"


def _times(ratio: float) -> str:
    return "—" if math.isnan(ratio) else f"{ratio:.3f}x"


def verdicts(run: BackendRun) -> list[str]:
    """The issue's targets, each MET or MISSED (HTTP/raw and p99 at 16 clients, hot/spread)."""
    lines = [_hot_verdict(run, n) for n in sorted({r.clients for r in run.rows})]
    target = [r for r in run.rows if r.clients == TARGET_CLIENTS]
    if run.backend == "postgresql" and target:
        worst = min(r.to_raw for r in target)
        aim = "aim met" if worst >= TO_RAW_AIM else f"aim {TO_RAW_AIM}x not met"
        lines.append(
            _verdict(worst >= TO_RAW_MIN, f"HTTP/raw at 16 clients ≥ {TO_RAW_MIN}x")
            + f": {worst:.3f}x at worst ({aim})"
        )
    for row in target:
        lines.append(
            _verdict(row.http.result.p99_ms < P99_MAX_MS, f"p99 < {P99_MAX_MS:g} ms")
            + f": {row.clients} clients {row.mix} {ms(row.http.result.p99_ms)} ms"
        )
    lines.append(_deadlock_verdict(run))
    return lines


def _hot_verdict(run: BackendRun, clients: int) -> str:
    by_mix = {r.mix: r.http.result.per_second for r in run.rows if r.clients == clients}
    ratio = by_mix["hot"] / by_mix["spread"] if by_mix.get("spread") else math.nan
    return (
        _verdict(
            ratio >= HOT_TO_SPREAD_MIN, f"hot ≥ {HOT_TO_SPREAD_MIN}x spread, {clients} clients"
        )
        + f": {ratio:.2f}x"
    )


def _deadlock_verdict(run: BackendRun) -> str:
    if run.deadlocks_http is None:
        return "[dim]deadlocks: not possible on SQLite (one writer at a time)[/]"
    found = (run.deadlocks_http or 0) + (run.deadlocks_raw or 0)
    return _verdict(found == 0, "no deadlock") + (
        f": pg_stat_database counted {run.deadlocks_http} during HTTP,"
        f" {run.deadlocks_raw} during raw SQL"
    )


def _verdict(ok: bool, what: str) -> str:
    return f"[green]MET[/] {what}" if ok else f"[red]MISSED[/] {what}"


def _statements_table(run: BackendRun) -> Table:
    counted = run.statements
    assert counted is not None
    table = Table(title=f"What one 3-line order sends on {run.backend} (place_order, in-process)")
    for header in ("statements", "commits", "kinds (per order)"):
        table.add_column(header)
    kinds = "\n".join(f"{n:g} × {kind}" for kind, n in counted.by_kind.items())
    table.add_row(f"{counted.per_order:g}", f"{counted.commits_per_order:g}", kinds)
    return table


def _ledger(run: BackendRun) -> str:
    if not run.drift:
        return f"[green]{run.backend}: ledger clean[/] (verify_ledger on the server's database)"
    first = ", ".join(f"{d.what} {d.sku}@{d.location} {d.field}" for d in run.drift[:3])
    return f"[red]{run.backend}: ledger DRIFT in {len(run.drift)} places[/]: {first}"


def write_json(
    runs: list[BackendRun], settings: OrderSettings, machine: dict[str, str], notes: list[str]
) -> Path:
    document = {
        "settings": asdict(settings),
        "machine": machine,
        "backends": [_run_json(r) for r in runs],
        "notes": notes,
    }
    return write_document("orders", document)


def _run_json(run: BackendRun) -> dict[str, Any]:
    return {
        **asdict(run),
        "rows": [
            {
                **asdict(r),
                "http_per_second": r.http.result.per_second,
                "raw_per_second": r.raw.per_second,
                "ping_per_second": r.ping.result.per_second,
                "to_raw": r.to_raw,
                "to_ping": r.to_ping,
                "http_cpu_ms_per_order": asdict(r.http_cpu),
                "raw_cpu_ms_per_order": asdict(r.raw_cpu),
                "cpu_to_raw": r.cpu_to_raw,
            }
            for r in run.rows
        ],
        "verdicts": [Text.from_markup(line).plain for line in verdicts(run)],
        "ledger_clean": not run.drift,
    }
