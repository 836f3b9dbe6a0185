"""The console's returns queue on both engines: rows with the customer, units and reasons,
filters by status, location and RMA or order number, counts per status, and what waits
for someone within a user's scope."""

from __future__ import annotations

from openoms.infra.db import Database
from openoms.orders.queries import get_order
from openoms.returns import queries
from openoms.returns import services as svc
from openoms.returns.model import ReturnReason, ReturnStatus
from openoms.shared.scope import Scope
from tests.integration.returns_setup import delivered_order

S = ReturnStatus


def _in_store(store: str, *lines: tuple[int, int, str]) -> svc.ReturnRequest:
    return svc.ReturnRequest(
        [svc.LineRequest(no, qty, reason) for no, qty, reason in lines],
        method="in_store",
        drop_off_location=store,
    )


def test_the_queue_shows_each_return_with_its_customer_units_and_reasons(db: Database) -> None:
    # given a customer's request for two lines and a return staff opened and received
    d = delivered_order(db)
    asked = svc.open_return(
        db.uow(),
        d.number,
        _in_store(d.store, (1, 2, "too_small"), (2, 1, "damaged")),
        actor="customer",
        by_customer=True,
    )
    email = get_order(db.reader(), d.number).email
    other = delivered_order(db)
    received = svc.open_return(
        db.uow(),
        other.number,
        _in_store(other.store, (1, 1, "changed_mind")),
        actor="cs",
        by_customer=False,
    )
    svc.receive(db.uow(), received.number, other.store, None, actor="store")
    # when the queue is searched by order number, then by RMA (as typed, lower case)
    by_order, _ = queries.queue(db.reader(), queries.QueueFilter(text=d.number))
    by_rma, _ = queries.queue(db.reader(), queries.QueueFilter(text=received.number.lower()))
    # then
    (row,) = by_order
    assert (row.number, row.status, row.units) == (asked.number, S.REQUESTED, 3)
    assert row.reasons == (ReturnReason.TOO_SMALL, ReturnReason.DAMAGED)
    assert row.location == d.store
    assert row.email == email
    assert [(r.number, r.status, r.location) for r in by_rma] == [
        (received.number, S.RECEIVED, other.store)
    ]
    # and a status filter leaves out what is not in it
    approved_only = queries.QueueFilter(status=(S.APPROVED,), text=d.number)
    assert queries.queue(db.reader(), approved_only)[0] == []


def test_counts_and_what_waits_are_limited_to_the_users_locations(db: Database) -> None:
    # given two requests and a received return brought to one store
    d = delivered_order(db)
    first = svc.open_return(
        db.uow(), d.number, _in_store(d.store, (1, 1, "too_small")), actor="c", by_customer=True
    )
    svc.open_return(
        db.uow(), d.number, _in_store(d.store, (2, 1, "too_large")), actor="c", by_customer=True
    )
    svc.approve(db.uow(), first.number, actor="cs")
    svc.receive(db.uow(), first.number, d.store, None, actor="store")
    here = Scope(locations=frozenset({d.store}), channels=frozenset({"NO-SUCH-CHANNEL"}))
    # when
    counts = queries.counts(db.reader(), queries.QueueFilter(location=d.store))
    waiting = queries.waiting_count(db.reader(), here)
    elsewhere = queries.waiting_count(
        db.reader(), Scope(locations=frozenset({"NOWHERE"}), channels=frozenset({"NONE"}))
    )
    # then the store's clerk sees both waiting (one to approve, one to inspect)
    assert counts == {S.REQUESTED: 1, S.RECEIVED: 1}
    assert waiting == 2
    assert elsewhere == 0


def test_the_queue_pages_newest_first(db: Database) -> None:
    d = delivered_order(db, quantities=(3, 1))
    opened = [
        svc.open_return(
            db.uow(), d.number, _in_store(d.store, (1, 1, "too_small")), actor="c", by_customer=True
        ).number
        for _ in range(3)
    ]
    f = queries.QueueFilter(location=d.store)

    first, before = queries.queue(db.reader(), f, limit=2)
    rest, after = queries.queue(db.reader(), f, limit=2, before=before)

    assert [r.number for r in first + rest] == opened[::-1]
    assert before is not None
    assert after is None
