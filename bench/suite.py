"""One backend's run: seed, measure service and raw statement per scenario, count, verify."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.engine import Engine

from bench.clients import Client, RawPostgresClient, RawSqliteClient, ServiceClient
from bench.scratch import Scratch
from bench.seed import Dataset, Target, seed
from bench.settings import BenchSettings
from bench.statements import StatementCount, count_statements
from bench.timing import Measurement, Window, measure
from openoms.inventory.orm import stock_levels
from openoms.inventory.verify import Drift, verify_ledger


@dataclass(frozen=True)
class Scenario:
    clients: int
    mix: str  # hot | spread
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Row:
    backend: str
    clients: int
    mix: str
    sku_count: int
    location: str  # given | none
    service: Measurement
    raw: Measurement

    @property
    def ratio(self) -> float:
        return self.service.per_second / self.raw.per_second if self.raw.reserved else 0.0


@dataclass(frozen=True)
class BackendResult:
    backend: str
    version: str
    rows: list[Row]
    statements: list[StatementCount]
    drift: list[Drift]


def run_backend(scratch: Scratch, settings: BenchSettings, console: Console) -> BackendResult:
    console.print(f"[bold]{scratch.backend} {scratch.version}[/]: seeding…")
    dataset = seed(scratch.db, settings.sku_count, settings.units_per_level)
    window = Window(settings.warmup, settings.seconds)
    rows: list[Row] = []
    for scenario in scenarios(settings, dataset):
        rows.extend(_measure_scenario(scratch, dataset, scenario, window, console))
    statements = [
        count_statements(
            scratch.db.engine, _sampler(scratch, dataset, loc), name, settings.statement_sample
        )
        for name, loc in _location_variants(dataset)
    ]
    drift = verify_ledger(scratch.db.reader())
    return BackendResult(scratch.backend, scratch.version, rows, statements, drift)


def scenarios(settings: BenchSettings, dataset: Dataset) -> list[Scenario]:
    hot = dataset.targets[: settings.hot_count]
    return [
        Scenario(1, "spread", dataset.targets),
        Scenario(settings.clients, "hot", hot),
        Scenario(settings.clients, "spread", dataset.targets),
    ]


def _measure_scenario(
    scratch: Scratch, dataset: Dataset, scenario: Scenario, window: Window, console: Console
) -> list[Row]:
    raw = _measure_raw(scratch, scenario, window)
    _progress(console, scratch, scenario, "raw", raw)
    rows = []
    for name, location in _location_variants(dataset):
        service = measure(_service_factory(scratch, scenario, location), scenario.clients, window)
        _progress(console, scratch, scenario, f"service, location {name}", service)
        rows.append(
            Row(
                backend=scratch.backend,
                clients=scenario.clients,
                mix=scenario.mix,
                sku_count=len(scenario.targets),
                location=name,
                service=service,
                raw=raw,
            )
        )
    return rows


def _location_variants(dataset: Dataset) -> tuple[tuple[str, str | None], ...]:
    """The same rows either way: the given location is also the best-ranked one."""
    return (("given", dataset.location), ("none", None))


def _measure_raw(scratch: Scratch, scenario: Scenario, window: Window) -> Measurement:
    """The raw UPDATE writes no movement, so its units are handed back afterwards."""
    before = _reserved_snapshot(scratch.db.engine)
    try:
        return measure(_raw_factory(scratch, scenario), scenario.clients, window)
    finally:
        _restore_reserved(scratch.db.engine, before)


def _service_factory(
    scratch: Scratch, scenario: Scenario, location: str | None
) -> Callable[[int], Client]:
    return lambda seed: ServiceClient(scratch.db, scenario.targets, location, seed)


def _raw_factory(scratch: Scratch, scenario: Scenario) -> Callable[[int], Client]:
    if scratch.backend == "sqlite":
        return lambda seed: RawSqliteClient(scratch.raw_target, scenario.targets, seed)
    return lambda seed: RawPostgresClient(scratch.raw_target, scenario.targets, seed)


def _sampler(scratch: Scratch, dataset: Dataset, location: str | None) -> ServiceClient:
    return ServiceClient(scratch.db, dataset.targets, location, seed=10_000)


def _reserved_snapshot(engine: Engine) -> list[dict[str, int]]:
    query = stock_levels.select().with_only_columns(stock_levels.c.id, stock_levels.c.reserved)
    with engine.connect() as conn:
        return [{"level_id": i, "level_reserved": r} for i, r in conn.execute(query)]


def _restore_reserved(engine: Engine, snapshot: list[dict[str, int]]) -> None:
    stmt = (
        stock_levels.update()
        .where(stock_levels.c.id == sa.bindparam("level_id"))
        .values(reserved=sa.bindparam("level_reserved"))
    )
    with engine.begin() as conn:
        conn.execute(stmt, snapshot)


def _progress(
    console: Console, scratch: Scratch, scenario: Scenario, what: str, result: Measurement
) -> None:
    console.print(
        f"  {scratch.backend:<10} {scenario.clients:>2} client(s) {scenario.mix:<6} {what:<24}"
        f" {result.per_second:>9,.0f}/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms"
    )
