"""Payments on SQLite and PostgreSQL: authorize at placement, capture per shipment or at
once, declines that hold the order, refunds, voids on cancel, offline methods, and
movements the gateway did not answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.orders import queries
from openoms.orders.model import OrderStatus
from openoms.payments.model import (
    ImpossiblePaymentCall,
    OrderPaymentStatus,
    PaymentMethod,
    PaymentNotAllowed,
    PaymentState,
    TransactionStatus,
)
from openoms.payments.services import operations, order_payments
from openoms.payments.services.operations import PaymentInput
from openoms.payments.services.records import load_payment, payments_of
from openoms.payments.testcard import TestCardGateway
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from tests.integration.payment_setup import (
    DECLINE,
    EXPIRES_AT_ONCE,
    LosingGateway,
    an_order,
    card,
    gateways_for,
    gift_card,
)


def _order(db: Database, number: str):  # type: ignore[no-untyped-def]
    return queries.get_order(db.reader(), number)


def _events(db: Database, number: str) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.conn.execute(
                sa.select(outbox_events.c.name)
                .where(outbox_events.c.aggregate == f"order:{number}")
                .order_by(outbox_events.c.occurred_at)
            ).scalars()
        )


def _timeline(db: Database, number: str) -> list[str]:
    return [e.reason or "" for e in queries.timeline(db.reader(), number) if e.kind == "payment"]


def test_a_card_is_authorized_at_placement_and_captured_per_shipment(db: Database) -> None:
    # given a web order of 100.00 EUR paid by card on a channel that captures at shipment
    gateways = gateways_for(db)
    placed = an_order(db)
    number = placed.order.number
    order = order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    # then the card is authorized for the total, nothing captured
    assert order.payment_status == OrderPaymentStatus.AUTHORIZED
    (payment,) = payments_of_order(db, order.id)
    assert (payment.state, payment.authorized, payment.captured) == (
        PaymentState.AUTHORIZED,
        10000,
        0,
    )
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    # when the first shipment sends 60.00 and the second 40.00
    assert order_payments.capture_shipped(db, gateways, number, 6000, actor="wh") == 6000
    assert _order(db, number).payment_status == OrderPaymentStatus.PARTIALLY_PAID
    assert order_payments.capture_shipped(db, gateways, number, 4000, actor="wh") == 4000
    # then all is captured, at the gateway too, and every step is on the timeline
    payment = load_payment_of(db, payment.id)
    assert (payment.state, payment.captured) == (PaymentState.CAPTURED, 10000)
    assert gateways.test_card is not None
    assert gateways.test_card.status(payment.reference or "").captured.amount_minor == 10000
    assert _order(db, number).payment_status == OrderPaymentStatus.PAID
    assert _timeline(db, number) == [
        "Authorized €100.00 on visa •••• 4242",
        "Captured €60.00 on visa •••• 4242",
        "Captured €40.00 on visa •••• 4242",
    ]
    assert _events(db, number).count("payment.captured") == 2
    assert "payment.authorized" in _events(db, number)


def test_a_channel_that_captures_at_placement_captures_at_once(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db, payment_capture="at_placement")
    order = order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    assert order.payment_status == OrderPaymentStatus.PAID
    (payment,) = payments_of_order(db, order.id)
    assert payment.state is PaymentState.CAPTURED


def test_a_declined_card_holds_the_order_and_a_new_card_releases_it(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    number = placed.order.number
    order = order_payments.after_placement(
        db, gateways, placed.order, card(gateways, DECLINE), actor="shop"
    )
    # then the payment failed, the order waits on hold for payment, an event tells
    assert order.payment_status == OrderPaymentStatus.FAILED
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "payment")
    (failed,) = payments_of_order(db, order.id)
    assert (failed.state, failed.decline_code) == (PaymentState.FAILED, "card_declined")
    assert "payment.failed" in _events(db, number)
    # when the customer pays with another card
    payment = order_payments.pay_order(db, gateways, number, card(gateways), actor="shop")
    # then it is authorized and the order goes on from where it was held
    assert payment.state is PaymentState.AUTHORIZED
    order = _order(db, number)
    assert order.status is placed.order.status
    assert order.payment_status == OrderPaymentStatus.AUTHORIZED


def test_the_same_order_sent_twice_is_paid_once(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    data = card(gateways)
    order_payments.after_placement(db, gateways, placed.order, data, actor="shop")
    order_payments.after_placement(db, gateways, placed.order, data, created=False, actor="s")
    assert len(payments_of_order(db, placed.order.id)) == 1


def test_an_order_sent_again_after_its_payment_was_lost_is_paid_then(db: Database) -> None:
    # the first attempt placed the order and stopped before recording the payment
    gateways = gateways_for(db)
    placed = an_order(db)
    order = order_payments.after_placement(
        db, gateways, placed.order, card(gateways), created=False, actor="shop"
    )
    assert order.payment_status == OrderPaymentStatus.AUTHORIZED


def test_partial_refunds_never_exceed_what_was_captured(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db, payment_capture="at_placement")
    order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    (payment,) = payments_of_order(db, placed.order.id)
    after = operations.refund(db, gateways, payment.id, 2500, actor="fin", reason="damaged")
    assert (after.refunded, after.refundable) == (2500, 7500)
    assert _order(db, placed.order.number).payment_status == OrderPaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(PaymentNotAllowed, match="€75.00 of payment"):
        operations.refund(db, gateways, payment.id, 7501, actor="fin")
    operations.refund(db, gateways, payment.id, None, actor="fin")
    assert _order(db, placed.order.number).payment_status == OrderPaymentStatus.REFUNDED
    with pytest.raises(PaymentNotAllowed, match="Nothing is refundable"):
        operations.refund(db, gateways, payment.id, None, actor="fin")
    assert "payment.refunded" in _events(db, placed.order.number)


def test_capturing_more_than_is_authorized_is_refused(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    (payment,) = payments_of_order(db, placed.order.id)
    operations.capture(db, gateways, payment.id, 9000, actor="fin")
    with pytest.raises(PaymentNotAllowed, match="€10.00 is left"):
        operations.capture(db, gateways, payment.id, 1001, actor="fin")
    assert load_payment_of(db, payment.id).capture_pending == 0


def test_cancelling_voids_the_authorization(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    settled = order_payments.cancel_order(
        db, gateways, placed.order.number, actor="cs", reason="customer asked"
    )
    assert settled.problems == []
    assert settled.order.status is OrderStatus.CANCELLED
    (payment,) = payments_of_order(db, placed.order.id)
    assert payment.state is PaymentState.VOIDED
    assert gateways.test_card is not None
    assert gateways.test_card.status(payment.reference or "").status.value == "voided"
    assert settled.order.payment_status == OrderPaymentStatus.UNPAID
    assert "payment.voided" in _events(db, placed.order.number)


def test_cancelling_a_captured_order_refunds_it(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db, payment_capture="at_placement")
    order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    settled = order_payments.cancel_order(
        db, gateways, placed.order.number, actor="cs", reason="out of stock"
    )
    (payment,) = payments_of_order(db, placed.order.id)
    assert (payment.captured, payment.refunded) == (10000, 10000)
    assert settled.order.payment_status == OrderPaymentStatus.REFUNDED


def test_a_bank_transfer_waits_for_its_money(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    number = placed.order.number
    data = PaymentInput(PaymentMethod.BANK_TRANSFER)
    payment = order_payments.pay_order(db, gateways, number, data, actor="shop")
    assert (payment.state, payment.authorized) == (PaymentState.AWAITING_FUNDS, 10000)
    assert _order(db, number).payment_status == OrderPaymentStatus.UNPAID
    # when part of the money arrives, then the rest
    operations.capture(db, gateways, payment.id, 4000, actor="fin", reason="statement")
    assert _order(db, number).payment_status == OrderPaymentStatus.PARTIALLY_PAID
    assert load_payment_of(db, payment.id).state is PaymentState.PARTIALLY_PAID
    operations.capture(db, gateways, payment.id, None, actor="fin")
    assert load_payment_of(db, payment.id).state is PaymentState.PAID
    assert _order(db, number).payment_status == OrderPaymentStatus.PAID
    assert _timeline(db, number)[0] == "Awaiting bank transfer of €100.00"
    # and shipping does not try to capture it through a gateway
    assert order_payments.capture_shipped(db, gateways, number, 1000, actor="wh") == 0


def test_a_payment_larger_than_the_order_is_refused(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    too_much = PaymentInput(PaymentMethod.BANK_TRANSFER, amount=10001)
    with pytest.raises(PaymentNotAllowed, match="needs €100.00 more"):
        order_payments.pay_order(db, gateways, placed.order.number, too_much, actor="shop")
    order_payments.pay_order(
        db, gateways, placed.order.number, PaymentInput(PaymentMethod.CASH_ON_DELIVERY), actor="s"
    )
    with pytest.raises(PaymentNotAllowed, match="needs €0.00 more"):
        order_payments.pay_order(db, gateways, placed.order.number, card(gateways), actor="s")


def test_bad_payment_input_names_every_field(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    bad = PaymentInput(PaymentMethod.CARD, amount=0)
    with pytest.raises(ValidationFailed) as e:
        order_payments.pay_order(db, gateways, placed.order.number, bad, actor="shop")
    assert {err.field for err in e.value.errors} == {"payment.token", "payment.amount"}
    with pytest.raises(ValidationFailed, match="paypal"):
        order_payments.pay_order(
            db,
            gateways,
            placed.order.number,
            PaymentInput(PaymentMethod.PAYPAL, token="5O190127TN364715T"),
            actor="shop",
        )


def test_a_lost_capture_answer_is_asked_again_with_the_same_key_and_taken_once(
    db: Database,
) -> None:
    # given an authorized card and a gateway that captures but loses its answer once
    gateways = gateways_for(db)
    placed = an_order(db)
    order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    (payment,) = payments_of_order(db, placed.order.id)
    inner = gateways.test_card
    assert isinstance(inner, TestCardGateway)
    losing = LosingGateway(inner)
    flaky = type(gateways)({"test_card": losing})  # type: ignore[dict-item]
    # when a capture of 30.00 gets no answer
    from openoms.payments.model import GatewayUnavailable

    with pytest.raises(GatewayUnavailable):
        operations.capture(db, flaky, payment.id, 3000, actor="fin")
    pending = load_payment_of(db, payment.id)
    assert (pending.captured, pending.capture_pending) == (0, 3000)
    # then nothing else can take those 30.00 meanwhile
    with pytest.raises(PaymentNotAllowed):
        operations.capture(db, gateways, payment.id, 7001, actor="fin")
    # and the worker asks again with the same key: captured once, recorded once
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        assert operations.settle_pending(db, flaky) >= 1
    done = load_payment_of(db, payment.id)
    assert (done.captured, done.capture_pending) == (3000, 0)
    assert inner.status(done.reference or "").captured.amount_minor == 3000
    keys = [key for call, key in losing.calls if call == "capture"]
    assert len(keys) == 2
    assert len(set(keys)) == 1
    capture_txn = [t for t in done.transactions if t.kind.value == "capture"]
    assert [t.status for t in capture_txn] == [TransactionStatus.SUCCEEDED]


def test_a_lost_authorization_answer_is_settled_by_the_worker(db: Database) -> None:
    gateways = gateways_for(db)
    inner = gateways.test_card
    assert isinstance(inner, TestCardGateway)
    data = card(gateways)
    losing = LosingGateway(inner)
    flaky = type(gateways)({"test_card": losing})  # type: ignore[dict-item]
    placed = an_order(db)
    payment = order_payments.pay_order(db, flaky, placed.order.number, data, actor="shop")
    assert payment.state is PaymentState.PENDING
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        operations.settle_pending(db, flaky)
    assert load_payment_of(db, payment.id).state is PaymentState.AUTHORIZED
    assert _order(db, placed.order.number).payment_status == OrderPaymentStatus.AUTHORIZED


def test_a_capture_the_gateway_refuses_gives_back_the_reserved_amount(db: Database) -> None:
    # given an authorization that has expired at the gateway
    gateways = gateways_for(db)
    placed = an_order(db)
    order_payments.after_placement(
        db, gateways, placed.order, card(gateways, EXPIRES_AT_ONCE), actor="shop"
    )
    (payment,) = payments_of_order(db, placed.order.id)
    with pytest.raises(ImpossiblePaymentCall, match="expired"):
        operations.capture(db, gateways, payment.id, None, actor="fin")
    after = load_payment_of(db, payment.id)
    assert (after.captured, after.capture_pending) == (0, 0)
    assert after.transactions[-1].status is TransactionStatus.FAILED
    assert "refused" in _timeline(db, placed.order.number)[-1]


def test_the_test_gateway_keeps_its_state_in_the_database(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    order_payments.after_placement(db, gateways, placed.order, card(gateways), actor="shop")
    (payment,) = payments_of_order(db, placed.order.id)
    # a new process (a new gateway object) still knows the authorization
    again = gateways_for(db)
    operations.capture(db, again, payment.id, None, actor="fin")
    assert load_payment_of(db, payment.id).state is PaymentState.CAPTURED


def payments_of_order(db: Database, order_id: int):  # type: ignore[no-untyped-def]
    with db.reader() as uow:
        return payments_of(uow, order_id)


def load_payment_of(db: Database, payment_id: int):  # type: ignore[no-untyped-def]
    with db.reader() as uow:
        return load_payment(uow, payment_id)


def test_a_gift_card_pays_part_and_a_card_the_rest_and_cancelling_gives_it_back(
    db: Database,
) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)  # 100.00
    number = placed.order.number
    voucher = replace(gift_card(gateways, 3000), amount=3000)
    part = order_payments.pay_order(db, gateways, number, voucher, actor="shop")
    assert (part.state, part.authorized, part.describe()) == (
        PaymentState.AUTHORIZED,
        3000,
        f"gift card •••• {(voucher.token or '')[-4:].upper()}",
    )
    cards = gateways.gift_cards
    assert cards is not None
    assert cards.card(voucher.token or "").balance == 0
    rest = order_payments.pay_order(db, gateways, number, card(gateways), actor="shop")
    assert rest.authorized == 7000
    assert _order(db, number).payment_status == OrderPaymentStatus.AUTHORIZED
    # shipping captures the oldest first: the gift card, then the card
    assert order_payments.capture_shipped(db, gateways, number, 5000, actor="wh") == 5000
    assert [p.captured for p in payments_of_order(db, placed.order.id)] == [3000, 2000]
    order_payments.cancel_order(db, gateways, number, actor="cs", reason="changed mind")
    assert cards.card(voucher.token or "").balance == 3000
    assert _order(db, number).payment_status == OrderPaymentStatus.REFUNDED


def test_a_gift_card_without_enough_on_it_declines_and_holds_the_order(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    order = order_payments.after_placement(
        db, gateways, placed.order, gift_card(gateways, 500), actor="shop"
    )
    assert (order.status, order.hold_reason) == (OrderStatus.ON_HOLD, "payment")
    (payment,) = payments_of_order(db, order.id)
    assert payment.decline_code == "insufficient_balance"
