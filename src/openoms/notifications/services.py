"""Customer messages: made from outbox events, rendered at once and kept as rendered, sent
by the worker with retries, listed per order, sent again by hand.

The outbox consumer (``queue_for_events``) runs in the transaction that dispatches the
events, so each event makes its message once; a message per (event, kind) is also unique
in the table. Marketing messages (the abandoned-cart reminder) go only to customers who
agreed to marketing; the others are transactional and always go. Sending happens outside
any transaction: a round claims due messages (a lease), sends, and records the outcome —
sent with the server's message id, or queued again after a growing pause, or dead after
the last attempt (``alert.email_failed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog

from openoms.customers.orm import customer_emails, customers
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.secrets import secret_key
from openoms.infra.settings import Settings, get_settings
from openoms.infra.upsert import insert_for
from openoms.notifications.model import (
    MARKETING,
    MAX_ATTEMPTS,
    MessageKind,
    MessageNotFound,
    MessageStatus,
    retry_after,
)
from openoms.notifications.orm import messages
from openoms.notifications.render import Rendered, render
from openoms.notifications.senders import MailSender, SendFailed, compose
from openoms.orders.model import Order, OrderNotFound
from openoms.orders.queries import load_order, order_id_of
from openoms.selfservice.links import CustomerLinks
from openoms.shared import clock
from openoms.shared.events import Event
from openoms.shared.money import Money

log = structlog.get_logger()
_m = messages.c
LEASE = timedelta(minutes=10)  # a claimed message is tried again after this if its sender died


@dataclass(frozen=True)
class Message:
    id: int
    kind: MessageKind
    order_number: str | None
    to: str
    locale: str
    subject: str
    text: str
    html: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None


# ---------------------------------------------------------------- from events


def queue_for_events(uow: UnitOfWork, events: Sequence[Event]) -> None:
    """The outbox consumer: the messages these events call for, rendered and queued. An
    event whose message cannot be made is logged and skipped; it never blocks the outbox."""
    settings = get_settings()
    links = CustomerLinks(secret_key(settings), settings.public_url)
    for event in events:
        try:
            with uow.conn.begin_nested():
                for kind, to, locale, context, order in _wanted(uow, event, settings, links):
                    _queue(uow, event.id, kind, to, locale, context, order)
        except Exception:  # one bad event must not stop the others or the webhooks
            log.exception("notifications.event_skipped", event_name=event.name, event_id=event.id)


Wanted = tuple[MessageKind, str, str | None, dict[str, Any], Order | None]


def _wanted(
    uow: UnitOfWork, event: Event, settings: Settings, links: CustomerLinks
) -> list[Wanted]:
    p = event.payload
    if event.name == "cart.abandoned":
        if not p.get("email"):
            return []
        value = Money(int(p["value_amount"]), str(p["currency"])).format()
        items = sum(int(line["quantity"]) for line in p.get("lines", []))
        context = {**_base(settings), "value": value, "items": items}
        return [(MessageKind.ABANDONED_CART, str(p["email"]), None, context, None)]
    number = _order_number(uow, event)
    if number is None:
        return []
    try:
        order = load_order(uow, order_id_of(uow, number))
    except OrderNotFound:
        return []
    context = _order_context(order, settings, links)
    kind: MessageKind | None = None
    if event.name == "order.created":
        kind = MessageKind.ORDER_CONFIRMATION
    elif event.name == "payment.failed":
        kind = MessageKind.PAYMENT_FAILED
        context["amount"] = Money(int(p["amount"]), str(p["currency"])).format(order.locale)
        context["reason"] = str(p.get("message") or "")
    elif event.name == "payment.refunded":
        kind = MessageKind.REFUND_PROCESSED
        context["amount"] = Money(int(p["amount"]), str(p["currency"])).format(order.locale)
        context["store_credit_code"] = ""
    elif event.name == "return.refunded" and p.get("resolution") == "store_credit":
        # a refund to the original payment is told by its payment.refunded
        kind = MessageKind.REFUND_PROCESSED
        context["amount"] = Money(int(p["amount"]), str(p["currency"])).format(order.locale)
        context["store_credit_code"] = str(p["store_credit_code"])
    elif event.name == "return.approved":
        kind = MessageKind.RETURN_APPROVED
        context["ret"] = _return_context(uow, p, links)
    elif event.name == "order.status_changed" and p.get("to") == "on_hold":
        if order.hold_reason == "credit":
            kind = MessageKind.ORDER_ON_HOLD
            context["reason"] = (
                "the open invoices of your company are above its credit limit"
                if context["locale_lang"] == "en"
                else "die offenen Rechnungen Ihres Unternehmens übersteigen das Kreditlimit"
            )
    elif event.name == "shipment.created":
        kind = MessageKind.SHIPPED
        context.update(_shipment_context(uow, str(p["number"]), order))
    elif event.name == "fulfilment_order.ready_for_pickup":
        kind = MessageKind.READY_FOR_PICKUP
        context.update(_pickup_context(uow, p))
    elif event.name == "shipment.delivered":
        kind = MessageKind.DELIVERED
    if kind is None:
        return []
    return [(kind, order.email, order.locale, context, order)]


def _order_number(uow: UnitOfWork, event: Event) -> str | None:
    """The order an event is about: ``number`` for order events, ``order`` for payments,
    shipments and pickups; a delivered shipment names the order's id."""
    p = event.payload
    if event.name.startswith("order."):
        return str(p["number"]) if p.get("number") else None
    if p.get("order"):
        return str(p["order"])
    if "order_id" in p:
        from openoms.orders.orm import orders

        found = uow.conn.execute(
            sa.select(orders.c.number).where(orders.c.id == int(p["order_id"]))
        ).scalar_one_or_none()
        return str(found) if found else None
    return None


