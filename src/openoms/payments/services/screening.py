"""Fraud screening at placement: gather the facts, score them with the channel's rules,
record the screening on the order, and act on it — accept, hold for review, or reject
(cancel and void). Staff then approve or reject what waits in review."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from openoms.channels import services as channels
from openoms.channels.model import ChannelKind
from openoms.customers.model import normalize_email
from openoms.infra.config_cache import ConfigCache
from openoms.infra.db import Database, Read, UnitOfWork, run_built
from openoms.orders import lifecycle
from openoms.orders.model import HoldReason, Order, OrderStatus
from openoms.orders.placement import NewOrderFacts
from openoms.orders.queries import (
    HISTORY_BEFORE,
    HISTORY_OF_EMAIL,
    history_of,
    load_order,
    order_id_of,
)
from openoms.payments.fraud import (
    DEFAULT_CONFIG,
    Blocklist,
    Decision,
    FraudConfig,
    FraudFacts,
    RuleKind,
    Screening,
    screen,
)
from openoms.payments.gateways import Gateways
from openoms.payments.model import CheckResult, PaymentMethod, TransactionKind
from openoms.payments.orm import fraud_blocklist, fraud_screenings, payment_transactions, payments
from openoms.payments.services.records import payments_of
from openoms.shared import clock
from openoms.shared.errors import Conflict, NotFound, ValidationFailed
from openoms.shared.events import Event

_s = fraud_screenings.c
_b = fraud_blocklist.c
HOLDABLE = (
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
)


@dataclass(frozen=True)
class Client:
    """Where an order came from, as the shop saw it."""

    ip: str | None = None
    device_id: str | None = None


class ScreeningNotFound(NotFound):
    code = "screening_not_found"
    title = "No fraud review for this order"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    title = "Already reviewed"


_blocklists = ConfigCache()  # read on every order; a change here forgets it at once


def config_of(rules: dict[str, Any] | None) -> FraudConfig:
    if rules is None:
        return DEFAULT_CONFIG
    return _parsed(json.dumps(rules, sort_keys=True))


@lru_cache(maxsize=64)
def _parsed(rules: str) -> FraudConfig:
    return FraudConfig.from_dict(json.loads(rules))


def screen_order(
    db: Database, gateways: Gateways, order: Order, client: Client, *, actor: str, paid: bool
) -> Screening | None:
    """Screen a new order with its channel's rules and act on the decision: one
    transaction that reads the facts, records the screening and, for a review, holds the
    order. Point-of-sale orders (the customer stands at the till) are not screened.

    ``order`` is the order as placed (or reloaded after its payment); ``paid``: a payment
    was taken, whose card and AVS/CVC results count. Returns the screening, or None when
    the channel is not screened.
    """
    with db.uow() as uow:
        result = screen_in_transaction(uow, order, client, actor=actor, paid=paid)
        if result is None:
            return None
        if result.decision is Decision.REVIEW and order.status in HOLDABLE:
            uow.write_pending()  # the screening's event before the hold's
            _hold_for_review(uow, order.id, result, actor=actor)
        uow.commit()
    if result.decision is Decision.REJECT:
        _reject(db, gateways, order.number, result, actor=actor)
    return result


def screen_in_transaction(
    uow: UnitOfWork,
    order: Order,
    client: Client,
    *,
    actor: str,
    paid: bool,
    velocity: Velocity | None = None,
) -> Screening | None:
    """Read the facts, decide and record the screening (its row and a timeline event) in
    the caller's transaction, without acting on the decision (see :func:`act_on`). Also
    what screens an unpaid order inside its placement's transaction
    (:class:`ScreenAtPlacement`), where the order's number may still be provisional:
    nothing here uses it. ``velocity``: the order's counts and history, read already
    (:func:`velocity_read`, without a card)."""
    channel = channels.active_channel(uow, order.channel)
    if channel.spec.kind is ChannelKind.POINT_OF_SALE:
        return None
    config = config_of(channel.spec.fraud_rules)
    facts = _facts(uow, order, client, config, paid, velocity)
    blocked = _blocklists.get(uow.database_key, lambda: _blocklist(uow))
    result = screen(facts, config, blocked)
    uow.insert_later(
        fraud_screenings,
        {
            "order_id": order.id,
            "score": result.score,
            "decision": result.decision.value,
            "reasons": result.to_dict()["reasons"],
            "email": order.email,
            "ip": client.ip,
            "device_id": client.device_id,
            "card_fingerprint": facts.card_fingerprint,
            "review_note": "",
            "created_at": clock.now(),
        },
    )
    lifecycle.write_event(
        uow,
        order.id,
        actor,
        "fraud_screening",
        None,
        None,
        _summary(result),
        result.to_dict(),
        later=True,
    )
    return result


def act_on(
    db: Database, gateways: Gateways, order: Order, result: Screening, *, actor: str
) -> None:
    """Follow a screening recorded by :func:`screen_in_transaction` once its transaction
    committed (``order`` as placed, with its final number): hold the order for review, or
    cancel it (voiding its payments)."""
    if result.decision is Decision.REVIEW:
        with db.uow() as uow:
            _hold_for_review(uow, order.id, result, actor=actor)
            uow.commit()
    elif result.decision is Decision.REJECT:
        _reject(db, gateways, order.number, result, actor=actor)


def _hold_for_review(uow: UnitOfWork, order_id: int, result: Screening, *, actor: str) -> None:
    order = load_order(uow, order_id)  # as it is now, with its version and final number
    if order.status not in HOLDABLE:
        return
    lifecycle.hold_in_transaction(
        uow, order, HoldReason.FRAUD, actor=actor, note=f"fraud review: {_summary(result)}"
    )
    uow.record(
        Event(
            "order.fraud_review",
            {"number": order.number, "score": result.score, "reasons": _messages(result)},
            f"order:{order.number}",
        )
    )


def _reject(
    db: Database, gateways: Gateways, number: str, result: Screening, *, actor: str
) -> None:
    from openoms.payments.services import order_payments

    order_payments.cancel_order(
        db, gateways, number, actor=actor, reason=f"rejected by fraud screening: {_summary(result)}"
    )
    with db.uow() as uow:
        uow.record(
            Event(
                "order.fraud_rejected",
                {"number": number, "score": result.score, "reasons": _messages(result)},
                f"order:{number}",
            )
        )
        uow.commit()


def _summary(result: Screening) -> str:
    if not result.reasons:
        return f"score {result.score}: no rule fired"
    return f"score {result.score}: " + "; ".join(_messages(result))


def _messages(result: Screening) -> list[str]:
    return [r.message for r in result.reasons]


def _facts(
    uow: UnitOfWork,
    order: Order,
    client: Client,
    config: FraudConfig,
    paid: bool,
    velocity: Velocity | None,
) -> FraudFacts:
    now = clock.now()
    payments = payments_of(uow, order.id) if paid else []
    card = next((p for p in reversed(payments) if p.card_fingerprint), None)
    avs = cvc = None
    if card is not None and card.avs:
        avs, cvc = CheckResult(card.avs), CheckResult(card.cvc or "unavailable")
    total, currency = (
        (order.base_total_amount, order.base_currency)
        if order.base_total_amount is not None
        else (order.total_amount, order.currency)
    )
    shipping = order.shipping_address
    fingerprint = card.card_fingerprint if card else None
    if velocity is None or fingerprint is not None:
        velocity = _velocity(uow, order, _identifiers(order.email, fingerprint, client, config))
    counts, (previous, average) = velocity

    return FraudFacts(
        total_minor=total,
        currency=currency,
        email=order.email,
        billing_country=str(order.billing_address.get("country") or "") or None,
        shipping_country=str(shipping.get("country") or "") or None if shipping else None,
        shipping_address=_one_line(shipping) if shipping else None,
        ip=client.ip,
        device_id=client.device_id,
        card_fingerprint=fingerprint,
        avs=avs,
        cvc=cvc,
        previous_orders=previous,
        average_order_minor=average,
        orders_same_email=counts[0],
        orders_same_card=counts[1],
        orders_same_ip=counts[2],
        orders_same_device=counts[3],
        failed_authorizations=_failed_authorizations(
            uow,
            order.email,
            fingerprint,
            _window_start(config, RuleKind.FAILED_AUTHORIZATIONS, now),
        )
        if paid
        else 0,
    )


def _window_count(column: sa.Column[Any], key: str, *other: Any) -> sa.ScalarSelect[Any]:
    """Earlier screenings with the identifier ``key`` within its window (and the ``other``
    conditions): one range of the (identifier, created_at) index (migration 0016)."""
    return (
        sa.select(sa.func.count())
        .where(column == sa.bindparam(key), _s.created_at >= sa.bindparam(f"{key}_since"), *other)
        .scalar_subquery()
    )


_NOT_THIS_ORDER = _s.order_id != sa.bindparam("order_id")


# Built once: an identifier the order lacks is bound as NULL and matches nothing. Each
# count is a subquery of its own, so each reads its own index whatever the table's size:
# one scan for all four (identifier OR identifier …) was planned as a sequential scan of
# the table until it was large (docs/benchmarks.md). The customer's history comes along
# as two scalar subqueries: one round trip for everything.
VELOCITY = sa.select(
    _window_count(_s.email, "email", _NOT_THIS_ORDER),
    _window_count(_s.card_fingerprint, "card", _NOT_THIS_ORDER),
    _window_count(_s.ip, "ip", _NOT_THIS_ORDER),
    _window_count(_s.device_id, "device", _NOT_THIS_ORDER),
    *HISTORY_BEFORE,
)
# The same for an order about to be written, read with the first reads of its placement,
# which see neither the order nor its screening: bound to the identifiers and to
# ``customer_email``, whose customer's history it reads.
VELOCITY_BEFORE_WRITTEN = sa.select(
    _window_count(_s.email, "email"),
    _window_count(_s.card_fingerprint, "card"),
    _window_count(_s.ip, "ip"),
    _window_count(_s.device_id, "device"),
    *HISTORY_OF_EMAIL,
)

# Per identifier (email, card, ip, device): the screenings sharing it within its window,
# this order's included (0 for an identifier the order lacks); and the customer's earlier
# orders: how many, their average base total.
Velocity = tuple[list[int], tuple[int, int | None]]
Identifiers = list[tuple[str, str | None, datetime]]


def _identifiers(
    email: str, fingerprint: str | None, client: Client, config: FraudConfig
) -> Identifiers:
    """Each identifier with the start of its window."""
    now = clock.now()
    return [
        ("email", email, _window_start(config, RuleKind.VELOCITY_EMAIL, now)),
        ("card", fingerprint, _window_start(config, RuleKind.VELOCITY_CARD, now)),
        ("ip", client.ip, _window_start(config, RuleKind.VELOCITY_IP, now)),
        ("device", client.device_id, _window_start(config, RuleKind.VELOCITY_DEVICE, now)),
    ]


def _window_start(config: FraudConfig, kind: RuleKind, now: datetime) -> datetime:
    return now - timedelta(minutes=config.window_for(kind))


def _identifier_params(wanted: Identifiers) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value, since in wanted:
        params[key] = value
        params[f"{key}_since"] = since
    return params


def _counted(row: Sequence[Any], wanted: Identifiers) -> Velocity:
    counts = [
        int(n) + 1 if value is not None else 0
        for n, (_k, value, _t) in zip(row[:4], wanted, strict=True)
    ]
    return counts, history_of(row[4], row[5])


def _velocity(uow: UnitOfWork, order: Order, wanted: Identifiers) -> Velocity:
    """The order's :data:`Velocity` once it is written: one query."""
    params = {**_identifier_params(wanted), "customer_id": order.customer_id, "order_id": order.id}
    (row,) = run_built(uow.conn, VELOCITY, params)
    return _counted(row, wanted)


