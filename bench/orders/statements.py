"""What one 3-line order sends to the database, counted in-process around place_order."""

from __future__ import annotations

from dataclasses import dataclass

from bench.orders.bodies import OrderMaker
from bench.orders.seed import Shop
from bench.statements import listening
from openoms.infra.db import Database
from openoms.orders.placement import place_order


@dataclass(frozen=True)
class OrderStatements:
    """Per order: statements the before_cursor_execute listener saw, by kind, and commits."""

    per_order: float
    commits_per_order: float
    by_kind: dict[str, float]


def count_order_statements(db: Database, shop: Shop, lines: int, sample: int) -> OrderStatements:
    """Place ``sample`` spread-out orders from existing customers after one unmeasured order."""
    maker = OrderMaker(shop, "spread", lines, client="statements")
    place_order(db.uow(), maker.order_input(), actor="bench")
    with listening(db.engine) as seen:
        for _ in range(sample):
            placed = place_order(db.uow(), maker.order_input(), actor="bench")
            if not placed.created:
                raise RuntimeError("a sampled order was not new")
    statements = {k: v for k, v in seen.items() if not k.startswith("(")}
    return OrderStatements(
        per_order=sum(statements.values()) / sample,
        commits_per_order=seen["(commit)"] / sample,
        by_kind={kind: n / sample for kind, n in statements.items()},
    )
