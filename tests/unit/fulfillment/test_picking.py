"""Pick lists by strategy on a warehouse with zones and bins."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoms.fulfillment.model import (
    FulfilmentStatus,
    IllegalFulfilmentTransition,
    PickStrategy,
    check_fulfilment_transition,
    sort_key,
)
from openoms.fulfillment.picking import (
    BinStock,
    Need,
    aisle_of,
    assign_bins,
    natural_key,
    plan_lists,
)

# Zone A (ambient): aisles; zone B (bulky): B-01; zone C (cold): C-01.
STOCK = {
    "TYRE": [BinStock("B-01-01", "B", 10)],
    "BELL": [BinStock("A-10-01", "A", 5), BinStock("A-02-03", "A", 2)],
    "LAMP": [BinStock("A-01-02", "A", 4)],
    "GEL": [BinStock("C-01-01", "C", 20)],
}


def needs() -> list[Need]:
    return [
        Need("FO-1", 1, "TYRE", 2, rank=0),
        Need("FO-1", 2, "BELL", 1, rank=0),
        Need("FO-2", 3, "LAMP", 1, rank=1),
        Need("FO-2", 4, "BELL", 1, rank=1),
        Need("FO-3", 5, "GEL", 3, rank=2),
        Need("FO-3", 6, "LAMP", 2, rank=2),
    ]


def test_single_order_picking_makes_one_list_per_order_in_walking_order() -> None:
    lists = plan_lists(needs(), STOCK, PickStrategy.SINGLE)
    assert [pl.fulfilment_orders for pl in lists] == [("FO-1",), ("FO-2",), ("FO-3",)]
    assert [(ln.sku, ln.bin_code, ln.quantity) for ln in lists[0].lines] == [
        ("BELL", "A-02-03", 1),  # the nearest bin that holds the whole line
        ("TYRE", "B-01-01", 2),
    ]
    assert [ln.bin_code for ln in lists[2].lines] == ["A-01-02", "C-01-01"]
    assert [pl.units for pl in lists] == [3, 2, 5]
    assert all(pl.zone is None for pl in lists)


def test_batch_picking_sums_units_per_bin_and_keeps_who_they_are_for() -> None:
    lists = plan_lists(needs(), STOCK, PickStrategy.BATCH, batch_size=2)
    assert [pl.fulfilment_orders for pl in lists] == [("FO-1", "FO-2"), ("FO-3",)]
    first = lists[0]
    assert [(ln.sku, ln.bin_code, ln.quantity) for ln in first.lines] == [
        ("LAMP", "A-01-02", 1),
        ("BELL", "A-02-03", 2),  # both orders' bells from one bin in one pick
        ("TYRE", "B-01-01", 2),
    ]
    bell = first.lines[1]
    assert [(p.fulfilment_order, p.line_id, p.quantity) for p in bell.parts] == [
        ("FO-1", 2, 1),
        ("FO-2", 4, 1),
    ]
    assert sum(pl.units for pl in lists) == sum(n.quantity for n in needs())


def test_zone_picking_splits_each_order_by_zone() -> None:
    lists = plan_lists(needs(), STOCK, PickStrategy.ZONE)
    assert [(pl.fulfilment_orders, pl.zone) for pl in lists] == [
        (("FO-1",), "A"),
        (("FO-1",), "B"),
        (("FO-2",), "A"),
        (("FO-3",), "A"),
        (("FO-3",), "C"),
    ]
    assert all(ln.zone == pl.zone for pl in lists for ln in pl.lines)


def test_a_wave_makes_one_list_per_zone_across_all_its_orders() -> None:
    lists = plan_lists(needs(), STOCK, PickStrategy.WAVE)
    assert [pl.zone for pl in lists] == ["A", "B", "C"]
    zone_a = lists[0]
    assert zone_a.fulfilment_orders == ("FO-1", "FO-2", "FO-3")
    assert [(ln.sku, ln.bin_code, ln.quantity) for ln in zone_a.lines] == [
        ("LAMP", "A-01-02", 3),
        ("BELL", "A-02-03", 2),
    ]
    assert sum(pl.units for pl in lists) == 10


def test_bins_are_used_once_and_what_no_bin_holds_is_picked_loose() -> None:
    stock = {"BELL": [BinStock("A-10-01", "A", 2), BinStock("A-02-03", "A", 1)]}
    wanted = [Need("FO-1", 1, "BELL", 2, rank=0), Need("FO-2", 2, "BELL", 3, rank=1)]
    taken = [(a.need.fulfilment_order, a.bin_code, a.quantity) for a in assign_bins(wanted, stock)]
    assert taken == [
        ("FO-1", "A-10-01", 2),  # the only bin with the whole line
        ("FO-2", "A-02-03", 1),
        ("FO-2", None, 2),  # loose: no bin has the rest
    ]
    lists = plan_lists(wanted, stock, PickStrategy.SINGLE)
    assert lists[1].lines[-1].bin_code is None  # loose units come last


def test_the_highest_ranked_order_gets_the_bins_first() -> None:
    stock = {"BELL": [BinStock("A-02-03", "A", 1)]}
    wanted = [Need("FO-LATE", 1, "BELL", 1, rank=5), Need("FO-RUSH", 2, "BELL", 1, rank=0)]
    taken = {a.need.fulfilment_order: a.bin_code for a in assign_bins(wanted, stock)}
    assert taken == {"FO-RUSH": "A-02-03", "FO-LATE": None}


def test_walking_order_is_natural_and_aisles_come_from_the_code() -> None:
    codes = ["A-10-1", "A-2-1", "A-2-10", "A-2-2"]
    assert sorted(codes, key=natural_key) == ["A-2-1", "A-2-2", "A-2-10", "A-10-1"]
    assert aisle_of("A-01-03") == "A-01"
    assert aisle_of("R1.S2") == "R1"
    assert aisle_of("DOCK") == "DOCK"
    assert aisle_of(None) == ""


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        plan_lists(needs(), STOCK, PickStrategy.BATCH, batch_size=0)


def test_rush_and_vip_first_then_promise_then_age() -> None:
    t = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [
        ("old", 0, date(2026, 12, 9), t.replace(day=1)),
        ("rush", 100, date(2026, 12, 9), t.replace(day=3)),
        ("soon", 0, date(2026, 12, 4), t.replace(day=2)),
        ("vip", 80, None, t.replace(day=2)),
    ]
    ranked = sorted(rows, key=lambda r: sort_key(r[1], r[2], r[3], 0))
    assert [r[0] for r in ranked] == ["rush", "vip", "soon", "old"]


def test_the_fulfilment_state_machine_refuses_skipping_steps() -> None:
    check_fulfilment_transition("FO-1", FulfilmentStatus.PENDING, FulfilmentStatus.RELEASED)
    with pytest.raises(IllegalFulfilmentTransition, match="pending and cannot become shipped"):
        check_fulfilment_transition("FO-1", FulfilmentStatus.PENDING, FulfilmentStatus.SHIPPED)


needs_st = st.lists(
    st.builds(
        Need,
        st.sampled_from(["FO-1", "FO-2", "FO-3", "FO-4"]),
        st.integers(1, 1000),
        st.sampled_from(["TYRE", "BELL", "LAMP", "GEL", "NONE"]),
        st.integers(1, 9),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda n: n.line_id,
).map(
    lambda ns: [
        Need(n.fulfilment_order, n.line_id, n.sku, n.quantity, int(n.fulfilment_order[-1]))
        for n in ns
    ]
)


@settings(max_examples=150, deadline=None)
@given(needs_st, st.sampled_from(list(PickStrategy)), st.integers(1, 4))
def test_every_strategy_picks_every_unit_once_within_bin_stock(
    wanted: list[Need], strategy: PickStrategy, batch: int
) -> None:
    lists = plan_lists(wanted, STOCK, strategy, batch_size=batch)
    per_line: dict[int, int] = {}
    per_bin: dict[tuple[str, str], int] = {}
    for pl in lists:
        keys = [
            (ln.zone is None, natural_key(ln.zone or ""), natural_key(ln.bin_code or ""))
            for ln in pl.lines
        ]
        assert keys == sorted(keys)  # walking order
        for ln in pl.lines:
            assert ln.quantity == sum(p.quantity for p in ln.parts)
            assert {p.fulfilment_order for p in ln.parts} <= set(pl.fulfilment_orders)
            if ln.bin_code:
                per_bin[(ln.sku, ln.bin_code)] = per_bin.get((ln.sku, ln.bin_code), 0) + ln.quantity
            for p in ln.parts:
                per_line[p.line_id] = per_line.get(p.line_id, 0) + p.quantity
    assert per_line == {n.line_id: n.quantity for n in wanted}
    for (sku, code), qty in per_bin.items():
        assert qty <= next(b.quantity for b in STOCK[sku] if b.bin_code == code)