def velocity_read(
    uow: UnitOfWork, email: str, client: Client, config: FraudConfig
) -> Read[Velocity]:
    """The :data:`Velocity` of an order without a card that is about to be written (its
    ``email`` as stored), as a read for its placement's first reads
    (``OnPlacement.read_first``); the history is that of the customer known by the email,
    none for a new one."""
    wanted = _identifiers(email, None, client, config)

    def parse(rows: list[tuple[Any, ...]]) -> Velocity:
        return _counted(rows[0], wanted)

    params = {**_identifier_params(wanted), "customer_email": normalize_email(email)}
    return Read.of_built(VELOCITY_BEFORE_WRITTEN, params, parse, uow.conn.dialect)


@dataclass(frozen=True)
class ScreenAtPlacement:
    """Screens an order with nothing to pay now inside its placement's transaction
    (``placement.OnPlacement``): its velocity counts and history are read with the
    placement's first reads, one round trip instead of two."""

    client: Client
    actor: str

    def read_first(self, uow: UnitOfWork, order: NewOrderFacts) -> Read[Velocity] | None:
        channel = channels.active_channel(uow, order.channel)
        if channel.spec.kind is ChannelKind.POINT_OF_SALE:
            return None
        config = config_of(channel.spec.fraud_rules)
        return velocity_read(uow, order.email, self.client, config)

    def __call__(self, uow: UnitOfWork, order: Order, read: Read[Any] | None) -> Screening | None:
        velocity = read.value() if read is not None else None
        return screen_in_transaction(
            uow, order, self.client, actor=self.actor, paid=False, velocity=velocity
        )


