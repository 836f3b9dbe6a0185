"""What one benchmark run measures, and for how long."""

from __future__ import annotations

import os
from dataclasses import dataclass

POSTGRES_ENV = ("OMS_BENCH_POSTGRES_URL", "OMS_TEST_POSTGRES_URL")


@dataclass(frozen=True)
class BenchSettings:
    seconds: float = 3.0
    warmup: float = 0.5
    clients: int = 16
    sku_count: int = 1000
    hot_count: int = 2
    units_per_level: int = 1_000_000
    statement_sample: int = 20


def postgres_url_from_env() -> str | None:
    """The first PostgreSQL URL set in the environment, if any."""
    for name in POSTGRES_ENV:
        value = os.environ.get(name)
        if value:
            return value
    return None
