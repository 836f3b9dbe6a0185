"""``python -m bench packing``: proposing boxes for parcels, against one box per item.

For parcels of 1 to 40 units drawn (seeded) from the demo catalogue's sizes and weights,
with the demo's four standard boxes, measures how long ``packing.propose`` takes per parcel
(p50 / p99) and what its plan costs, next to the naive plan (each unit alone in the
cheapest box that holds it: ``packing.naive_cost``), which is the baseline of both.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from rich.console import Console
from rich.table import Table

from bench.machine import describe_machine
from openoms.entrypoints.demo import CATALOG
from openoms.entrypoints.demo_fulfilment import BOXES
from openoms.fulfillment import packing

SIZES = (1, 3, 10, 20, 40)


def _boxes() -> list[packing.BoxType]:
    return [
        packing.BoxType(code, name, *dims, tare, max_g, cost)
        for code, name, dims, tare, max_g, cost in BOXES
    ]


def _parcel(rng: random.Random, units: int) -> list[packing.Item]:
    kinds = [(f"K{i}", weight, dims) for i, (_c, _n, _p, weight, dims, _k) in enumerate(CATALOG)]
    items = []
    for _ in range(units):
        ref, weight, (length, width, height) = rng.choice(kinds)
        items.append(packing.Item(ref, length, width, height, weight))
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench packing")
    parser.add_argument("--parcels", type=int, default=200, help="parcels per size")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    boxes = _boxes()
    console = Console()
    machine = describe_machine()
    console.print(f"[dim]{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}[/]")
    table = Table(title="packing.propose against one box per unit (demo boxes and catalogue)")
    for column in (
        "units",
        "parcels",
        "propose p50 ms",
        "propose p99 ms",
        "naive p50 ms",
        "boxes (mean)",
        "cost / naive cost",
        "too big for any box",
    ):
        table.add_column(column, justify="right")
    for units in SIZES:
        took, naive_took, ratios, counts, refused = [], [], [], [], 0
        for _ in range(args.parcels):
            items = _parcel(rng, units)
            start = time.perf_counter()
            try:
                plan = packing.propose(items, boxes)
            except packing.ItemFitsNoBox:
                refused += 1
                continue
            took.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            naive = packing.naive_cost(items, boxes)
            naive_took.append((time.perf_counter() - start) * 1000)
            ratios.append(plan.cost / naive)
            counts.append(len(plan.boxes))
        table.add_row(
            str(units),
            str(len(took)),
            f"{statistics.median(took):.2f}",
            f"{statistics.quantiles(took, n=100)[98]:.2f}" if len(took) > 1 else "-",
            f"{statistics.median(naive_took):.3f}",
            f"{statistics.mean(counts):.2f}",
            f"{statistics.mean(ratios):.3f}x (max {max(ratios):.3f}x)",
            str(refused),
        )
    console.print(table)
    return 0
