"""The audit log: who did what, when, from where.

Every change made through the API or the console is logged by the HTTP layer in the same
transaction as the change itself (see :class:`RequestAudit`); sign-ins, refusals and the
identity changes are logged by their use cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openoms.identity.model import AuditEntry
from openoms.identity.orm import audit_log
from openoms.identity.repository import audit_from
from openoms.infra.db import UnitOfWork
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class Origin:
    """Where a request came from."""

    ip: str | None = None
    user_agent: str | None = None


def record(
    conn: Connection,
    actor: str,
    action: str,
    *,
    target: str | None = None,
    origin: Origin = Origin(),
    status: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one entry, in the caller's transaction."""
    conn.execute(_INSERT, _entry(actor, action, target, origin, status, data))


def _entry(
    actor: str,
    action: str,
    target: str | None,
    origin: Origin,
    status: int | None,
    data: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "at": clock.now(),
        "actor": actor[:120],
        "action": action[:200],
        "target": target[:200] if target else None,
        "ip": origin.ip,
        "user_agent": (origin.user_agent or "")[:300] or None,
        "status": status,
        "data": data or {},
    }


_INSERT = audit_log.insert()  # built once: every API change writes one


@dataclass
class RequestAudit:
    """The audit entry of one HTTP request that changes something.

    The HTTP layer creates it when the request arrives and names the actor once the request
    is authorised; the first write unit of work that commits during the request writes it,
    in the same transaction as the change, so a change is never without its entry and a
    failed request leaves none.
    """

    method: str
    path: str
    origin: Origin
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    written: bool = False

    def write(self, uow: UnitOfWork) -> bool:
        if self.written or self.actor is None:
            return False
        action = self.action or f"{self.method} {self.path}"
        uow.insert_later(
            audit_log, _entry(self.actor, action, self.target, self.origin, None, self.data)
        )
        self.written = True
        return True

    def undo(self) -> None:
        self.written = False


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None  # a prefix: "POST /api/v1/orders", "login"
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None


def list_audit(uow: UnitOfWork, f: AuditFilter) -> AuditPage:
    """Entries newest first."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(f.limit + 1)
    if f.actor:
        query = query.where(audit_log.c.actor == f.actor)
    if f.action:
        query = query.where(audit_log.c.action.startswith(f.action, autoescape=True))
    if f.since:
        query = query.where(audit_log.c.at >= f.since)
    if f.until:
        query = query.where(audit_log.c.at < f.until)
    if f.cursor:
        before = decode_cursor(f.cursor).get("before")
        if not isinstance(before, int):
            raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
        query = query.where(audit_log.c.id < before)
    with uow:
        rows = [audit_from(r) for r in uow.conn.execute(query).mappings()]
    more = len(rows) > f.limit
    items = rows[: f.limit]
    return AuditPage(items, encode_cursor({"before": items[-1].id}) if more else None)
