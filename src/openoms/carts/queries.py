"""Reading carts for follow-up: the abandoned ones, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from openoms.carts.model import Cart, CartStatus
from openoms.carts.orm import carts
from openoms.carts.repository import CartRepository
from openoms.infra.db import UnitOfWork
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor

_c = carts.c


@dataclass(frozen=True)
class AbandonedFilter:
    channel: str | None = None
    since: datetime | None = None  # abandoned at or after
    with_email_only: bool = False


def list_abandoned(
    uow: UnitOfWork, f: AbandonedFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Cart], str | None]:
    """Abandoned carts with their lines and value, most recently abandoned first.

    Raises: ValidationFailed (a cursor this server did not issue, a naive ``since``).
    """
    query = (
        sa.select(carts)
        .where(_c.status == CartStatus.ABANDONED.value, *_conditions(f))
        .order_by(_c.abandoned_at.desc(), _c.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        at, cart_id = _position(cursor)
        query = query.where(
            sa.or_(_c.abandoned_at < at, sa.and_(_c.abandoned_at == at, _c.id < cart_id))
        )
    with uow:
        rows = uow.conn.execute(query).all()
        found = CartRepository(uow.conn).load_many(rows[:limit])
    next_cursor = None
    if len(rows) > limit and found:
        last = found[-1]
        assert last.abandoned_at is not None
        next_cursor = encode_cursor({"at": last.abandoned_at.isoformat(), "id": last.id})
    return found, next_cursor


def _conditions(f: AbandonedFilter) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if f.channel is not None:
        out.append(_c.channel_code == f.channel)
    if f.since is not None:
        if f.since.tzinfo is None:
            raise ValidationFailed.single("since", "give a time zone, e.g. 2026-01-31T12:00:00Z")
        out.append(_c.abandoned_at >= f.since)
    if f.with_email_only:
        out.append(_c.email.is_not(None))
    return out


def _position(cursor: str) -> tuple[datetime, int]:
    value = decode_cursor(cursor)
    try:
        at = datetime.fromisoformat(value["at"])
        cart_id = value["id"]
    except (KeyError, TypeError, ValueError):
        at, cart_id = None, None
    if at is None or at.tzinfo is None or not isinstance(cart_id, int) or not 0 < cart_id < 2**63:
        raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
    return at, cart_id
