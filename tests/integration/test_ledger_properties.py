"""Random sequences of stock operations keep the invariants and the ledger explains them.

A model (plain dicts) predicts every level; after each step the stored levels must equal
the model, keep ``on_hand >= 0`` and ``0 <= reserved <= on_hand``, and recomputing from the
ledger must give the stored levels exactly.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from openoms.infra.db import Database
from openoms.inventory.model import (
    AdjustmentReason,
    InsufficientStock,
    OwnerType,
    StockBelowReserved,
    StockLine,
)
from openoms.inventory.queries import availability
from openoms.inventory.services import reservations as res
from openoms.inventory.services import stock as stk
from openoms.inventory.services import transfers as trf
from openoms.inventory.verify import verify_ledger
from tests.builders import make_location, make_sku

LOCS = st.sampled_from([0, 1])
QTY = st.integers(min_value=1, max_value=8)


class StockMachine(RuleBasedStateMachine):
    db: Database

    @initialize()
    def setup(self) -> None:
        self.sku = make_sku(self.db)
        self.locs = [
            make_location(self.db, priority=1).code,
            make_location(self.db, priority=2).code,
        ]
        self.on_hand = [0, 0]
        self.reserved = [0, 0]
        self.held: dict[int, tuple[int, int]] = {}  # reservation id -> (location index, qty)
        self.in_transit: dict[str, tuple[int, int]] = {}  # transfer -> (target index, qty)

    def _free(self, i: int) -> int:
        return self.on_hand[i] - self.reserved[i]

    @rule(i=LOCS, q=QTY)
    def receive(self, i: int, q: int) -> None:
        stk.receive_stock(
            self.db.uow(), self.locs[i], [StockLine(self.sku, q)], reference="r", actor="prop"
        )
        self.on_hand[i] += q

    @rule(i=LOCS, q=QTY)
    def reserve(self, i: int, q: int) -> None:
        try:
            [r] = res.reserve_stock(
                self.db.uow(),
                [StockLine(self.sku, q, self.locs[i])],
                owner_type=OwnerType.ORDER_LINE,
                owner_ref="p",
                actor="prop",
            )
        except InsufficientStock:
            assert self._free(i) < q
            return
        assert self._free(i) >= q
        self.reserved[i] += q
        self.held[r.id] = (i, q)

    @precondition(lambda self: self.held)
    @rule(data=st.data(), ship=st.booleans())
    def release_or_ship(self, data: st.DataObject, ship: bool) -> None:
        rid = data.draw(st.sampled_from(sorted(self.held)))
        i, held = self.held[rid]
        q = data.draw(st.integers(1, held))
        if ship:
            res.ship_reservation(self.db.uow(), rid, actor="prop", reference="s", quantity=q)
            self.on_hand[i] -= q
        else:
            res.release_reservation(self.db.uow(), rid, actor="prop", quantity=q)
        self.reserved[i] -= q
        self.held[rid] = (i, held - q)
        if held == q:
            del self.held[rid]

    @rule(i=LOCS, delta=st.integers(-8, 8).filter(bool))
    def adjust(self, i: int, delta: int) -> None:
        try:
            stk.adjust_stock(
                self.db.uow(),
                self.locs[i],
                self.sku,
                delta,
                AdjustmentReason.CORRECTION,
                actor="prop",
            )
        except (InsufficientStock, StockBelowReserved):
            assert self._free(i) < -delta
            return
        self.on_hand[i] += delta

    @rule(i=LOCS, counted=st.integers(0, 30))
    def count(self, i: int, counted: int) -> None:
        try:
            stk.record_count(
                self.db.uow(), self.locs[i], [stk.CountLine(self.sku, counted)], actor="prop"
            )
        except StockBelowReserved:
            assert counted < self.reserved[i]
            return
        self.on_hand[i] = counted

    @rule(i=LOCS, q=QTY)
    def transfer_out(self, i: int, q: int) -> None:
        try:
            t = trf.create_transfer(
                self.db.uow(),
                self.locs[i],
                self.locs[1 - i],
                [StockLine(self.sku, q)],
                actor="prop",
            )
        except InsufficientStock:
            assert self._free(i) < q
            return
        trf.ship_transfer(self.db.uow(), t.number, actor="prop")
        self.on_hand[i] -= q
        self.in_transit[t.number] = (1 - i, q)

    @precondition(lambda self: self.in_transit)
    @rule(data=st.data())
    def transfer_in(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(sorted(self.in_transit)))
        target, q = self.in_transit.pop(number)
        arrived = data.draw(st.integers(0, q))
        trf.receive_transfer(self.db.uow(), number, actor="prop", received={self.sku: arrived})
        self.on_hand[target] += arrived

    @invariant()
    def levels_match_the_model_and_the_ledger(self) -> None:
        if not hasattr(self, "sku"):
            return
        [entry] = availability(self.db.reader(), [self.sku])
        stored = {loc.location: (loc.on_hand, loc.reserved) for loc in entry.locations}
        for i, code in enumerate(self.locs):
            on_hand, reserved = stored.get(code, (0, 0))
            assert (on_hand, reserved) == (self.on_hand[i], self.reserved[i])
            assert on_hand >= 0
            assert 0 <= reserved <= on_hand
        assert verify_ledger(self.db.reader()) == []


def test_random_operation_sequences_keep_levels_equal_to_the_ledger(db: Database) -> None:
    bound = type("BoundStockMachine", (StockMachine,), {"db": db})
    machine = settings(max_examples=25, stateful_step_count=25, deadline=None)(bound)
    machine.TestCase().runTest()


pytestmark = pytest.mark.xdist_group("properties")
