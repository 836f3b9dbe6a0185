"""Money under concurrency on PostgreSQL: racing refunds never give back more than was
captured, racing captures never take more than was authorized — in our books and at the
gateway."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from openoms.infra.db import Database
from openoms.payments.model import PaymentNotAllowed
from openoms.payments.services import operations, order_payments
from openoms.payments.services.records import load_payment, payments_of
from tests.integration.payment_setup import an_order, card, gateways_for, gift_card
from tests.integration.test_concurrency import _race

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("concurrency")]


@pytest.fixture
def wide(postgres_db: Database, postgres_url: str) -> Iterator[Database]:
    db = Database.from_url(postgres_url, pool_size=40, max_overflow=0)
    yield db
    db.dispose()


def _attempt(action) -> str:  # type: ignore[no-untyped-def]
    try:
        action()
    except PaymentNotAllowed:
        return "refused"
    return "done"


def test_twelve_racing_refunds_never_exceed_what_was_captured(wide: Database) -> None:
    # given 100.00 captured; 12 clerks refund 30.00 each at the same instant
    gateways = gateways_for(wide)
    placed = an_order(wide, payment_capture="at_placement")
    order_payments.after_placement(wide, gateways, placed.order, card(gateways), actor="t")
    with wide.reader() as uow:
        (payment,) = payments_of(uow, placed.order.id)
    outcomes = _race(
        12,
        lambda _i: _attempt(
            lambda: operations.refund(wide, gateways, payment.id, 3000, actor="race")
        ),
    )
    # then exactly three refunds went through: 90.00, never 120.00
    assert outcomes.count("done") == 3
    with wide.reader() as uow:
        after = load_payment(uow, payment.id)
    assert (after.refunded, after.refund_pending) == (9000, 0)
    assert gateways.test_card is not None
    assert gateways.test_card.status(after.reference or "").refunded.amount_minor == 9000
    refunds = [t for t in after.transactions if t.kind.value == "refund"]
    assert [t.status.value for t in refunds] == ["succeeded"] * 3


def test_twelve_racing_captures_never_exceed_the_authorization(wide: Database) -> None:
    # given 100.00 authorized; 12 shipments capture 40.00 each at the same instant
    gateways = gateways_for(wide)
    placed = an_order(wide)
    order_payments.after_placement(wide, gateways, placed.order, card(gateways), actor="t")
    with wide.reader() as uow:
        (payment,) = payments_of(uow, placed.order.id)
    outcomes = _race(
        12,
        lambda _i: _attempt(
            lambda: operations.capture(wide, gateways, payment.id, 4000, actor="race")
        ),
    )
    assert outcomes.count("done") == 2
    with wide.reader() as uow:
        after = load_payment(uow, payment.id)
    assert (after.captured, after.capture_pending) == (8000, 0)
    assert gateways.test_card is not None
    assert gateways.test_card.status(after.reference or "").captured.amount_minor == 8000


def test_a_void_racing_captures_leaves_books_and_gateway_in_agreement(wide: Database) -> None:
    gateways = gateways_for(wide)
    placed = an_order(wide)
    order_payments.after_placement(wide, gateways, placed.order, card(gateways), actor="t")
    with wide.reader() as uow:
        (payment,) = payments_of(uow, placed.order.id)

    def act(i: int) -> str:
        if i == 0:
            return _attempt(lambda: operations.void(wide, gateways, payment.id, actor="race"))
        return _attempt(lambda: operations.capture(wide, gateways, payment.id, 1000, actor="r"))

    _race(8, act)
    with wide.reader() as uow:
        after = load_payment(uow, payment.id)
    assert gateways.test_card is not None
    at_gateway = gateways.test_card.status(after.reference or "")
    assert at_gateway.captured.amount_minor == after.captured
    assert after.capture_pending == 0
    assert after.captured <= after.authorized


def test_ten_orders_racing_for_one_gift_card_never_overdraw_it(wide: Database) -> None:
    # given a card with 100.00 and ten orders of 100.00 each paying 30.00 with it
    gateways = gateways_for(wide)
    voucher = gift_card(gateways, 10000)
    orders = [an_order(wide).order.number for _ in range(10)]
    part = replace(voucher, amount=3000)
    states = _race(
        10,
        lambda i: order_payments.pay_order(wide, gateways, orders[i], part, actor="r").state.value,
    )
    # then three are paid, seven declined, the card holds 10.00
    assert sorted(states).count("authorized") == 3
    assert states.count("failed") == 7
    assert gateways.gift_cards is not None
    assert gateways.gift_cards.card(voucher.token or "").balance == 1000