def _one_line(address: dict[str, Any]) -> str:
    parts = ("line1", "line2", "postal_code", "city", "country")
    return ", ".join(str(address[p]) for p in parts if address.get(p))


def _failed_authorizations(
    uow: UnitOfWork, email: str, fingerprint: str | None, since: datetime
) -> int:
    from openoms.orders.orm import orders

    t, p = payment_transactions.c, payments.c
    same = orders.c.email == email
    if fingerprint is not None:
        same = sa.or_(same, p.card_fingerprint == fingerprint)
    count = uow.conn.execute(
        sa.select(sa.func.count())
        .select_from(
            payment_transactions.join(payments, p.id == t.payment_id).join(
                orders, orders.c.id == p.order_id
            )
        )
        .where(
            t.kind == TransactionKind.AUTHORIZATION.value,
            t.status == "failed",
            t.created_at >= since,
            p.method == PaymentMethod.CARD.value,
            same,
        )
    ).scalar_one()
    return int(count)


def _blocklist(uow: UnitOfWork) -> Blocklist:
    rows = uow.conn.execute(sa.select(_b.kind, _b.value)).all()
    by_kind: dict[str, set[str]] = {"email": set(), "ip": set(), "card": set(), "address": set()}
    for kind, value in rows:
        by_kind.setdefault(kind, set()).add(value)
    return Blocklist(
        emails=frozenset(by_kind["email"]),
        ips=frozenset(by_kind["ip"]),
        card_fingerprints=frozenset(by_kind["card"]),
        addresses=frozenset(by_kind["address"]),
    )


