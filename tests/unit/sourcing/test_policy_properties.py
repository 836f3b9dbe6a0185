"""Properties every plan keeps, whatever the stock, the flags and the policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from openoms.sourcing.policy import Line, Plan, Request, Site, SourcingPolicy, plan

from .places import MUNICH, SAN_FRANCISCO, SITES, UTRECHT

SKUS = ["A", "B", "C", "D"]


@st.composite
def requests(draw: st.DrawFn) -> Request:
    sites = [
        replace(
            site,
            priority=draw(st.integers(0, 3)),
            can_ship=draw(st.booleans()),
            can_pickup=draw(st.booleans()),
            capacity_left=draw(st.sampled_from([None, 0, 1])),
        )
        for site in SITES.values()
    ]
    stock = draw(
        st.dictionaries(
            st.tuples(st.sampled_from([*SITES, "ST-GONE"]), st.sampled_from(SKUS)),
            st.integers(-2, 6),
            max_size=16,
        )
    )
    quantities = draw(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(0, 6)), max_size=5))
    return Request(
        lines=[Line(f"L{i}", sku, qty) for i, (sku, qty) in enumerate(quantities)],
        destination=draw(st.sampled_from([None, UTRECHT, MUNICH, SAN_FRANCISCO])),
        stock=stock,
        sites=sites,
        policy=draw(st.sampled_from(SourcingPolicy)),
        pickup_at=draw(st.sampled_from([None, None, "ST-AMS", "WH-RTM", "ST-GONE"])),
        allow_backorder=draw(st.booleans()),
    )


@given(requests())
def test_every_allocated_unit_is_in_stock_at_its_location(request: Request) -> None:
    result = plan(request)
    used = Counter[tuple[str, str]]()
    for a in result.allocations:
        assert a.quantity > 0
        used[(a.location, a.sku)] += a.quantity
    for key, units in used.items():
        assert units <= request.stock.get(key, 0)


@given(requests())
def test_every_ordered_unit_is_allocated_or_backordered_unless_refused(request: Request) -> None:
    result = plan(request)
    if result.refused:
        assert result.allocations == []
        # short of stock, or the customer's pickup store cannot serve the order at all
        assert result.shortfall or request.pickup_at in result.skipped
        return
    for ln in request.lines:
        assert result.allocated(ln.key) + result.backordered.get(ln.key, 0) == ln.quantity
    assert result.backordered == result.shortfall
    assert request.allow_backorder or not result.backordered


@given(requests())
def test_nothing_ships_from_a_skipped_or_ineligible_location(request: Request) -> None:
    result = plan(request)
    sites = {site.code: site for site in request.sites}
    for code in result.locations:
        assert code not in result.skipped
        site = sites[code]
        assert site.capacity_left is None or site.capacity_left > 0
        if request.pickup_at is None:
            assert site.can_ship
        else:
            assert code == request.pickup_at


@given(requests())
def test_a_shipment_uses_the_fewest_locations_that_hold_what_can_be_had(request: Request) -> None:
    result = plan(request)
    if request.pickup_at is not None or result.refused:
        return
    eligible = [s.code for s in request.sites if _eligible(s)]
    best = _fewest_by_brute_force(request, eligible)
    assert len(result.locations) == best


@given(requests())
def test_the_plan_is_deterministic_and_ignores_the_order_of_sites(request: Request) -> None:
    first = plan(request)
    assert plan(request) == first
    assert plan(replace(request, sites=list(reversed(request.sites)))) == first
    assert all(sentence.endswith(".") for sentence in first.explanation)


def _eligible(site: Site) -> bool:
    return site.can_ship and (site.capacity_left is None or site.capacity_left > 0)


def _fewest_by_brute_force(request: Request, eligible: list[str]) -> int:
    demand = Counter[str]()
    for ln in request.lines:
        demand[ln.sku] += ln.quantity

    def covered(codes: tuple[str, ...]) -> int:
        return sum(
            min(need, sum(max(0, request.stock.get((c, sku), 0)) for c in codes))
            for sku, need in demand.items()
        )

    most = covered(tuple(eligible))
    return next(
        size
        for size in range(len(eligible) + 1)
        if any(covered(combo) == most for combo in combinations(eligible, size))
    )


def test_an_empty_order_plans_nothing() -> None:
    assert plan(Request([], UTRECHT, {}, list(SITES.values()))) == Plan()
