"""The staff alerts inbox: alerts raised from outbox events, listed, acknowledged.

The outbox consumer (``raise_for_events``) runs in the transaction that dispatches the
events, like the customer messages, so an event raises its alert once (the table is also
unique per event and kind). Kinds that keep one open alert per subject hold the subject in
``open_subject`` while open, under a unique constraint, so two workers cannot open two.
A new alert is mailed, through the customer messages' pipeline (rendered, retried, sent
by the worker), to the address the settings name for its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import structlog

from openoms.alerts.model import (
    KIND_LABELS,
    SYSTEM,
    Alert,
    AlertAlreadyAcknowledged,
    AlertEmails,
    AlertKind,
    AlertNotFound,
    AlertState,
    Draft,
    acknowledged_by,
    draft_for,
    link_of,
)
from openoms.alerts.orm import alerts
from openoms.infra.db import UnitOfWork
from openoms.infra.outbox import Consumer
from openoms.infra.settings import Settings
from openoms.infra.upsert import insert_for
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.events import Event
from openoms.shared.pagination import decode_cursor, encode_cursor
from openoms.shared.scope import EVERYWHERE, Scope

log = structlog.get_logger()
_a = alerts.c
# these payloads name only the shipment; the alert also wants its order and location
_SHIPMENT_EVENTS = frozenset({"alert.late_shipment", "alert.delivery_exception"})


@dataclass(frozen=True)
class AlertMail:
    """Who is mailed about new alerts, in which language, with links to which server."""

    emails: AlertEmails
    locale: str = "en"
    public_url: str = ""

    @classmethod
    def of(cls, settings: Settings) -> AlertMail:
        return cls(
            AlertEmails.parse(settings.alert_emails),
            settings.alert_email_locale,
            settings.public_url.rstrip("/"),
        )


def consumer(settings: Settings) -> Consumer:
    """The outbox consumer that raises alerts and mails them as the settings say."""
    mail = AlertMail.of(settings)

    def consume(uow: UnitOfWork, events: Sequence[Event]) -> None:
        raise_for_events(uow, events, mail)

    return consume


# ---------------------------------------------------------------- from events


def raise_for_events(uow: UnitOfWork, events: Sequence[Event], mail: AlertMail) -> None:
    """The alerts these events raise (and settle), with their mails, in the caller's
    transaction. An event that cannot be read is logged and skipped; it never blocks the
    outbox."""
    for event in events:
        try:
            with uow.conn.begin_nested():
                _settle(uow, event)
                draft = draft_for(event.name, _payload(uow, event))
                alert_id = _insert(uow, event.id, draft) if draft else None
        except Exception:  # one bad event must not stop the others or the webhooks
            log.exception("alerts.event_skipped", event_name=event.name, event_id=event.id)
            continue
        if draft is not None and alert_id is not None:
            log.info("alerts.raised", id=alert_id, kind=draft.kind.value, subject=draft.subject)
            if draft.is_mailed:
                _mail(uow, alert_id, draft, mail)


def _payload(uow: UnitOfWork, event: Event) -> dict[str, Any]:
    if event.name not in _SHIPMENT_EVENTS:
        return dict(event.payload)
    from openoms.fulfillment.model import ShipmentNotFound
    from openoms.fulfillment.services.shipping import load_shipment

    p = dict(event.payload)
    if event.name == "alert.delivery_exception":
        p["scan_location"] = p.pop("location", None)  # the carrier's place, not ours
    try:
        shipment = load_shipment(uow, str(p["shipment"]))
    except ShipmentNotFound:
        return p
    p.update(order=shipment.order_number, location=shipment.location)
    return p


def _insert(uow: UnitOfWork, event_id: str, draft: Draft) -> int | None:
    """The new alert's id; None when the event raised it before or one is open already."""
    found = uow.conn.execute(
        insert_for(uow.conn, alerts)
        .values(
            kind=draft.kind.value,
            title=draft.title[:300],
            text=draft.text,
            subject=draft.subject[:200],
            data=draft.data,
            location=draft.location,
            event_id=event_id,
            open_subject=draft.subject[:200] if draft.is_one_open_per_subject else None,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing()
        .returning(_a.id)
    ).first()
    return None if found is None else int(found[0])


def _settle(uow: UnitOfWork, event: Event) -> None:
    found = acknowledged_by(event.name, event.payload)
    if found is None:
        return
    kind, subject = found
    done = _acknowledge_where(uow, SYSTEM, _a.kind == kind.value, _a.subject == subject)
    if done:
        log.info("alerts.settled", ids=done, event_name=event.name)


def _mail(uow: UnitOfWork, alert_id: int, draft: Draft, mail: AlertMail) -> None:
    to = mail.emails.address_for(draft.kind)
    if to is None:
        return
    from openoms.notifications import services as notifications

    link = link_of(draft.subject)
    try:
        with uow.conn.begin_nested():
            notifications.queue_staff_alert(
                uow,
                key=f"alert:{alert_id}",
                to=to,
                locale=mail.locale,
                alert={
                    "id": alert_id,
                    "kind": draft.kind.value,
                    "label": KIND_LABELS[draft.kind],
                    "title": draft.title,
                    "text": draft.text,
                    "data": draft.data,
                    "url": f"{mail.public_url}{link}" if link else "",
                    "inbox_url": f"{mail.public_url}/console/alerts",
                },
            )
    except Exception:  # the alert stands in the inbox even when its mail cannot be made
        log.exception("alerts.mail_skipped", id=alert_id, kind=draft.kind.value)


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class AlertFilter:
    state: AlertState = AlertState.OPEN
    kind: AlertKind | None = None
    scope: Scope = EVERYWHERE
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class AlertPage:
    items: list[Alert]
    next_cursor: str | None


def list_alerts(uow: UnitOfWork, f: AlertFilter) -> AlertPage:
    """Alerts newest first: open, acknowledged or all, of one kind or every kind.

    Raises: ValidationFailed for a cursor this server did not issue."""
    query = sa.select(alerts).where(*_within(f.scope)).order_by(_a.id.desc()).limit(f.limit + 1)
    if f.state is AlertState.OPEN:
        query = query.where(_a.acknowledged_at.is_(None))
    elif f.state is AlertState.ACKNOWLEDGED:
        query = query.where(_a.acknowledged_at.is_not(None))
    if f.kind is not None:
        query = query.where(_a.kind == f.kind.value)
    if f.cursor:
        before = decode_cursor(f.cursor).get("before")
        if not isinstance(before, int):
            raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
        query = query.where(_a.id < before)
    with uow:
        rows = [_alert(r) for r in uow.conn.execute(query).mappings()]
    more = len(rows) > f.limit
    items = rows[: f.limit]
    return AlertPage(items, encode_cursor({"before": items[-1].id}) if more else None)


def get_alert(uow: UnitOfWork, alert_id: int, scope: Scope = EVERYWHERE) -> Alert:
    """Raises: AlertNotFound (also for an alert outside the caller's scope)."""
    with uow:
        row = (
            uow.conn.execute(sa.select(alerts).where(_a.id == alert_id, *_within(scope)))
            .mappings()
            .first()
        )
    if row is None:
        raise AlertNotFound(f"No alert {alert_id}.", id=alert_id)
    return _alert(row)


def open_counts(uow: UnitOfWork, scope: Scope = EVERYWHERE) -> dict[AlertKind, int]:
    """How many alerts of each kind are open (every kind, zero included)."""
    with uow:
        rows = uow.conn.execute(
            sa.select(_a.kind, sa.func.count())
            .where(_a.acknowledged_at.is_(None), *_within(scope))
            .group_by(_a.kind)
        ).all()
    found = {str(kind): int(n) for kind, n in rows}
    return {k: found.get(k.value, 0) for k in AlertKind}


def _within(scope: Scope) -> list[sa.ColumnElement[bool]]:
    """A caller limited to some locations or channels sees the alerts at its locations
    only; alerts tied to no location (orders, mails) are for callers who see everything."""
    if not scope.is_limited:
        return []
    if scope.locations is None:
        return [_a.location.is_not(None)]
    return [_a.location.in_(sorted(scope.locations))]


# ---------------------------------------------------------------- acknowledging


def acknowledge(uow: UnitOfWork, alert_id: int, *, actor: str, scope: Scope = EVERYWHERE) -> Alert:
    """Mark an alert as seen to: it leaves the open list.

    Raises: AlertNotFound, AlertAlreadyAcknowledged (by someone else, or before)."""
    with uow:
        if not _acknowledge_where(uow, actor, _a.id == alert_id, *_within(scope)):
            row = (
                uow.conn.execute(sa.select(alerts).where(_a.id == alert_id, *_within(scope)))
                .mappings()
                .first()
            )
            if row is None:
                raise AlertNotFound(f"No alert {alert_id}.", id=alert_id)
            raise AlertAlreadyAcknowledged(
                f"Alert {alert_id} was acknowledged by {row['acknowledged_by']}.",
                id=alert_id,
                acknowledged_by=row["acknowledged_by"],
            )
        row = uow.conn.execute(sa.select(alerts).where(_a.id == alert_id)).mappings().one()
        uow.commit()
    log.info("alerts.acknowledged", id=alert_id, actor=actor)
    return _alert(row)


def acknowledge_many(
    uow: UnitOfWork, alert_ids: Sequence[int], *, actor: str, scope: Scope = EVERYWHERE
) -> list[int]:
    """Acknowledge the open ones of these alerts; returns the ids this call acknowledged
    (others were acknowledged already, or are unknown to the caller)."""
    if not alert_ids:
        return []
    with uow:
        done = _acknowledge_where(uow, actor, _a.id.in_(sorted(set(alert_ids))), *_within(scope))
        uow.commit()
    log.info("alerts.acknowledged", ids=done, actor=actor)
    return done


def _acknowledge_where(uow: UnitOfWork, actor: str, *where: sa.ColumnElement[bool]) -> list[int]:
    """One guarded UPDATE: only open alerts change, so two people cannot both acknowledge."""
    result = uow.conn.execute(
        sa.update(alerts)
        .where(_a.acknowledged_at.is_(None), *where)
        .values(acknowledged_at=clock.now(), acknowledged_by=actor[:200], open_subject=None)
        .returning(_a.id)
    )
    return sorted(int(r[0]) for r in result)


def _alert(r: Any) -> Alert:
    return Alert(
        id=r["id"],
        kind=AlertKind(r["kind"]),
        title=r["title"],
        text=r["text"],
        subject=r["subject"],
        data=dict(r["data"] or {}),
        location=r["location"],
        event_id=r["event_id"],
        created_at=r["created_at"],
        acknowledged_at=r["acknowledged_at"],
        acknowledged_by=r["acknowledged_by"],
    )
