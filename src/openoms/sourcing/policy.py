"""Where an order ships from: a pure function from lines, destination, stock and policy
to an allocation plan with a human-readable explanation for the order's timeline.

Rules, in order:
1. A pickup order is served by its store only; what the store lacks is backordered or
   refused as the channel says. A store that is unknown, offers no pickup or has used up its
   daily order capacity refuses the order: the customer chose that store.
2. Locations that cannot ship, or whose daily order capacity is used up, are skipped. The
   explanation names those that hold stock for the order (the rest are irrelevant to it).
3. Every policy ships from the fewest locations that together hold as much of the order as
   the eligible locations hold at all: one location that can ship everything if there is
   one, else the smallest split (proved the fewest up to a search budget, see ``search``).
4. Among choices of the same size the policy decides:
   - NEAREST (the default) and FEWEST_SPLITS: least great-circle distance to the destination
     (summed over the locations of a split), then priority (lower ships first). The two
     policies plan alike; FEWEST_SPLITS names the rule for channels that state it.
   - PRIORITY: best priorities, then distance.
   - LOWEST_COST: least ``handling_cost + cost_per_km * km`` summed over the locations,
     then distance, then priority.
   Without a destination, distance counts as zero: the ranking falls back to priority.
   Site codes break any remaining tie, so the plan never depends on input order.
5. What no eligible location holds is backordered when the channel allows it. Otherwise the
   plan is refused: no allocations, and the shortfall says which lines are short.
Within a split, each line ships whole from the best-ranked chosen location that can, else
from the chosen locations in rank order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openoms.sourcing.explanation import (
    choice_notes,
    describe_short,
    destination_notes,
    skip_notes,
    sum_units,
    units_text,
)
from openoms.sourcing.model import (
    EARTH_RADIUS_KM,
    Allocation,
    Line,
    Plan,
    Point,
    Request,
    Site,
    SourcingPolicy,
    distance_km,
)
from openoms.sourcing.ranking import ranking_for
from openoms.sourcing.search import fewest_locations

__all__ = [
    "EARTH_RADIUS_KM",
    "Allocation",
    "Line",
    "Plan",
    "Point",
    "Request",
    "Site",
    "SourcingPolicy",
    "distance_km",
    "plan",
]

NO_SHIPPING = "it does not ship orders"
NO_CAPACITY = "its daily order capacity is used up"


def plan(request: Request) -> Plan:
    """Decide where each line ships from. Pure: no I/O, same input, same plan.

    Raises:
        ValueError: two sites share a code, two lines share a key, or a quantity is negative.
    """
    _check(request)
    if request.pickup_at is not None:
        return _plan_pickup(request, request.pickup_at)
    return _plan_shipment(request)


def _check(request: Request) -> None:
    codes = [s.code for s in request.sites]
    if len(set(codes)) != len(codes):
        raise ValueError("sourcing: two sites share a code")
    keys = [ln.key for ln in request.lines]
    if len(set(keys)) != len(keys):
        raise ValueError("sourcing: two lines share a key")
    if any(ln.quantity < 0 for ln in request.lines):
        raise ValueError("sourcing: a line has a negative quantity")


def _plan_shipment(request: Request) -> Plan:
    result = Plan()
    skus = _demand(request.lines)
    eligible = _screen(request, result)
    ranking = ranking_for(request, eligible)
    stock = _free_stock(request, ranking.sites, skus)
    holders = sorted({code for code, _sku in stock}, key=lambda code: ranking.key((code,)))
    context = [*destination_notes(request), *skip_notes(request, result, skus)]
    choice = fewest_locations(holders, skus, stock, ranking.key)
    result.allocations = _allocate(request.lines, choice.codes, stock)
    story = choice_notes(ranking, choice, result.allocations, skus, stock)
    return _settle(request, result, context, story)


def _demand(lines: Sequence[Line]) -> dict[str, int]:
    """Units wanted per SKU, in line order; lines for the same SKU share its stock."""
    demand: dict[str, int] = {}
    for ln in lines:
        if ln.quantity:
            demand[ln.sku] = demand.get(ln.sku, 0) + ln.quantity
    return demand


def _screen(request: Request, result: Plan) -> list[Site]:
    eligible = []
    for site in request.sites:
        if not site.can_ship:
            result.skipped[site.code] = NO_SHIPPING
        elif site.capacity_left is not None and site.capacity_left <= 0:
            result.skipped[site.code] = NO_CAPACITY
        else:
            eligible.append(site)
    return eligible


def _free_stock(
    request: Request, codes: Mapping[str, Site], skus: Mapping[str, int]
) -> dict[tuple[str, str], int]:
    return {
        (code, sku): units
        for (code, sku), units in request.stock.items()
        if code in codes and sku in skus and units > 0
    }


def _allocate(
    lines: Sequence[Line], codes: Sequence[str], stock: Mapping[tuple[str, str], int]
) -> list[Allocation]:
    free = dict(stock)
    allocations: list[Allocation] = []
    for ln in lines:
        # a line ships whole from one location when one can, so it stays one parcel
        whole = [c for c in codes if free.get((c, ln.sku), 0) >= ln.quantity][:1]
        need = ln.quantity
        for code in whole or codes:
            take = min(need, free.get((code, ln.sku), 0))
            if take:
                free[(code, ln.sku)] -= take
                allocations.append(Allocation(ln.key, ln.sku, code, take))
                need -= take
    return allocations


def _plan_pickup(request: Request, store: str) -> Plan:
    site = next((s for s in request.sites if s.code == store), None)
    reason = _pickup_refusal(site)
    if reason is not None:
        return _refuse_pickup(request, store, reason)
    skus = _demand(request.lines)
    stock = {
        (code, sku): units
        for (code, sku), units in request.stock.items()
        if code == store and sku in skus and units > 0
    }
    result = Plan(allocations=_allocate(request.lines, [store], stock))
    covered, total = sum_units(result.allocations), sum(skus.values())
    if covered == total:
        story = f"Pickup at {store}: every line is in stock there."
    else:
        story = f"Pickup at {store}: {covered} of {units_text(total)} in stock there."
    return _settle(request, result, [], [story])


def _pickup_refusal(site: Site | None) -> str | None:
    if site is None:
        return "is not a known location"
    if not site.can_pickup:
        return "does not offer pickup"
    if site.capacity_left is not None and site.capacity_left <= 0:
        return "has used up its daily order capacity"
    return None


def _refuse_pickup(request: Request, store: str, reason: str) -> Plan:
    """The customer chose the store: another location will not do, and waiting for stock
    does not help, so the order is refused whatever the channel allows."""
    return Plan(
        refused=True,
        shortfall={ln.key: ln.quantity for ln in request.lines if ln.quantity},
        skipped={store: reason},
        explanation=[f"Refused: pickup store {store} {reason}."],
    )


def _settle(request: Request, result: Plan, context: list[str], story: list[str]) -> Plan:
    """Backorder or refuse what was not allocated, and write the explanation."""
    allocated = {ln.key: result.allocated(ln.key) for ln in request.lines}
    short = {ln.key: ln.quantity - allocated[ln.key] for ln in request.lines}
    result.shortfall = {key: units for key, units in short.items() if units}
    short_text = describe_short(request.lines, result.shortfall)
    if not result.shortfall:
        result.explanation = [*context, *story]
    elif request.allow_backorder:
        result.backordered = dict(result.shortfall)
        result.explanation = [*context, *story, f"Backordered until stock arrives: {short_text}."]
    else:
        result.refused = True
        result.allocations = []
        result.explanation = [
            *context,
            f"Refused: not enough stock for {short_text}, "
            "and this channel does not allow backorders.",
        ]
    return result