def _base(settings: Settings) -> dict[str, Any]:
    return {
        "merchant": settings.merchant_name,
        "logo_url": settings.merchant_logo_url,
        "footer": f"{settings.merchant_name}",
    }


def _order_context(order: Order, settings: Settings, links: CustomerLinks) -> dict[str, Any]:
    def money(amount: int) -> str:
        return Money(amount, order.currency).format(order.locale or "en")

    address = order.billing_address or {}
    name = str(address.get("name") or "").split(" ")[0] or order.email.split("@")[0]
    return {
        **_base(settings),
        "name": name,
        "locale_lang": (order.locale or "en")[:2],
        "tracking_url": links.tracking_url(order.number),
        "rating_url": "",
        "order": {
            "number": order.number,
            "total": money(order.total_amount),
            "lines": [
                {
                    "sku": ln.sku,
                    "name": ln.name,
                    "quantity": ln.quantity_ordered - ln.quantity_cancelled,
                    "total": money(ln.total_amount),
                }
                for ln in order.lines
            ],
        },
    }


def _shipment_context(uow: UnitOfWork, number: str, order: Order) -> dict[str, Any]:
    from openoms.fulfillment.services.shipping import load_shipment

    s = load_shipment(uow, number)
    return {
        "carrier": s.carrier_name,
        "service": s.service_name,
        "eta": s.eta.strftime("%d.%m.%Y" if (order.locale or "").startswith("de") else "%a %d %b")
        if s.eta
        else "",
        "partial": order.status.value == "partially_shipped",
        "parcels": [
            {
                "number": p.tracking_number,
                "url": s.tracking_url.replace("{tracking}", p.tracking_number),
            }
            for p in s.packages
        ],
    }


def _pickup_context(uow: UnitOfWork, payload: dict[str, Any]) -> dict[str, Any]:
    from openoms.fulfillment.services.setup import location_settings

    code = str(payload["location"])
    return {
        "store": _store(uow, code),
        "code": str(payload["pickup_code"]),
        "days": location_settings(uow, code).pickup_days,
    }


