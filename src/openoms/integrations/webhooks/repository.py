"""Subscriptions and deliveries in and out of their tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openoms.integrations.webhooks.model import (
    REPLAYABLE,
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    last4,
)
from openoms.integrations.webhooks.orm import (
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)

_s = webhook_subscriptions.c
_d = webhook_deliveries.c
_a = webhook_attempts.c


class SubscriptionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, subscription_id: str, *, lock: bool = False) -> Subscription | None:
        query = sa.select(webhook_subscriptions).where(_s.id == subscription_id)
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return subscription_of(row) if row else None

    def list_subscriptions(self, *, is_active: bool | None = None) -> list[Subscription]:
        query = sa.select(webhook_subscriptions).order_by(_s.created_at, _s.id)
        if is_active is not None:
            query = query.where(_s.is_active == is_active)
        return [subscription_of(r) for r in self.conn.execute(query)]

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(webhook_subscriptions.insert().values(**values))

    def update(self, subscription_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            webhook_subscriptions.update().where(_s.id == subscription_id).values(**values)
        )

    def secret_of(self, subscription_id: str) -> str | None:
        secret: str | None = self.conn.execute(
            sa.select(_s.secret).where(_s.id == subscription_id)
        ).scalar()
        return secret

    def delete(self, subscription_id: str) -> int:
        """Deliveries and their attempts go with it (``ON DELETE CASCADE``)."""
        result = self.conn.execute(webhook_subscriptions.delete().where(_s.id == subscription_id))
        return int(result.rowcount)


class DeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, delivery_id: str) -> Delivery | None:
        row = self.conn.execute(sa.select(webhook_deliveries).where(_d.id == delivery_id)).first()
        return delivery_of(row) if row else None

    def list_attempts(self, delivery_id: str) -> list[Attempt]:
        rows = self.conn.execute(
            sa.select(webhook_attempts).where(_a.delivery_id == delivery_id).order_by(_a.id)
        )
        return [Attempt(r.attempted_at, r.status_code, r.error, r.duration_ms) for r in rows]

    def requeue_replayable(self, delivery_id: str, now: datetime) -> int:
        """A dead or delivered delivery back in the queue; 0 when it is in neither state."""
        replayable = [s.value for s in REPLAYABLE]
        return self._requeue((_d.id == delivery_id) & _d.status.in_(replayable), now)

    def requeue_dead(self, subscription_id: str, now: datetime) -> int:
        dead = DeliveryStatus.DEAD.value
        return self._requeue((_d.subscription_id == subscription_id) & (_d.status == dead), now)

    def _requeue(self, where: sa.ColumnElement[bool], now: datetime) -> int:
        """Back to ``pending``, due now, with a fresh count of attempts; returns how many."""
        result = self.conn.execute(
            webhook_deliveries.update()
            .where(where)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempt_count=0,
                next_attempt_at=now,
                lease_until=None,
                claim_token=None,
                delivered_at=None,
                updated_at=now,
            )
        )
        return int(result.rowcount)


def subscription_of(row: Row[Any]) -> Subscription:
    return Subscription(
        id=row.id,
        url=row.url,
        events=tuple(row.events),
        description=row.description,
        is_active=row.is_active,
        secret_last4=last4(row.secret),
        created_at=row.created_at,
        updated_at=row.updated_at,
        previous_secret_expires_at=row.previous_secret_expires_at,
    )


def delivery_of(row: Row[Any], attempts: tuple[Attempt, ...] = ()) -> Delivery:
    return Delivery(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=row.event_id,
        event_name=row.event_name,
        status=DeliveryStatus(row.status),
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        delivered_at=row.delivered_at,
        attempts=attempts,
    )
