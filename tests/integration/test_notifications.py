"""Customer messages against a real SMTP server on 127.0.0.1 (aiosmtpd): the right message,
subject, recipient and language, a signed link that opens the order; a failing server is
retried and recorded until it gives up; no marketing without consent."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message as MimeMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from openoms.customers import services as customers
from openoms.customers.model import CustomerSpec
from openoms.infra import outbox
from openoms.infra.db import Database
from openoms.infra.secrets import secret_key
from openoms.infra.settings import get_settings
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.notifications import services as notifications
from openoms.notifications.model import MAX_ATTEMPTS, MessageKind, MessageStatus
from openoms.notifications.senders import SmtpSender
from openoms.orders.placement import LineInput
from openoms.selfservice.links import CustomerLinks
from openoms.shared import clock
from openoms.shared.events import Event
from tests.builders import make_channel, random_code
from tests.integration.test_fulfilment import _carrier, _fo_of, _place, _warehouse, shipped_order

FROM = "Velo Parts <orders@velo.example>"


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], MimeMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        mail = email.message_from_bytes(envelope.content)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[MimeMessage]:
        return [m for _f, rcpt, m in self.received if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpSender]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, SmtpSender("127.0.0.1", port, security="none")
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def consumer() -> None:
    outbox.register_consumer("notifications", notifications.queue_for_events)


def _deliver_all(db: Database, sender: SmtpSender) -> None:
    for _ in range(50):
        if notifications.deliver_due(db, sender, mail_from=FROM, limit=100) == 0:
            break


def _part(mail: MimeMessage, kind: str) -> str:
    for part in mail.walk():
        if part.get_content_type() == kind:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {kind} part")


def test_a_confirmation_in_the_customers_language_with_a_signed_link(
    db: Database, smtp: tuple[Inbox, SmtpSender]
) -> None:
    inbox, sender = smtp
    loc, (bell, _tyre) = _warehouse(db)
    number = _place(db, make_channel(db, locations=(loc,)), LineInput(bell, 2, 1500), locale="de")
    dispatch_events(db)
    (queued,) = notifications.messages_of_order(db.reader(), number)
    assert (queued.kind, queued.status, queued.locale) == (
        MessageKind.ORDER_CONFIRMATION,
        MessageStatus.QUEUED,
        "de",
    )
    _deliver_all(db, sender)
    (mail,) = inbox.to(queued.to)
    assert mail["Subject"] == f"Ihre Bestellung {number}"
    assert mail["From"] == FROM
    text = _part(mail, "text/plain")
    html = _part(mail, "text/html")
    assert "vielen Dank für Ihre Bestellung" in text
    assert f"2 × Test item ({bell})" in text
    assert "OpenOMS" in html or get_settings().merchant_name in html
    link = next(w for w in text.split() if "/track/" in w)
    links = CustomerLinks(secret_key(get_settings()), get_settings().public_url)
    assert links.order_of(link.rsplit("/", 1)[1]) == number
    assert f'href="{link}"' in html
    (sent,) = notifications.messages_of_order(db.reader(), number)
    assert sent.status is MessageStatus.SENT
    assert sent.provider_message_id == mail["Message-ID"]
    assert sent.attempts == 1
    # dispatched once: running the fan-out again makes no second message
    dispatch_events(db)
    assert len(notifications.messages_of_order(db.reader(), number)) == 1


def test_the_shipped_mail_has_carrier_tracking_link_and_eta(
    db: Database, smtp: tuple[Inbox, SmtpSender]
) -> None:
    inbox, sender = smtp
    number, _loc, _shipment, tracking = shipped_order(db)
    dispatch_events(db)
    _deliver_all(db, sender)
    kinds = [m.kind for m in notifications.messages_of_order(db.reader(), number)]
    assert kinds == [MessageKind.ORDER_CONFIRMATION, MessageKind.SHIPPED]
    (mail,) = [
        m for _f, _to, m in inbox.received if number in m["Subject"] and "way" in m["Subject"]
    ]
    assert mail["Subject"] == f"Your order {number} is on its way"
    text = _part(mail, "text/plain")
    assert f"https://track.example/{tracking}" in text
    assert "Test Parcel Standard" in text
    assert "Expected:" in text


def test_a_failing_server_is_retried_then_given_up_and_recorded(db: Database) -> None:
    loc, (bell, _tyre) = _warehouse(db)
    number = _place(db, make_channel(db, locations=(loc,)), LineInput(bell, 1, 1500))
    dispatch_events(db)
    down = SmtpSender("127.0.0.1", _free_port(), security="none", timeout=2)
    now = clock.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with clock.frozen(now + timedelta(days=attempt)):
            notifications.deliver_due(db, down, mail_from=FROM, limit=500)
        (message,) = notifications.messages_of_order(db.reader(), number)
        assert message.attempts == attempt
        assert "127.0.0.1" in message.last_error
        if attempt < MAX_ATTEMPTS:
            assert message.status is MessageStatus.QUEUED
            assert message.next_attempt_at is not None
            assert message.next_attempt_at > now + timedelta(days=attempt)
    assert message.status is MessageStatus.DEAD
    again = notifications.resend(db.uow(), message.id)
    assert (again.status, again.attempts, again.subject) == (
        MessageStatus.QUEUED,
        0,
        message.subject,
    )


def test_marketing_goes_only_to_customers_who_agreed(db: Database) -> None:
    agreed = f"{random_code('yes').lower()}@example.com"
    customers.create_customer(db.uow(), CustomerSpec(agreed, "Ana", marketing_consent=True))
    refused = f"{random_code('no').lower()}@example.com"
    customers.create_customer(db.uow(), CustomerSpec(refused, "Ben"))

    def abandoned(address: str) -> Event:
        lines = [{"sku": "X", "quantity": 2, "unit_price_amount": 1000}]
        payload = {"email": address, "value_amount": 2000, "currency": "EUR", "lines": lines}
        return Event("cart.abandoned", payload, "cart:x")

    with db.uow() as uow:
        notifications.queue_for_events(uow, [abandoned(agreed), abandoned(refused)])
        uow.commit()
    with db.reader() as uow:
        from openoms.notifications.orm import messages

        rows = {
            r.to_address: (r.status, r.last_error)
            for r in uow.conn.execute(
                messages.select().where(messages.c.to_address.in_([agreed, refused]))
            )
        }
    assert rows == {
        agreed: ("queued", ""),
        refused: ("skipped", "no consent to marketing"),
    }


def _delivered_order(db: Database, channel: str, loc: str, bell: str) -> str:
    from openoms.fulfillment.model import ShipmentStatus
    from openoms.fulfillment.services import picking, shipping, tracking
    from tests.integration.payment_setup import gateways_for

    number = _place(db, channel, LineInput(bell, 1, 1500))
    fo = _fo_of(db, number)
    wave = picking.release_wave(
        db.uow(), loc, picking.WaveCriteria(fulfilment_orders=(fo.number,)), actor="lead"
    )
    picking.scan(db.uow(), wave.pick_lists[0].number, bell, actor="picker")
    shipping.pack(
        db.uow(),
        fo.number,
        [shipping.PackageIn(length_mm=100, width_mm=100, height_mm=100, weight_g=300)],
        actor="packer",
    )
    shipped = shipping.ship_and_capture(db, gateways_for(db), fo.number, actor="packer")
    tracking.record_scans(
        db.uow(),
        [
            tracking.ScanIn(
                shipped.packages[0].tracking_number, ShipmentStatus.DELIVERED, clock.now()
            )
        ],
        source="carrier",
        actor="carrier",
    )
    return number


def test_the_follow_up_goes_n_days_after_delivery_once_and_never_when_cancelled(
    db: Database,
) -> None:
    from openoms.fulfillment.services import setup
    from openoms.orders.lifecycle import cancel_order

    _carrier(db)
    loc, (bell, _tyre) = _warehouse(db)
    channel = make_channel(db, locations=(loc,))
    setup.save_channel_promise(db.uow(), setup.ChannelPromise(channel, follow_up_days=3))
    number = _delivered_order(db, channel, loc, bell)
    cancelled = _place(db, channel, LineInput(bell, 1, 1500))
    cancel_order(db.uow(), cancelled, actor="cs", reason="changed their mind")

    def follow_ups(order: str) -> list[notifications.Message]:
        found = notifications.messages_of_order(db.reader(), order)
        return [m for m in found if m.kind is MessageKind.FOLLOW_UP]

    with clock.frozen(clock.now() + timedelta(days=2)):
        notifications.send_follow_ups(db.uow())
    assert follow_ups(number) == []  # too early
    with clock.frozen(clock.now() + timedelta(days=3, hours=1)):
        notifications.send_follow_ups(db.uow())
        notifications.send_follow_ups(db.uow())  # the next round sends nothing new
    (mail,) = follow_ups(number)
    assert mail.subject == f"How was your order {number}?"
    assert "/rate/" in mail.text
    links = CustomerLinks(secret_key(get_settings()), get_settings().public_url)
    token = next(w for w in mail.text.split() if "/rate/" in w).rsplit("/", 1)[1]
    assert links.order_to_rate(token) == number
    assert follow_ups(cancelled) == []


def test_a_channel_without_follow_up_sends_none(db: Database) -> None:
    from openoms.fulfillment.services import setup

    _carrier(db)
    loc, (bell, _tyre) = _warehouse(db)
    channel = make_channel(db, locations=(loc,))
    setup.save_channel_promise(db.uow(), setup.ChannelPromise(channel, follow_up_days=0))
    number = _delivered_order(db, channel, loc, bell)
    with clock.frozen(clock.now() + timedelta(days=60)):
        notifications.send_follow_ups(db.uow())
    assert MessageKind.FOLLOW_UP not in [
        m.kind for m in notifications.messages_of_order(db.reader(), number)
    ]
