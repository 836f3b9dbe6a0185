"""Claiming due deliveries and recording what their attempts gave, each in its own transaction.

A claim is a guarded ``UPDATE … SET status = 'in_flight', lease_until = …, claim_token = …``
of deliveries that are due (pending and ``next_attempt_at`` passed, or in flight with a lease
that ran out because its worker died), committed before anything is sent. Two workers never
hold the same delivery at once: PostgreSQL skips rows another claim has locked, SQLite runs
one writer at a time, and the ``WHERE`` repeats the due condition either way. The outcome is
written only by the holder of the claim token, so a worker that lost its lease cannot
overwrite the next worker's result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.infra.db import Database
from openoms.infra.outbox import outbox_events
from openoms.integrations.webhooks.model import (
    DeliveryClaimLost,
    DeliveryStatus,
    Outcome,
    backoff_seconds,
    status_after,
)
from openoms.integrations.webhooks.orm import (
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)
from openoms.shared import clock
from openoms.shared.events import Event

_d = webhook_deliveries.c
_s = webhook_subscriptions.c
_e = outbox_events.c


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_base_seconds: float
    backoff_max_seconds: float


@dataclass(frozen=True)
class ClaimedDelivery:
    """Everything needed to send one delivery without touching the database."""

    id: str
    subscription_id: str
    claim_token: str
    attempt_count: int
    url: str
    event: Event
    signing_secrets: tuple[str, ...] = field(repr=False)


def claim_due(db: Database, *, limit: int, lease: timedelta) -> list[ClaimedDelivery]:
    """Take up to ``limit`` due deliveries of active subscriptions until ``lease`` ends."""
    token = str(uuid.uuid4())
    with db.uow() as uow:
        now = clock.now()
        candidates = uow.conn.execute(_due_query(now, limit, uow.dialect)).scalars().all()
        if not candidates:
            return []
        taken = uow.conn.execute(
            webhook_deliveries.update()
            .where(_d.id.in_(candidates), _is_due(now))
            .values(
                status=DeliveryStatus.IN_FLIGHT.value,
                claim_token=token,
                lease_until=now + lease,
                updated_at=now,
            )
            .returning(_d.id)
        )
        claimed = _load(uow.conn, list(taken.scalars()), token, now)
        uow.commit()
    return claimed


@dataclass(frozen=True)
class Attempted:
    """A claimed delivery that was sent, and what came of it."""

    claimed: ClaimedDelivery
    outcome: Outcome
    attempted_at: datetime


@dataclass(frozen=True)
class Recorded:
    attempted: Attempted
    status: DeliveryStatus
    retry_at: datetime | None


def record_outcomes(
    db: Database, attempts: Sequence[Attempted], policy: RetryPolicy
) -> tuple[list[Recorded], list[Attempted]]:
    """Store each attempt and its delivery's next state, in one transaction.

    Returns (recorded, lost): an attempt whose claim is no longer this worker's (its lease
    ran out and another worker took it, or the subscription was deleted) changes nothing.
    """
    recorded: list[Recorded] = []
    lost: list[Attempted] = []
    with db.uow() as uow:
        now = clock.now()
        for attempted in attempts:
            result = _next_state(attempted, policy, now)
            if _store(uow.conn, result, now):
                recorded.append(result)
            else:
                lost.append(attempted)
        uow.commit()
    return recorded, lost


def record_outcome(
    db: Database,
    claimed: ClaimedDelivery,
    outcome: Outcome,
    *,
    attempted_at: datetime,
    policy: RetryPolicy,
) -> tuple[DeliveryStatus, datetime | None]:
    """Store one attempt; returns the delivery's new status and when it is tried next.

    Raises: DeliveryClaimLost when the claim is no longer this worker's.
    """
    recorded, _lost = record_outcomes(db, [Attempted(claimed, outcome, attempted_at)], policy)
    if not recorded:
        raise DeliveryClaimLost(
            f"Delivery '{claimed.id}' was claimed by another worker or removed.", id=claimed.id
        )
    return recorded[0].status, recorded[0].retry_at


def _next_state(attempted: Attempted, policy: RetryPolicy, now: datetime) -> Recorded:
    before = attempted.claimed.attempt_count
    status = status_after(attempted.outcome, before, policy.max_attempts)
    retry_at = None
    if status is DeliveryStatus.PENDING:
        delay = backoff_seconds(
            before + 1, base=policy.backoff_base_seconds, cap=policy.backoff_max_seconds
        )
        retry_at = now + timedelta(seconds=delay)
    return Recorded(attempted, status, retry_at)


def _store(conn: Connection, result: Recorded, now: datetime) -> bool:
    """Write the delivery's next state if this worker still holds the claim, and the attempt."""
    claimed, outcome = result.attempted.claimed, result.attempted.outcome
    updated = conn.execute(
        webhook_deliveries.update()
        .where(
            _d.id == claimed.id,
            _d.claim_token == claimed.claim_token,
            _d.status == DeliveryStatus.IN_FLIGHT.value,
        )
        .values(**_state_values(result, now))
    )
    if updated.rowcount != 1:
        return False
    conn.execute(
        webhook_attempts.insert().values(
            delivery_id=claimed.id,
            attempted_at=result.attempted.attempted_at,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    return True


def _state_values(result: Recorded, now: datetime) -> dict[str, Any]:
    claimed, outcome = result.attempted.claimed, result.attempted.outcome
    values: dict[str, Any] = {
        "status": result.status.value,
        "attempt_count": claimed.attempt_count + 1,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "lease_until": None,
        "claim_token": None,
        "updated_at": now,
    }
    if result.status is DeliveryStatus.DELIVERED:
        values["delivered_at"] = now
    if result.retry_at is not None:
        values["next_attempt_at"] = result.retry_at
    return values


def _is_due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(_d.status == DeliveryStatus.PENDING.value, _d.next_attempt_at <= now),
        sa.and_(_d.status == DeliveryStatus.IN_FLIGHT.value, _d.lease_until <= now),
    )


def _due_query(now: datetime, limit: int, dialect: str) -> sa.Select[tuple[str]]:
    query = (
        sa.select(_d.id)
        .join(webhook_subscriptions, _s.id == _d.subscription_id)
        .where(_is_due(now), _s.is_active.is_(True))
        .order_by(_d.next_attempt_at, _d.id)
        .limit(limit)
    )
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=webhook_deliveries)
    return query