def _store(uow: UnitOfWork, code: str) -> str:
    """A store as customers find it: name, street, city."""
    from openoms.locations.orm import locations

    row = uow.conn.execute(sa.select(locations).where(locations.c.code == code)).mappings().first()
    return f"{row['name']}, {row['address_line1']}, {row['city']}" if row else code


def _return_context(
    uow: UnitOfWork, payload: dict[str, Any], links: CustomerLinks
) -> dict[str, Any]:
    """An approved return: the label to print and its tracking number when it is sent back
    by parcel, or the store to bring it to."""
    from openoms.fulfillment.services.setup import carriers_in_transaction
    from openoms.returns.model import Payer, ReturnMethod
    from openoms.returns.services import load_return

    ret = load_return(uow, str(payload["number"]))
    sent = ret.method is ReturnMethod.SHIP_BACK
    carriers = {c.code: c.name for c in carriers_in_transaction(uow, active_only=False)}
    return {
        "number": ret.number,
        "method": ret.method.value,
        "label_url": links.return_label_url(ret.number) if sent else "",
        "tracking_number": ret.tracking_number or "",
        "carrier": carriers.get(ret.carrier or "", ""),
        "label_free": ret.policy.shipping_paid_by is Payer.MERCHANT,
        "store": _store(uow, ret.drop_off_location) if ret.drop_off_location and not sent else "",
    }


def _queue(
    uow: UnitOfWork,
    event_id: str | None,
    kind: MessageKind,
    to: str,
    locale: str | None,
    context: dict[str, Any],
    order: Order | None,
) -> None:
    rendered = render(kind, locale, context)
    status = MessageStatus.QUEUED
    error = ""
    if kind in MARKETING and not _consents(uow, to):
        status, error = MessageStatus.SKIPPED, "no consent to marketing"
    now = clock.now()
    uow.conn.execute(
        insert_for(uow.conn, messages)
        .values(
            kind=kind.value,
            event_id=event_id,
            order_number=order.number if order else None,
            to_address=to,
            locale=rendered.locale,
            subject=rendered.subject[:300],
            body_text=rendered.text,
            body_html=rendered.html,
            status=status.value,
            next_attempt_at=now if status is MessageStatus.QUEUED else None,
            last_error=error,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "kind"])
    )


def queue_staff_alert(
    uow: UnitOfWork, *, key: str, to: str, locale: str | None, alert: dict[str, Any]
) -> None:
    """The mail telling staff of an alert, rendered and queued in the caller's transaction;
    once per ``key`` (``alert:<id>``). ``alert`` holds what the template shows: ``kind``,
    ``label``, ``title``, ``text``, ``data``, ``url`` (its page or "") and ``inbox_url``."""
    context = {**_base(get_settings()), "alert": alert}
    _queue(uow, key, MessageKind.STAFF_ALERT, to, locale, context, None)


def _consents(uow: UnitOfWork, email: str) -> bool:
    found = uow.conn.execute(
        sa.select(customers.c.marketing_consent)
        .join(customer_emails, customer_emails.c.customer_id == customers.c.id)
        .where(sa.func.lower(customer_emails.c.email) == email.lower())
    ).first()
    return bool(found and found[0])


# ---------------------------------------------------------------- follow-up


