"""Finding an order by its number and email on both engines: the right pair, whatever the
case and spaces; one answer for every wrong pair; a limit per address that slides."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from openoms.infra.db import Database
from openoms.orders.placement import LineInput
from openoms.orders.queries import get_order
from openoms.selfservice.lookup import (
    LookupPolicy,
    OrderLookupFailed,
    TooManyLookups,
    find_order,
)
from openoms.shared import clock
from tests.builders import make_channel, make_location, make_sku, stock
from tests.integration.test_fulfilment import _place

POLICY = LookupPolicy(attempts_per_ip=3, window_minutes=15)


def _ip() -> str:
    """An address of its own per test: the attempts table is shared by the session."""
    return "10." + ".".join(str(random.randint(0, 255)) for _ in range(3))


def _order(db: Database) -> tuple[str, str]:
    loc = make_location(db).code
    sku = make_sku(db)
    stock(db, sku, loc, 5)
    number = _place(db, make_channel(db, locations=(loc,)), LineInput(sku, 1, 1500))
    return number, get_order(db.reader(), number).email


def test_the_number_and_email_find_the_order_whatever_the_case_and_spaces(db: Database) -> None:
    number, email = _order(db)

    found = find_order(
        db.uow(), f" {number.lower()} ", f"  {email.upper()} ", ip=_ip(), policy=POLICY
    )

    assert found == number


def test_a_wrong_email_and_an_unknown_number_get_the_same_answer(db: Database) -> None:
    number, email = _order(db)
    ip = _ip()

    with pytest.raises(OrderLookupFailed) as wrong_email:
        find_order(db.uow(), number, "someone.else@example.com", ip=ip, policy=POLICY)
    with pytest.raises(OrderLookupFailed) as unknown_number:
        find_order(db.uow(), "SO-999999999", email, ip=ip, policy=POLICY)
    with pytest.raises(OrderLookupFailed):
        find_order(db.uow(), number, "", ip=_ip(), policy=POLICY)

    assert wrong_email.value.detail == unknown_number.value.detail
    assert wrong_email.value.detail == "We could not find an order with that number and email."


def test_one_address_may_try_a_few_times_per_window_then_waits(db: Database) -> None:
    # given
    number, email = _order(db)
    ip, other = _ip(), _ip()
    for _ in range(POLICY.attempts_per_ip):
        with pytest.raises(OrderLookupFailed):
            find_order(db.uow(), number, "guess@example.com", ip=ip, policy=POLICY)
    # when / then: even the right pair waits, another address does not
    with pytest.raises(TooManyLookups) as limited:
        find_order(db.uow(), number, email, ip=ip, policy=POLICY)
    assert limited.value.data["retry_after_seconds"] == 15 * 60
    assert "Too many attempts" in limited.value.detail
    assert find_order(db.uow(), number, email, ip=other, policy=POLICY) == number
    # when the window has passed
    with clock.frozen(clock.now() + timedelta(minutes=16)):
        assert find_order(db.uow(), number, email, ip=ip, policy=POLICY) == number