def _load(
    conn: Connection, delivery_ids: list[str], token: str, now: datetime
) -> list[ClaimedDelivery]:
    if not delivery_ids:
        return []
    return [
        ClaimedDelivery(
            id=r.id,
            subscription_id=r.subscription_id,
            claim_token=token,
            attempt_count=r.attempt_count,
            url=r.url,
            event=Event(r.name, r.payload, r.aggregate, id=r.event_id, occurred_at=r.occurred_at),
            signing_secrets=_secrets(
                r.secret, r.previous_secret, r.previous_secret_expires_at, now
            ),
        )
        for r in conn.execute(_claimed_query(delivery_ids))
    ]


def _claimed_query(delivery_ids: list[str]) -> sa.Select[Any]:
    """Each delivery with its subscription's URL and secrets and its event from the outbox."""
    return (
        sa.select(
            _d.id,
            _d.subscription_id,
            _d.attempt_count,
            _s.url,
            _s.secret,
            _s.previous_secret,
            _s.previous_secret_expires_at,
            _e.id.label("event_id"),
            _e.name,
            _e.aggregate,
            _e.payload,
            _e.occurred_at,
        )
        .select_from(
            webhook_deliveries.join(webhook_subscriptions, _s.id == _d.subscription_id).join(
                outbox_events, _e.id == _d.event_id
            )
        )
        .where(_d.id.in_(delivery_ids))
        .order_by(_d.next_attempt_at, _d.id)
    )


def _secrets(
    current: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> tuple[str, ...]:
    if previous and previous_expires_at and previous_expires_at > now:
        return (current, previous)
    return (current,)