def send_follow_ups(uow: UnitOfWork, *, limit: int = 200) -> int:
    """Worker job: the follow-up asking for a rating, once per order, the channel's
    ``follow_up_days`` after it was delivered (never for a cancelled one). Returns how
    many were queued."""
    from openoms.fulfillment.services.setup import channel_promise
    from openoms.orders.orm import order_events, orders

    settings = get_settings()
    links = CustomerLinks(secret_key(settings), settings.public_url)
    now = clock.now()
    made = 0
    with uow:
        delivered = (
            sa.select(order_events.c.order_id, sa.func.max(order_events.c.at).label("at"))
            .where(order_events.c.to_status == "delivered")
            .group_by(order_events.c.order_id)
            .subquery()
        )
        rows = uow.conn.execute(
            sa.select(orders.c.id, orders.c.number, orders.c.channel_code, delivered.c.at)
            .join(delivered, delivered.c.order_id == orders.c.id)
            .where(
                orders.c.status.in_(["delivered", "completed"]),
                ~sa.exists().where(
                    _m.event_id == sa.literal("follow-up:") + orders.c.number,
                    _m.kind == MessageKind.FOLLOW_UP.value,
                ),
            )
            .order_by(delivered.c.at)
            .limit(limit)
        ).all()
        for order_id, number, channel, at in rows:
            days = channel_promise(uow, channel).follow_up_days
            if days == 0 or at > now - timedelta(days=days):
                continue
            order = load_order(uow, order_id)
            context = _order_context(order, settings, links)
            context["rating_url"] = links.rating_url(number)
            _queue(
                uow,
                f"follow-up:{number}",
                MessageKind.FOLLOW_UP,
                order.email,
                order.locale,
                context,
                order,
            )
            made += 1
        uow.commit()
    return made


# ---------------------------------------------------------------- sending


def deliver_due(db: Database, sender: MailSender, *, mail_from: str, limit: int = 50) -> int:
    """Worker job: send what is due. Returns how many were sent."""
    claimed = _claim(db.uow(), limit)
    sent = 0
    for message in claimed:
        try:
            provider_id = sender.send(
                compose(mail_from, message.to, message.subject, message.text, message.html)
            )
        except SendFailed as e:
            _failed(db.uow(), message, e.detail)
            continue
        _sent(db.uow(), message.id, provider_id)
        sent += 1
    return sent


