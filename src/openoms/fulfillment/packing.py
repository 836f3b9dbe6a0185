"""Box proposal: the cheapest set of standard boxes that holds a parcel's items.

Pure and integer-only: millimetres, grams, costs in minor units. We keep our own small packer
because the only 3D bin-packing library on PyPI (py3dbp 1.1.2, unmaintained since 2020) gives up
on an item after the first in-bounds rotation collides, without trying the other five.

Placement is an extreme-point first-fit heuristic: items go in by volume (largest first) at the
lowest, rearmost, leftmost candidate point, in any of the six axis-aligned rotations. It is
deterministic and bounded, not optimal: ``propose`` may split items that an exact search would
fit in one box, but it never returns a plan dearer than one box per item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

from openoms.shared.errors import OmsError

_Point = tuple[int, int, int]
_Solid = tuple[int, int, int, int, int, int]  # x1, y1, z1, x2, y2, z2


@dataclass(frozen=True)
class BoxType:
    """A standard box: inner dimensions, the empty box's weight, its weight limit and cost."""

    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    tare_g: int
    max_weight_g: int  # the packed box, box included
    cost: int  # minor units of the merchant's currency

    def __post_init__(self) -> None:
        if min(self.length_mm, self.width_mm, self.height_mm) <= 0:
            raise ValueError(f"box {self.code}: dimensions must be positive")
        if self.tare_g < 0 or self.cost < 0 or self.max_weight_g < self.tare_g:
            raise ValueError(f"box {self.code}: tare and cost >= 0, max weight >= tare")

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True)
class Item:
    """One unit to pack; several units of one SKU are several items with the same ref."""

    ref: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int

    def __post_init__(self) -> None:
        if min(self.length_mm, self.width_mm, self.height_mm) <= 0 or self.weight_g < 0:
            raise ValueError(f"item {self.ref}: dimensions must be positive, weight >= 0")

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True)
class Placement:
    """Where an item sits: its corner nearest the box's origin and its rotated extent."""

    item: Item
    x: int
    y: int
    z: int
    dx: int
    dy: int
    dz: int


