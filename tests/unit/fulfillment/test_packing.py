"""Box proposal: placements, weight limits, the cheapest plan and carriers' weights."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoms.fulfillment.packing import (
    BoxType,
    Item,
    ItemFitsNoBox,
    PackedBox,
    PackingPlan,
    billable_weight_g,
    dimensional_weight_g,
    fit,
    naive_cost,
    propose,
)


def box(
    code: str,
    dims: tuple[int, int, int],
    *,
    cost: int = 100,
    tare_g: int = 0,
    max_weight_g: int = 30_000,
) -> BoxType:
    return BoxType(code, code, *dims, tare_g=tare_g, max_weight_g=max_weight_g, cost=cost)


def item(ref: str, dims: tuple[int, int, int], weight_g: int = 100) -> Item:
    return Item(ref, *dims, weight_g=weight_g)


SMALL = box("S", (200, 150, 100), cost=80)
MEDIUM = box("M", (300, 250, 150), cost=120)
LARGE = box("L", (400, 300, 250), cost=200)


# --- fit ----------------------------------------------------------------------------------------


def test_fits_an_item_that_only_fits_when_rotated() -> None:
    upright = item("POSTER-TUBE", (30, 100, 50))

    packed = fit([upright], box("LONG", (100, 50, 30)))

    assert packed is not None
    (placement,) = packed.placements
    assert (placement.dx, placement.dy, placement.dz) == (100, 50, 30)
    assert (placement.x, placement.y, placement.z) == (0, 0, 0)


def test_an_item_too_long_in_every_rotation_does_not_fit() -> None:
    assert fit([item("SKI", (200, 10, 10))], box("CUBE", (150, 150, 150))) is None


def test_fits_items_side_by_side_and_stacked() -> None:
    # given eight 50 mm cubes and a 100 mm cube box: exactly two layers of four
    cubes = [item("CUBE", (50, 50, 50)) for _ in range(8)]

    # when
    packed = fit(cubes, box("CUBE", (100, 100, 100)))

    # then
    assert packed is not None
    corners = {(p.x, p.y, p.z) for p in packed.placements}
    assert corners == {(x, y, z) for x in (0, 50) for y in (0, 50) for z in (0, 50)}
    assert packed.volume_used_mm3 == 1_000_000
    assert packed.fill_ratio == 1.0


def test_a_ninth_cube_does_not_fit_a_full_box() -> None:
    cubes = [item("CUBE", (50, 50, 50)) for _ in range(9)]

    assert fit(cubes, box("CUBE", (100, 100, 100))) is None


def test_weight_limit_counts_the_box_tare() -> None:
    crate = box("CRATE", (500, 500, 500), tare_g=200, max_weight_g=1_000)

    at_limit = fit([item("A", (10, 10, 10), 500), item("B", (10, 10, 10), 300)], crate)
    over = fit([item("A", (10, 10, 10), 500), item("B", (10, 10, 10), 301)], crate)

    assert at_limit is not None
    assert at_limit.content_weight_g == 800
    assert at_limit.gross_weight_g == 1_000
    assert over is None


def test_fit_is_deterministic_whatever_the_input_order() -> None:
    items = [item(f"SKU-{n}", (20 + n * 7, 30 + n * 3, 15 + n), 50 * n) for n in range(10)]
    shuffled = list(items)
    random.Random(7).shuffle(shuffled)

    assert fit(items, LARGE) == fit(shuffled, LARGE) == fit(items, LARGE)


# --- propose ------------------------------------------------------------------------------------


def test_chooses_the_cheapest_box_that_holds_everything() -> None:
    # given three books too big together for S, that M and L both hold
    books = [item("BOOK", (240, 170, 40), 500) for _ in range(3)]

    # when
    plan = propose(books, [LARGE, SMALL, MEDIUM])

    # then
    assert [b.box.code for b in plan.boxes] == ["M"]
    assert plan.cost == 120
    assert plan.explanation == ["3 items fit in one M box (cost 1.20)"]


def test_on_equal_cost_chooses_the_smaller_box() -> None:
    roomy = box("ROOMY", (500, 500, 500), cost=100)
    snug = box("SNUG", (100, 100, 100), cost=100)

    plan = propose([item("MUG", (90, 90, 100))], [roomy, snug])

    assert [b.box.code for b in plan.boxes] == ["SNUG"]
    assert plan.explanation == ["1 item fits in one SNUG box (cost 1.00)"]


def test_splits_when_no_single_box_holds_everything() -> None:
    # given seven bricks of which one S box holds three by volume and none by weight holds all
    bricks = [item("BRICK", (190, 90, 60), 2_000) for _ in range(7)]
    crate = box("C", (200, 200, 200), cost=150, max_weight_g=6_000)

    # when
    plan = propose(bricks, [crate])

    # then
    assert len(plan.boxes) == 3
    assert sorted(len(b.placements) for b in plan.boxes) == [1, 3, 3]
    assert plan.cost == 450
    assert plan.explanation[0] == "Split into 3 boxes: no single box holds all 7 items"
    assert plan.explanation[1].startswith("Box 1: 3 items in a C box (cost 1.50)")


def test_splits_into_cheaper_boxes_when_the_one_box_that_holds_all_costs_more() -> None:
    # given two items that each fit a cheap S and together only fit a dear L
    items = [item("LAMP", (190, 140, 90)), item("LAMP", (190, 140, 90))]
    dear_large = box("L", (400, 300, 250), cost=500)

    # when
    plan = propose(items, [SMALL, dear_large])

    # then
    assert [b.box.code for b in plan.boxes] == ["S", "S"]
    assert plan.cost == 160
    assert plan.explanation[0] == "Split into 2 boxes: cheaper (1.60) than one L box (cost 5.00)"


def test_a_free_box_is_opened_before_paid_ones() -> None:
    mailer = box("MAILER", (300, 200, 50), cost=0)
    cards = [item("CARD", (150, 100, 5), 20) for _ in range(12)]

    plan = propose(cards, [SMALL, mailer])

    assert [b.box.code for b in plan.boxes] == ["MAILER"]
    assert plan.cost == 0


def test_an_item_that_fits_no_box_type_by_size_is_named_in_the_error() -> None:
    items = [item("MUG", (90, 90, 100)), item("SURFBOARD", (2_000, 500, 80))]

    with pytest.raises(ItemFitsNoBox) as raised:
        propose(items, [SMALL, MEDIUM])

    assert raised.value.refs == ("SURFBOARD",)
    assert raised.value.items == (items[1],)
    assert str(raised.value) == (
        "No box type holds SURFBOARD (2000x500x80 mm is larger than every box type in any rotation)"
    )


def test_an_item_too_heavy_for_every_box_large_enough_is_named_in_the_error() -> None:
    weak = box("WEAK", (300, 300, 300), tare_g=500, max_weight_g=10_500)
    anvils = [item("ANVIL", (100, 100, 100), 12_000), item("ANVIL", (100, 100, 100), 12_000)]

    with pytest.raises(ItemFitsNoBox) as raised:
        propose(anvils, [weak, box("TINY", (50, 50, 50), max_weight_g=99_000)])

    assert raised.value.refs == ("ANVIL",)
    assert len(raised.value.items) == 2
    assert raised.value.code == "item_fits_no_box"
    assert "ANVIL (12000 g is over the 10000 g any box type large enough can carry)" in str(
        raised.value
    )


def test_naive_cost_raises_for_an_item_that_fits_no_box() -> None:
    with pytest.raises(ItemFitsNoBox):
        naive_cost([item("SURFBOARD", (2_000, 500, 80))], [SMALL])


def test_no_items_or_no_boxes_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no items"):
        propose([], [SMALL])
    with pytest.raises(ValueError, match="no box types"):
        propose([item("MUG", (90, 90, 100))], [])


def test_naive_cost_is_each_item_in_the_cheapest_box_that_holds_it() -> None:
    items = [item("MUG", (90, 90, 100)), item("BOOK", (240, 170, 40)), item("RUG", (380, 280, 200))]

    assert naive_cost(items, [LARGE, MEDIUM, SMALL]) == 80 + 120 + 200


def test_rejects_boxes_and_items_with_impossible_values() -> None:
    with pytest.raises(ValueError, match="dimensions"):
        box("FLAT", (100, 100, 0))
    with pytest.raises(ValueError, match="max weight"):
        box("FLIMSY", (100, 100, 100), tare_g=500, max_weight_g=400)
    with pytest.raises(ValueError, match="weight"):
        item("GHOST", (10, 10, 10), -1)


def test_forty_units_and_five_box_types_propose_quickly() -> None:
    rng = random.Random(40)
    boxes = [SMALL, MEDIUM, LARGE, box("XL", (600, 400, 400), cost=350), box("F", (350, 250, 50))]
    items = [
        item(f"SKU-{n % 6}", (rng.randint(20, 200), rng.randint(20, 150), rng.randint(10, 120)))
        for n in range(40)
    ]

    started = time.perf_counter()
    propose(items, boxes)

    # About 10 ms on a laptop; the bound leaves room for a busy CI machine.
    assert time.perf_counter() - started < 1.0


# --- carriers' weights --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dims", "divisor", "grams"),
    [
        ((300, 200, 100), 5_000, 1_200),
        ((300, 200, 100), 6_000, 1_000),
        ((301, 200, 100), 5_000, 1_204),
        ((300, 200, 101), 7_000, 866),  # 6,060,000 / 7,000 = 865.7 -> 866
        ((1, 1, 1), 5_000, 1),
        ((0, 200, 100), 5_000, 0),
    ],
)
def test_dimensional_weight_is_rounded_up_to_the_gram(
    dims: tuple[int, int, int], divisor: int, grams: int
) -> None:
    assert dimensional_weight_g(*dims, divisor=divisor) == grams


def test_dimensional_weight_rejects_a_bad_divisor_or_negative_dimensions() -> None:
    with pytest.raises(ValueError, match="divisor"):
        dimensional_weight_g(300, 200, 100, 0)
    with pytest.raises(ValueError, match="negative"):
        dimensional_weight_g(300, -200, 100, 5_000)


def test_billable_weight_is_the_larger_of_actual_and_dimensional() -> None:
    assert billable_weight_g(800, 1_200) == 1_200
    assert billable_weight_g(2_500, 1_200) == 2_500
    assert billable_weight_g(1_200, 1_200) == 1_200


# --- properties ---------------------------------------------------------------------------------


@st.composite
def box_types(draw: st.DrawFn) -> list[BoxType]:
    count = draw(st.integers(3, 5))
    boxes = []
    for n in range(count):
        tare = draw(st.integers(0, 300))
        boxes.append(
            BoxType(
                code=f"B{n}",
                name=f"B{n}",
                length_mm=draw(st.integers(20, 150)),
                width_mm=draw(st.integers(20, 150)),
                height_mm=draw(st.integers(10, 120)),
                tare_g=tare,
                max_weight_g=tare + draw(st.integers(200, 10_000)),
                cost=draw(st.integers(0, 500)),
            )
        )
    return boxes


@st.composite
def packable(draw: st.DrawFn) -> tuple[list[Item], list[BoxType]]:
    """Box types, and items each made to fit one of them alone in some rotation."""
    boxes = draw(box_types())
    items = []
    for n in range(draw(st.integers(1, 14))):
        home = draw(st.sampled_from(boxes))
        dims = [
            draw(st.integers(1, side)) for side in (home.length_mm, home.width_mm, home.height_mm)
        ]
        shuffled = draw(st.permutations(dims))
        weight = draw(st.integers(0, home.max_weight_g - home.tare_g))
        ref = draw(st.sampled_from(["A", "B", "C", f"U{n}"]))
        items.append(Item(ref, *shuffled, weight_g=weight))
    return items, boxes


def assert_valid_box(packed: PackedBox) -> None:
    bounds = (packed.box.length_mm, packed.box.width_mm, packed.box.height_mm)
    solids = []
    for p in packed.placements:
        assert sorted((p.dx, p.dy, p.dz)) == sorted(
            (p.item.length_mm, p.item.width_mm, p.item.height_mm)
        )
        assert min(p.x, p.y, p.z) >= 0
        assert p.x + p.dx <= bounds[0]
        assert p.y + p.dy <= bounds[1]
        assert p.z + p.dz <= bounds[2]
        solids.append(((p.x, p.x + p.dx), (p.y, p.y + p.dy), (p.z, p.z + p.dz)))
    for i, a in enumerate(solids):
        for b in solids[i + 1 :]:
            apart = any(
                a_hi <= b_lo or b_hi <= a_lo
                for (a_lo, a_hi), (b_lo, b_hi) in zip(a, b, strict=True)
            )
            assert apart, f"{a} overlaps {b}"
    weight = sum(p.item.weight_g for p in packed.placements) + packed.box.tare_g
    assert packed.gross_weight_g == weight <= packed.box.max_weight_g


def assert_valid_plan(plan: PackingPlan, items: Sequence[Item]) -> None:
    placed = Counter(p.item for b in plan.boxes for p in b.placements)
    assert placed == Counter(items)
    assert all(b.placements for b in plan.boxes)
    for packed in plan.boxes:
        assert_valid_box(packed)
    assert plan.cost == sum(b.box.cost for b in plan.boxes)


@settings(max_examples=150)
@given(packable())
def test_a_plan_places_every_item_once_inside_its_box_and_costs_no_more_than_naive(
    case: tuple[list[Item], list[BoxType]],
) -> None:
    items, boxes = case

    plan = propose(items, boxes)

    assert_valid_plan(plan, items)
    assert plan.cost <= naive_cost(items, boxes)
    assert plan.explanation


@settings(max_examples=60)
@given(packable(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_items_or_boxes(
    case: tuple[list[Item], list[BoxType]], rng: random.Random
) -> None:
    items, boxes = case
    items_shuffled, boxes_shuffled = list(items), list(boxes)
    rng.shuffle(items_shuffled)
    rng.shuffle(boxes_shuffled)

    assert propose(items_shuffled, boxes_shuffled) == propose(items, boxes)


@settings(max_examples=100)
@given(packable())
def test_a_single_box_fit_is_valid_and_no_dearer_plan_is_proposed(
    case: tuple[list[Item], list[BoxType]],
) -> None:
    items, boxes = case

    fits = [packed for b in boxes if (packed := fit(items, b)) is not None]

    for packed in fits:
        assert_valid_plan(PackingPlan((packed,)), items)
    if fits:
        assert propose(items, boxes).cost <= min(packed.box.cost for packed in fits)


@settings(max_examples=100)
@given(
    box_types(),
    st.lists(
        st.builds(
            Item,
            ref=st.sampled_from(["A", "B", "C"]),
            length_mm=st.integers(1, 200),
            width_mm=st.integers(1, 200),
            height_mm=st.integers(1, 200),
            weight_g=st.integers(0, 12_000),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_fits_no_box_is_raised_exactly_when_some_item_fits_no_box_alone(
    boxes: list[BoxType], items: list[Item]
) -> None:
    def holds(b: BoxType, i: Item) -> bool:
        inner = sorted((b.length_mm, b.width_mm, b.height_mm))
        outer = sorted((i.length_mm, i.width_mm, i.height_mm))
        fits_size = all(o <= n for o, n in zip(outer, inner, strict=True))
        return fits_size and i.weight_g + b.tare_g <= b.max_weight_g

    homeless = [i for i in items if not any(holds(b, i) for b in boxes)]

    if homeless:
        with pytest.raises(ItemFitsNoBox) as raised:
            propose(items, boxes)
        assert Counter(raised.value.items) == Counter(homeless)
        assert all(ref in str(raised.value) for ref in raised.value.refs)
    else:
        assert_valid_plan(propose(items, boxes), items)


def test_the_billable_weight_per_carrier_divisor() -> None:
    # 400 x 300 x 200 mm = 24,000 cm³; / 5000 = 4.8 kg, / 6000 = 4.0 kg
    assert billable_weight_g(2000, dimensional_weight_g(400, 300, 200, 5000)) == 4800
    assert billable_weight_g(6000, dimensional_weight_g(400, 300, 200, 5000)) == 6000
    assert billable_weight_g(2000, dimensional_weight_g(400, 300, 200, 6000)) == 4000
    assert billable_weight_g(0, dimensional_weight_g(1, 1, 1, 5000)) == 1
