"""The warehouse under concurrency on PostgreSQL: pickers scanning the last units of a pick
at the same instant never pick more than it asks for; packers shipping the same parcel twice
make one shipment; syncs racing for the same order make one fulfilment order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from openoms.fulfillment.model import IllegalFulfilmentTransition, OverPick
from openoms.fulfillment.orm import fulfilment_orders, shipments
from openoms.fulfillment.services import picking, shipping, work
from openoms.infra.db import Database
from openoms.inventory.verify import verify_ledger
from openoms.orders.placement import LineInput
from tests.builders import make_channel
from tests.integration.payment_setup import card, gateways_for
from tests.integration.test_concurrency import _race
from tests.integration.test_fulfilment import _carrier, _fo_of, _place, _warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("concurrency")]


@pytest.fixture
def wide(postgres_db: Database, postgres_url: str) -> Iterator[Database]:
    db = Database.from_url(postgres_url, pool_size=20, max_overflow=0)
    yield db
    db.dispose()


def _attempt(action) -> str:  # type: ignore[no-untyped-def]
    try:
        action()
    except (OverPick, IllegalFulfilmentTransition):
        return "refused"
    return "done"


def test_racing_scans_never_pick_more_than_the_pick_asks_for(wide: Database) -> None:
    loc, (bell, _tyre) = _warehouse(wide)
    number = _place(wide, make_channel(wide, locations=(loc,)), LineInput(bell, 3, 1500))
    fo = _fo_of(wide, number)
    wave = picking.release_wave(
        wide.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    plist = wave.pick_lists[0]
    outcomes = _race(
        8, lambda i: _attempt(lambda: picking.scan(wide.uow(), plist.number, bell, actor=f"p{i}"))
    )
    assert outcomes.count("done") == 3
    after = picking.get_pick_list(wide.reader(), plist.number)
    assert (after.picks[0].picked, after.left) == (3, 0)
    assert work.get_fulfilment_order(wide.reader(), fo.number).lines[0].picked == 3


def test_a_parcel_shipped_twice_at_once_ships_once(wide: Database) -> None:
    gateways = gateways_for(wide)
    service = _carrier(wide)
    loc, (bell, _tyre) = _warehouse(wide)
    number = _place(wide, make_channel(wide, locations=(loc,)), LineInput(bell, 2, 1500))
    from openoms.payments.services import order_payments

    order_payments.pay_order(wide, gateways, number, card(gateways), actor="shop")
    fo = _fo_of(wide, number)
    wave = picking.release_wave(
        wide.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    picking.scan(wide.uow(), wave.pick_lists[0].number, bell, actor="p", quantity=2)
    shipping.pack(
        wide.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=300, width_mm=200, height_mm=100, weight_g=700)],
        actor="packer",
    )
    outcomes = _race(
        6,
        lambda i: _attempt(
            lambda: shipping.ship_and_capture(
                wide, gateways, fo.number, actor=f"packer{i}", service=service
            )
        ),
    )
    assert outcomes.count("done") == 1
    with wide.reader() as uow:
        fo_id = uow.conn.execute(
            sa.select(fulfilment_orders.c.id).where(fulfilment_orders.c.number == fo.number)
        ).scalar_one()
        made = uow.conn.execute(
            sa.select(sa.func.count()).where(shipments.c.fulfilment_order_id == fo_id)
        ).scalar_one()
        assert made == 1
        assert verify_ledger(uow) == []


def test_racing_syncs_make_one_fulfilment_order(wide: Database) -> None:
    loc, (bell, _tyre) = _warehouse(wide)
    number = _place(wide, make_channel(wide, locations=(loc,)), LineInput(bell, 1, 1500))

    def sync(_i: int) -> str:
        with wide.uow() as uow:
            work.sync(uow, location=loc)
            uow.commit()
        return "done"

    assert _race(6, sync).count("done") == 6
    with wide.reader() as uow:
        count = uow.conn.execute(
            sa.select(sa.func.count()).where(fulfilment_orders.c.order_number == number)
        ).scalar_one()
    assert count == 1
