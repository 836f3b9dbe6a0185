"""Transfers between locations, on SQLite and PostgreSQL."""

import pytest

from openoms.infra.db import Database
from openoms.inventory.model import (
    InsufficientStock,
    StockLine,
    TransferNotFound,
    TransferStatus,
)
from openoms.inventory.queries import availability, list_movements
from openoms.inventory.services.transfers import (
    cancel_transfer,
    create_transfer,
    get_transfer,
    receive_transfer,
    ship_transfer,
)
from openoms.inventory.verify import verify_ledger
from openoms.shared.errors import ValidationFailed
from openoms.shared.lifecycle import IllegalTransition
from tests.builders import make_location, make_sku, stock


def _at(db: Database, sku: str, location: str) -> tuple[int, int]:
    [entry] = availability(db.reader(), [sku], [location])
    return (entry.on_hand, entry.reserved)


def test_a_transfer_reserves_at_the_source_ships_and_arrives(db: Database) -> None:
    # given
    sku = make_sku(db)
    source, target = make_location(db).code, make_location(db).code
    stock(db, sku, source, 10)
    # when requested: the units are held at the source
    transfer = create_transfer(db.uow(), source, target, [StockLine(sku, 4)], actor="t")
    assert transfer.status == TransferStatus.REQUESTED
    assert transfer.number.startswith("TR-")
    assert _at(db, sku, source) == (10, 4)
    # when shipped: they leave the source
    ship_transfer(db.uow(), transfer.number, actor="t")
    assert _at(db, sku, source) == (6, 0)
    # when received short: 3 of 4 arrive
    done = receive_transfer(db.uow(), transfer.number, actor="t", received={sku: 3})
    # then
    assert done.status == TransferStatus.RECEIVED
    assert done.lines[0].quantity_received == 3
    assert _at(db, sku, target) == (3, 0)
    kinds = [m.kind for m in list_movements(db.reader(), reference=f"transfer:{done.number}")[0]]
    assert sorted(kinds) == ["reservation", "transfer_in", "transfer_out"]
    assert verify_ledger(db.reader()) == []


def test_cancelling_a_requested_transfer_releases_the_source(db: Database) -> None:
    sku = make_sku(db)
    source, target = make_location(db).code, make_location(db).code
    stock(db, sku, source, 5)
    transfer = create_transfer(db.uow(), source, target, [StockLine(sku, 5)], actor="t")
    cancel_transfer(db.uow(), transfer.number, actor="t")
    assert _at(db, sku, source) == (5, 0)
    assert get_transfer(db.reader(), transfer.number).status == TransferStatus.CANCELLED


def test_illegal_transfer_moves_are_refused_with_nothing_changed(db: Database) -> None:
    sku = make_sku(db)
    source, target = make_location(db).code, make_location(db).code
    stock(db, sku, source, 5)
    transfer = create_transfer(db.uow(), source, target, [StockLine(sku, 1)], actor="t")
    with pytest.raises(IllegalTransition):
        receive_transfer(db.uow(), transfer.number, actor="t")
    ship_transfer(db.uow(), transfer.number, actor="t")
    with pytest.raises(IllegalTransition):
        cancel_transfer(db.uow(), transfer.number, actor="t")
    with pytest.raises(IllegalTransition):
        ship_transfer(db.uow(), transfer.number, actor="t")
    with pytest.raises(ValidationFailed):
        receive_transfer(db.uow(), transfer.number, actor="t", received={sku: 2})
    assert _at(db, sku, source) == (4, 0)
    with pytest.raises(TransferNotFound):
        ship_transfer(db.uow(), "TR-999999", actor="t")


def test_a_transfer_of_stock_that_is_not_there_is_refused(db: Database) -> None:
    sku = make_sku(db)
    source, target = make_location(db).code, make_location(db).code
    stock(db, sku, source, 1)
    with pytest.raises(InsufficientStock):
        create_transfer(db.uow(), source, target, [StockLine(sku, 2)], actor="t")
    with pytest.raises(ValidationFailed):
        create_transfer(db.uow(), source, source, [StockLine(sku, 1)], actor="t")
