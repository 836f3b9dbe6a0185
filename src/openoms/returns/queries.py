"""Reading returns for the staff console's queue: plain rows in a few statements (the
return, its order's customer, units and reasons), counts per status, and how many wait for
someone (requested: approve or reject; received: inspect).

The API's list loads each return whole (lines and timeline); a queue of hundreds does not
need that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.orders.orm import orders
from openoms.orders.queries import in_scope
from openoms.returns.model import ReturnReason, ReturnStatus
from openoms.returns.orm import return_lines, returns
from openoms.shared.scope import EVERYWHERE, Scope

_r = returns.c
_l = return_lines.c
# Waiting for a person: approve or reject; inspect what arrived.
WAITING = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)


@dataclass(frozen=True)
class QueueFilter:
    status: tuple[ReturnStatus, ...] = ()  # none: every status
    location: str | None = None  # received at, or to be dropped off at
    text: str | None = None  # an RMA or an order number
    scope: Scope = EVERYWHERE


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    order_number: str
    email: str
    status: ReturnStatus
    method: str
    location: str | None  # where it was received, else where it is to be brought
    units: int
    reasons: tuple[ReturnReason, ...]
    created_at: datetime


def _where(f: QueueFilter, *, with_status: bool = True) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if with_status and f.status:
        out.append(_r.status.in_([s.value for s in f.status]))
    if f.location:
        out.append(
            sa.or_(_r.received_at_location == f.location, _r.drop_off_location == f.location)
        )
    if f.text:
        wanted = f.text.strip().upper()
        out.append(sa.or_(_r.number == wanted, _r.order_number == wanted))
    if f.scope.is_limited:
        out.append(visible_to(f.scope))
    return out


def visible_to(scope: Scope) -> sa.ColumnElement[bool]:
    """The returns a caller limited to some places sees: those of the orders it sees, and
    those brought to (or received at) its locations."""
    either = [_r.order_id.in_(sa.select(orders.c.id).where(in_scope(scope)))]
    if scope.locations is not None:  # a store sees what is brought to it
        here = sorted(scope.locations)
        either += [_r.received_at_location.in_(here), _r.drop_off_location.in_(here)]
    return sa.or_(*either)


def is_visible(uow: UnitOfWork, number: str, scope: Scope) -> bool:
    """Whether the return exists and the caller sees it (see ``visible_to``)."""
    if not scope.is_limited:
        return True
    with uow:
        found = uow.conn.execute(
            sa.select(_r.id).where(_r.number == number, visible_to(scope))
        ).first()
    return found is not None


def queue(
    uow: UnitOfWork, f: QueueFilter, *, limit: int = 50, before: int | None = None
) -> tuple[list[QueueRow], int | None]:
    """Newest first, ``limit`` at a time; the id to pass as ``before`` for the next page."""
    units = (
        sa.select(_l.return_id, sa.func.sum(_l.quantity).label("units"))
        .group_by(_l.return_id)
        .subquery()
    )
    query = (
        sa.select(
            _r.id,
            _r.number,
            _r.order_number,
            orders.c.email,
            _r.status,
            _r.method,
            sa.func.coalesce(_r.received_at_location, _r.drop_off_location).label("location"),
            sa.func.coalesce(units.c.units, 0).label("units"),
            _r.created_at,
        )
        .join(orders, orders.c.id == _r.order_id)
        .outerjoin(units, units.c.return_id == _r.id)
        .where(*_where(f))
        .order_by(_r.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(_r.id < before)
    with uow:
        rows = uow.conn.execute(query).all()[: limit + 1]
        page = rows[:limit]
        reasons = _reasons(uow, [r.id for r in page])
    found = [
        QueueRow(
            r.id,
            r.number,
            r.order_number,
            r.email,
            ReturnStatus(r.status),
            r.method,
            r.location,
            int(r.units),
            reasons.get(r.id, ()),
            r.created_at,
        )
        for r in page
    ]
    return found, (page[-1].id if len(rows) > limit else None)


def _reasons(uow: UnitOfWork, ids: list[int]) -> dict[int, tuple[ReturnReason, ...]]:
    if not ids:
        return {}
    out: dict[int, list[ReturnReason]] = {}
    for return_id, reason in uow.conn.execute(
        sa.select(_l.return_id, _l.reason)
        .where(_l.return_id.in_(ids))
        .order_by(_l.return_id, _l.order_line_no)
    ):
        seen = out.setdefault(return_id, [])
        if ReturnReason(reason) not in seen:
            seen.append(ReturnReason(reason))
    return {k: tuple(v) for k, v in out.items()}


def counts(uow: UnitOfWork, f: QueueFilter) -> dict[ReturnStatus, int]:
    """Returns per status under the filter's location, text and scope (not its status)."""
    query = (
        sa.select(_r.status, sa.func.count())
        .where(*_where(f, with_status=False))
        .group_by(_r.status)
    )
    with uow:
        return {ReturnStatus(s): int(n) for s, n in uow.conn.execute(query)}


def waiting_count(uow: UnitOfWork, scope: Scope = EVERYWHERE) -> int:
    """Returns waiting for someone: requested (approve or reject) or received (inspect)."""
    where = _where(QueueFilter(status=WAITING, scope=scope))
    with uow:
        found = uow.conn.execute(sa.select(sa.func.count()).select_from(returns).where(*where))
        return int(found.scalar_one())
