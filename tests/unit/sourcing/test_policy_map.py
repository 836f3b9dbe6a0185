"""Sourcing on a map of real places: which location ships, and what the timeline says."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from openoms.sourcing import geo
from openoms.sourcing.policy import Line, Point, Request, Site, SourcingPolicy, plan

from .places import MUNICH, ROTTERDAM, SAN_FRANCISCO, UTRECHT, sites

NEAREST = SourcingPolicy.NEAREST
REFUSED_A2 = "Refused: not enough stock for A x2, and this channel does not allow backorders."


@dataclass(frozen=True)
class Case:
    id: str
    stock: dict[tuple[str, str], int]
    ordered: list[tuple[str, int]]  # (sku, quantity); line keys are L1, L2, ...
    allocations: list[tuple[str, str, int]]  # (line key, location, quantity), in plan order
    explanation: list[str]
    destination: Point | None = UTRECHT
    policy: SourcingPolicy = NEAREST
    site_changes: dict[str, dict[str, object]] = field(default_factory=dict)
    extra_sites: tuple[Site, ...] = ()
    pickup_at: str | None = None
    allow_backorder: bool = False
    destination_source: str | None = None
    backordered: dict[str, int] = field(default_factory=dict)
    refused: bool = False


CASES = [
    Case(
        "nearest location that can ship everything wins",
        stock={("WH-RTM", "A"): 5, ("WH-LEJ", "A"): 5, ("WH-MAD", "A"): 5},
        ordered=[("A", 2)],
        allocations=[("L1", "WH-RTM", 2)],
        explanation=["WH-RTM can ship every line; chosen as nearest (48 km away, priority 10)."],
    ),
    Case(
        "nearness beats a better priority",
        stock={("WH-RTM", "A"): 5, ("WH-LEJ", "A"): 5},
        ordered=[("A", 2)],
        destination=MUNICH,
        allocations=[("L1", "WH-LEJ", 2)],
        explanation=["WH-LEJ can ship every line; chosen as nearest (361 km away, priority 20)."],
    ),
    Case(
        "priority breaks a tie at equal distance",
        stock={("WH-RTM", "A"): 5, ("WH-RTM2", "A"): 5},
        ordered=[("A", 2)],
        extra_sites=(Site("WH-RTM2", ROTTERDAM, priority=5),),
        allocations=[("L1", "WH-RTM2", 2)],
        explanation=["WH-RTM2 can ship every line; chosen as nearest (48 km away, priority 5)."],
    ),
    Case(
        "a US order ships from Reno",
        stock={("WH-RTM", "A"): 5, ("WH-RNO", "A"): 5},
        ordered=[("A", 1)],
        destination=SAN_FRANCISCO,
        allocations=[("L1", "WH-RNO", 1)],
        explanation=["WH-RNO can ship every line; chosen as nearest (299 km away, priority 30)."],
    ),
    Case(
        "one far location that ships everything beats a nearer split",
        stock={("ST-AMS", "A"): 2, ("WH-RTM", "B"): 2, ("WH-LEJ", "A"): 2, ("WH-LEJ", "B"): 2},
        ordered=[("A", 2), ("B", 1)],
        allocations=[("L1", "WH-LEJ", 2), ("L2", "WH-LEJ", 1)],
        explanation=[
            "WH-LEJ is the only location that can ship every line (506 km away, priority 20)."
        ],
    ),
    Case(
        "lines of the same SKU share its stock",
        stock={("WH-RTM", "A"): 3, ("WH-LEJ", "A"): 4},
        ordered=[("A", 2), ("A", 2)],
        allocations=[("L1", "WH-LEJ", 2), ("L2", "WH-LEJ", 2)],
        explanation=[
            "WH-LEJ is the only location that can ship every line (506 km away, priority 20)."
        ],
    ),
    Case(
        "split across the fewest locations, nearest set first",
        stock={("WH-RTM", "A"): 2, ("WH-LEJ", "B"): 1, ("WH-MAD", "B"): 1},
        ordered=[("A", 2), ("B", 1)],
        allocations=[("L1", "WH-RTM", 2), ("L2", "WH-LEJ", 1)],
        explanation=[
            "No single location can ship every line; split across 2 locations, the fewest "
            "possible, preferring the nearest.",
            "WH-RTM ships 2 units: A x2 (48 km away, priority 10).",
            "WH-LEJ ships 1 unit: B x1 (506 km away, priority 20).",
        ],
    ),
    Case(
        # Greedy by most units takes ST-AMS (4 units), then WH-RTM and WH-LEJ for the last
        # two: 3 locations. ST-BER and WH-MAD together hold everything.
        "the exact search finds 2 locations where greedy would take 3",
        stock={
            **{("ST-AMS", sku): 1 for sku in ("S1", "S2", "S4", "S5")},
            ("WH-RTM", "S3"): 1,
            ("WH-LEJ", "S6"): 1,
            **{("ST-BER", sku): 1 for sku in ("S1", "S2", "S3")},
            **{("WH-MAD", sku): 1 for sku in ("S4", "S5", "S6")},
        },
        ordered=[(f"S{i}", 1) for i in range(1, 7)],
        allocations=[
            ("L1", "ST-BER", 1),
            ("L2", "ST-BER", 1),
            ("L3", "ST-BER", 1),
            ("L4", "WH-MAD", 1),
            ("L5", "WH-MAD", 1),
            ("L6", "WH-MAD", 1),
        ],
        explanation=[
            "No single location can ship every line; split across 2 locations, the fewest "
            "possible, preferring the nearest.",
            "ST-BER ships 3 units: S1 x1, S2 x1, S3 x1 (565 km away, priority 60).",
            "WH-MAD ships 3 units: S4 x1, S5 x1, S6 x1 (1,462 km away, priority 40).",
        ],
    ),
    Case(
        "a line ships whole from one location of a split when one can",
        stock={("WH-RTM", "A"): 1, ("WH-RTM", "B"): 2, ("WH-LEJ", "A"): 5},
        ordered=[("A", 3), ("B", 2)],
        allocations=[("L1", "WH-LEJ", 3), ("L2", "WH-RTM", 2)],
        explanation=[
            "No single location can ship every line; split across 2 locations, the fewest "
            "possible, preferring the nearest.",
            "WH-RTM ships 2 units: B x2 (48 km away, priority 10).",
            "WH-LEJ ships 3 units: A x3 (506 km away, priority 20).",
        ],
    ),
    Case(
        "pickup allocates at the store, nearer warehouse or not, shipping from it or not",
        stock={("ST-BER", "A"): 2, ("WH-RTM", "A"): 10},
        ordered=[("A", 2)],
        pickup_at="ST-BER",
        site_changes={"ST-BER": {"can_ship": False}},
        allocations=[("L1", "ST-BER", 2)],
        explanation=["Pickup at ST-BER: every line is in stock there."],
    ),
    Case(
        "pickup backorders what the store lacks where the channel allows",
        stock={("ST-AMS", "A"): 1, ("WH-RTM", "A"): 10},
        ordered=[("A", 3)],
        pickup_at="ST-AMS",
        allow_backorder=True,
        allocations=[("L1", "ST-AMS", 1)],
        backordered={"L1": 2},
        explanation=[
            "Pickup at ST-AMS: 1 of 3 units in stock there.",
            "Backordered until stock arrives: A x2.",
        ],
    ),
    Case(
        "pickup refuses what the store lacks where the channel does not allow backorders",
        stock={("ST-AMS", "A"): 1, ("WH-RTM", "A"): 10},
        ordered=[("A", 3)],
        pickup_at="ST-AMS",
        allocations=[],
        refused=True,
        explanation=[REFUSED_A2],
    ),
    Case(
        "pickup at a store without pickup is refused even with backorders",
        stock={("ST-AMS", "A"): 5},
        ordered=[("A", 1)],
        pickup_at="ST-AMS",
        allow_backorder=True,
        site_changes={"ST-AMS": {"can_pickup": False}},
        allocations=[],
        refused=True,
        explanation=["Refused: pickup store ST-AMS does not offer pickup."],
    ),
    Case(
        "pickup at a store at capacity is refused",
        stock={("ST-AMS", "A"): 5},
        ordered=[("A", 1)],
        pickup_at="ST-AMS",
        site_changes={"ST-AMS": {"capacity_left": 0}},
        allocations=[],
        refused=True,
        explanation=["Refused: pickup store ST-AMS has used up its daily order capacity."],
    ),
    Case(
        "pickup at an unknown store is refused",
        stock={("ST-XXX", "A"): 5},
        ordered=[("A", 1)],
        pickup_at="ST-XXX",
        allocations=[],
        refused=True,
        explanation=["Refused: pickup store ST-XXX is not a known location."],
    ),
    Case(
        "what is missing is backordered where the channel allows",
        stock={("WH-RTM", "A"): 1},
        ordered=[("A", 3)],
        allow_backorder=True,
        allocations=[("L1", "WH-RTM", 1)],
        backordered={"L1": 2},
        explanation=[
            "Not every unit is in stock: 1 of 3 units can ship, from 1 location.",
            "WH-RTM ships 1 unit: A x1 (48 km away, priority 10).",
            "Backordered until stock arrives: A x2.",
        ],
    ),
    Case(
        "what is missing refuses the order where the channel does not allow backorders",
        stock={("WH-RTM", "A"): 1},
        ordered=[("A", 3)],
        allocations=[],
        refused=True,
        explanation=[REFUSED_A2],
    ),
    Case(
        "nothing in stock anywhere is all backordered",
        stock={("WH-RTM", "B"): 4},
        ordered=[("A", 2)],
        allow_backorder=True,
        allocations=[],
        backordered={"L1": 2},
        explanation=[
            "No eligible location has stock for this order.",
            "Backordered until stock arrives: A x2.",
        ],
    ),
    Case(
        "a location at capacity is skipped and named",
        stock={("WH-RTM", "A"): 5, ("WH-LEJ", "A"): 5},
        ordered=[("A", 1)],
        site_changes={"WH-RTM": {"capacity_left": 0}},
        allocations=[("L1", "WH-LEJ", 1)],
        explanation=[
            "WH-RTM skipped: its daily order capacity is used up.",
            "WH-LEJ is the only location that can ship every line (506 km away, priority 20).",
        ],
    ),
    Case(
        "a store without ship-from-store is skipped and named; others are not mentioned",
        stock={("ST-AMS", "A"): 5, ("WH-RTM", "A"): 5},
        ordered=[("A", 1)],
        site_changes={"ST-AMS": {"can_ship": False}, "ST-BER": {"can_ship": False}},
        allocations=[("L1", "WH-RTM", 1)],
        explanation=[
            "ST-AMS skipped: it does not ship orders.",
            "WH-RTM is the only location that can ship every line (48 km away, priority 10).",
        ],
    ),
    Case(
        "lowest cost weighs handling and distance",
        stock={("WH-RTM", "A"): 5, ("WH-LEJ", "A"): 5},
        ordered=[("A", 1)],
        policy=SourcingPolicy.LOWEST_COST,
        site_changes={
            "WH-RTM": {"handling_cost": 500, "cost_per_km": 5},  # 500 + 5 x 48 km = 740
            "WH-LEJ": {"handling_cost": 300},
        },
        allocations=[("L1", "WH-LEJ", 1)],
        explanation=[
            "WH-LEJ can ship every line; chosen as lowest cost "
            "(estimated cost 300 minor units, 506 km away, priority 20)."
        ],
    ),
    Case(
        "the priority policy ranks by priority before distance",
        stock={("WH-RTM", "A"): 5, ("WH-LEJ", "A"): 5},
        ordered=[("A", 1)],
        destination=MUNICH,
        policy=SourcingPolicy.PRIORITY,
        allocations=[("L1", "WH-RTM", 1)],
        explanation=[
            "WH-RTM can ship every line; chosen as highest priority (priority 10, 659 km away)."
        ],
    ),
    Case(
        "fewest splits prefers the nearest among equal splits",
        stock={("WH-RTM", "A"): 1, ("WH-LEJ", "B"): 1, ("ST-AMS", "B"): 1},
        ordered=[("A", 1), ("B", 1)],
        policy=SourcingPolicy.FEWEST_SPLITS,
        allocations=[("L1", "WH-RTM", 1), ("L2", "ST-AMS", 1)],
        explanation=[
            "No single location can ship every line; split across 2 locations, the fewest "
            "possible, preferring the nearest.",
            "ST-AMS ships 1 unit: B x1 (34 km away, priority 50).",
            "WH-RTM ships 1 unit: A x1 (48 km away, priority 10).",
        ],
    ),
    Case(
        "without a destination the ranking falls back to priority",
        stock={("ST-AMS", "A"): 5, ("WH-LEJ", "A"): 5, ("WH-RTM", "A"): 5},
        ordered=[("A", 1)],
        destination=None,
        allocations=[("L1", "WH-RTM", 1)],
        explanation=[
            "No destination coordinates, so locations are ranked by priority.",
            "WH-RTM can ship every line; chosen as highest priority (priority 10).",
        ],
    ),
    Case(
        "an estimated destination is named",
        stock={("WH-RTM", "A"): 5, ("ST-AMS", "A"): 5},
        ordered=[("A", 1)],
        destination=geo.locate("NL", "3511 AB"),
        destination_source=geo.describe("NL", "3511 AB"),
        allocations=[("L1", "ST-AMS", 1)],
        explanation=[
            "Destination located by postal area NL-35 (Utrecht); distances are approximate.",
            "ST-AMS can ship every line; chosen as nearest (34 km away, priority 50).",
        ],
    ),
]


def request_for(case: Case) -> Request:
    return Request(
        lines=[Line(f"L{i}", sku, qty) for i, (sku, qty) in enumerate(case.ordered, start=1)],
        destination=case.destination,
        stock=case.stock,
        sites=[
            *sites(**{k.replace("-", "_"): v for k, v in case.site_changes.items()}),
            *case.extra_sites,
        ],
        policy=case.policy,
        pickup_at=case.pickup_at,
        allow_backorder=case.allow_backorder,
        destination_source=case.destination_source,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_sourcing_on_the_map(case: Case) -> None:
    result = plan(request_for(case))
    assert [(a.line_key, a.location, a.quantity) for a in result.allocations] == case.allocations
    assert result.backordered == case.backordered
    assert result.refused is case.refused
    assert result.explanation == case.explanation


def test_a_refused_plan_says_which_lines_are_short_and_allocates_nothing() -> None:
    case = next(c for c in CASES if c.id.startswith("what is missing refuses"))
    result = plan(request_for(case))
    assert result.shortfall == {"L1": 2}
    assert result.allocations == []


def test_a_skipped_location_is_recorded_even_without_stock_for_the_order() -> None:
    result = plan(
        Request(
            lines=[Line("L1", "A", 1)],
            destination=UTRECHT,
            stock={("WH-RTM", "A"): 1},
            sites=sites(ST_BER={"can_ship": False}, WH_MAD={"capacity_left": 0}),
        )
    )
    assert result.skipped == {
        "ST-BER": "it does not ship orders",
        "WH-MAD": "its daily order capacity is used up",
    }
    assert not any("skipped" in sentence for sentence in result.explanation)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Request([Line("L1", "A", 1)], None, {}, sites() + sites()), "two sites share a code"),
        (Request([Line("L1", "A", 1), Line("L1", "B", 1)], None, {}, sites()), "share a key"),
        (Request([Line("L1", "A", -1)], None, {}, sites()), "negative quantity"),
    ],
)
def test_a_malformed_request_is_a_programming_error(request_: Request, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(request_)


def test_past_the_search_budget_a_split_is_chosen_greedily_and_says_so() -> None:
    # given: 20 locations on a line east of Rotterdam, each holding one SKU of the order
    far = [Site(f"WH-{i:02}", Point(ROTTERDAM.latitude, 4.5 + i / 2)) for i in range(20)]
    stock = {(site.code, f"S{i:02}"): 1 for i, site in enumerate(far)}
    lines = [Line(f"L{i}", f"S{i:02}", 1) for i in range(20)]
    # when
    result = plan(Request(lines, UTRECHT, stock, far))
    # then
    assert len(result.locations) == 20
    assert result.explanation[0] == (
        "No single location can ship every line; split across 20 locations, "
        "a greedy choice among 20 candidates (fewer may exist)."
    )
