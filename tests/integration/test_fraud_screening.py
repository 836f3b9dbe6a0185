"""Fraud screening at placement, on SQLite and PostgreSQL: facts gathered from the
database, decisions acted on, and the review queue."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg import sql as psql
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from openoms.customers.orm import customers
from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.inventory.queries import availability
from openoms.orders import queries
from openoms.orders.model import OrderStatus
from openoms.orders.orm import orders
from openoms.orders.placement import LineInput, Placed, place_order
from openoms.payments.model import PaymentState
from openoms.payments.services import order_payments, screening
from openoms.payments.services.records import payments_of
from openoms.payments.services.screening import AlreadyReviewed, Client, ScreeningNotFound
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from tests.builders import address, make_channel, make_location, make_sku, random_code, stock
from tests.integration.payment_setup import an_order, card, fresh_card_number, gateways_for
from tests.integration.test_orders import _order
from tests.sql_events import recorded

STRICT = {
    "review_at": 30,
    "reject_at": 100,
    "rules": [
        {"kind": "velocity_email", "points": 30, "threshold": 2},
        {"kind": "country_mismatch", "points": 15},
        {"kind": "avs_fail", "points": 20},
        {"kind": "blocklist_email", "points": 100, "force_decision": "reject"},
        {"kind": "blocklist_ip", "points": 100, "force_decision": "reject"},
    ],
}


def _timeline_kinds(db: Database, number: str) -> list[str]:
    return [e.kind for e in queries.timeline(db.reader(), number)]


def _place(db: Database, channel: str, sku: str, email: str, **extra: object):  # type: ignore[no-untyped-def]
    data = _order(channel, LineInput(sku, 1, 2000), email=email, **extra)
    return place_order(db.uow(), data, actor="shop").order


def test_a_plain_order_is_accepted_and_its_screening_is_on_the_timeline(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db)
    paid = card(gateways, fresh_card_number())
    client = Client(f"198.51.100.{random.randint(1, 254)}", random_code("dev"))
    order = order_payments.after_placement(db, gateways, placed.order, paid, client, actor="shop")
    assert order.status is OrderStatus.ALLOCATED
    events = queries.timeline(db.reader(), order.number)
    (screened,) = [e for e in events if e.kind == "fraud_screening"]
    assert screened.data["decision"] == "accept"
    assert screened.reason == "score 0: no rule fired"


def test_a_third_order_from_one_email_within_the_hour_waits_in_review(db: Database) -> None:
    # given a channel that reviews at 30 points and allows 2 orders per email per hour
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules=STRICT)
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 20)
    email = f"{random_code('v').lower()}@example.com"
    decisions = []
    for _ in range(3):
        order = _place(db, channel, sku, email)
        after = order_payments.after_placement(db, gateways, order, card(gateways), actor="shop")
        decisions.append((after.status, after.hold_reason))
    # then the third is held for fraud, with its reasons, in the queue
    assert decisions[:2] == [(OrderStatus.ALLOCATED, None)] * 2
    assert decisions[2] == (OrderStatus.ON_HOLD, "fraud")
    waiting = [r for r in screening.review_queue(db.reader()) if r.email == email]
    (review,) = waiting
    assert review.score == 30
    assert (
        review.reasons[0]["message"] == "3 orders from this email in the last 60 minutes (limit 2)"
    )
    # when staff approve it, it goes on; a second verdict is refused
    approved = screening.approve(db, review.order_number, actor="fin", note="called the customer")
    assert approved.status is OrderStatus.ALLOCATED
    with pytest.raises(AlreadyReviewed):
        screening.reject(db, gateways, review.order_number, actor="fin")
    assert "fraud_review" in _timeline_kinds(db, review.order_number)


def test_rejecting_in_review_cancels_the_order_and_voids_its_card(db: Database) -> None:
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules={**STRICT, "review_at": 15})
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 5)
    # billing in Germany, shipping to the Netherlands: 15 points, review
    order = _place(
        db,
        channel,
        sku,
        f"{random_code('m').lower()}@example.com",
        billing_address=address(country="DE", city="Berlin"),
    )
    held = order_payments.after_placement(db, gateways, order, card(gateways), actor="shop")
    assert held.hold_reason == "fraud"
    rejected = screening.reject(db, gateways, order.number, actor="fin", note="stolen card")
    assert rejected.status is OrderStatus.CANCELLED
    with db.reader() as uow:
        (payment,) = payments_of(uow, order.id)
    assert payment.state is PaymentState.VOIDED
    with pytest.raises(AlreadyReviewed):
        screening.approve(db, order.number, actor="fin")
    never = an_order(db).order.number
    with pytest.raises(ScreeningNotFound):
        screening.approve(db, never, actor="fin")


def test_a_blocklisted_ip_is_rejected_at_placement_and_its_card_voided(db: Database) -> None:
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules=STRICT)
    screening.block(db.uow(), "ip", "203.0.113.0/24", actor="fin", note="chargebacks")
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 5)
    order = _place(db, channel, sku, f"{random_code('b').lower()}@example.com")
    after = order_payments.after_placement(
        db, gateways, order, card(gateways), Client("203.0.113.77"), actor="shop"
    )
    assert after.status is OrderStatus.CANCELLED
    with db.reader() as uow:
        (payment,) = payments_of(uow, order.id)
    assert payment.state is PaymentState.VOIDED
    screened = [
        e for e in queries.timeline(db.reader(), order.number) if e.kind == "fraud_screening"
    ]
    assert screened[0].data["decision"] == "reject"
    assert "203.0.113.0/24" in (screened[0].reason or "")


def test_an_address_check_failure_adds_to_the_score(db: Database) -> None:
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules={**STRICT, "review_at": 20})
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 5)
    order = _place(db, channel, sku, f"{random_code('a').lower()}@example.com")
    avs_fails = card(gateways, "4000000000000010")
    after = order_payments.after_placement(db, gateways, order, avs_fails, actor="shop")
    assert after.hold_reason == "fraud"


def test_point_of_sale_orders_are_not_screened(db: Database) -> None:
    gateways = gateways_for(db)
    placed = an_order(db, kind="point_of_sale")
    order_payments.after_placement(db, gateways, placed.order, None, actor="till")
    assert "fraud_screening" not in _timeline_kinds(db, placed.order.number)


def test_the_blocklist_refuses_what_it_cannot_match(db: Database) -> None:
    with pytest.raises(ValidationFailed, match="not an IP"):
        screening.block(db.uow(), "ip", "300.1.1.1", actor="fin")
    with pytest.raises(ValidationFailed, match="must be one of"):
        screening.block(db.uow(), "phone", "+31 6", actor="fin")
    entry = screening.block(db.uow(), "email", "@fraud.example", actor="fin")
    again = screening.block(db.uow(), "email", "@fraud.example", actor="fin")
    assert entry.id == again.id
    screening.unblock(db.uow(), entry.id)
    assert entry.id not in [e.id for e in screening.blocklist(db.reader())]


def test_a_channel_refuses_bad_fraud_rules(db: Database) -> None:
    with pytest.raises(ValidationFailed) as e:
        make_channel(db, fraud_rules={"review_at": 90, "reject_at": 50, "rules": []})
    assert all(err.field.startswith("fraud_rules.") for err in e.value.errors)


# --- an order with nothing to pay now: screened inside its placement's transaction --------


def test_an_unpaid_order_is_placed_and_screened_in_one_commit(db: Database) -> None:
    # given
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules=STRICT)
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 5)
    data = _order(channel, LineInput(sku, 1, 2000), external_id=random_code("X"))
    placed: list[Placed] = []
    # when
    with recorded(db.engine) as sent:
        placed.append(order_payments.place(db, gateways, data, None, actor="shop"))
    # then
    (first,) = placed
    assert sent.commits == 1
    assert first.created
    assert first.order.status is OrderStatus.ALLOCATED
    assert not first.order.number.startswith("~")
    (screened,) = [
        e for e in queries.timeline(db.reader(), first.order.number) if e.kind == "fraud_screening"
    ]
    assert screened.data["decision"] == "accept"
    # and the channel sending it again gets it back, screened once
    again = order_payments.place(db, gateways, data, None, actor="shop")
    assert (again.created, again.order.number) == (False, first.order.number)
    assert _timeline_kinds(db, first.order.number).count("fraud_screening") == 1


def test_an_unpaid_order_in_review_is_held_with_its_final_number_in_the_event(
    db: Database,
) -> None:
    # given two earlier orders from the same email within the hour
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules=STRICT)
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 20)
    email = f"{random_code('v').lower()}@example.com"
    orders = [
        order_payments.place(
            db, gateways, _order(channel, LineInput(sku, 1, 2000), email=email), None, actor="shop"
        ).order
        for _ in range(3)
    ]
    # then the third waits in review, and its event names it by its real number
    assert [o.status for o in orders] == [OrderStatus.ALLOCATED] * 2 + [OrderStatus.ON_HOLD]
    held = orders[2]
    assert held.hold_reason == "fraud"
    with db.reader() as uow:
        payloads = [
            row.payload
            for row in uow.conn.execute(
                sa.select(outbox_events.c.payload).where(
                    outbox_events.c.name == "order.fraud_review",
                    outbox_events.c.aggregate == f"order:{held.number}",
                )
            )
        ]
    assert [p["number"] for p in payloads] == [held.number]
    assert [r.order_number for r in screening.review_queue(db.reader()) if r.email == email] == [
        held.number
    ]


def test_an_unpaid_order_from_a_blocked_address_is_cancelled_and_its_stock_freed(
    db: Database,
) -> None:
    # given
    gateways = gateways_for(db)
    channel = make_channel(db, fraud_rules=STRICT)
    screening.block(db.uow(), "ip", "192.0.2.0/24", actor="fin", note="bots")
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 5)
    data = _order(channel, LineInput(sku, 2, 2000))
    # when
    order = order_payments.place(db, gateways, data, None, Client("192.0.2.9"), actor="shop").order
    # then
    assert order.status is OrderStatus.CANCELLED
    assert availability(db.reader(), [sku])[0].available == 5
    assert "order.fraud_rejected" in _outbox_names(db, order.number)


def test_an_unpaid_point_of_sale_order_is_not_screened(db: Database) -> None:
    gateways = gateways_for(db)
    channel = make_channel(db, kind="point_of_sale")
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 5)
    placed = order_payments.place(
        db, gateways, _order(channel, LineInput(sku, 1, 2000)), None, actor="till"
    )
    assert placed.created
    assert "fraud_screening" not in _timeline_kinds(db, placed.order.number)


def _outbox_names(db: Database, number: str) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.conn.execute(
                sa.select(outbox_events.c.name).where(
                    outbox_events.c.aggregate == f"order:{number}"
                )
            ).scalars()
        )


def test_history_counts_the_customers_earlier_orders_that_were_not_cancelled(
    db: Database,
) -> None:
    # given a channel that reviews an order above twice the customer's average, once there
    # are two earlier orders, and a customer with 10.00, 10.00 and a cancelled 90.00
    gateways = gateways_for(db)
    rules = {
        "review_at": 30,
        "reject_at": 100,
        "rules": [{"kind": "high_value_vs_history", "points": 30, "factor": "2", "min_orders": 2}],
    }
    channel = make_channel(db, fraud_rules=rules)
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 50)
    email = f"{random_code('h').lower()}@example.com"

    def place(quantity: int) -> Placed:
        data = _order(channel, LineInput(sku, quantity, 1000), email=email)
        return order_payments.place(db, gateways, data, None, actor="shop")

    def screened(placed: Placed) -> dict[str, object]:
        events = queries.timeline(db.reader(), placed.order.number)
        (event,) = [e for e in events if e.kind == "fraud_screening"]
        return event.data

    place(1)
    place(1)
    big = place(9)
    order_payments.cancel_order(db, gateways, big.order.number, actor="shop", reason="test")
    # when an order of 50.00 comes (5x the average of the two that count)
    fifth = place(5)
    # then the rule fires on two earlier orders averaging 10.00 (the cancelled one and the
    # orders after it do not count)
    data = screened(fifth)
    assert fifth.order.status is OrderStatus.ON_HOLD
    (reason,) = data["reasons"]  # type: ignore[misc]
    assert reason["details"]["previous_orders"] == 2
    assert reason["details"]["average_minor"] == 1000
    # and next, an order of 40.00 passes: the held 50.00 counts now (average 23.33; on the
    # first two alone, 40.00 would be above twice 10.00)
    assert screened(place(4))["decision"] == "accept"


def test_ip_and_device_are_counted_apart_each_in_its_own_window(db: Database) -> None:
    # given a channel allowing one order per IP address in 60 minutes and one per device
    # in 10, and an order from an address and a device
    gateways = gateways_for(db)
    rules = {
        "review_at": 100,
        "reject_at": 200,
        "rules": [
            {"kind": "velocity_ip", "points": 10, "threshold": 1},
            {"kind": "velocity_device", "points": 20, "threshold": 1, "window_minutes": 10},
        ],
    }
    channel = make_channel(db, fraud_rules=rules)
    sku, site = make_sku(db), make_location(db, lat=52.37, lon=4.89).code
    stock(db, sku, site, 10)
    ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    client = screening.Client(ip=ip, device_id=random_code("dev"))
    start = clock.now()

    def place_at(minutes: int) -> Placed:
        data = _order(channel, LineInput(sku, 1, 1000))  # each with an email of its own
        with clock.frozen(start + timedelta(minutes=minutes)):
            return order_payments.place(db, gateways, data, None, client, actor="shop")

    def reasons(placed: Placed) -> dict[str, object]:
        events = queries.timeline(db.reader(), placed.order.number)
        (event,) = [e for e in events if e.kind == "fraud_screening"]
        return {r["kind"]: r["details"]["count"] for r in event.data["reasons"]}  # type: ignore[index, union-attr]

    assert reasons(place_at(0)) == {}
    # when the same address and device order again 30 minutes later
    # then the address counts both orders (its window is 60 minutes), the device only the
    # new one (its window is 10): the counts neither mix nor share a window
    assert reasons(place_at(30)) == {"velocity_ip": 2}
    # and 5 minutes later both count the orders in their windows
    assert reasons(place_at(35)) == {"velocity_ip": 3, "velocity_device": 2}


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "before_order"),
    [("VELOCITY", True), ("VELOCITY_BEFORE_WRITTEN", False)],
    ids=["after-the-order-is-written", "with-the-orders-insert"],
)
def test_the_screenings_reads_are_index_ranges_however_many_rows_others_have(
    own_postgres_db: Database, query: str, before_order: bool
) -> None:
    # given 3,000 orders of 300 other customers and a young screenings table (300 of
    # theirs), counted in the statistics
    db = own_postgres_db
    channel, sku = make_channel(db), make_sku(db)
    stock(db, sku, make_location(db, lat=52.37, lon=4.89).code, 10)
    mine = place_order(db.uow(), _order(channel, LineInput(sku, 1, 1000)), actor="shop").order
    tag = random_code("copy").lower()
    person = [c.name for c in customers.columns if c.name not in ("id", "email")]
    copied = [
        c.name
        for c in orders.columns
        if c.name not in ("id", "number", "external_id", "customer_id")
    ]
    statement = getattr(screening, query)
    velocity = statement.compile(dialect=pg_psycopg.dialect(paramstyle="numeric_dollar"))
    values = {**velocity.params, "customer_id": mine.customer_id, "order_id": mine.id}
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.autocommit = True
        driver.execute(
            f"INSERT INTO customers (email, {', '.join(person)})"
            f" SELECT %s || g || '@example.com', {', '.join(person)}"
            " FROM customers, generate_series(1, 300) AS g WHERE id = %s",
            (tag, mine.customer_id),
        )
        driver.execute(
            f"INSERT INTO orders (number, external_id, customer_id, {', '.join(copied)})"
            f" SELECT %s || g, %s || g, c.id, {', '.join('o.' + name for name in copied)}"
            " FROM orders AS o CROSS JOIN generate_series(1, 3000) AS g"
            " JOIN customers AS c ON c.email = %s || (g %% 300 + 1) || '@example.com'"
            " WHERE o.id = %s",
            (tag, tag, tag, mine.id),
        )
        driver.execute(
            "INSERT INTO fraud_screenings"
            " (order_id, score, decision, reasons, email, created_at)"
            " SELECT %s, 0, 'accept', '[]', %s || (g %% 300 + 1) || '@example.com', now()"
            " FROM generate_series(1, 300) AS g",
            (mine.id, tag),
        )
        driver.execute("ANALYZE orders")
        driver.execute("ANALYZE fraud_screenings")
        driver.execute("SET plan_cache_mode = force_generic_plan")
        # when PostgreSQL plans the screening's query for any customer and order (PREPARE
        # and EXECUTE as plain SQL, the arguments as literals)
        driver.execute(f"PREPARE velocity AS {velocity}")
        arguments = ", ".join(
            psql.Literal(values[name]).as_string(driver) for name in velocity.positiontup or ()
        )
        ((plan,),) = driver.execute(
            f"EXPLAIN (FORMAT JSON) EXECUTE velocity({arguments})"
        ).fetchall()
        conn.invalidate()  # the prepared statement and the setting go with the connection
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    # then it counts each identifier's screenings in a range of that identifier's index,
    # not in a scan of all screenings (one count for all four identifiers was planned as a
    # scan of the table while the table was this small, and the plan stayed as it grew)
    screenings = [
        n
        for n in nodes
        if n.get("Relation Name") == "fraud_screenings"
        or str(n.get("Index Name", "")).startswith("ix_fraud_screenings")
    ]
    assert not [n for n in screenings if n["Node Type"] == "Seq Scan"]
    assert {n.get("Index Name") for n in screenings if "Index Name" in n} == {
        f"ix_fraud_screenings_{key}_created_at"
        for key in ("email", "card_fingerprint", "ip", "device_id")
    }
    # and it reads the orders through the (customer_id, id) index alone, both conditions
    # in its range: as long as this customer's history, not the table
    on_orders = [
        n
        for n in nodes
        if n.get("Relation Name") == "orders"
        or str(n.get("Index Name", "")).startswith(("ix_orders", "pk_orders", "uq_orders"))
    ]
    assert {n.get("Index Name") for n in on_orders if "Index Name" in n} == {
        "ix_orders_customer_id_id"
    }
    assert not [n for n in on_orders if n["Node Type"] == "Seq Scan"]
    (condition,) = {str(n["Index Cond"]) for n in on_orders if "Index Cond" in n}
    assert "customer_id = " in condition
    assert ("id < " in condition) is before_order  # the order to come is not there yet


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)