# --- the review queue --------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    id: int
    order_number: str
    email: str
    currency: str
    total_amount: int
    score: int
    decision: str
    reasons: list[dict[str, Any]]
    created_at: datetime
    review: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str


def review_queue(uow: UnitOfWork, *, waiting: bool = True, limit: int = 100) -> list[Review]:
    """Screenings that sent their order to review, oldest first; ``waiting``: only those
    not reviewed yet."""
    query = _reviews().order_by(_s.id if waiting else _s.id.desc()).limit(limit)
    if waiting:
        query = query.where(_s.review.is_(None))
    with uow:
        rows = uow.conn.execute(query).all()
    return [_review(r) for r in rows]


def review_of(uow: UnitOfWork, number: str) -> Review | None:
    """The order's latest screening that sent it to review, reviewed or not."""
    from openoms.orders.orm import orders

    query = _reviews().where(orders.c.number == number).order_by(_s.id.desc()).limit(1)
    with uow:
        row = uow.conn.execute(query).first()
    return _review(row) if row is not None else None


def waiting_count(uow: UnitOfWork) -> int:
    """How many orders wait for a fraud review."""
    query = (
        sa.select(sa.func.count())
        .select_from(fraud_screenings)
        .where(_s.decision == Decision.REVIEW.value, _s.review.is_(None))
    )
    with uow:
        return int(uow.conn.execute(query).scalar_one())


def _reviews() -> sa.Select[Any]:
    from openoms.orders.orm import orders

    o = orders.c
    return (
        sa.select(fraud_screenings, o.number, o.currency, o.total_amount)
        .join(orders, o.id == _s.order_id)
        .where(_s.decision == Decision.REVIEW.value)
    )


def _review(r: Any) -> Review:
    return Review(
        r.id,
        r.number,
        r.email,
        r.currency,
        r.total_amount,
        r.score,
        r.decision,
        list(r.reasons),
        r.created_at,
        r.review,
        r.reviewed_by,
        r.reviewed_at,
        r.review_note,
    )


