"""Carts on both engines: lines reserve and release exactly, activity keeps them, expiry
releases them and abandons the cart with its value, errors leave everything as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from openoms.carts import queries
from openoms.carts.expiry import expire_carts
from openoms.carts.model import (
    Cart,
    CartLineNotFound,
    CartNotFound,
    CartStatus,
    SkuNotPriced,
)
from openoms.carts.services import (
    CartInput,
    LineIn,
    add_to_cart,
    create_cart,
    get_cart,
    remove_cart_line,
    set_cart_line,
    update_cart,
)
from openoms.catalog.model import SkuNotFound
from openoms.channels import services as channels
from openoms.channels.model import ChannelInactive
from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.inventory.model import InsufficientStock, OwnerType, ReservationStatus, Shortage
from openoms.inventory.queries import availability
from openoms.inventory.services.reservations import (
    Reservation,
    expire_reservations,
    list_reservations,
)
from openoms.inventory.verify import verify_ledger
from openoms.orders.model import CurrencyNotSold
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from tests.builders import make_channel, make_location, make_sku, sku_spec, stock

PRICE = 1999  # the builders' EUR price
# Carts that expire are made in the past: their cart.abandoned events must not look newer
# than the webhook subscriptions other tests create (a subscription hears only later events).
PAST = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)


def new_cart(db: Database, channel: str, *lines: tuple[str, int], **extra: object) -> Cart:
    data = CartInput(channel, "EUR", lines=[LineIn(s, q) for s, q in lines])
    for key, value in extra.items():
        setattr(data, key, value)
    return create_cart(db.uow(), data, actor="test")


def old_cart(db: Database, channel: str, *lines: tuple[str, int], **extra: object) -> Cart:
    """A cart made at ``PAST``, so that its expiry is in the past too."""
    with clock.frozen(PAST):
        return new_cart(db, channel, *lines, **extra)


def available(db: Database, sku: str) -> int:
    return availability(db.reader(), [sku])[0].available


def held(db: Database, token: str) -> list[Reservation]:
    return list_reservations(
        db.reader(), owner_type=OwnerType.CART, owner_ref=token, status=ReservationStatus.ACTIVE
    )


def stocked(db: Database, units: int = 10) -> tuple[str, str]:
    sku, location = make_sku(db), make_location(db).code
    stock(db, sku, location, units)
    return sku, location


def drain_expiry(db: Database) -> None:
    """Run the expiry jobs until they find nothing (other tests' carts are due too)."""
    while expire_carts(db):
        pass


def test_a_new_cart_reserves_its_lines_at_once_at_catalog_prices(db: Database) -> None:
    # given
    (a, _), (b, _) = stocked(db), stocked(db)
    channel = make_channel(db)
    # when
    cart = new_cart(db, channel, (a, 2), (b, 1), (a, 1), email="Ana@Example.com")
    # then
    assert cart.status is CartStatus.OPEN
    assert len(cart.token) >= 32
    assert [(ln.sku, ln.quantity, ln.unit_price_amount) for ln in cart.lines] == [
        (a, 3, PRICE),
        (b, 1, PRICE),
    ]
    assert cart.value_amount == 4 * PRICE
    assert cart.email == "ana@example.com"
    assert cart.expires_at == cart.updated_at + timedelta(minutes=30)
    assert (available(db, a), available(db, b)) == (7, 9)
    assert {(r.sku, r.quantity, r.expires_at) for r in held(db, cart.token)} == {
        (a, 3, cart.expires_at),
        (b, 1, cart.expires_at),
    }
    assert get_cart(db.reader(), cart.token) == cart
    assert verify_ledger(db.reader()) == []


def test_adding_changing_and_removing_lines_reserve_and_release_exactly(db: Database) -> None:
    sku, _ = stocked(db)
    token = new_cart(db, make_channel(db)).token

    assert add_to_cart(db.uow(), token, sku, 2, actor="test").quantities() == {sku: 2}
    assert available(db, sku) == 8
    assert add_to_cart(db.uow(), token, sku, 3, actor="test").quantities() == {sku: 5}
    assert available(db, sku) == 5
    assert set_cart_line(db.uow(), token, sku, 1, actor="test").value_amount == PRICE
    assert available(db, sku) == 9
    assert sum(r.quantity for r in held(db, token)) == 1
    cart = remove_cart_line(db.uow(), token, sku, actor="test")

    assert (cart.lines, cart.value_amount) == ([], 0)
    assert available(db, sku) == 10
    assert held(db, token) == []
    assert verify_ledger(db.reader()) == []


def test_a_line_short_of_stock_is_refused_and_the_cart_stays_as_it_was(db: Database) -> None:
    # given 3 units, 2 in the cart
    (sku, _), (other, _) = stocked(db, 3), stocked(db, 5)
    before = new_cart(db, make_channel(db), (sku, 2))
    # when
    with pytest.raises(InsufficientStock) as raised:
        add_to_cart(db.uow(), before.token, sku, 2, actor="test")
    with pytest.raises(InsufficientStock):
        set_cart_line(db.uow(), before.token, other, 6, actor="test")
    # then
    assert raised.value.shortages == [Shortage(sku, None, 4, 3)]
    assert get_cart(db.reader(), before.token) == before
    assert (available(db, sku), available(db, other)) == (1, 5)
    assert verify_ledger(db.reader()) == []


def test_every_activity_pushes_back_the_expiry_of_every_reservation(db: Database) -> None:
    (a, _), (b, _) = stocked(db), stocked(db)
    t0 = PAST
    with clock.frozen(t0):
        token = new_cart(db, make_channel(db), (a, 1)).token
    with clock.frozen(t0 + timedelta(minutes=20)):
        add_to_cart(db.uow(), token, b, 1, actor="test")
    assert {r.expires_at for r in held(db, token)} == {t0 + timedelta(minutes=50)}
    with clock.frozen(t0 + timedelta(minutes=45)):
        cart = update_cart(db.uow(), token, email=None, actor="test")  # a keep-alive

    assert cart.expires_at == t0 + timedelta(minutes=75)
    assert {r.expires_at for r in held(db, token)} == {t0 + timedelta(minutes=75)}


def test_the_ttl_is_the_channels_unless_the_cart_asks_for_its_own(db: Database) -> None:
    channel = make_channel(db)
    channels.update_channel(db.uow(), channel, {"cart_ttl_minutes": 5})
    t0 = PAST
    with clock.frozen(t0):
        default = new_cart(db, channel)
        own = new_cart(db, channel, ttl_minutes=90)

    assert (default.ttl_minutes, default.expires_at) == (5, t0 + timedelta(minutes=5))
    assert (own.ttl_minutes, own.expires_at) == (90, t0 + timedelta(minutes=90))


def test_a_channel_that_sells_from_some_locations_reserves_only_there(db: Database) -> None:
    # given the best location (priority 1) is not the channel's
    sku = make_sku(db)
    best, own = make_location(db, priority=1).code, make_location(db, priority=2).code
    stock(db, sku, best, 10)
    stock(db, sku, own, 4)
    channel = make_channel(db, locations=(own,))
    # when
    token = new_cart(db, channel, (sku, 3)).token
    with pytest.raises(InsufficientStock) as raised:
        add_to_cart(db.uow(), token, sku, 2, actor="test")
    # then
    assert {(r.location, r.quantity) for r in held(db, token)} == {(own, 3)}
    assert raised.value.shortages == [Shortage(sku, None, 5, 4)]


def test_units_are_split_over_locations_when_no_single_one_has_them_all(db: Database) -> None:
    sku = make_sku(db)
    first, second = make_location(db, priority=1).code, make_location(db, priority=2).code
    stock(db, sku, first, 3)
    stock(db, sku, second, 4)

    token = new_cart(db, make_channel(db), (sku, 6)).token

    assert sorted((r.location, r.quantity) for r in held(db, token)) == sorted(
        [(first, 3), (second, 3)]
    )
    set_cart_line(db.uow(), token, sku, 2, actor="test")  # the newest units go back first
    assert sum(r.quantity for r in held(db, token)) == 2
    assert available(db, sku) == 5
    assert verify_ledger(db.reader()) == []


def test_the_expiry_job_releases_the_stock_and_abandons_the_cart_with_its_value(
    db: Database,
) -> None:
    # given
    sku, _ = stocked(db)
    cart = old_cart(db, make_channel(db), (sku, 4), email="late@example.com")
    # when the time runs out
    with clock.frozen(cart.expires_at + timedelta(seconds=1)):
        drain_expiry(db)
        drain_expiry(db)  # a second run changes nothing
    # then
    abandoned = get_cart(db.reader(), cart.token)
    assert abandoned.status is CartStatus.ABANDONED
    assert abandoned.abandoned_at == cart.expires_at + timedelta(seconds=1)
    assert abandoned.value_amount == 4 * PRICE
    assert available(db, sku) == 10
    assert held(db, cart.token) == []
    payloads = _abandoned_events(db, cart.token)
    assert len(payloads) == 1
    assert payloads[0]["value_amount"] == 4 * PRICE
    assert payloads[0]["units_released"] == 4
    assert verify_ledger(db.reader()) == []


def test_carts_already_expired_by_the_inventory_job_are_abandoned_all_the_same(
    db: Database,
) -> None:
    sku, _ = stocked(db)
    cart = old_cart(db, make_channel(db), (sku, 2))
    with clock.frozen(cart.expires_at + timedelta(minutes=1)):
        while expire_reservations(db.uow()):
            pass
        assert available(db, sku) == 10
        drain_expiry(db)

    assert get_cart(db.reader(), cart.token).status is CartStatus.ABANDONED
    assert _abandoned_events(db, cart.token)[0]["units_released"] == 0
    assert available(db, sku) == 10
    assert verify_ledger(db.reader()) == []


def test_a_cart_touched_before_the_job_ran_keeps_its_stock(db: Database) -> None:
    sku, _ = stocked(db)
    cart = old_cart(db, make_channel(db), (sku, 2))
    with clock.frozen(cart.expires_at - timedelta(seconds=1)):
        touched = update_cart(db.uow(), cart.token, email=None, actor="test")
    with clock.frozen(cart.expires_at + timedelta(seconds=1)):
        drain_expiry(db)

    assert get_cart(db.reader(), cart.token).status is CartStatus.OPEN
    assert touched.expires_at > cart.expires_at
    assert available(db, sku) == 8


def test_an_abandoned_cart_touched_again_reopens_with_its_lines_reserved_again(
    db: Database,
) -> None:
    # given an abandoned cart
    (a, _), (b, _) = stocked(db), stocked(db)
    cart = old_cart(db, make_channel(db), (a, 2), (b, 1))
    later = cart.expires_at + timedelta(minutes=5)
    with clock.frozen(later):
        drain_expiry(db)
        # when the customer comes back
        reopened = add_to_cart(db.uow(), cart.token, a, 1, actor="test")
    # then
    assert reopened.status is CartStatus.OPEN
    assert reopened.abandoned_at is None
    assert reopened.expires_at == later + timedelta(minutes=30)
    assert (available(db, a), available(db, b)) == (7, 9)
    assert verify_ledger(db.reader()) == []


def test_an_abandoned_cart_whose_stock_is_gone_stays_abandoned(db: Database) -> None:
    # given an abandoned cart whose units someone else took
    (a, _), (b, _) = stocked(db, 2), stocked(db, 5)
    channel = make_channel(db)
    cart = old_cart(db, channel, (a, 2), (b, 1))
    with clock.frozen(cart.expires_at + timedelta(seconds=1)):
        drain_expiry(db)
        new_cart(db, channel, (a, 1))
        # when
        with pytest.raises(InsufficientStock) as raised:
            update_cart(db.uow(), cart.token, email="back@example.com", actor="test")
        reopened = remove_cart_line(db.uow(), cart.token, a, actor="test")
    # then the short line is named; without it the cart opens again
    assert raised.value.shortages == [Shortage(a, None, 2, 1)]
    assert reopened.status is CartStatus.OPEN
    assert reopened.quantities() == {b: 1}
    assert (available(db, a), available(db, b)) == (1, 4)


def test_bad_requests_are_refused_with_what_is_wrong(db: Database) -> None:
    sku, _ = stocked(db)
    euro_only = _euro_only_sku(db)
    channel = make_channel(db, currencies=("EUR", "USD"))
    token = new_cart(db, channel).token

    with pytest.raises(ValidationFailed) as bad:
        create_cart(
            db.uow(),
            CartInput(channel, "XXX", email="nope", ttl_minutes=0, lines=[LineIn(sku, 0)]),
            actor="test",
        )
    assert {e.field for e in bad.value.errors} == {
        "currency",
        "email",
        "ttl_minutes",
        "lines[0].quantity",
    }
    with pytest.raises(CurrencyNotSold):
        create_cart(db.uow(), CartInput(channel, "GBP"), actor="test")
    with pytest.raises(SkuNotFound):
        add_to_cart(db.uow(), token, "NO-SUCH-SKU", 1, actor="test")
    with pytest.raises(SkuNotPriced):
        create_cart(db.uow(), CartInput(channel, "USD", lines=[LineIn(euro_only, 1)]), actor="t")
    with pytest.raises(CartNotFound):
        add_to_cart(db.uow(), "no-such-cart", sku, 1, actor="test")
    with pytest.raises(CartLineNotFound):
        remove_cart_line(db.uow(), token, sku, actor="test")
    assert available(db, sku) == 10


def test_a_cart_of_a_channel_that_closed_cannot_change(db: Database) -> None:
    sku, _ = stocked(db)
    channel = make_channel(db)
    token = new_cart(db, channel, (sku, 1)).token
    channels.update_channel(db.uow(), channel, {"is_active": False})

    with pytest.raises(ChannelInactive):
        add_to_cart(db.uow(), token, sku, 1, actor="test")


def test_abandoned_carts_are_listed_by_channel_time_and_email_a_page_at_a_time(
    db: Database,
) -> None:
    # given five abandoned carts of one channel, three with an email, a minute apart
    sku, _ = stocked(db)
    channel = make_channel(db)
    t0 = PAST + timedelta(days=1)
    tokens = []
    for i in range(5):
        with clock.frozen(t0 + timedelta(minutes=i)):
            email = f"c{i}@example.com" if i % 2 == 0 else None
            cart = new_cart(db, channel, (sku, 1), email=email, ttl_minutes=1)
            tokens.append(cart.token)
        with clock.frozen(cart.expires_at):
            drain_expiry(db)
    # when
    every = queries.AbandonedFilter(channel=channel)
    first, cursor = queries.list_abandoned(db.reader(), every, limit=3)
    rest, end = queries.list_abandoned(db.reader(), every, cursor=cursor, limit=3)
    recent = queries.AbandonedFilter(channel, since=t0 + timedelta(minutes=4))
    with_email = queries.AbandonedFilter(channel, with_email_only=True)
    # then
    assert [c.token for c in first + rest] == tokens[::-1]
    assert end is None
    assert first[0].lines[0].sku == sku
    assert first[0].value_amount == PRICE
    assert [c.token for c in queries.list_abandoned(db.reader(), recent)[0]] == [
        tokens[4],
        tokens[3],
    ]
    assert [c.token for c in queries.list_abandoned(db.reader(), with_email)[0]] == [
        tokens[4],
        tokens[2],
        tokens[0],
    ]
    with pytest.raises(ValidationFailed):
        queries.list_abandoned(db.reader(), every, cursor="garbage")


def _euro_only_sku(db: Database) -> str:
    from openoms.catalog import services as catalog
    from openoms.catalog.services import ProductSpec
    from tests.builders import random_code

    spec = sku_spec(prices={"EUR": Money(500, "EUR")})
    catalog.create_product(db.uow(), ProductSpec(code=random_code("P"), name="P", skus=[spec]))
    return spec.code


def _abandoned_events(db: Database, token: str) -> list[dict[str, object]]:
    with db.reader() as uow:
        rows = uow.conn.execute(
            sa.select(outbox_events.c.payload).where(
                outbox_events.c.name == "cart.abandoned",
                outbox_events.c.aggregate == f"cart:{token}",
            )
        )
        return [dict(r.payload) for r in rows]
