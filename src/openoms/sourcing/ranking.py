"""The policy's order on locations and on sets of locations, and how it reads."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openoms.sourcing.model import Request, Site, SourcingPolicy, distance_km


@dataclass(frozen=True)
class Ranking:
    """The policy's order on locations and on sets of locations."""

    policy: SourcingPolicy
    sites: Mapping[str, Site]
    km: Mapping[str, float] | None  # None without a destination

    def key(self, codes: tuple[str, ...]) -> tuple[Any, ...]:
        distance = math.fsum(self.distance(code) for code in codes)
        priorities = tuple(sorted(self.sites[code].priority for code in codes))
        names = tuple(sorted(codes))
        if self.policy is SourcingPolicy.PRIORITY:
            return (priorities, distance, names)
        if self.policy is SourcingPolicy.LOWEST_COST:
            return (sum(self.cost(code) for code in codes), distance, priorities, names)
        return (distance, priorities, names)

    def distance(self, code: str) -> float:
        return 0.0 if self.km is None else self.km[code]

    def cost(self, code: str) -> int:
        site = self.sites[code]
        return site.handling_cost + round(site.cost_per_km * self.distance(code))

    def reason(self) -> str:
        if self.policy is SourcingPolicy.LOWEST_COST:
            return "lowest cost"
        if self.policy is SourcingPolicy.PRIORITY or self.km is None:
            return "highest priority"
        return "nearest"

    def details(self, code: str) -> str:
        priority = [f"priority {self.sites[code].priority}"]
        away = [] if self.km is None else [f"{self.km[code]:,.0f} km away"]
        if self.policy is SourcingPolicy.PRIORITY:
            return ", ".join([*priority, *away])
        if self.policy is SourcingPolicy.LOWEST_COST:
            cost = f"estimated cost {self.cost(code):,} minor units"
            return ", ".join([cost, *away, *priority])
        return ", ".join([*away, *priority])


def ranking_for(request: Request, sites: Sequence[Site]) -> Ranking:
    by_code = {site.code: site for site in sites}
    destination = request.destination
    if destination is None:
        return Ranking(request.policy, by_code, None)
    km = {site.code: distance_km(site.point, destination) for site in sites}
    return Ranking(request.policy, by_code, km)
