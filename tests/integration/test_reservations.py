"""Reserving, releasing, expiring and shipping stock, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from openoms.catalog.model import SkuNotFound
from openoms.infra.db import Database
from openoms.inventory.model import (
    InsufficientStock,
    OwnerType,
    ReservationNotActive,
    ReservationNotFound,
    ReservationStatus,
    StockLine,
)
from openoms.inventory.queries import availability, list_movements
from openoms.inventory.services.reservations import (
    expire_reservations,
    extend_owner,
    get_reservation,
    list_reservations,
    release_owner,
    release_reservation,
    reserve_stock,
    ship_reservation,
)
from openoms.inventory.verify import verify_ledger
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from tests.builders import make_location, make_sku, random_code, stock


def _available(db: Database, sku: str) -> int:
    return availability(db.reader(), [sku])[0].available


def _reserve(db: Database, *lines: StockLine, ttl: timedelta | None = None, owner: str = ""):
    return reserve_stock(
        db.uow(),
        list(lines),
        owner_type=OwnerType.CART,
        owner_ref=owner or random_code("CART"),
        actor="t",
        ttl=ttl,
    )


def test_without_a_location_the_best_priority_location_that_covers_the_line_is_used(
    db: Database,
) -> None:
    sku = make_sku(db)
    first, second = make_location(db, priority=1).code, make_location(db, priority=2).code
    stock(db, sku, first, 2)
    stock(db, sku, second, 5)
    [a] = _reserve(db, StockLine(sku, 2))
    [b] = _reserve(db, StockLine(sku, 3))  # first has none left: second covers it
    assert (a.location, b.location) == (first, second)
    assert _available(db, sku) == 2


def test_all_lines_or_none_and_every_short_line_is_named(db: Database) -> None:
    ok, short1, short2 = make_sku(db), make_sku(db), make_sku(db)
    location = make_location(db).code
    stock(db, ok, location, 5)
    stock(db, short1, location, 1)
    with pytest.raises(InsufficientStock) as e:
        _reserve(db, StockLine(ok, 2), StockLine(short1, 2), StockLine(short2, 1))
    assert {s.sku: (s.requested, s.available) for s in e.value.shortages} == {
        short1: (2, 1),
        short2: (1, 0),
    }
    assert _available(db, ok) == 5
    assert list_movements(db.reader(), sku=ok, kind="reservation")[0] == []


def test_an_unknown_sku_is_not_found_rather_than_short(db: Database) -> None:
    with pytest.raises(SkuNotFound):
        _reserve(db, StockLine("NO-SUCH-SKU", 1))


def test_duplicate_lines_are_merged_before_reserving(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 3)
    [r] = _reserve(db, StockLine(sku, 1), StockLine(sku, 2))
    assert r.quantity == 3


def test_inactive_locations_are_never_reserved_from(db: Database) -> None:
    sku = make_sku(db)
    closed = make_location(db, is_active=False).code
    stock(db, sku, closed, 10)
    with pytest.raises(InsufficientStock):
        _reserve(db, StockLine(sku, 1))


def test_releasing_gives_units_back_in_part_or_whole_and_only_once(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 10)
    [r] = _reserve(db, StockLine(sku, 6))
    partly = release_reservation(db.uow(), r.id, actor="t", quantity=2)
    assert (partly.quantity, partly.status) == (4, ReservationStatus.ACTIVE)
    with pytest.raises(ValidationFailed):
        release_reservation(db.uow(), r.id, actor="t", quantity=5)
    done = release_reservation(db.uow(), r.id, actor="t")
    assert (done.quantity, done.status) == (0, ReservationStatus.RELEASED)
    with pytest.raises(ReservationNotActive):
        release_reservation(db.uow(), r.id, actor="t")
    with pytest.raises(ReservationNotFound):
        release_reservation(db.uow(), 987654321, actor="t")
    assert _available(db, sku) == 10


def test_shipping_a_reservation_moves_units_out_of_on_hand(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 10)
    [r] = _reserve(db, StockLine(sku, 4))
    ship_reservation(db.uow(), r.id, actor="packer", reference="SHP-1", quantity=1)
    shipped = ship_reservation(db.uow(), r.id, actor="packer", reference="SHP-2")
    assert shipped.status == ReservationStatus.CONSUMED
    [entry] = availability(db.reader(), [sku])
    assert (entry.on_hand, entry.reserved, entry.available) == (6, 0, 6)
    moves, _ = list_movements(db.reader(), sku=sku, kind="shipment")
    assert [(m.on_hand_delta, m.reserved_delta, m.reference) for m in moves] == [
        (-3, -3, "SHP-2"),
        (-1, -1, "SHP-1"),
    ]


def test_expired_reservations_are_released_by_the_job_and_live_ones_stay(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 10)
    old = _reserve(db, StockLine(sku, 3), ttl=timedelta(minutes=30))[0]
    fresh = _reserve(db, StockLine(sku, 2), ttl=timedelta(hours=2))[0]
    later = clock.now() + timedelta(hours=1)
    with clock.frozen(later):
        while expire_reservations(db.uow()):
            pass
    assert get_reservation(db.reader(), old.id).status == ReservationStatus.EXPIRED
    assert get_reservation(db.reader(), fresh.id).status == ReservationStatus.ACTIVE
    assert _available(db, sku) == 8


def test_activity_extends_an_owners_reservations(db: Database) -> None:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 5)
    owner = random_code("CART")
    _reserve(db, StockLine(sku, 1), ttl=timedelta(minutes=30), owner=owner)
    until = datetime(2099, 1, 1, tzinfo=UTC)
    assert extend_owner(db.uow(), OwnerType.CART, owner, until) == 1
    [r] = list_reservations(db.reader(), owner_type=OwnerType.CART, owner_ref=owner)
    assert r.expires_at == until


def test_releasing_an_owner_frees_all_its_lines(db: Database) -> None:
    a, b, location = make_sku(db), make_sku(db), make_location(db).code
    stock(db, a, location, 5)
    stock(db, b, location, 5)
    owner = random_code("CART")
    _reserve(db, StockLine(a, 2), StockLine(b, 3), owner=owner)
    assert release_owner(db.uow(), OwnerType.CART, owner, actor="t") == 5
    assert (_available(db, a), _available(db, b)) == (5, 5)
    assert verify_ledger(db.reader()) == []


def test_a_cart_or_manual_hold_down_to_safety_stock_raises_low_stock(db: Database) -> None:
    import sqlalchemy as sa

    from openoms.infra.outbox import outbox_events
    from openoms.inventory.services.stock import set_safety_stock

    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, 5)
    set_safety_stock(db.uow(), location, sku, 2, actor="t")
    _reserve(db, StockLine(sku, 2, location))  # 3 of 5 left, 2 of them the safety stock
    _reserve(db, StockLine(sku, 1))  # 2 left: only the safety stock, nothing to sell
    with db.reader() as uow:
        events = (
            uow.conn.execute(
                sa.select(outbox_events.c.payload).where(
                    outbox_events.c.name == "inventory.low_stock",
                    outbox_events.c.aggregate == f"stock:{sku}@{location}",
                )
            )
            .scalars()
            .all()
        )
    assert events == [
        {"sku": sku, "location": location, "on_hand": 5, "reserved": 3, "safety_stock": 2}
    ]
