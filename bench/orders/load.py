"""N concurrent HTTP clients in this process (asyncio), apart from the server's processes.

Each client is a task with its own keep-alive connection (N connections in all) that sends
one request at a time, for a warm-up and then a fixed window; only answers that arrive
inside the window count. Latency is measured in the client, so it includes the client's own
event-loop wait. The CPU time this process and the server's processes spent in the
window says which side was busy.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.orders.http1 import Connection
from bench.timing import Measurement, Tally, Window, summarise

CONFLICT = 409  # out of stock: counted apart from the errors

NextRequest = Callable[[], bytes]


@dataclass(frozen=True)
class HttpMeasurement:
    result: Measurement
    client_cpu: float  # CPU seconds of the client process per second of window (1.0 = a core)
    server_cpu: float  # the same for the server's processes
    database_cpu: float  # the same for the PostgreSQL server's (NaN for SQLite, or elsewhere)


@dataclass(frozen=True)
class Target:
    url: str
    cpu_seconds: Callable[[], float]  # the server's CPU time so far
    database_cpu_seconds: Callable[[], float] | None = None  # PostgreSQL's, when local


@dataclass(frozen=True)
class _Window:
    start: float
    end: float


def measure_http(
    target: Target,
    clients: int,
    window: Window,
    make_next: Callable[[int], NextRequest],
    ok: int,
) -> HttpMeasurement:
    """``make_next(i)`` gives client i its requests; ``ok`` is the status that counts."""
    return asyncio.run(_measure(target, clients, window, make_next, ok))


async def _measure(
    target: Target,
    clients: int,
    window: Window,
    make_next: Callable[[int], NextRequest],
    ok: int,
) -> HttpMeasurement:
    start = time.perf_counter() + window.warmup
    span = _Window(start, start + window.seconds)
    tallies = [Tally() for _ in range(clients)]
    cpu = asyncio.create_task(_cpu(span, target))
    await asyncio.gather(
        *(
            _client(Connection(target.url), make_next(i), tally, span, ok)
            for i, tally in enumerate(tallies)
        )
    )
    client_cpu, server_cpu, database_cpu = await cpu
    return HttpMeasurement(
        summarise(tallies, window.seconds),
        client_cpu / window.seconds,
        server_cpu / window.seconds,
        database_cpu / window.seconds,
    )


async def _client(
    conn: Connection, next_request: NextRequest, tally: Tally, span: _Window, ok: int
) -> None:
    try:
        while (began := time.perf_counter()) < span.end:
            try:
                status = await conn.exchange(next_request())
            except (OSError, asyncio.IncompleteReadError) as e:  # reported; the run goes on
                tally.errors[type(e).__name__] += 1
                continue
            done = time.perf_counter()
            if span.start <= done <= span.end:
                _count(tally, status, ok, done - began)
    finally:
        conn.close()


def _count(tally: Tally, status: int, ok: int, seconds: float) -> None:
    if status == ok:
        tally.latencies.append(seconds)
    elif status == CONFLICT:
        tally.shortages += 1
    else:
        tally.errors[f"HTTP {status}"] += 1


async def _cpu(span: _Window, target: Target) -> tuple[float, float, float]:
    """CPU seconds of this process, the server's and the database server's during the
    window (NaN for a database that is not a PostgreSQL server on this machine)."""
    database = target.database_cpu_seconds or (lambda: math.nan)
    await asyncio.sleep(max(0.0, span.start - time.perf_counter()))
    client, server, db = time.process_time(), target.cpu_seconds(), database()
    await asyncio.sleep(max(0.0, span.end - time.perf_counter()))
    return (
        time.process_time() - client,
        target.cpu_seconds() - server,
        database() - db,
    )
