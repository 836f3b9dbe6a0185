"""The fewest locations that together ship as much of an order as can be shipped at all.

This is a set cover: NP-hard in general, small in practice. Sizes are tried from one
location upwards, and each size is searched exhaustively while it has at most
``COMBINATION_BUDGET`` combinations of candidates. With twelve candidates or fewer that is
every size (the largest, 12 choose 6, is 924), so the answer is proved the fewest. Past the
budget the search falls back to a greedy cover (most uncovered units first, ties to the
better-ranked location), pruned of locations the others make redundant. The sizes already
searched are a lower bound: a greedy cover no larger than the first unsearched size is still
proved the fewest, and ``Choice.is_fewest`` says so.

Among sets of the same size, ``set_key`` decides (the policy's ranking); it must end in
something unique (the sorted codes) so that the choice is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

COMBINATION_BUDGET = 2_000

Stock = Mapping[tuple[str, str], int]  # (location, sku) -> available units
SetKey = Callable[[tuple[str, ...]], Any]


@dataclass(frozen=True)
class Choice:
    codes: tuple[str, ...]  # in the order of the ranked candidates
    is_fewest: bool  # proved to be the fewest locations
    candidates: int  # how many locations were considered


def coverage(codes: Iterable[str], demand: Mapping[str, int], stock: Stock) -> int:
    """Units of ``demand`` (sku -> units) that the locations can supply together."""
    codes = tuple(codes)
    return sum(
        min(need, sum(stock.get((code, sku), 0) for code in codes)) for sku, need in demand.items()
    )


def fewest_locations(
    candidates: Sequence[str],
    demand: Mapping[str, int],
    stock: Stock,
    set_key: SetKey,
    *,
    budget: int = COMBINATION_BUDGET,
) -> Choice:
    """The best-ranked smallest set of ``candidates`` (ranked best first) with full coverage."""
    target = coverage(candidates, demand, stock)
    if target == 0:
        return Choice((), True, len(candidates))
    searched = 0
    for size in range(1, len(candidates) + 1):
        if math.comb(len(candidates), size) > budget:
            break
        best = _best_of_size(candidates, size, demand, stock, target, set_key)
        if best is not None:
            return Choice(best, True, len(candidates))
        searched = size
    cover = _greedy(candidates, demand, stock, target)
    return Choice(cover, len(cover) == searched + 1, len(candidates))


def _best_of_size(
    candidates: Sequence[str],
    size: int,
    demand: Mapping[str, int],
    stock: Stock,
    target: int,
    set_key: SetKey,
) -> tuple[str, ...] | None:
    covering = (
        combo
        for combo in combinations(candidates, size)
        if coverage(combo, demand, stock) == target
    )
    return min(covering, key=set_key, default=None)


def _greedy(
    candidates: Sequence[str], demand: Mapping[str, int], stock: Stock, target: int
) -> tuple[str, ...]:
    chosen: list[str] = []
    while coverage(chosen, demand, stock) < target:
        rest = [code for code in candidates if code not in chosen]
        # max() keeps the first of equals, and the candidates come best-ranked first
        chosen.append(max(rest, key=lambda code: coverage([*chosen, code], demand, stock)))
    return _pruned(chosen, candidates, demand, stock, target)


def _pruned(
    chosen: list[str],
    candidates: Sequence[str],
    demand: Mapping[str, int],
    stock: Stock,
    target: int,
) -> tuple[str, ...]:
    """Drop, worst-ranked first, every location the others make redundant."""
    kept = sorted(chosen, key=candidates.index)
    for code in reversed(kept.copy()):
        without = [other for other in kept if other != code]
        if coverage(without, demand, stock) == target:
            kept = without
    return tuple(kept)
