"""``python -m bench.profiling``: where one client's reserve_stock time goes (cProfile)."""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from contextlib import AbstractContextManager

from bench.clients import ServiceClient
from bench.scratch import Scratch, scratch_postgres, scratch_sqlite
from bench.seed import seed
from bench.settings import BenchSettings, postgres_url_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sort", default="cumulative", help="a pstats sort key")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    with _scratch(args.backend) as scratch:
        profiler, calls = _profile(scratch, args.seconds)
    print(f"{calls} reserve_stock calls on {scratch.backend} in {args.seconds:g} s (profiled)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


def _scratch(backend: str) -> AbstractContextManager[Scratch]:
    if backend == "sqlite":
        return scratch_sqlite(pool_size=2)
    url = postgres_url_from_env()
    if url is None:
        raise SystemExit("set OMS_BENCH_POSTGRES_URL or OMS_TEST_POSTGRES_URL")
    return scratch_postgres(url, pool_size=2)


def _profile(scratch: Scratch, seconds: float) -> tuple[cProfile.Profile, int]:
    settings = BenchSettings()
    dataset = seed(scratch.db, settings.sku_count, settings.units_per_level)
    client = ServiceClient(scratch.db, dataset.targets, dataset.location, seed=0)
    for _ in range(50):  # warm SQLAlchemy's statement cache and the pool
        client.reserve()
    profiler = cProfile.Profile()
    calls = 0
    end = time.perf_counter() + seconds
    profiler.enable()
    while time.perf_counter() < end:
        client.reserve()
        calls += 1
    profiler.disable()
    return profiler, calls


if __name__ == "__main__":
    raise SystemExit(main())
