"""Pick lists by strategy, in walking order. Pure: plans, no storage.

Fulfilment orders arrive sorted (rush and VIP first, then the promise, then age); their
units are assigned to bins (a bin that holds the whole line first, then the fullest, each
bin's units used once across all orders), and the bins' lines become pick lists:

- **single**: one list per fulfilment order, all zones;
- **batch**: the orders in rounds of ``batch_size``, all zones, units of the same SKU in the
  same bin summed into one pick and sorted back to their orders at packing;
- **zone**: per order, one list per zone; the zones' items meet at packing;
- **wave**: one list per zone for all of the wave's orders at once.

Lines follow the walking path: zone, then the bin code in natural order (``A-2-1`` before
``A-10-1``), which is aisle, then bay, then level for codes such as ``A-01-03``. Units not in
any bin ("loose") come last, with no bin to go to.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from openoms.fulfillment.model import PickStrategy

_PARTS = re.compile(r"(\d+)")
_SEPARATORS = re.compile(r"[-._]")


def natural_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """``A-2`` before ``A-10``: digit runs compare as numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.upper())
        for part in _PARTS.split(code)
        if part
    )


def aisle_of(bin_code: str | None) -> str:
    """The bin code up to its last separator (``A-01`` for ``A-01-03``); the code itself
    when it has none."""
    if not bin_code:
        return ""
    parts = _SEPARATORS.split(bin_code)
    return bin_code if len(parts) < 2 else bin_code[: len(bin_code) - len(parts[-1]) - 1]


def walk_key(zone: str | None, bin_code: str | None, sku: str) -> tuple[object, ...]:
    """Where a pick lies on the walking path; loose units last."""
    if bin_code is None:
        return (1, (), (), sku)
    return (0, natural_key(zone or ""), natural_key(bin_code), sku)


@dataclass(frozen=True)
class BinStock:
    """Units of a SKU in a bin that no open pick has claimed yet."""

    bin_code: str
    zone: str
    quantity: int


@dataclass(frozen=True)
class Need:
    """A fulfilment line still to pick. ``rank`` orders the fulfilment orders."""

    fulfilment_order: str
    line_id: int
    sku: str
    quantity: int
    rank: int


@dataclass(frozen=True)
class Part:
    """Which fulfilment line a pick's units are for (a batch pick serves several)."""

    fulfilment_order: str
    line_id: int
    quantity: int


@dataclass(frozen=True)
class PickLine:
    sku: str
    bin_code: str | None  # None: loose units, not in any bin
    zone: str | None
    quantity: int
    parts: tuple[Part, ...]

    @property
    def aisle(self) -> str:
        return aisle_of(self.bin_code)


@dataclass(frozen=True)
class PlannedList:
    zone: str | None  # the zone of a zone or wave list; None when it spans zones
    fulfilment_orders: tuple[str, ...]
    lines: tuple[PickLine, ...]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass
class _Assigned:
    need: Need
    bin_code: str | None
    zone: str | None
    quantity: int


@dataclass
class _Slot:
    zone: str
    quantity: int


def assign_bins(needs: Sequence[Need], stock: Mapping[str, Sequence[BinStock]]) -> list[_Assigned]:
    """Give each need units from bins, in the needs' rank order. A bin holding the whole
    line is preferred (the nearest on the path among those), else the fullest bins first;
    what no bin holds is picked loose. Each bin's units are used once."""
    left = {
        sku: {b.bin_code: _Slot(b.zone, b.quantity) for b in bins if b.quantity > 0}
        for sku, bins in stock.items()
    }
    out: list[_Assigned] = []
    for need in sorted(needs, key=lambda n: (n.rank, n.line_id)):
        bins = left.get(need.sku, {})
        wanted = need.quantity

        def path(
            code: str, bins: dict[str, _Slot] = bins, sku: str = need.sku
        ) -> tuple[object, ...]:
            return walk_key(bins[code].zone, code, sku)

        whole = [code for code, slot in bins.items() if slot.quantity >= wanted]
        if whole:
            order = [min(whole, key=path)]
        else:
            order = sorted(bins, key=lambda c: (-bins[c].quantity, path(c)))
        for code in order:
            slot = bins[code]
            take = min(wanted, slot.quantity)
            if take <= 0:
                continue
            slot.quantity -= take
            wanted -= take
            out.append(_Assigned(need, code, slot.zone, take))
            if wanted == 0:
                break
        if wanted:
            out.append(_Assigned(need, None, None, wanted))
    return out


def plan_lists(
    needs: Sequence[Need],
    stock: Mapping[str, Sequence[BinStock]],
    strategy: PickStrategy,
    *,
    batch_size: int = 8,
) -> list[PlannedList]:
    """The pick lists for ``needs`` under ``strategy``, each in walking order.

    Raises: ValueError when batch_size < 1.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    assigned = assign_bins(needs, stock)
    ranks = {n.fulfilment_order: n.rank for n in needs}
    orders = sorted(ranks, key=lambda fo: (ranks[fo], fo))
    groups: list[tuple[str | None, list[str]]]
    if strategy is PickStrategy.SINGLE:
        groups = [(None, [fo]) for fo in orders]
    elif strategy is PickStrategy.BATCH:
        groups = [(None, orders[i : i + batch_size]) for i in range(0, len(orders), batch_size)]
    elif strategy is PickStrategy.ZONE:
        groups = [
            (zone, [fo])
            for fo in orders
            for zone in _zones(a for a in assigned if a.need.fulfilment_order == fo)
        ]
    else:  # wave: one list per zone across every order
        groups = [(zone, orders) for zone in _zones(assigned)]
    by_zone = strategy in (PickStrategy.ZONE, PickStrategy.WAVE)
    plans = []
    for zone, fos in groups:
        members = set(fos)
        chosen = [
            a
            for a in assigned
            if a.need.fulfilment_order in members and (not by_zone or _zone(a) == zone)
        ]
        if chosen:
            plans.append(
                PlannedList(
                    zone if by_zone and zone != "" else None, tuple(fos), _lines(chosen, ranks)
                )
            )
    return plans


def _zone(a: _Assigned) -> str:
    return a.zone or ""  # loose units form a zone of their own ("")


def _zones(assigned: Iterable[_Assigned]) -> list[str]:
    zones = {_zone(a) for a in assigned}
    return sorted(zones, key=lambda z: (z == "", natural_key(z)))


def _lines(chosen: list[_Assigned], ranks: Mapping[str, int]) -> tuple[PickLine, ...]:
    """Sum the units per (bin, SKU); each pick keeps the parts for each fulfilment line."""
    grouped: dict[tuple[str | None, str], list[_Assigned]] = defaultdict(list)
    for a in chosen:
        grouped[(a.bin_code, a.need.sku)].append(a)
    lines = []
    for (bin_code, sku), items in grouped.items():
        items.sort(key=lambda a: (ranks[a.need.fulfilment_order], a.need.line_id))
        parts: dict[tuple[str, int], int] = {}
        for a in items:
            key = (a.need.fulfilment_order, a.need.line_id)
            parts[key] = parts.get(key, 0) + a.quantity
        lines.append(
            PickLine(
                sku,
                bin_code,
                items[0].zone,
                sum(a.quantity for a in items),
                tuple(Part(fo, line, q) for (fo, line), q in parts.items()),
            )
        )
    lines.sort(key=lambda ln: walk_key(ln.zone, ln.bin_code, ln.sku))
    return tuple(lines)
