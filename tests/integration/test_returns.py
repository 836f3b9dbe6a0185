"""Returns end to end on both engines: requested by the customer, approved with a label,
received in a store, inspected (restocked or written off), refunded through the test
gateway, paid as store credit, or exchanged for a replacement order; and every refusal."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from openoms.fulfillment.services import picking, shipping, work
from openoms.fulfillment.tracking_numbers import is_valid_s10
from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events as outbox
from openoms.inventory.orm import stock_levels, stock_movements
from openoms.inventory.verify import verify_ledger
from openoms.locations import services as locations
from openoms.orders.model import OrderStatus
from openoms.orders.queries import get_order, order_id_of
from openoms.payments.services.records import payments_of
from openoms.returns import services as svc
from openoms.returns.model import (
    IllegalReturnTransition,
    NotReturnable,
    Payer,
    RefundNotPossible,
    ReturnNotAccepted,
    ReturnNotFound,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
)
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from tests.integration.returns_setup import Delivered, delivered_order


def _request(d: Delivered, *lines: tuple[int, int, str], **extra: object) -> svc.ReturnRequest:
    values: dict[str, object] = {
        "lines": [svc.LineRequest(no, qty, reason) for no, qty, reason in lines],
        "method": "in_store",
        "drop_off_location": d.store,
    }
    values.update(extra)
    return svc.ReturnRequest(**values)  # type: ignore[arg-type]


def _on_hand(db: Database, sku: str, location: str) -> int:
    from openoms.catalog.orm import skus
    from openoms.locations.orm import locations as loc_t

    with db.reader() as uow:
        found = uow.conn.execute(
            sa.select(stock_levels.c.on_hand)
            .join(skus, skus.c.id == stock_levels.c.sku_id)
            .join(loc_t, loc_t.c.id == stock_levels.c.location_id)
            .where(skus.c.code == sku, loc_t.c.code == location)
        ).scalar()
    return int(found or 0)


def _events(db: Database, name: str) -> list[dict[str, object]]:
    with db.reader() as uow:
        return [
            dict(p)
            for p in uow.conn.execute(
                sa.select(outbox.c.payload).where(outbox.c.name == name).order_by(outbox.c.id)
            ).scalars()
        ]


def _event_of(db: Database, name: str, number: str) -> dict[str, object]:
    """The one event of that name about that return (outbox ids are random: no order)."""
    (found,) = [e for e in _events(db, name) if e.get("number") == number]
    return found


def _refunded(db: Database, number: str) -> int:
    with db.reader() as uow:
        return sum(p.refunded for p in payments_of(uow, order_id_of(uow, number)))


def _captured(db: Database, number: str) -> int:
    with db.reader() as uow:
        return sum(p.captured for p in payments_of(uow, order_id_of(uow, number)))


def test_a_customer_returns_part_of_an_online_order_in_a_store_and_is_refunded(
    db: Database,
) -> None:
    d = delivered_order(db)  # 2 x 25.00 + 1 x 40.00 + 4.95 shipping, captured at shipment
    assert _captured(db, d.number) == 2 * 2500 + 4000 + 495

    can = svc.returnable(db.reader(), d.number)
    assert can.open
    assert can.deadline == clock.now().date() + timedelta(days=30)
    assert [(ln.delivered, ln.returnable) for ln in can.lines] == [(2, 2), (1, 1)]

    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (1, 1, "too_small")),
        actor="customer",
        by_customer=True,
    )
    assert ret.status is ReturnStatus.REQUESTED
    assert ret.number.startswith("RMA-")
    assert svc.returnable(db.reader(), d.number).lines[0].returnable == 1

    ret = svc.approve(db.uow(), ret.number, actor="cs")
    assert ret.status is ReturnStatus.APPROVED
    assert ret.tracking_number is None  # brought to a store: no label

    before = _on_hand(db, d.skus[0], d.store)
    ret = svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    assert ret.status is ReturnStatus.RECEIVED
    assert ret.received_at_location == d.store
    assert _event_of(db, "return.received", ret.number)["location"] == d.store

    ret = svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="store")
    assert ret.status is ReturnStatus.INSPECTED
    assert _on_hand(db, d.skus[0], d.store) == before + 1
    assert ret.lines[0].credit_amount == 2500
    order = get_order(db.reader(), d.number)
    with db.reader() as uow:
        moved = (
            uow.conn.execute(
                sa.select(stock_movements.c.kind).where(
                    stock_movements.c.reference == f"return:{ret.number}"
                )
            )
            .scalars()
            .all()
        )
    assert order.lines[0].quantity_returned == 1
    assert moved == ["return"]

    q = svc.quote(db.reader(), ret.number)
    assert (q.items, q.restocking_fee, q.original_shipping, q.total) == (2500, 0, 0, 2500)

    done = svc.refund(db, d.gateways, ret.number, None, actor="store")
    assert done.problems == []
    assert done.ret.status is ReturnStatus.REFUNDED
    assert done.ret.refund_amount == 2500
    assert _refunded(db, d.number) == 2500
    assert _event_of(db, "return.refunded", ret.number)["amount"] == 2500
    assert verify_ledger(db.reader()) == []

    # no double refund: the state machine refuses, nothing changes
    with pytest.raises(IllegalReturnTransition):
        svc.refund(db, d.gateways, ret.number, None, actor="store")
    assert _refunded(db, d.number) == 2500


def test_returning_everything_for_our_mistake_gives_back_shipping_too(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (1, 2, "damaged"), (2, 1, "wrong_item")),
        actor="cs",
        by_customer=False,
    )
    assert ret.status is ReturnStatus.APPROVED  # staff: approved at once
    svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    svc.inspect(
        db.uow(),
        ret.number,
        [
            svc.Inspection(1, restock=1, write_off=1, write_off_reason="crushed"),
            svc.Inspection(2, restock=1),
        ],
        actor="store",
    )
    q = svc.quote(db.reader(), ret.number)
    assert (q.items, q.original_shipping, q.total) == (9000, 495, 9495)
    svc.refund(db, d.gateways, ret.number, None, actor="cs")
    assert _refunded(db, d.number) == _captured(db, d.number) == 9495
    order = get_order(db.reader(), d.number)
    assert [ln.quantity_returned for ln in order.lines] == [2, 1]
    # nothing left to return
    with pytest.raises(NotReturnable):
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 1, "damaged")), actor="cs", by_customer=False
        )


def test_restocking_fee_and_the_customers_label_by_the_channels_policy(db: Database) -> None:
    d = delivered_order(db)
    svc.set_policy(
        db.uow(),
        d.channel,
        ReturnPolicy(
            window_days=14,
            shipping_paid_by=Payer.CUSTOMER,
            restocking_fee_percent=Decimal("10"),
            return_service=d.service,  # not the cheapest of every test's carriers
        ),
    )
    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (2, 1, "changed_mind"), method="ship_back", drop_off_location=None),
        actor="customer",
        by_customer=True,
    )
    ret = svc.approve(db.uow(), ret.number, actor="cs")
    assert ret.tracking_number is not None
    assert is_valid_s10(ret.tracking_number)
    assert ret.label_cost_amount == 595
    pdf = PdfReader(io.BytesIO(svc.label_pdf(db.reader(), ret.number)))
    text = pdf.pages[0].extract_text()
    assert ret.number in text
    assert "RETURN" in text
    ret = svc.mark_in_transit(db.uow(), ret.number, actor="carrier")
    svc.receive(db.uow(), ret.number, d.warehouse, None, actor="wh")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(2, restock=1)], actor="wh")
    q = svc.quote(db.reader(), ret.number)
    assert (q.items, q.restocking_fee, q.return_shipping, q.total) == (4000, 400, 595, 3005)
    # partial refunds are allowed, more than the policy's figure is not
    with pytest.raises(ValidationFailed):
        svc.refund(db, d.gateways, ret.number, 3006, actor="cs")
    svc.refund(db, d.gateways, ret.number, 3000, actor="cs")
    assert _refunded(db, d.number) == 3000


def test_store_credit_is_a_gift_card_in_the_customers_name(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (2, 1, "too_large")), actor="cs", by_customer=False
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(2, restock=1)], actor="store")
    ret = svc.store_credit(db, d.gateways, ret.number, None, actor="cs")
    assert ret.status is ReturnStatus.REFUNDED
    assert ret.store_credit_code
    cards = d.gateways.gift_cards
    assert cards is not None
    card = cards.card(ret.store_credit_code)
    assert (card.balance, card.currency) == (4000, "EUR")
    assert card.customer is not None
    assert card.customer.startswith("CUS-")
    assert _refunded(db, d.number) == 0  # the card payment is untouched


def test_an_exchange_places_a_free_replacement_order_flagged_and_high_priority(
    db: Database,
) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (1, 1, "too_small"), preferred_resolution="exchange"),
        actor="cs",
        by_customer=False,
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="store")
    done = svc.exchange(db, d.gateways, ret.number, actor="cs")
    assert done.ret.status is ReturnStatus.EXCHANGED
    assert done.ret.exchange_order_number == done.order.number
    new = done.order
    assert "replacement" in new.special_codes
    assert new.priority >= 60
    assert new.total_amount == 0
    assert done.charged == 0
    assert done.refunded == 0
    assert new.status is OrderStatus.ALLOCATED
    assert [(ln.sku, ln.quantity_ordered) for ln in new.lines] == [(d.skus[0], 1)]
    # shipped like any order, first in the queue
    fo = work.list_fulfilment_orders(db.uow(), work.FulfilmentFilter(order_number=new.number))[0]
    assert fo.priority >= 60
    wave = picking.release_wave(
        db.uow(), d.warehouse, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, d.skus[0], actor="picker")
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=300, width_mm=200, height_mm=100, weight_g=800)],
        actor="packer",
    )
    shipping.ship_and_capture(db, d.gateways, fo.number, actor="packer")
    assert get_order(db.reader(), new.number).status is OrderStatus.SHIPPED
    assert verify_ledger(db.reader()) == []
    # once only
    with pytest.raises(IllegalReturnTransition):
        svc.exchange(db, d.gateways, ret.number, actor="cs")


def _exchange_for(db: Database, d: Delivered, price: int) -> svc.Exchanged:
    """Line 1 (25.00 paid) exchanged for another SKU at ``price``."""
    from openoms.catalog import services as catalog
    from openoms.catalog.services import ProductSpec
    from openoms.shared.money import Money
    from tests.builders import random_code, sku_spec, stock

    other = sku_spec(prices={"EUR": Money(price, "EUR")})
    catalog.create_product(db.uow(), ProductSpec(code=random_code("P"), name="Other", skus=[other]))
    stock(db, other.code, d.warehouse, 5)
    ret = svc.open_return(
        db.uow(),
        d.number,
        svc.ReturnRequest(
            [svc.LineRequest(1, 1, "too_small", exchange_sku=other.code)],
            "in_store",
            "exchange",
            d.store,
        ),
        actor="cs",
        by_customer=False,
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="store")
    return svc.exchange(db, d.gateways, ret.number, actor="cs")


def test_an_exchange_for_something_dearer_charges_the_difference(db: Database) -> None:
    d = delivered_order(db)
    done = _exchange_for(db, d, 3500)
    assert done.credit == 2500
    assert done.charged == 1000
    assert done.order.total_amount == 1000
    assert done.refunded == 0
    assert _refunded(db, d.number) == 0


def test_an_exchange_for_something_cheaper_refunds_the_difference(db: Database) -> None:
    d = delivered_order(db)
    done = _exchange_for(db, d, 1999)
    assert done.order.total_amount == 0
    assert done.charged == 0
    assert done.refunded == 501
    assert _refunded(db, d.number) == 501


# ---------------------------------------------------------------- refusals


def test_more_than_was_delivered_is_refused_and_nothing_is_kept(db: Database) -> None:
    d = delivered_order(db)
    with pytest.raises(NotReturnable, match="2 of 2 delivered"):
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 3, "too_small")), actor="c", by_customer=True
        )
    with pytest.raises(ValidationFailed):
        svc.open_return(
            db.uow(), d.number, _request(d, (9, 1, "too_small")), actor="c", by_customer=True
        )
    with pytest.raises(ValidationFailed):
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 0, "too_small")), actor="c", by_customer=True
        )
    with pytest.raises(ValidationFailed):
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 1, "bored")), actor="c", by_customer=True
        )
    found, _ = svc.list_returns(db.reader(), svc.ReturnFilter(order=d.number))
    assert found == []


def test_an_undelivered_order_or_one_past_the_window_cannot_be_returned(db: Database) -> None:
    d = delivered_order(db, deliver=False)
    with pytest.raises(NotReturnable, match="not been delivered"):
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 1, "too_small")), actor="c", by_customer=True
        )
    d = delivered_order(db)
    svc.set_policy(db.uow(), d.channel, ReturnPolicy(window_days=0))
    later = clock.now() + timedelta(days=2)
    with clock.frozen(later), pytest.raises(NotReturnable, match="window"):
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 1, "too_small")), actor="c", by_customer=True
        )


def test_a_reason_the_channel_does_not_take_is_refused(db: Database) -> None:
    d = delivered_order(db)
    svc.set_policy(
        db.uow(), d.channel, ReturnPolicy(reasons=(ReturnReason.DAMAGED, ReturnReason.DEFECTIVE))
    )
    with pytest.raises(ValidationFailed) as e:
        svc.open_return(
            db.uow(), d.number, _request(d, (1, 1, "changed_mind")), actor="c", by_customer=True
        )
    assert "not accepted" in str(e.value)


def test_a_location_that_takes_no_returns_cannot_receive_them(db: Database) -> None:
    from tests.builders import make_location

    d = delivered_order(db)
    closed = make_location(db).code
    locations.update_location(db.uow(), closed, {"accepts_returns": False})
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (1, 1, "too_small")), actor="cs", by_customer=False
    )
    with pytest.raises(ReturnNotAccepted):
        svc.receive(db.uow(), ret.number, closed, None, actor="store")
    with pytest.raises(ValidationFailed):
        svc.receive(db.uow(), ret.number, d.store, {1: 2}, actor="store")  # 1 was asked back
    assert svc.get_return(db.reader(), ret.number).status is ReturnStatus.APPROVED


def test_inspection_must_account_for_every_received_unit(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (1, 2, "defective")), actor="cs", by_customer=False
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    with pytest.raises(ValidationFailed):
        svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="s")
    with pytest.raises(ValidationFailed):
        svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1, write_off=1)], actor="s")
    assert svc.get_return(db.reader(), ret.number).status is ReturnStatus.RECEIVED
    assert _on_hand(db, d.skus[0], d.store) == 0


def test_steps_out_of_order_are_refused(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (1, 1, "too_small")), actor="c", by_customer=True
    )
    with pytest.raises(IllegalReturnTransition):
        svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="s")
    with pytest.raises(IllegalReturnTransition):
        svc.refund(db, d.gateways, ret.number, None, actor="s")
    svc.reject(db.uow(), ret.number, actor="cs", reason="worn")
    with pytest.raises(IllegalReturnTransition):
        svc.approve(db.uow(), ret.number, actor="cs")
    # a rejected return gives its units back to what can be returned
    assert svc.returnable(db.reader(), d.number).lines[0].returnable == 2
    with pytest.raises(ReturnNotFound):
        svc.get_return(db.reader(), "RMA-999999")


def test_a_refund_beyond_what_was_captured_is_refused(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (2, 1, "damaged")), actor="cs", by_customer=False
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="s")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(2, restock=1)], actor="s")
    # finance refunded most of the card by hand meanwhile
    from openoms.payments.services import operations

    with db.reader() as uow:
        payment = payments_of(uow, order_id_of(uow, d.number))[0]
    operations.refund(db, d.gateways, payment.id, payment.refundable - 1000, actor="fin")
    with pytest.raises(RefundNotPossible):
        svc.refund(db, d.gateways, ret.number, None, actor="cs")
    assert svc.get_return(db.reader(), ret.number).status is ReturnStatus.INSPECTED
    assert _refunded(db, d.number) == _captured(db, d.number) - 1000


def test_two_clerks_refunding_at_once_refund_once(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (2, 1, "damaged")), actor="cs", by_customer=False
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="s")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(2, restock=1)], actor="s")
    errors: list[Exception] = []

    def go() -> None:
        try:
            svc.refund(db, d.gateways, ret.number, None, actor="cs")
        except Exception as e:  # noqa: BLE001 - collected and checked below
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 3
    assert all(isinstance(e, IllegalReturnTransition) for e in errors)
    assert _refunded(db, d.number) == 4000


def test_two_tabs_asking_back_the_last_unit_at_once_open_one_return(db: Database) -> None:
    d = delivered_order(db, quantities=(1, 1))
    errors: list[Exception] = []
    opened: list[str] = []

    def ask() -> None:
        try:
            ret = svc.open_return(
                db.uow(), d.number, _request(d, (1, 1, "too_small")), actor="c", by_customer=True
            )
            opened.append(ret.number)
        except Exception as e:  # noqa: BLE001 - collected and checked below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened) == 1
    assert len(errors) == 4
    assert all(isinstance(e, NotReturnable) for e in errors)


def test_a_return_closed_after_inspection_keeps_its_units_returned(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (1, 2, "changed_mind")), actor="cs", by_customer=False
    )
    withdrawn = svc.open_return(
        db.uow(), d.number, _request(d, (2, 1, "too_small")), actor="cs", by_customer=False
    )
    svc.close(db.uow(), withdrawn.number, actor="cs", reason="the customer kept it")
    svc.receive(db.uow(), ret.number, d.store, {1: 1}, actor="s")  # one of two arrived
    svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="s")
    svc.close(db.uow(), ret.number, actor="cs", reason="goodwill: nothing owed")
    lines = svc.returnable(db.reader(), d.number).lines
    # the unit that came back stays returned; the one that never arrived and the
    # withdrawn line can still come back
    assert [ln.returnable for ln in lines] == [1, 1]


def test_a_store_clerk_sees_returns_brought_to_their_store(db: Database) -> None:
    from openoms.shared.scope import Scope

    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (1, 1, "too_small")), actor="cs", by_customer=False
    )
    theirs = svc.ReturnFilter(scope=Scope(locations=frozenset({d.store})))
    assert [r.number for r in svc.list_returns(db.reader(), theirs)[0]] == [ret.number]
    elsewhere = svc.ReturnFilter(scope=Scope(locations=frozenset({"NOWHERE"})))
    assert svc.list_returns(db.reader(), elsewhere)[0] == []


def test_inspection_restocks_only_what_came_back(db: Database) -> None:
    d = delivered_order(db)
    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (1, 2, "too_small"), (2, 1, "too_small")),
        actor="cs",
        by_customer=False,
    )
    svc.receive(db.uow(), ret.number, d.store, {1: 2, 2: 0}, actor="s")  # line 2 never came
    twice = [svc.Inspection(1, restock=2), svc.Inspection(1, restock=2)]
    with pytest.raises(ValidationFailed, match="named twice"):
        svc.inspect(db.uow(), ret.number, twice, actor="s")
    phantom = [svc.Inspection(1, restock=2), svc.Inspection(2, restock=50)]
    with pytest.raises(ValidationFailed, match="nothing of this line was received"):
        svc.inspect(db.uow(), ret.number, phantom, actor="s")
    assert _on_hand(db, d.skus[0], d.store) == 0
    assert _on_hand(db, d.skus[1], d.store) == 0
    svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=2)], actor="s")
    assert _on_hand(db, d.skus[0], d.store) == 2
    assert verify_ledger(db.reader()) == []


def test_a_partly_cancelled_line_credits_what_was_paid_for_the_units_kept(db: Database) -> None:
    # 3 x 25.00 ordered, 1 cancelled before picking: the line costs 50.00 for 2 units
    d = delivered_order(db, quantities=(3, 1), cancel={1: 1})
    ret = svc.open_return(
        db.uow(), d.number, _request(d, (1, 2, "too_small")), actor="cs", by_customer=False
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="s")
    ret = svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=2)], actor="s")
    assert ret.lines[0].credit_amount == 5000
    assert svc.quote(db.reader(), ret.number).total == 5000


def test_shipping_comes_back_with_its_tax_on_a_tax_exclusive_channel(db: Database) -> None:
    # 25.00 + 40.00 + 4.95 shipping, all before 21 % VAT
    d = delivered_order(db, prices_include_tax=False)
    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (1, 2, "defective"), (2, 1, "defective")),
        actor="cs",
        by_customer=False,
    )
    svc.receive(db.uow(), ret.number, d.store, None, actor="s")
    svc.inspect(
        db.uow(),
        ret.number,
        [svc.Inspection(1, restock=2), svc.Inspection(2, restock=1)],
        actor="s",
    )
    q = svc.quote(db.reader(), ret.number)
    assert q.original_shipping == 599  # 4.95 and its 21 % VAT
    assert q.total == _captured(db, d.number)
    svc.refund(db, d.gateways, ret.number, None, actor="cs")
    assert _refunded(db, d.number) == _captured(db, d.number)


def test_an_exchange_for_less_pays_back_no_more_than_a_refund_would(db: Database) -> None:
    d = delivered_order(db)
    svc.set_policy(
        db.uow(), d.channel, ReturnPolicy(restocking_fee_percent=Decimal(20))
    )  # a refund of the 25.00 unit returned by choice gives 20.00
    done = _exchange_for(db, d, 1)
    assert done.order.total_amount == 0
    assert done.refunded == 2000 - 1
    assert _refunded(db, d.number) == 1999


def test_carrier_scans_of_a_return_label_put_it_in_transit(db: Database) -> None:
    from openoms.fulfillment.model import ShipmentNotFound, ShipmentStatus
    from openoms.fulfillment.services import tracking

    d = delivered_order(db)
    svc.set_policy(db.uow(), d.channel, ReturnPolicy(return_service=d.service))
    ret = svc.open_return(
        db.uow(),
        d.number,
        _request(d, (1, 1, "defective"), method="ship_back", drop_off_location=None),
        actor="cs",
        by_customer=False,
    )
    label = ret.tracking_number
    assert label is not None
    at = clock.now()
    scan = tracking.ScanIn(label, ShipmentStatus.ACCEPTED, at, "Utrecht depot")
    # a batch with a number nobody knows is refused whole
    with pytest.raises(ShipmentNotFound):
        tracking.record_scans(
            db.uow(),
            [scan, tracking.ScanIn("XX999999999NL", ShipmentStatus.IN_TRANSIT, at)],
            source="carrier",
            actor="carrier",
        )
    assert svc.get_return(db.reader(), ret.number).status is ReturnStatus.APPROVED
    for _ in range(2):  # the same scan twice counts once
        assert tracking.record_scans(db.uow(), [scan], source="carrier", actor="carrier") == []
    delivered = tracking.ScanIn(label, ShipmentStatus.DELIVERED, at + timedelta(days=1))
    tracking.record_scans(db.uow(), [delivered], source="carrier", actor="carrier")
    ret = svc.get_return(db.reader(), ret.number)
    assert ret.status is ReturnStatus.IN_TRANSIT  # staff receive what arrived
    carrier = [e.text for e in ret.events if e.text.startswith("Carrier")]
    assert carrier == [
        "Carrier (carrier): accepted at Utrecht depot",
        "Carrier (carrier): delivered",
    ]
    assert svc.receive(db.uow(), ret.number, d.warehouse, None, actor="wh").status is (
        ReturnStatus.RECEIVED
    )
