"""The sentences of a plan's explanation, short enough for a support agent to read on the
order's timeline ("WH-RTM can ship every line; chosen as nearest (57 km away, priority 10)")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openoms.sourcing.model import Allocation, Line, Plan, Request, SourcingPolicy
from openoms.sourcing.ranking import Ranking
from openoms.sourcing.search import Choice


def destination_notes(request: Request) -> list[str]:
    if request.destination is None:
        if request.policy is SourcingPolicy.PRIORITY:
            return ["No destination coordinates, so distance is not used."]
        if request.policy is SourcingPolicy.LOWEST_COST:
            return ["No destination coordinates, so each cost is the handling cost alone."]
        return ["No destination coordinates, so locations are ranked by priority."]
    if request.destination_source:
        return [f"Destination located by {request.destination_source}; distances are approximate."]
    return []


def skip_notes(request: Request, result: Plan, skus: Mapping[str, int]) -> list[str]:
    """Only skipped locations that hold stock for this order matter to the reader."""
    holders = {code for (code, sku), units in request.stock.items() if sku in skus and units > 0}
    return [
        f"{code} skipped: {reason}."
        for code, reason in sorted(result.skipped.items())
        if code in holders
    ]


def choice_notes(
    ranking: Ranking,
    choice: Choice,
    allocations: Sequence[Allocation],
    skus: Mapping[str, int],
    stock: Mapping[tuple[str, str], int],
) -> list[str]:
    if not choice.codes:
        return ["No eligible location has stock for this order."] if skus else []
    total, covered = sum(skus.values()), sum_units(allocations)
    if covered == total and len(choice.codes) == 1:
        return [_whole_note(ranking, choice, skus, stock)]
    lead = _split_lead(ranking, choice, covered, total)
    return [lead, *(_site_note(ranking, code, allocations) for code in choice.codes)]


def _whole_note(
    ranking: Ranking,
    choice: Choice,
    skus: Mapping[str, int],
    stock: Mapping[tuple[str, str], int],
) -> str:
    code = choice.codes[0]
    details = ranking.details(code)
    rivals = {c for c, _sku in stock if all(stock.get((c, s), 0) >= n for s, n in skus.items())}
    if len(rivals) == 1:
        return f"{code} is the only location that can ship every line ({details})."
    return f"{code} can ship every line; chosen as {ranking.reason()} ({details})."


def _split_lead(ranking: Ranking, choice: Choice, covered: int, total: int) -> str:
    size = len(choice.codes)
    how = f"the fewest possible, preferring the {ranking.reason()}"
    if not choice.is_fewest:
        how = f"a greedy choice among {choice.candidates} candidates (fewer may exist)"
    if covered < total:
        where = f"{size} location" if size == 1 else f"{size} locations, {how}"
        return (
            f"Not every unit is in stock: {covered} of {units_text(total)} can ship, from {where}."
        )
    return f"No single location can ship every line; split across {size} locations, {how}."


def _site_note(ranking: Ranking, code: str, allocations: Sequence[Allocation]) -> str:
    mine = [a for a in allocations if a.location == code]
    per_sku: dict[str, int] = {}
    for a in mine:
        per_sku[a.sku] = per_sku.get(a.sku, 0) + a.quantity
    items = ", ".join(f"{sku} x{units}" for sku, units in per_sku.items())
    return f"{code} ships {units_text(sum_units(mine))}: {items} ({ranking.details(code)})."


def describe_short(lines: Sequence[Line], short: Mapping[str, int]) -> str:
    per_sku: dict[str, int] = {}
    for ln in lines:
        if short.get(ln.key):
            per_sku[ln.sku] = per_sku.get(ln.sku, 0) + short[ln.key]
    return ", ".join(f"{sku} x{units}" for sku, units in per_sku.items())


def sum_units(allocations: Sequence[Allocation]) -> int:
    return sum(a.quantity for a in allocations)


def units_text(units: int) -> str:
    return f"{units} unit" if units == 1 else f"{units} units"