def _claim(uow: UnitOfWork, limit: int) -> list[Message]:
    now = clock.now()
    with uow:
        query = (
            sa.select(messages)
            .where(_m.status == MessageStatus.QUEUED.value, _m.next_attempt_at <= now)
            .order_by(_m.next_attempt_at, _m.id)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(uow.conn.execute(query).mappings())
        if rows:
            uow.conn.execute(
                sa.update(messages)
                .where(_m.id.in_([r["id"] for r in rows]))
                .values(attempts=_m.attempts + 1, next_attempt_at=now + LEASE)
            )
        uow.commit()
    return [_message({**r, "attempts": r["attempts"] + 1}) for r in rows]


def _sent(uow: UnitOfWork, message_id: int, provider_id: str) -> None:
    with uow:
        uow.conn.execute(
            sa.update(messages)
            .where(_m.id == message_id)
            .values(
                status=MessageStatus.SENT.value,
                sent_at=clock.now(),
                next_attempt_at=None,
                last_error="",
                provider_message_id=provider_id[:200],
            )
        )
        uow.commit()


def _failed(uow: UnitOfWork, message: Message, error: str) -> None:
    dead = message.attempts >= MAX_ATTEMPTS
    with uow:
        uow.conn.execute(
            sa.update(messages)
            .where(_m.id == message.id)
            .values(
                status=(MessageStatus.DEAD if dead else MessageStatus.QUEUED).value,
                next_attempt_at=None if dead else clock.now() + retry_after(message.attempts),
                last_error=error[:2000],
            )
        )
        if dead:
            uow.record(
                Event(
                    "alert.email_failed",
                    {
                        "message_id": message.id,
                        "kind": message.kind.value,
                        "to": message.to,
                        "order": message.order_number,
                        "error": error,
                    },
                    f"message:{message.id}",
                )
            )
        uow.commit()
    log.warning("notifications.send_failed", id=message.id, attempts=message.attempts, dead=dead)


# ---------------------------------------------------------------- reads and resend


def messages_of_order(uow: UnitOfWork, number: str) -> list[Message]:
    with uow:
        rows = uow.conn.execute(
            sa.select(messages).where(_m.order_number == number).order_by(_m.id)
        ).mappings()
        return [_message(r) for r in rows]


def get_message(uow: UnitOfWork, message_id: int) -> Message:
    """Raises: MessageNotFound."""
    with uow:
        row = uow.conn.execute(sa.select(messages).where(_m.id == message_id)).mappings().first()
    if row is None:
        raise MessageNotFound(f"No message {message_id}.", id=message_id)
    return _message(row)


def resend(uow: UnitOfWork, message_id: int) -> Message:
    """The same message again, as a new one queued now (also a skipped or dead one).

    Raises: MessageNotFound."""
    with uow:
        row = uow.conn.execute(sa.select(messages).where(_m.id == message_id)).mappings().first()
        if row is None:
            raise MessageNotFound(f"No message {message_id}.", id=message_id)
        now = clock.now()
        new_id = uow.conn.execute(
            messages.insert()
            .values(
                {
                    **{k: row[k] for k in ("kind", "order_number", "to_address", "locale")},
                    **{k: row[k] for k in ("subject", "body_text", "body_html")},
                    "event_id": None,
                    "status": MessageStatus.QUEUED.value,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
            .returning(_m.id)
        ).scalar_one()
        found = uow.conn.execute(sa.select(messages).where(_m.id == new_id)).mappings().one()
        uow.commit()
    return _message(found)


def preview(kind: MessageKind, locale: str) -> Rendered:
    """A message of ``kind`` with sample data, to see a template as customers will."""
    settings = get_settings()
    context: dict[str, Any] = {
        **_base(settings),
        "name": "Ana",
        "locale_lang": locale[:2],
        "tracking_url": f"{settings.public_url}/track/…",
        "rating_url": "",
        "order": {
            "number": "SO-000123",
            "total": Money(8990, "EUR").format(locale),
            "lines": [
                {
                    "sku": "P-TENT-2P",
                    "name": "Trail tent 2P",
                    "quantity": 1,
                    "total": Money(7990, "EUR").format(locale),
                },
                {
                    "sku": "P-LAMP-400",
                    "name": "Headlamp 400",
                    "quantity": 1,
                    "total": Money(1000, "EUR").format(locale),
                },
            ],
        },
        "amount": Money(8990, "EUR").format(locale),
        "reason": "insufficient funds",
        "carrier": "ParcelX",
        "service": "Standard",
        "eta": "Tue 08 Dec",
        "partial": False,
        "parcels": [{"number": "PX000000014NL", "url": "https://track.example.com/PX000000014NL"}],
        "store": "Amsterdam store, Kalverstraat 92, Amsterdam",
        "code": "482913",
        "days": 7,
        "ret": {
            "number": "RMA-000042",
            "method": "ship_back",
            "label_url": f"{settings.public_url}/returns/label/…",
            "tracking_number": "RR000000042NL",
            "carrier": "ParcelX",
            "label_free": True,
            "store": "",
        },
        "store_credit_code": "",
        "items": 2,
        "value": Money(8990, "EUR").format(locale),
        "alert": {
            "kind": "low_stock",
            "label": "Low stock",
            "title": "Low stock: P-TENT-2P at WH-AMS",
            "text": "2 free of 14 on hand (12 reserved, safety stock 2). Reorder or move stock "
            "before it runs out.",
            "data": {
                "sku": "P-TENT-2P",
                "location": "WH-AMS",
                "on_hand": 14,
                "reserved": 12,
                "safety_stock": 2,
            },
            "url": f"{settings.public_url}/console/inventory/P-TENT-2P?location=WH-AMS",
            "inbox_url": f"{settings.public_url}/console/alerts",
        },
    }
    return render(kind, locale, context)


def _message(r: Any) -> Message:
    return Message(
        id=r["id"],
        kind=MessageKind(r["kind"]),
        order_number=r["order_number"],
        to=r["to_address"],
        locale=r["locale"],
        subject=r["subject"],
        text=r["body_text"],
        html=r["body_html"],
        status=MessageStatus(r["status"]),
        attempts=r["attempts"],
        next_attempt_at=r["next_attempt_at"],
        last_error=r["last_error"],
        provider_message_id=r["provider_message_id"],
        created_at=r["created_at"],
        sent_at=r["sent_at"],
    )
