"""The staff alerts inbox on both engines: events through the real outbox dispatch raise
their alert once, low stock keeps one open alert per SKU and location, acknowledging is
once, an inspected return settles its alert, and the alert mail goes to the configured
address only, without ever mailing about its own failure."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from openoms.alerts import services as alerts
from openoms.alerts.model import (
    SYSTEM,
    Alert,
    AlertAlreadyAcknowledged,
    AlertEmails,
    AlertKind,
    AlertNotFound,
    AlertState,
)
from openoms.alerts.services import AlertFilter, AlertMail
from openoms.infra import outbox
from openoms.infra.db import Database
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.inventory.services.stock import set_safety_stock
from openoms.notifications import services as notifications
from openoms.notifications.model import MAX_ATTEMPTS, MessageKind
from openoms.notifications.orm import messages
from openoms.notifications.senders import SmtpSender
from openoms.orders.placement import LineInput, place_order
from openoms.shared import clock
from openoms.shared.events import Event
from openoms.shared.scope import Scope
from tests.builders import make_channel, make_location, make_sku, random_code, stock
from tests.conftest import backend_of
from tests.integration.test_orders import _order

STOCK_TEAM = "stock@shop.example"
OPS = "ops@shop.example"
MAIL = AlertMail(
    AlertEmails.parse(f"low_stock={STOCK_TEAM},late_shipment={OPS},email_failed={OPS}"),
    "en",
    "https://oms.shop.example",
)


@pytest.fixture(autouse=True)
def consumer() -> Iterator[None]:
    outbox.register_consumer(
        "alerts", lambda uow, events: alerts.raise_for_events(uow, events, MAIL)
    )
    yield
    quiet = AlertMail(AlertEmails())  # other tests' events raise alerts, but mail nobody
    outbox.register_consumer(
        "alerts", lambda uow, events: alerts.raise_for_events(uow, events, quiet)
    )


def _record(db: Database, *events: Event) -> None:
    with db.uow() as uow:
        for event in events:
            uow.record(event)
        uow.commit()


def _about(db: Database, subject: str, state: AlertState = AlertState.ALL) -> list[Alert]:
    page = alerts.list_alerts(db.reader(), AlertFilter(state=state, limit=200))
    return [a for a in page.items if a.subject == subject]


def _mails(db: Database, key: str) -> list[Any]:
    with db.reader() as uow:
        return list(
            uow.conn.execute(
                sa.select(messages).where(
                    messages.c.event_id == key, messages.c.kind == MessageKind.STAFF_ALERT.value
                )
            ).mappings()
        )


def _low(sku: str, location: str) -> Event:
    payload = {"sku": sku, "location": location, "on_hand": 3, "reserved": 3, "safety_stock": 0}
    return Event("inventory.low_stock", payload, f"stock:{sku}@{location}")


def _returned(number: str, location: str) -> Event:
    payload = {
        "number": number,
        "order": "SO-000123",
        "location": location,
        "lines": [{"sku": "P-LAMP", "quantity": 2}],
    }
    return Event("return.received", payload, f"return:{number}")


def test_an_order_that_takes_the_last_units_raises_low_stock_once_and_mails_the_stock_team(
    db: Database,
) -> None:
    # given a SKU with 3 units and 1 held back as safety stock
    loc = make_location(db).code
    sku = make_sku(db)
    stock(db, sku, loc, 3)
    set_safety_stock(db.uow(), loc, sku, 1, actor="test")
    channel = make_channel(db, locations=(loc,))

    # when an order takes the free units and the worker dispatches the outbox, twice
    place_order(db.uow(), _order(channel, LineInput(sku, 2, 1500)), actor="test")
    dispatch_events(db)
    dispatch_events(db)

    # then one open alert, and one mail to the stock team about it
    (alert,) = _about(db, f"sku:{sku}@{loc}")
    assert alert.kind is AlertKind.LOW_STOCK
    assert alert.title == f"Low stock: {sku} at {loc}"
    assert alert.text.startswith("1 free of 3 on hand (2 reserved, safety stock 1).")
    assert alert.location == loc
    assert alert.is_open
    assert alert.link == f"/console/inventory/{sku}?location={loc}"
    (mail,) = _mails(db, f"alert:{alert.id}")
    assert mail["to_address"] == STOCK_TEAM
    assert mail["status"] == "queued"
    assert mail["order_number"] is None
    assert mail["subject"] == f"Alert: Low stock: {sku} at {loc}"
    assert f"https://oms.shop.example/console/inventory/{sku}?location={loc}" in mail["body_text"]


def test_low_stock_keeps_one_open_alert_per_sku_and_location(db: Database) -> None:
    sku, loc = random_code("SKU"), random_code("L")
    _record(db, _low(sku, loc))
    dispatch_events(db)
    (first,) = _about(db, f"sku:{sku}@{loc}")

    _record(db, _low(sku, loc), _low(sku, loc))
    dispatch_events(db)
    assert [a.id for a in _about(db, f"sku:{sku}@{loc}")] == [first.id]

    alerts.acknowledge(db.uow(), first.id, actor="user:stock")
    _record(db, _low(sku, loc))
    dispatch_events(db)
    again = _about(db, f"sku:{sku}@{loc}")
    assert len(again) == 2
    assert [a.is_open for a in again] == [True, False]  # newest first


def test_an_alert_is_acknowledged_once(db: Database) -> None:
    sku, loc = random_code("SKU"), random_code("L")
    _record(db, _low(sku, loc))
    dispatch_events(db)
    (alert,) = _about(db, f"sku:{sku}@{loc}")

    done = alerts.acknowledge(db.uow(), alert.id, actor="user:Ana")

    assert done.acknowledged_by == "user:Ana"
    assert done.acknowledged_at is not None
    assert not done.is_open
    assert _about(db, f"sku:{sku}@{loc}", AlertState.OPEN) == []
    assert [a.id for a in _about(db, f"sku:{sku}@{loc}", AlertState.ACKNOWLEDGED)] == [alert.id]
    with pytest.raises(AlertAlreadyAcknowledged, match="acknowledged by user:Ana"):
        alerts.acknowledge(db.uow(), alert.id, actor="user:Ben")
    assert alerts.get_alert(db.reader(), alert.id).acknowledged_by == "user:Ana"
    with pytest.raises(AlertNotFound):
        alerts.acknowledge(db.uow(), 999_999_999, actor="user:Ana")
    with pytest.raises(AlertNotFound):
        alerts.get_alert(db.reader(), 999_999_999)


def test_several_alerts_are_acknowledged_at_once_skipping_those_done(db: Database) -> None:
    loc = random_code("L")
    skus = [random_code("SKU") for _ in range(3)]
    _record(db, *(_low(sku, loc) for sku in skus))
    dispatch_events(db)
    ids = [_about(db, f"sku:{sku}@{loc}")[0].id for sku in skus]
    alerts.acknowledge(db.uow(), ids[0], actor="user:Ana")

    done = alerts.acknowledge_many(db.uow(), [*ids, 999_999_999], actor="user:Ben")

    assert done == sorted(ids[1:])
    assert [alerts.get_alert(db.reader(), i).acknowledged_by for i in ids] == [
        "user:Ana",
        "user:Ben",
        "user:Ben",
    ]
    assert alerts.acknowledge_many(db.uow(), [], actor="user:Ben") == []


def test_an_inspected_return_settles_its_inspection_alert(db: Database) -> None:
    number, store = random_code("RMA"), random_code("STORE")
    _record(db, _returned(number, store))
    dispatch_events(db)
    (waiting,) = _about(db, f"return:{number}")
    assert waiting.kind is AlertKind.RETURN_INSPECTION
    assert waiting.title == f"Return {number} waits for inspection at {store}"
    assert waiting.text.startswith("2 unit(s) of order SO-000123 arrived.")
    assert waiting.link == f"/console/returns/{number}"
    assert waiting.is_open

    inspected = {"number": number, "order": "SO-000123", "location": store, "lines": []}
    _record(db, Event("return.inspected", inspected, f"return:{number}"))
    dispatch_events(db)

    (settled,) = _about(db, f"return:{number}")
    assert settled.id == waiting.id
    assert settled.acknowledged_by == SYSTEM
    assert not settled.is_open


def test_kinds_without_an_address_are_not_mailed(db: Database) -> None:
    number = random_code("SO")
    review = {"number": number, "score": 80, "reasons": ["card country differs"]}
    _record(db, Event("order.fraud_review", review, f"order:{number}"))
    dispatch_events(db)

    (alert,) = _about(db, f"order:{number}")
    assert alert.kind is AlertKind.FRAUD_REVIEW
    assert alert.text == "Score 80: card country differs. Approve or reject it."
    assert _mails(db, f"alert:{alert.id}") == []


def test_a_late_shipment_the_database_does_not_know_is_still_an_alert(db: Database) -> None:
    number = random_code("SH")
    late = {"shipment": number, "promised_date": "2026-12-01", "eta": None}
    _record(db, Event("alert.late_shipment", late, f"shipment:{number}"))
    dispatch_events(db)

    (alert,) = _about(db, f"shipment:{number}")
    assert alert.title == f"Shipment {number} is late"
    assert alert.location is None
    (mail,) = _mails(db, f"alert:{alert.id}")
    assert mail["to_address"] == OPS


def _shipped(db: Database) -> tuple[str, str, str, str]:
    from tests.integration.test_fulfilment import shipped_order

    return shipped_order(db)


def test_a_carrier_exception_names_the_order_and_the_location_it_left(db: Database) -> None:
    from openoms.fulfillment.model import ShipmentStatus
    from openoms.fulfillment.services import tracking

    number, loc, shipment, parcel = _shipped(db)
    scan = tracking.ScanIn(
        parcel, ShipmentStatus.EXCEPTION, clock.now(), "Hub Nieuwegein", "Address not found"
    )
    tracking.record_scans(db.uow(), [scan], source="carrier", actor="carrier:test")

    dispatch_events(db)

    (alert,) = [
        a for a in _about(db, f"shipment:{shipment}") if a.kind.value == "delivery_exception"
    ]
    assert alert.title == f"Delivery exception on shipment {shipment} (order {number})"
    assert alert.text == f"Address not found (parcel {parcel} at Hub Nieuwegein)."
    assert alert.location == loc  # where it left, not the carrier's hub
    assert alert.data["scan_location"] == "Hub Nieuwegein"
    assert alert.link == f"/console/fulfilment/shipments/{shipment}"


def test_a_shipment_past_its_promised_date_is_a_late_shipment_alert_once(db: Database) -> None:
    from openoms.fulfillment.services import tracking

    number, loc, shipment, _parcel = _shipped(db)
    with clock.frozen(clock.now() + timedelta(days=30)):
        tracking.flag_late_shipments(db.uow())
        tracking.flag_late_shipments(db.uow())
    dispatch_events(db)
    dispatch_events(db)

    (alert,) = _about(db, f"shipment:{shipment}")
    assert alert.kind is AlertKind.LATE_SHIPMENT
    assert alert.title == f"Shipment {shipment} is late (order {number})"
    assert alert.location == loc
    (mail,) = _mails(db, f"alert:{alert.id}")
    assert mail["to_address"] == OPS
    assert f"Shipment {shipment} is late" in mail["subject"]


def test_a_bad_event_is_skipped_and_does_not_hold_up_the_others(db: Database) -> None:
    sku, loc = random_code("SKU"), random_code("L")
    broken = Event("inventory.low_stock", {"sku": sku}, f"stock:{sku}")
    _record(db, broken, _low(sku, loc))

    dispatch_events(db)

    assert [a.kind for a in _about(db, f"sku:{sku}@{loc}")] == [AlertKind.LOW_STOCK]
    with db.reader() as uow:
        dispatched = uow.conn.execute(
            sa.select(outbox.outbox_events.c.dispatched_at).where(
                outbox.outbox_events.c.id == broken.id
            )
        ).scalar_one()
    assert dispatched is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_failing_alert_mail_is_shown_once_and_never_mailed_again(db: Database) -> None:
    # given alert mails that cannot be sent: the mail server is down
    down = SmtpSender("127.0.0.1", _free_port(), security="none", timeout=2)
    loc = random_code("L")
    first, second = random_code("SKU"), random_code("SKU")
    _record(db, _low(first, loc), _low(second, loc))
    dispatch_events(db)
    ids = [_about(db, f"sku:{sku}@{loc}")[0].id for sku in (first, second)]
    assert all(_mails(db, f"alert:{i}") for i in ids)

    # when every attempt fails and the failures are dispatched, round after round
    now = clock.now()
    for attempt in range(1, MAX_ATTEMPTS + 3):
        with clock.frozen(now + timedelta(days=attempt)):
            notifications.deliver_due(db, down, mail_from="oms@shop.example", limit=10_000)
            dispatch_events(db)

    # then both mails are dead, one open alert says so, and nothing mails about it
    assert [m["status"] for i in ids for m in _mails(db, f"alert:{i}")] == ["dead", "dead"]
    failed = _about(db, "mail:staff_alert", AlertState.OPEN)
    assert len(failed) == 1
    assert failed[0].kind is AlertKind.EMAIL_FAILED
    assert failed[0].title == "Alert mails cannot be sent"
    assert _mails(db, f"alert:{failed[0].id}") == []


def test_callers_limited_to_locations_see_the_alerts_at_theirs(db: Database) -> None:
    mine, other = random_code("L"), random_code("L")
    sku, number = random_code("SKU"), random_code("SO")
    review = {"number": number, "score": 80, "reasons": []}
    _record(
        db,
        _low(sku, mine),
        _low(sku, other),
        Event("order.fraud_review", review, f"order:{number}"),
    )
    dispatch_events(db)
    limited = Scope.of([mine], None)

    page = alerts.list_alerts(db.reader(), AlertFilter(state=AlertState.ALL, scope=limited))
    seen = {a.subject for a in page.items}

    assert f"sku:{sku}@{mine}" in seen
    assert f"sku:{sku}@{other}" not in seen
    assert f"order:{number}" not in seen
    hidden = _about(db, f"sku:{sku}@{other}")[0]
    with pytest.raises(AlertNotFound):
        alerts.get_alert(db.reader(), hidden.id, limited)
    with pytest.raises(AlertNotFound):
        alerts.acknowledge(db.uow(), hidden.id, actor="user:clerk", scope=limited)
    counts = alerts.open_counts(db.reader(), limited)
    assert counts[AlertKind.FRAUD_REVIEW] == 0
    assert counts[AlertKind.LOW_STOCK] >= 1


def test_the_inbox_pages_newest_first_and_counts_open_alerts_by_kind(db: Database) -> None:
    loc = random_code("L")
    skus = [random_code("SKU") for _ in range(3)]
    before = alerts.open_counts(db.reader())
    for sku in skus:  # one event per dispatch: ids follow the order of the events
        _record(db, Event("inventory.count_needed", {"location": loc, "sku": sku, "bin": "A-1"}))
        dispatch_events(db)

    f = AlertFilter(kind=AlertKind.COUNT_NEEDED, limit=2)
    first = alerts.list_alerts(db.reader(), f)
    assert [a.subject for a in first.items] == [f"sku:{skus[2]}@{loc}", f"sku:{skus[1]}@{loc}"]
    assert first.next_cursor is not None
    rest = alerts.list_alerts(
        db.reader(), AlertFilter(kind=AlertKind.COUNT_NEEDED, limit=200, cursor=first.next_cursor)
    )
    assert rest.items[0].subject == f"sku:{skus[0]}@{loc}"
    assert all(a.kind is AlertKind.COUNT_NEEDED for a in first.items + rest.items)
    after = alerts.open_counts(db.reader())
    assert after[AlertKind.COUNT_NEEDED] >= before[AlertKind.COUNT_NEEDED] + 3
    assert set(after) == set(AlertKind)


def test_two_workers_open_one_low_stock_alert_for_one_sku(db: Database) -> None:
    if backend_of(db) != "postgresql":
        pytest.skip("SQLite writers take turns; the race needs PostgreSQL")
    sku, loc = random_code("SKU"), random_code("L")
    events = [_low(sku, loc) for _ in range(8)]
    start = threading.Barrier(len(events))
    errors: list[BaseException] = []

    def raise_one(event: Event) -> None:
        try:
            start.wait()
            with db.uow() as uow:
                alerts.raise_for_events(uow, [event], MAIL)
                uow.commit()
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=raise_one, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(_about(db, f"sku:{sku}@{loc}")) == 1
