"""Idempotency keys: a retried request returns the first response and changes nothing.

A request carrying ``Idempotency-Key`` first *claims* the key (a row in ``in_progress``).
The unit of work that performs the change marks the claim ``committed`` in the same
transaction as the change itself, so "the change happened" and "the key is spent" can never
disagree. After the response is produced it is stored (``completed``) and replayed to every
retry with the same key and body. A claim that never committed anything is released, so a
request that failed may be retried with the same key.

A claim left ``in_progress`` by a crashed process is taken over once its lease expires: it
cannot have committed anything, or it would be ``committed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime
from openoms.shared import clock
from openoms.shared.errors import Conflict

LEASE = timedelta(seconds=60)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("claim_token", sa.String(36), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("response_status", sa.Integer),
    sa.Column("response_body", sa.LargeBinary),
    sa.Column("response_headers", JSON),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("lease_until", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False, index=True),
)


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_in_use"
    title = "Idempotency key in use"


class IdempotencyClaimLost(Conflict):
    code = "idempotency_claim_lost"
    title = "Idempotency key taken over"


@dataclass(frozen=True)
class Claimed:
    token: str


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Mismatch:
    pass


@dataclass(frozen=True)
class Busy:
    committed: bool


ClaimResult = Claimed | Replay | Mismatch | Busy


def claim(engine: Engine, key: str, fingerprint: str, ttl: timedelta) -> ClaimResult:
    now = clock.now()
    token = str(uuid.uuid4())
    with engine.connect() as conn, conn.begin():
        try:
            with conn.begin_nested():
                conn.execute(
                    idempotency_keys.insert().values(
                        key=key,
                        fingerprint=fingerprint,
                        claim_token=token,
                        status="in_progress",
                        created_at=now,
                        lease_until=now + LEASE,
                        expires_at=now + ttl,
                    )
                )
            return Claimed(token)
        except IntegrityError:
            pass
        row = conn.execute(
            sa.select(idempotency_keys).where(idempotency_keys.c.key == key).with_for_update()
        ).one()
        if row.fingerprint != fingerprint:
            return Mismatch()
        if row.status == "completed":
            return Replay(row.response_status, row.response_body, dict(row.response_headers or {}))
        if row.status == "in_progress" and clock.as_utc(row.lease_until) <= now:
            conn.execute(
                idempotency_keys.update()
                .where(idempotency_keys.c.key == key)
                .values(claim_token=token, lease_until=now + LEASE)
            )
            return Claimed(token)
        return Busy(committed=row.status == "committed")


def mark_committed(conn: Connection, key: str, token: str) -> None:
    """Spend the key inside the transaction that makes the change."""
    result = conn.execute(
        idempotency_keys.update()
        .where(idempotency_keys.c.key == key, idempotency_keys.c.claim_token == token)
        .values(status="committed")
    )
    if result.rowcount != 1:
        raise IdempotencyClaimLost(
            "Another request took over this idempotency key; nothing was changed.", key=key
        )


def complete(
    engine: Engine, key: str, token: str, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """Store the response of a request whose change committed, or that succeeded."""
    with engine.begin() as conn:
        conn.execute(
            idempotency_keys.update()
            .where(idempotency_keys.c.key == key, idempotency_keys.c.claim_token == token)
            .values(
                status="completed",
                response_status=status,
                response_body=body,
                response_headers=headers,
            )
        )


def is_committed(engine: Engine, key: str, token: str) -> bool:
    with engine.connect() as conn:
        status = conn.execute(
            sa.select(idempotency_keys.c.status).where(
                idempotency_keys.c.key == key, idempotency_keys.c.claim_token == token
            )
        ).scalar()
    return status == "committed"


def release(engine: Engine, key: str, token: str) -> None:
    """Give the key back: the request changed nothing, so a retry may run it again."""
    with engine.begin() as conn:
        conn.execute(
            idempotency_keys.delete().where(
                idempotency_keys.c.key == key,
                idempotency_keys.c.claim_token == token,
                idempotency_keys.c.status == "in_progress",
            )
        )


def purge_expired(engine: Engine) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            idempotency_keys.delete().where(idempotency_keys.c.expires_at <= clock.now())
        )
    return int(result.rowcount)
