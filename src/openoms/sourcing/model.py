"""What sourcing takes and gives: locations, lines, the request and the plan."""

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
    """A location as sourcing sees it.

    ``can_ship`` and ``can_pickup`` are the caller's decisions for this order. ``can_ship``
    is False for a location that does not ship, and for a store while ship-from-store is off
    for the merchant or the channel. ``can_pickup`` is whether customers may collect orders
    there; it only matters for the ``pickup_at`` store. Costs are in minor units of the
    merchant's currency.
    """

    code: str
    point: Point
    priority: int = 100  # lower ships first
    can_ship: bool = True
    can_pickup: bool = True
    capacity_left: int | None = None  # orders it may still take today; None = no limit
    handling_cost: int = 0  # per shipment, for the lowest-cost policy
    cost_per_km: int = 0  # per km of great-circle distance, for the lowest-cost policy


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
    """One order to source. ``stock`` holds what each location may still sell (on hand less
    reserved less safety stock); keys for locations not in ``sites`` are ignored.
    ``allow_backorder`` is the channel's rule. ``destination_source`` is the text of
    ``geo.describe`` when the destination was estimated from a country or postal code."""

    lines: Sequence[Line]
    destination: Point | None
    stock: Mapping[tuple[str, str], int]  # (location, sku) -> units free to sell
    sites: Sequence[Site]
    policy: SourcingPolicy = SourcingPolicy.NEAREST
    pickup_at: str | None = None
    allow_backorder: bool = False
    destination_source: str | None = None


@dataclass
class Plan:
    """Where each line ships from. ``shortfall`` is what no eligible location had: it is
    ``backordered`` when the channel allows, else the plan is ``refused`` and allocates
    nothing. ``skipped`` names every location left out, and why."""

    allocations: list[Allocation] = field(default_factory=list)
    backordered: dict[str, int] = field(default_factory=dict)  # line key -> units
    refused: bool = False
    shortfall: dict[str, int] = field(default_factory=dict)  # line key -> units no one had
    skipped: dict[str, str] = field(default_factory=dict)  # location -> why
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
