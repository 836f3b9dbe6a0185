"""Run N clients in threads for a fixed time after a warm-up; count and time what completes."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bench.clients import Client


@dataclass(frozen=True)
class Window:
    warmup: float
    seconds: float


@dataclass(frozen=True)
class Measurement:
    reserved: int
    seconds: float
    shortages: int
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float
    # what each probe given to ``measure`` counted during the window, per second of window
    # (CPU seconds a second: 1.0 is a core busy)
    probed: tuple[float, ...] = ()

    @property
    def per_second(self) -> float:
        return self.reserved / self.seconds


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    shortages: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    setup_error: Exception | None = None


@dataclass
class _Deadlines:
    start: float = 0.0
    end: float = 0.0


def measure(
    make_client: Callable[[int], Client],
    clients: int,
    window: Window,
    probes: Sequence[Callable[[], float]] = (),
) -> Measurement:
    """Calls that complete inside the window count; the warm-up and stragglers do not.

    Each thread opens its own client (connection) before the common start. Each probe (a
    counter that only grows, such as a process's CPU seconds) is read as the window opens
    and as it closes; ``Measurement.probed`` holds the differences per second of window.
    """
    tallies = [Tally() for _ in range(clients)]
    deadlines = _Deadlines()
    started = threading.Event()

    def set_deadlines() -> None:
        deadlines.start = time.perf_counter() + window.warmup
        deadlines.end = deadlines.start + window.seconds
        started.set()

    barrier = threading.Barrier(clients, action=set_deadlines)
    # clients keep their connections until the probes are read: a database backend that
    # ends while its server's processes are being read could be missed by both readings
    read_out = threading.Event()
    threads = [
        threading.Thread(
            target=_work, args=(make_client, seed, tally, barrier, deadlines, read_out)
        )
        for seed, tally in enumerate(tallies)
    ]
    probed: list[float] = []
    if probes:
        threads.append(
            threading.Thread(
                target=_probe, args=(probes, started, barrier, deadlines, probed, read_out)
            )
        )
    else:
        read_out.set()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tally in tallies:
        if tally.setup_error is not None:
            raise tally.setup_error
    found = summarise(tallies, window.seconds)
    return replace(found, probed=tuple(p / window.seconds for p in probed))


def _probe(
    probes: Sequence[Callable[[], float]],
    started: threading.Event,
    barrier: threading.Barrier,
    when: _Deadlines,
    out: list[float],
    read_out: threading.Event,
) -> None:
    """Reads every probe as the window opens and as it closes (nothing when the clients
    never started: a client that could not connect breaks the barrier)."""
    try:
        while not started.wait(timeout=0.2):
            if barrier.broken:
                return
        time.sleep(max(0.0, when.start - time.perf_counter()))
        first = [probe() for probe in probes]
        time.sleep(max(0.0, when.end - time.perf_counter()))
        out.extend(probe() - before for probe, before in zip(probes, first, strict=True))
    finally:
        read_out.set()


def _work(
    make_client: Callable[[int], Client],
    seed: int,
    tally: Tally,
    barrier: threading.Barrier,
    when: _Deadlines,
    read_out: threading.Event,
) -> None:
    try:
        client = make_client(seed)
    except Exception as e:
        tally.setup_error = e
        barrier.abort()
        return
    try:
        barrier.wait()
        _loop(client, tally, when)
    except threading.BrokenBarrierError:
        return
    finally:
        read_out.wait(timeout=30.0)
        client.close()


def _loop(client: Client, tally: Tally, when: _Deadlines) -> None:
    while (began := time.perf_counter()) < when.end:
        try:
            is_reserved = client.reserve()
        except Exception as e:  # a benchmark reports failures instead of stopping on them
            tally.errors[f"{type(e).__name__}: {str(e)[:80]}"] += 1
            continue
        done = time.perf_counter()
        if when.start <= done <= when.end:
            if is_reserved:
                tally.latencies.append(done - began)
            else:
                tally.shortages += 1


def summarise(tallies: list[Tally], seconds: float) -> Measurement:
    latencies = sorted(x for t in tallies for x in t.latencies)
    errors: Counter[str] = Counter()
    for tally in tallies:
        errors.update(tally.errors)
    return Measurement(
        reserved=len(latencies),
        seconds=seconds,
        shortages=sum(t.shortages for t in tallies),
        errors=dict(errors),
        p50_ms=_percentile_ms(latencies, 50),
        p99_ms=_percentile_ms(latencies, 99),
    )


def _percentile_ms(sorted_values: list[float], pct: int) -> float:
    """Nearest rank; NaN when nothing completed."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, len(sorted_values) * pct // 100)
    return sorted_values[rank] * 1000