def approve(db: Database, number: str, *, actor: str, note: str = "") -> Order:
    """Let an order in review go on. Raises: OrderNotFound, ScreeningNotFound,
    AlreadyReviewed."""
    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, number))
        _mark(uow, order, "approved", actor, note)
        if order.status is OrderStatus.ON_HOLD and order.hold_reason == HoldReason.FRAUD:
            lifecycle.release_in_transaction(
                uow, order, actor=actor, note=note or "fraud review: approved"
            )
        uow.commit()
    with db.reader() as uow:
        return load_order(uow, order.id)


def reject(db: Database, gateways: Gateways, number: str, *, actor: str, note: str = "") -> Order:
    """Cancel an order in review and void or refund its payments. Raises: OrderNotFound,
    ScreeningNotFound, AlreadyReviewed."""
    from openoms.payments.services import order_payments

    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, number))
        _mark(uow, order, "rejected", actor, note)
        uow.record(
            Event(
                "order.fraud_rejected",
                {"number": number, "reviewed_by": actor, "note": note},
                f"order:{number}",
            )
        )
        uow.commit()
    reason = "rejected in fraud review" + (f": {note}" if note else "")
    return order_payments.cancel_order(db, gateways, number, actor=actor, reason=reason).order


def _mark(uow: UnitOfWork, order: Order, verdict: str, actor: str, note: str) -> None:
    found = uow.conn.execute(
        sa.select(_s.id, _s.review)
        .where(_s.order_id == order.id, _s.decision == Decision.REVIEW.value)
        .order_by(_s.id.desc())
        .limit(1)
    ).first()
    if found is None:
        raise ScreeningNotFound(
            f"Order {order.number} is not in fraud review.", number=order.number
        )
    if found.review is not None:
        raise AlreadyReviewed(
            f"Order {order.number} was {found.review} already.", number=order.number
        )
    uow.conn.execute(
        fraud_screenings.update()
        .where(_s.id == found.id, _s.review.is_(None))
        .values(review=verdict, reviewed_by=actor, reviewed_at=clock.now(), review_note=note)
    )
    lifecycle.write_event(
        uow, order.id, actor, "fraud_review", None, None, f"fraud review: {verdict}", {"note": note}
    )


# --- the blocklist -----------------------------------------------------------------------

BLOCK_KINDS = ("email", "ip", "card", "address")


@dataclass(frozen=True)
class BlockEntry:
    id: int
    kind: str
    value: str
    note: str
    created_by: str
    created_at: datetime


def block(uow: UnitOfWork, kind: str, value: str, *, actor: str, note: str = "") -> BlockEntry:
    """Raises: ValidationFailed (unknown kind, a value that is not an email, IP or network)."""
    if kind not in BLOCK_KINDS:
        raise ValidationFailed.single("kind", f"must be one of {', '.join(BLOCK_KINDS)}")
    value = value.strip()
    field = {"email": "emails", "ip": "ips", "card": "card_fingerprints", "address": "addresses"}
    try:
        Blocklist(**{field[kind]: frozenset({value})})
    except ValidationFailed as e:
        raise ValidationFailed.single("value", e.errors[0].message) from None
    with uow:
        found = uow.conn.execute(
            sa.select(_b.id).where(_b.kind == kind, _b.value == value)
        ).scalar()
        if found is None:
            found = uow.conn.execute(
                fraud_blocklist.insert()
                .values(kind=kind, value=value, note=note, created_by=actor, created_at=clock.now())
                .returning(_b.id)
            ).scalar_one()
        row = uow.conn.execute(sa.select(fraud_blocklist).where(_b.id == found)).one()
        uow.commit()
    _blocklists.forget(uow.database_key)
    return BlockEntry(row.id, row.kind, row.value, row.note, row.created_by, row.created_at)


def blocklist(uow: UnitOfWork) -> list[BlockEntry]:
    with uow:
        rows = uow.conn.execute(sa.select(fraud_blocklist).order_by(_b.kind, _b.value)).all()
    return [BlockEntry(r.id, r.kind, r.value, r.note, r.created_by, r.created_at) for r in rows]


def unblock(uow: UnitOfWork, entry_id: int) -> None:
    """Raises: NotFound."""
    with uow:
        gone = uow.conn.execute(fraud_blocklist.delete().where(_b.id == entry_id)).rowcount
        if not gone:
            raise NotFound(f"No blocklist entry {entry_id}.", id=entry_id)
        uow.commit()
    _blocklists.forget(uow.database_key)
