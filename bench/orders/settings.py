"""What the order benchmark measures, and for how long."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIXES = ("spread", "hot")


@dataclass(frozen=True)
class OrderSettings:
    seconds: float = 4.0
    warmup: float = 1.0
    clients: tuple[int, ...] = (1, 16, 64)
    sku_count: int = 1000
    lines: int = 3  # per order, one unit each; also the number of hot SKUs
    units_per_level: int = 5_000_000  # per SKU per location: far above rate x time
    customers: int = 200  # existing customers the orders come from
    sqlite_workers: int = 1
    postgres_workers: int = 2
    statement_sample: int = 20
    backends: tuple[str, ...] = ("sqlite", "postgresql")

    def workers(self, backend: str) -> int:
        return self.sqlite_workers if backend == "sqlite" else self.postgres_workers


QUICK: dict[str, Any] = {"seconds": 1.0, "warmup": 0.3, "clients": (1, 16), "statement_sample": 5}
