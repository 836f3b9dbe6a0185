"""Where an order ships from: a pure function from lines, destination, stock and policy
to an allocation plan with a human-readable explanation.

Rules, in order:
1. A pickup order is served by its store only.
2. Otherwise, one location that can ship everything, ranked by the channel's policy
   (nearest by great-circle distance, location priority, or lowest cost).
3. Otherwise, the fewest locations (a split shipment), chosen greedily: each round takes the
   location that covers the most remaining units, ties broken by the same ranking.
4. What no location can cover is backordered when the channel allows it; otherwise the
   plan is refused and the explanation says why.
Locations that cannot ship (or stores without ship-from-store) and locations whose daily
order capacity is used up are skipped, and the explanation says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

EARTH_RADIUS_KM = 6371.0088


class SourcingPolicy(StrEnum):
    NEAREST = "nearest"
    FEWEST_SPLITS = "fewest_splits"
    PRIORITY = "priority"
    LOWEST_COST = "lowest_cost"


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Site:
    """A location as sourcing sees it."""

    code: str
    point: Point
    priority: int = 100
    can_ship: bool = True
    capacity_left: int | None = None  # orders it may still take today; None = no limit
    handling_cost: int = 0  # minor units per shipment, for the lowest-cost policy
    cost_per_km: int = 0  # minor units per km, for the lowest-cost policy


@dataclass(frozen=True)
class Line:
    key: str  # the order line's identity
    sku: str
    quantity: int


@dataclass(frozen=True)
class Allocation:
    line_key: str
    sku: str
    location: str
    quantity: int


@dataclass(frozen=True)
class Request:
    lines: Sequence[Line]
    destination: Point | None
    stock: Mapping[tuple[str, str], int]  # (location, sku) -> available units
    sites: Sequence[Site]
    policy: SourcingPolicy = SourcingPolicy.NEAREST
    pickup_at: str | None = None
    allow_backorder: bool = False


@dataclass
class Plan:
    allocations: list[Allocation] = field(default_factory=list)
    backordered: dict[str, int] = field(default_factory=dict)  # line key -> units
    refused: bool = False
    explanation: list[str] = field(default_factory=list)

    @property
    def locations(self) -> list[str]:
        return sorted({a.location for a in self.allocations})

    @property
    def is_split(self) -> bool:
        return len(self.locations) > 1

    def allocated(self, line_key: str) -> int:
        return sum(a.quantity for a in self.allocations if a.line_key == line_key)


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def plan(request: Request) -> Plan:
    """Decide where each line ships from. Pure: no I/O, same input, same plan."""
    result = Plan()
    if request.pickup_at is not None:
        return _pickup(request, result)
    sites = _eligible(request, result)
    ranked = sorted(sites, key=lambda s: _rank(request, s))
    whole = [s for s in ranked if _covers_all(request, s)]
    if whole:
        chosen = whole[0]
        result.explanation.append(
            f"{chosen.code} can ship every line; chosen by {request.policy.value} "
            f"({_describe(request, chosen)})."
        )
        result.allocations = [
            Allocation(ln.key, ln.sku, chosen.code, ln.quantity) for ln in request.lines
        ]
        return result
    result.explanation.append("No single location can ship every line; splitting.")
    remaining = {ln.key: ln.quantity for ln in request.lines}
    _split(request, ranked, remaining, result)
    return _leftovers(request, remaining, result)


def _pickup(request: Request, result: Plan) -> Plan:
    store = request.pickup_at
    assert store is not None
    remaining = {}
    for ln in request.lines:
        take = min(ln.quantity, request.stock.get((store, ln.sku), 0))
        if take:
            result.allocations.append(Allocation(ln.key, ln.sku, store, take))
        if take < ln.quantity:
            remaining[ln.key] = ln.quantity - take
    result.explanation.append(f"Pickup order: allocated at {store} only.")
    return _leftovers(request, remaining, result)


def _eligible(request: Request, result: Plan) -> list[Site]:
    out = []
    for site in request.sites:
        if not site.can_ship:
            continue
        if site.capacity_left is not None and site.capacity_left <= 0:
            result.explanation.append(f"{site.code} skipped: its daily order capacity is used up.")
            continue
        out.append(site)
    return out


def _rank(request: Request, site: Site) -> tuple[float, float, str]:
    distance = _distance(request, site)
    if request.policy is SourcingPolicy.PRIORITY:
        return (site.priority, distance, site.code)
    if request.policy is SourcingPolicy.LOWEST_COST:
        return (_cost(site, distance), site.priority, site.code)
    return (distance, site.priority, site.code)


def _distance(request: Request, site: Site) -> float:
    if request.destination is None:
        return 0.0
    return distance_km(site.point, request.destination)


def _cost(site: Site, distance: float) -> float:
    return site.handling_cost + site.cost_per_km * distance


def _describe(request: Request, site: Site) -> str:
    distance = _distance(request, site)
    parts = []
    if request.destination is not None:
        parts.append(f"{distance:,.0f} km away")
    parts.append(f"priority {site.priority}")
    if request.policy is SourcingPolicy.LOWEST_COST:
        parts.append(f"estimated cost {_cost(site, distance):,.0f}")
    return ", ".join(parts)


def _covers_all(request: Request, site: Site) -> bool:
    return all(request.stock.get((site.code, ln.sku), 0) >= ln.quantity for ln in request.lines)


def _split(request: Request, ranked: list[Site], remaining: dict[str, int], result: Plan) -> None:
    lines = {ln.key: ln for ln in request.lines}
    used: dict[tuple[str, str], int] = {}
    candidates = list(ranked)
    while any(remaining.values()) and candidates:
        best = _best(request, candidates, lines, remaining, used)
        if best is None:
            break
        candidates.remove(best)
        taken = 0
        for key, need in remaining.items():
            if not need:
                continue
            ln = lines[key]
            free = request.stock.get((best.code, ln.sku), 0) - used.get((best.code, ln.sku), 0)
            take = min(need, max(0, free))
            if take:
                result.allocations.append(Allocation(key, ln.sku, best.code, take))
                used[(best.code, ln.sku)] = used.get((best.code, ln.sku), 0) + take
                remaining[key] = need - take
                taken += take
        result.explanation.append(
            f"{best.code} ships {taken} unit{'s' if taken != 1 else ''} "
            f"({_describe(request, best)})."
        )


def _coverage(
    request: Request,
    site: Site,
    lines: Mapping[str, Line],
    remaining: Mapping[str, int],
    used: Mapping[tuple[str, str], int],
) -> int:
    total = 0
    for key, need in remaining.items():
        sku = lines[key].sku
        free = request.stock.get((site.code, sku), 0) - used.get((site.code, sku), 0)
        total += min(need, max(0, free))
    return total


def _best(
    request: Request,
    candidates: list[Site],
    lines: Mapping[str, Line],
    remaining: Mapping[str, int],
    used: Mapping[tuple[str, str], int],
) -> Site | None:
    scored = [(_coverage(request, s, lines, remaining, used), s) for s in candidates]
    scored = [(units, s) for units, s in scored if units > 0]
    if not scored:
        return None
    most = max(units for units, _ in scored)
    # among the sites covering the most units, the policy's ranking decides
    return min((s for units, s in scored if units == most), key=lambda s: _rank(request, s))


def _leftovers(request: Request, remaining: Mapping[str, int], result: Plan) -> Plan:
    short = {key: qty for key, qty in remaining.items() if qty}
    if not short:
        return result
    skus = {ln.key: ln.sku for ln in request.lines}
    listing = ", ".join(f"{skus[k]} x{q}" for k, q in short.items())
    if request.allow_backorder:
        result.backordered = dict(short)
        result.explanation.append(f"Backordered until stock arrives: {listing}.")
    else:
        result.refused = True
        result.explanation.append(
            f"Not enough stock for {listing}, and this channel does not allow backorders."
        )
    return result