@dataclass(frozen=True)
class PackedBox:
    box: BoxType
    placements: tuple[Placement, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(p.item for p in self.placements)

    @property
    def content_weight_g(self) -> int:
        return sum(p.item.weight_g for p in self.placements)

    @property
    def gross_weight_g(self) -> int:
        return self.content_weight_g + self.box.tare_g

    @property
    def volume_used_mm3(self) -> int:
        return sum(p.item.volume_mm3 for p in self.placements)

    @property
    def fill_ratio(self) -> float:
        return self.volume_used_mm3 / self.box.volume_mm3


@dataclass(frozen=True)
class PackingPlan:
    """The proposed boxes; ``single_box_rejected`` is a box that holds everything but costs more."""

    boxes: tuple[PackedBox, ...]
    single_box_rejected: BoxType | None = None

    @property
    def cost(self) -> int:
        return sum(b.box.cost for b in self.boxes)

    @property
    def explanation(self) -> list[str]:
        if not self.boxes:
            return ["Nothing to pack"]
        if len(self.boxes) == 1:
            only = self.boxes[0]
            count = len(only.placements)
            verb = "fits" if count == 1 else "fit"
            return [f"{_items_text(count)} {verb} in one {_box_text(only.box)}"]
        total = sum(len(b.placements) for b in self.boxes)
        why = f"no single box holds all {total} items"
        if self.single_box_rejected is not None:
            alone = self.single_box_rejected
            why = f"cheaper ({_money(self.cost)}) than one {_box_text(alone)}"
        lines = [f"Split into {len(self.boxes)} boxes: {why}"]
        for number, packed in enumerate(self.boxes, start=1):
            content = _items_text(len(packed.placements))
            lines.append(f"Box {number}: {content} in a {_box_text(packed.box)}")
        return lines


class ItemFitsNoBox(OmsError):
    """Some items fit no box type, by size in any rotation or by weight with the box's tare."""

    code = "item_fits_no_box"
    kind = "conflict"
    title = "An item fits no box"

    def __init__(self, items: Sequence[Item], reasons: Mapping[str, str]) -> None:
        self.items = tuple(items)
        self.refs = tuple(dict.fromkeys(item.ref for item in items))
        self.reasons = dict(reasons)
        listed = "; ".join(f"{ref} ({why})" for ref, why in self.reasons.items())
        super().__init__(f"No box type holds {listed}", refs=list(self.refs), reasons=self.reasons)


def fit(items: Sequence[Item], box: BoxType) -> PackedBox | None:
    """All the items in one box of this type, or None when the heuristic finds no way."""
    ordered = _packing_order(items)
    weight = sum(item.weight_g for item in ordered) + box.tare_g
    volume = sum(item.volume_mm3 for item in ordered)
    if weight > box.max_weight_g or volume > box.volume_mm3:
        return None
    if not all(_holds_alone(box, item) for item in ordered):
        return None
    space = _Space(box)
    for item in ordered:
        if not space.place(item):
            return None
    return space.packed()


def propose(items: Sequence[Item], boxes: Sequence[BoxType]) -> PackingPlan:
    """The cheapest plan found for these items, preferring fewer boxes at equal cost.

    Raises:
        ValueError: no items or no box types.
        ItemFitsNoBox: some item fits no box type, by size or by weight.
    """
    naive = _naive_plan(items, boxes)
    single = _cheapest_single_box(items, boxes)
    plans = [] if single is None else [PackingPlan((single,))]
    rejected = None if single is None else single.box
    plans.append(PackingPlan(_greedy_boxes(items, boxes), rejected))
    plans.append(PackingPlan(naive.boxes, rejected))
    best = min(plans, key=lambda plan: (plan.cost, len(plan.boxes)))
    return best if len(best.boxes) > 1 else PackingPlan(best.boxes)


def naive_cost(items: Sequence[Item], boxes: Sequence[BoxType]) -> int:
    """The cost of packing each item alone in the cheapest box type that holds it.

    Raises:
        ValueError: no items or no box types.
        ItemFitsNoBox: some item fits no box type, by size or by weight.
    """
    return _naive_plan(items, boxes).cost


def dimensional_weight_g(length_mm: int, width_mm: int, height_mm: int, divisor: int) -> int:
    """A carrier's volumetric weight: cm³ / divisor (cm³ per kg) in kg, in grams rounded up."""
    if divisor <= 0:
        raise ValueError("the divisor must be positive")
    if min(length_mm, width_mm, height_mm) < 0:
        raise ValueError("dimensions must not be negative")
    # mm³ / 1000 = cm³ and kg * 1000 = g cancel out: grams = mm³ / divisor.
    return -(-(length_mm * width_mm * height_mm) // divisor)


def billable_weight_g(actual_g: int, dimensional_g: int) -> int:
    """The weight a carrier bills: the larger of the actual and the dimensional weight."""
    return max(actual_g, dimensional_g)


class _Space:
    """One box being filled: the solids placed so far and the extreme points left to try."""

    def __init__(self, box: BoxType) -> None:
        self.box = box
        self.limits = (box.length_mm, box.width_mm, box.height_mm)
        self.placements: list[Placement] = []
        self.solids: list[_Solid] = []
        self.points: list[_Point] = [(0, 0, 0)]
        self.weight_g = box.tare_g
        self.free_mm3 = box.volume_mm3

    def place(self, item: Item) -> bool:
        if self.weight_g + item.weight_g > self.box.max_weight_g:
            return False
        if item.volume_mm3 > self.free_mm3:
            return False
        limit_x, limit_y, limit_z = self.limits
        rotations = _rotations((item.length_mm, item.width_mm, item.height_mm))
        for x, y, z in self.points:
            for dx, dy, dz in rotations:
                solid = (x, y, z, x + dx, y + dy, z + dz)
                if solid[3] > limit_x or solid[4] > limit_y or solid[5] > limit_z:
                    continue
                if not self._collides(solid):
                    self._add(Placement(item, x, y, z, dx, dy, dz), solid)
                    return True
        return False

    def packed(self) -> PackedBox:
        return PackedBox(self.box, tuple(self.placements))

    def _collides(self, a: _Solid) -> bool:
        return any(
            a[0] < b[3]
            and b[0] < a[3]
            and a[1] < b[4]
            and b[1] < a[4]
            and a[2] < b[5]
            and b[2] < a[5]
            for b in self.solids
        )

    def _add(self, placement: Placement, solid: _Solid) -> None:
        self.placements.append(placement)
        self.solids.append(solid)
        self.weight_g += placement.item.weight_g
        self.free_mm3 -= placement.item.volume_mm3
        x, y, z, x2, y2, z2 = solid
        fresh: set[_Point] = set()
        # Each new corner, as is and slid back along the two other axes until it meets a solid
        # or a wall (Crainic, Perboli & Tadei 2008): the slid points are the supported ones.
        for corner, axes in (((x2, y, z), (1, 2)), ((x, y2, z), (0, 2)), ((x, y, z2), (0, 1))):
            fresh.add(corner)
            fresh.update(self._slide(corner, axis) for axis in axes)
        kept = {p for p in self.points if not _inside(p, solid)}
        kept.update(p for p in fresh if self._is_open(p))
        self.points = sorted(kept, key=lambda p: (p[2], p[1], p[0]))

    def _slide(self, point: _Point, axis: int) -> _Point:
        a, b = (i for i in range(3) if i != axis)
        stop = 0
        for s in self.solids:
            face = s[axis + 3]
            if (
                stop < face <= point[axis]
                and s[a] <= point[a] < s[a + 3]
                and s[b] <= point[b] < s[b + 3]
            ):
                stop = face
        moved = list(point)
        moved[axis] = stop
        return (moved[0], moved[1], moved[2])

    def _is_open(self, p: _Point) -> bool:
        if p[0] >= self.limits[0] or p[1] >= self.limits[1] or p[2] >= self.limits[2]:
            return False
        return not any(_inside(p, s) for s in self.solids)


def _inside(p: _Point, s: _Solid) -> bool:
    """Whether an item cornered at p would start inside s (points on s's far faces are free)."""
    return s[0] <= p[0] < s[3] and s[1] <= p[1] < s[4] and s[2] <= p[2] < s[5]


@lru_cache(maxsize=1024)
def _rotations(dims: tuple[int, int, int]) -> tuple[tuple[int, int, int], ...]:
    """The distinct rotations, lying flattest first (smallest side up, longest side along x)."""
    distinct = {(a, b, c) for a, b, c in permutations(dims)}
    return tuple(sorted(distinct, key=lambda r: (r[2], -r[0], -r[1])))


def _packing_order(items: Sequence[Item]) -> list[Item]:
    def key(item: Item) -> tuple[int | str, ...]:
        dims = (item.length_mm, item.width_mm, item.height_mm)
        _small, middle, large = sorted(dims)
        return (-item.volume_mm3, -large, -middle, item.ref, -item.weight_g, *dims)

    return sorted(items, key=key)


def _holds_alone(box: BoxType, item: Item) -> bool:
    if item.weight_g + box.tare_g > box.max_weight_g:
        return False
    return _fits_by_size(box, item)


def _fits_by_size(box: BoxType, item: Item) -> bool:
    inner = sorted((box.length_mm, box.width_mm, box.height_mm))
    outer = sorted((item.length_mm, item.width_mm, item.height_mm))
    return all(i <= b for i, b in zip(outer, inner, strict=True))


def _by_price(box: BoxType) -> tuple[int, int, str]:
    return (box.cost, box.volume_mm3, box.code)


def _naive_plan(items: Sequence[Item], boxes: Sequence[BoxType]) -> PackingPlan:
    if not items:
        raise ValueError("nothing to pack: no items")
    if not boxes:
        raise ValueError("no box types to pack into")
    _check_every_item_fits(items, boxes)
    by_price = sorted(boxes, key=_by_price)
    packed = []
    for item in _packing_order(items):
        box = next(b for b in by_price if _holds_alone(b, item))
        alone = fit([item], box)
        assert alone is not None  # one item that fits by size always fits at the origin
        packed.append(alone)
    return PackingPlan(tuple(packed))


def _check_every_item_fits(items: Sequence[Item], boxes: Sequence[BoxType]) -> None:
    homeless = [item for item in items if not any(_holds_alone(box, item) for box in boxes)]
    if not homeless:
        return
    reasons: dict[str, str] = {}
    for item in homeless:
        reasons.setdefault(item.ref, _why_homeless(item, boxes))
    raise ItemFitsNoBox(homeless, reasons)


def _why_homeless(item: Item, boxes: Sequence[BoxType]) -> str:
    large_enough = [box for box in boxes if _fits_by_size(box, item)]
    if not large_enough:
        dims = f"{item.length_mm}x{item.width_mm}x{item.height_mm} mm"
        return f"{dims} is larger than every box type in any rotation"
    most = max(box.max_weight_g - box.tare_g for box in large_enough)
    return f"{item.weight_g} g is over the {most} g any box type large enough can carry"


def _cheapest_single_box(items: Sequence[Item], boxes: Sequence[BoxType]) -> PackedBox | None:
    for box in sorted(boxes, key=_by_price):
        packed = fit(items, box)
        if packed is not None:
            return packed
    return None


def _greedy_boxes(items: Sequence[Item], boxes: Sequence[BoxType]) -> tuple[PackedBox, ...]:
    """Open the box packing the most volume per unit cost, again and again; then shrink each."""
    remaining = _packing_order(items)
    opened: list[PackedBox] = []
    while remaining:
        best: tuple[PackedBox, list[Item]] | None = None
        for box in sorted(boxes, key=_by_price):
            candidate = _fill(remaining, box)
            if candidate[0].placements and (best is None or _denser(candidate[0], best[0])):
                best = candidate
        assert best is not None  # every item fits some box type alone, checked up front
        opened.append(best[0])
        remaining = best[1]
    return tuple(_shrink(packed, boxes) for packed in opened)


def _fill(items: Sequence[Item], box: BoxType) -> tuple[PackedBox, list[Item]]:
    """As many of the items (already in packing order) as one box takes, and the rest."""
    space = _Space(box)
    left: list[Item] = []
    failed: set[tuple[int, ...]] = set()
    for item in items:
        shape = (*sorted((item.length_mm, item.width_mm, item.height_mm)), item.weight_g)
        # An item like one that found no room will not find any either: skip the search.
        if shape in failed or not space.place(item):
            failed.add(shape)
            left.append(item)
    return space.packed(), left


def _denser(a: PackedBox, b: PackedBox) -> bool:
    """Whether a packs more volume per unit cost than b (a free box beats any paid one)."""
    a_rate, b_rate = a.volume_used_mm3 * b.box.cost, b.volume_used_mm3 * a.box.cost
    if a_rate != b_rate:
        return a_rate > b_rate
    return a.volume_used_mm3 > b.volume_used_mm3


def _shrink(packed: PackedBox, boxes: Sequence[BoxType]) -> PackedBox:
    for box in sorted(boxes, key=_by_price):
        if box.cost >= packed.box.cost:
            break
        smaller = fit(packed.items, box)
        if smaller is not None:
            return smaller
    return packed


def _items_text(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def _box_text(box: BoxType) -> str:
    return f"{box.name} box (cost {_money(box.cost)})"


def _money(minor: int) -> str:
    # Box costs carry no currency here; two decimals is the common case (EUR, USD, GBP).
    return f"{minor // 100}.{minor % 100:02d}"
