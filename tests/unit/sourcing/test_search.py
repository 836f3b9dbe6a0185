"""The fewest-locations search: exact while it is affordable, greedy (and honest) beyond."""

from __future__ import annotations

from openoms.sourcing.search import coverage, fewest_locations

# Ranked best first. Greedy by most units takes X (4 units), then Y and Z for the last two
# SKUs, none of which the others make redundant. P and Q together hold everything.
CANDIDATES = ["X", "Y", "Z", "P", "Q"]
DEMAND = {f"S{i}": 1 for i in range(1, 7)}
STOCK = {
    **{("X", sku): 1 for sku in ("S1", "S2", "S4", "S5")},
    ("Y", "S3"): 1,
    ("Z", "S6"): 1,
    **{("P", sku): 1 for sku in ("S1", "S2", "S3")},
    **{("Q", sku): 1 for sku in ("S4", "S5", "S6")},
}


def by_rank(codes: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(sorted(CANDIDATES.index(code) for code in codes))


def test_the_exact_search_finds_two_locations_where_greedy_takes_three() -> None:
    choice = fewest_locations(CANDIDATES, DEMAND, STOCK, by_rank)
    assert choice.codes == ("P", "Q")
    assert choice.is_fewest


def test_past_the_budget_the_greedy_cover_is_used_and_not_claimed_the_fewest() -> None:
    choice = fewest_locations(CANDIDATES, DEMAND, STOCK, by_rank, budget=5)
    assert choice.codes == ("X", "Y", "Z")
    assert not choice.is_fewest


def test_a_greedy_cover_one_larger_than_the_sizes_searched_is_proved_the_fewest() -> None:
    # every SKU at exactly one location: all three are needed; sizes 1 and 2 are searched
    stock = {("A", "S1"): 1, ("B", "S2"): 1, ("C", "S3"): 1, ("D", "S1"): 1}
    demand = {"S1": 1, "S2": 1, "S3": 1}
    choice = fewest_locations(["A", "B", "C", "D"], demand, stock, sorted, budget=6)
    assert choice.codes == ("A", "B", "C")
    assert choice.is_fewest


def test_the_greedy_cover_drops_locations_the_others_make_redundant() -> None:
    # greedy takes X (4 units) first; P and Q then cover everything without it
    stock = {key: units for key, units in STOCK.items() if key[0] not in ("Y", "Z")}
    choice = fewest_locations(CANDIDATES, DEMAND, stock, by_rank, budget=0)
    assert choice.codes == ("P", "Q")


def test_when_no_set_covers_everything_the_fewest_cover_all_that_can_be_covered() -> None:
    stock = {("A", "S1"): 1, ("B", "S1"): 5, ("B", "S2"): 1}
    choice = fewest_locations(["A", "B"], {"S1": 3, "S2": 2, "S3": 1}, stock, sorted)
    assert choice.codes == ("B",)
    assert coverage(choice.codes, {"S1": 3, "S2": 2, "S3": 1}, stock) == 4


def test_nothing_in_stock_chooses_no_location() -> None:
    choice = fewest_locations(["A"], {"S1": 1}, {}, sorted)
    assert choice.codes == ()
