import pytest
from hypothesis import given
from hypothesis import strategies as st

from openoms.inventory.model import (
    TRANSFER_TRANSITIONS,
    InsufficientStock,
    Shortage,
    StockLevel,
    StockLine,
    TransferStatus,
    check_transfer_transition,
    merge_lines,
)
from openoms.shared.errors import ValidationFailed
from openoms.shared.lifecycle import IllegalTransition


def test_available_never_goes_below_zero_even_with_safety_stock_above_stock() -> None:
    assert StockLevel(on_hand=3, reserved=1, safety_stock=5).available == 0
    assert StockLevel(on_hand=10, reserved=3, safety_stock=2).available == 5


def test_a_reservation_may_not_dip_into_safety_stock() -> None:
    level = StockLevel(on_hand=10, reserved=0, safety_stock=8)
    assert level.can_apply(0, 2)
    assert not level.can_apply(0, 3)


def test_removing_stock_may_not_leave_less_than_is_reserved() -> None:
    level = StockLevel(on_hand=10, reserved=6)
    assert level.can_apply(-4, 0)
    assert not level.can_apply(-5, 0)
    assert level.can_apply(-6, -6)  # shipping reserved units


@given(
    on_hand=st.integers(0, 50),
    reserved=st.integers(0, 50),
    dh=st.integers(-60, 60),
    dr=st.integers(-60, 60),
)
def test_any_applied_change_keeps_the_invariants(
    on_hand: int, reserved: int, dh: int, dr: int
) -> None:
    reserved = min(reserved, on_hand)
    level = StockLevel(on_hand, reserved)
    if level.can_apply(dh, dr):
        level.apply(dh, dr)
        assert level.on_hand >= 0
        assert 0 <= level.reserved <= level.on_hand
    else:
        with pytest.raises(ValueError, match="stock rule"):
            level.apply(dh, dr)


def test_duplicate_lines_are_merged_in_first_seen_order() -> None:
    merged = merge_lines([StockLine("B", 1), StockLine("A", 2), StockLine("B", 3)])
    assert merged == [StockLine("B", 4), StockLine("A", 2)]


def test_bad_quantities_are_reported_per_line() -> None:
    with pytest.raises(ValidationFailed) as e:
        merge_lines([StockLine("A", 1), StockLine("B", 0), StockLine("C", -2)])
    assert [err.field for err in e.value.errors] == ["lines[1].quantity", "lines[2].quantity"]


def test_an_empty_request_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        merge_lines([])


def test_insufficient_stock_lists_every_short_line() -> None:
    error = InsufficientStock([Shortage("A", None, 5, 2), Shortage("B", "WH1", 1, 0)])
    assert "A: requested 5, available 2" in error.detail
    assert "B at WH1: requested 1, available 0" in error.detail
    assert len(error.data["shortages"]) == 2


@pytest.mark.parametrize("current", list(TransferStatus))
@pytest.mark.parametrize("target", list(TransferStatus))
def test_transfer_moves_only_along_its_declared_transitions(
    current: TransferStatus, target: TransferStatus
) -> None:
    if target in TRANSFER_TRANSITIONS[current]:
        check_transfer_transition("TR-1", current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transfer_transition("TR-1", current, target)
