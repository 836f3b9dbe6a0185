"""Read side: deliveries, newest first, filtered, one page at a time."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.integrations.webhooks.model import Delivery, DeliveryStatus
from openoms.integrations.webhooks.orm import webhook_deliveries
from openoms.integrations.webhooks.repository import delivery_of
from openoms.shared.clock import as_utc
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor

_d = webhook_deliveries.c


def list_deliveries(
    uow: UnitOfWork,
    *,
    subscription_id: str | None = None,
    status: DeliveryStatus | None = None,
    event_name: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[Delivery], str | None]:
    """Deliveries, newest first. Raises: ValidationFailed (a cursor this server did not issue)."""
    query = (
        sa.select(webhook_deliveries).order_by(_d.created_at.desc(), _d.id.desc()).limit(limit + 1)
    )
    if subscription_id:
        query = query.where(_d.subscription_id == subscription_id)
    if status:
        query = query.where(_d.status == status.value)
    if event_name:
        query = query.where(_d.event_name == event_name)
    if cursor:
        at, last_id = _position(cursor)
        query = query.where(
            sa.or_(_d.created_at < at, sa.and_(_d.created_at == at, _d.id < last_id))
        )
    with uow:
        rows = uow.conn.execute(query).all()
    items = [delivery_of(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    last = items[-1]
    return items, encode_cursor({"at": last.created_at.isoformat(), "id": last.id})


def _position(cursor: str) -> tuple[datetime, str]:
    values = decode_cursor(cursor)
    at, last_id = values.get("at"), values.get("id")
    try:
        if not isinstance(at, str) or not isinstance(last_id, str) or len(last_id) > 36:
            raise ValueError(cursor)
        return as_utc(datetime.fromisoformat(at)), last_id
    except ValueError:
        raise ValidationFailed.single(
            "cursor", "the cursor is not one this server issued"
        ) from None
