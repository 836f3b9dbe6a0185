"""Holding and releasing one owner's units a SKU at a time (the cart's tools), both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openoms.infra.db import Database
from openoms.inventory.model import InsufficientStock, OwnerType, ReservationStatus, Shortage
from openoms.inventory.queries import availability
from openoms.inventory.services import owners
from openoms.inventory.services.reservations import list_reservations
from openoms.inventory.verify import verify_ledger
from openoms.shared.errors import ValidationFailed
from tests.builders import make_location, make_sku, random_code, stock

CART = OwnerType.CART
LATER = datetime(2033, 1, 1, tzinfo=UTC)


def hold(db: Database, owner: str, sku: str, units: int, where: list[str] | None = None) -> None:
    with db.uow() as uow:
        owners.hold_units(
            uow,
            sku,
            units,
            owner_type=CART,
            owner_ref=owner,
            actor="test",
            expires_at=LATER,
            locations=where,
        )
        uow.commit()


def active(db: Database, owner: str) -> list[tuple[str, int]]:
    found = list_reservations(
        db.reader(), owner_type=CART, owner_ref=owner, status=ReservationStatus.ACTIVE
    )
    return sorted((r.location, r.quantity) for r in found)


def test_units_are_held_only_at_the_given_locations(db: Database) -> None:
    sku = make_sku(db)
    best, allowed = make_location(db, priority=1).code, make_location(db, priority=5).code
    stock(db, sku, best, 10)
    stock(db, sku, allowed, 3)
    owner = random_code("C")

    hold(db, owner, sku, 2, [allowed])
    with pytest.raises(InsufficientStock) as raised:
        hold(db, owner, sku, 2, [allowed])

    assert active(db, owner) == [(allowed, 2)]
    assert raised.value.shortages == [Shortage(sku, None, 2, 1)]


def test_one_location_with_every_unit_is_preferred_to_a_split(db: Database) -> None:
    sku = make_sku(db)
    small, large = make_location(db, priority=1).code, make_location(db, priority=2).code
    stock(db, sku, small, 2)
    stock(db, sku, large, 5)
    whole, split = random_code("C"), random_code("C")

    hold(db, whole, sku, 4)
    hold(db, split, sku, 3)

    assert active(db, whole) == [(large, 4)]
    assert active(db, split) == sorted([(small, 2), (large, 1)])
    assert availability(db.reader(), [sku])[0].available == 0


def test_released_units_come_off_the_newest_reservations_first(db: Database) -> None:
    sku = make_sku(db)
    first, second = make_location(db, priority=1).code, make_location(db, priority=2).code
    stock(db, sku, first, 2)
    stock(db, sku, second, 5)
    owner = random_code("C")
    hold(db, owner, sku, 2)  # at first
    hold(db, owner, sku, 3)  # at second

    with db.uow() as uow:
        released = owners.release_units(uow, sku, 4, owner_type=CART, owner_ref=owner, actor="test")
        uow.commit()

    assert released == 4
    assert active(db, owner) == [(first, 1)]
    with db.uow() as uow:
        assert owners.held_units(uow, CART, owner) == {sku: 1}
    assert verify_ledger(db.reader()) == []


def test_expiry_moves_for_every_active_reservation_of_the_owner(db: Database) -> None:
    a, b = make_sku(db), make_sku(db)
    location = make_location(db).code
    stock(db, a, location, 5)
    stock(db, b, location, 5)
    owner = random_code("C")
    hold(db, owner, a, 1)
    hold(db, owner, b, 2)

    with db.uow() as uow:
        moved = owners.extend_in_transaction(uow, CART, owner, LATER + timedelta(hours=1))
        uow.commit()

    assert moved == 2
    found = list_reservations(db.reader(), owner_type=CART, owner_ref=owner)
    assert {r.expires_at for r in found} == {LATER + timedelta(hours=1)}


def test_holding_nothing_is_refused(db: Database) -> None:
    with pytest.raises(ValidationFailed):
        hold(db, random_code("C"), make_sku(db), 0)
