"""The return's rules without a database: its state machine, the channel policy's checks,
what returned units are worth, and what a refund gives back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openoms.returns.model import (
    RETURN_TRANSITIONS,
    CreditLine,
    IllegalReturnTransition,
    Payer,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
    check_return_transition,
    refund_quote,
    value_of_units,
    within_window,
)
from openoms.shared.errors import ValidationFailed

S = ReturnStatus


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.REQUESTED, S.APPROVED),
        (S.REQUESTED, S.REJECTED),
        (S.APPROVED, S.IN_TRANSIT),
        (S.APPROVED, S.RECEIVED),  # carried into a store
        (S.IN_TRANSIT, S.RECEIVED),
        (S.RECEIVED, S.INSPECTED),
        (S.INSPECTED, S.REFUNDED),
        (S.INSPECTED, S.EXCHANGED),
        (S.INSPECTED, S.CLOSED),
    ],
)
def test_the_declared_path_is_allowed(start: ReturnStatus, end: ReturnStatus) -> None:
    check_return_transition("RMA-1", start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.REQUESTED, S.RECEIVED),  # not approved
        (S.RECEIVED, S.REFUNDED),  # not inspected
        (S.REFUNDED, S.REFUNDED),  # twice
        (S.REJECTED, S.APPROVED),
        (S.EXCHANGED, S.REFUNDED),
        (S.RECEIVED, S.CLOSED),  # units on hand must be inspected first
    ],
)
def test_shortcuts_and_repeats_are_refused(start: ReturnStatus, end: ReturnStatus) -> None:
    with pytest.raises(IllegalReturnTransition, match=f"is {start.value} and cannot"):
        check_return_transition("RMA-1", start, end)


def test_every_state_is_in_the_table_and_the_ends_are_final() -> None:
    assert set(RETURN_TRANSITIONS) == set(ReturnStatus)
    for end in (S.REJECTED, S.REFUNDED, S.EXCHANGED, S.CLOSED):
        assert RETURN_TRANSITIONS[end] == frozenset()


def test_a_policy_is_checked() -> None:
    ReturnPolicy().check()
    bad = ReturnPolicy(window_days=400, reasons=(), restocking_fee_percent=Decimal("12.345"))
    with pytest.raises(ValidationFailed) as e:
        bad.check()
    assert {f.field for f in e.value.errors} == {"window_days", "reasons", "restocking_fee_percent"}
    with pytest.raises(ValidationFailed):
        ReturnPolicy(restocking_fee_percent=Decimal(101)).check()
    with pytest.raises(ValidationFailed):
        ReturnPolicy(reasons=(ReturnReason.DAMAGED, ReturnReason.DAMAGED)).check()


def test_the_window_counts_days_after_delivery() -> None:
    rules = ReturnPolicy(window_days=14)
    delivered = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    assert rules.deadline(delivered.date()) == date(2026, 3, 15)
    assert within_window(rules, delivered, date(2026, 3, 15))
    assert not within_window(rules, delivered, date(2026, 3, 16))


@given(
    total=st.integers(0, 10**9),
    quantity=st.integers(1, 50),
    data=st.data(),
)
def test_units_returned_in_any_batches_give_back_exactly_the_line_total(
    total: int, quantity: int, data: st.DataObject
) -> None:
    left, before, credited = quantity, 0, 0
    while left:
        units = data.draw(st.integers(1, left))
        value = value_of_units(total, quantity, before, units)
        assert value >= 0
        credited += value
        before += units
        left -= units
    assert credited == total


def test_three_units_for_ten_euros_are_worth_3_33_3_33_3_34() -> None:
    assert [value_of_units(1000, 3, n, 1) for n in range(3)] == [333, 333, 334]


def _line(value: int, reason: ReturnReason, units: int = 1) -> CreditLine:
    return CreditLine("SKU", units, value, reason)


def test_a_change_of_mind_pays_the_restocking_fee_and_the_label() -> None:
    rules = ReturnPolicy(shipping_paid_by=Payer.CUSTOMER, restocking_fee_percent=Decimal("10"))
    q = refund_quote(
        [_line(4000, ReturnReason.CHANGED_MIND)],
        rules,
        label_cost=595,
        original_shipping=495,
        everything_returned=True,
    )
    assert (q.items, q.restocking_fee, q.return_shipping, q.original_shipping, q.total) == (
        4000,
        400,
        595,
        0,
        3005,
    )
    assert q.explanation[-1] == "Refund: 3005"


def test_our_mistake_costs_the_customer_nothing_and_gives_back_shipping() -> None:
    rules = ReturnPolicy(shipping_paid_by=Payer.CUSTOMER, restocking_fee_percent=Decimal("10"))
    q = refund_quote(
        [_line(4000, ReturnReason.DAMAGED), _line(1000, ReturnReason.TOO_SMALL)],
        rules,
        label_cost=595,
        original_shipping=495,
        everything_returned=True,
    )
    # the fee only on the unit returned by choice; the label is on us; shipping given back
    assert (q.restocking_fee, q.return_shipping, q.original_shipping) == (100, 0, 495)
    assert q.total == 4000 + 1000 - 100 + 495


def test_shipping_is_kept_when_only_part_comes_back() -> None:
    q = refund_quote(
        [_line(4000, ReturnReason.DEFECTIVE)],
        ReturnPolicy(),
        label_cost=0,
        original_shipping=495,
        everything_returned=False,
    )
    assert q.total == 4000


def test_a_refund_is_never_negative() -> None:
    rules = ReturnPolicy(shipping_paid_by=Payer.CUSTOMER, restocking_fee_percent=Decimal(50))
    q = refund_quote(
        [_line(500, ReturnReason.CHANGED_MIND)],
        rules,
        label_cost=595,
        original_shipping=0,
        everything_returned=False,
    )
    assert q.total == 0


def test_reasons_say_whose_fault_it_is() -> None:
    assert ReturnReason.WRONG_ITEM.merchant_at_fault
    assert not ReturnReason.TOO_LARGE.merchant_at_fault
    assert ReturnReason.TOO_LARGE.label == "Too large"
