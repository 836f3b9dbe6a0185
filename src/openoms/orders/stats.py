"""Figures about orders for the dashboard: counts and revenue by day, status and channel.

Read-model queries on the orders table (indexed on ``placed_at`` and ``status``); revenue is
summed in the merchant's base currency (orders without an FX rate yet are counted, not summed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.orders.model import OrderStatus
from openoms.orders.orm import orders
from openoms.orders.queries import in_scope
from openoms.shared import clock
from openoms.shared.scope import EVERYWHERE, Scope

_o = orders.c
OPEN = [
    OrderStatus.PLACED,
    OrderStatus.ON_HOLD,
    OrderStatus.CONFIRMED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.PARTIALLY_SHIPPED,
]


@dataclass(frozen=True)
class Period:
    orders: int
    revenue: int  # base currency, minor units; cancelled orders excluded


@dataclass
class OrderStats:
    today: Period
    week: Period  # the last 7 days, today included
    by_status: dict[str, int]  # open orders by status
    by_channel: list[tuple[str, int, int]]  # (channel, orders, revenue) over the 7 days
    by_day: list[tuple[date, int, int]]  # (day, orders, revenue) over the last 14 days
    on_hold: int
    backordered: int
    base_currency: str = ""
    holds: list[tuple[str, str | None]] = field(default_factory=list)  # (number, reason)


def dashboard(
    uow: UnitOfWork, *, time_zone: str, base_currency: str, scope: Scope = EVERYWHERE
) -> OrderStats:
    tz = ZoneInfo(time_zone)
    now = clock.now().astimezone(tz)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=13)
    where = [in_scope(scope)] if scope.is_limited else []
    hour = _utc_hour(uow.dialect)
    amount = sa.case(
        (_o.status == OrderStatus.CANCELLED.value, 0),
        else_=sa.func.coalesce(_o.base_total_amount, 0),
    )
    with uow:
        # Counted per UTC hour and channel in SQL, then put on the viewer's local days here:
        # a day's boundaries depend on the time zone, and SQL's date functions differ.
        rows = uow.conn.execute(
            sa.select(hour, _o.channel_code, sa.func.count(), sa.func.sum(amount))
            .where(_o.placed_at >= since, *where)
            .group_by(hour, _o.channel_code)
        ).all()
        open_counts: dict[str, int] = dict(
            uow.conn.execute(
                sa.select(_o.status, sa.func.count())
                .where(_o.status.in_([s.value for s in OPEN]), *where)
                .group_by(_o.status)
            ).all()
        )
        holds = uow.conn.execute(
            sa.select(_o.number, _o.hold_reason)
            .where(_o.status == OrderStatus.ON_HOLD.value, *where)
            .order_by(_o.id.desc())
            .limit(8)
        ).all()
    # Bucketed by the viewer's local day in Python: day boundaries in SQL differ per engine.
    days: dict[date, list[int]] = {(since + timedelta(days=i)).date(): [0, 0] for i in range(14)}
    channels: dict[str, list[int]] = {}
    week_start = today - timedelta(days=6)
    for utc_hour, channel, count, revenue in rows:
        local = _hour_of(utc_hour).astimezone(tz)
        bucket = days.setdefault(local.date(), [0, 0])
        bucket[0] += int(count)
        bucket[1] += int(revenue or 0)
        if local >= week_start:
            per = channels.setdefault(channel, [0, 0])
            per[0] += int(count)
            per[1] += int(revenue or 0)
    today_bucket = days.get(today.date(), [0, 0])
    week = [v for d, v in days.items() if d >= week_start.date()]
    return OrderStats(
        today=Period(today_bucket[0], today_bucket[1]),
        week=Period(sum(v[0] for v in week), sum(v[1] for v in week)),
        by_status={s.value: int(open_counts.get(s.value, 0)) for s in OPEN},
        by_channel=sorted(((c, v[0], v[1]) for c, v in channels.items()), key=lambda x: -x[1]),
        by_day=sorted((d, v[0], v[1]) for d, v in days.items()),
        on_hold=int(open_counts.get(OrderStatus.ON_HOLD.value, 0)),
        backordered=int(open_counts.get(OrderStatus.BACKORDERED.value, 0)),
        base_currency=base_currency,
        holds=[(n, r) for n, r in holds],
    )


def _utc_hour(dialect: str) -> sa.ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", _o.placed_at), "YYYY-MM-DD HH24").label(
            "hour"
        )
    return sa.func.strftime("%Y-%m-%d %H", _o.placed_at).label("hour")


def _hour_of(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)


@dataclass(frozen=True)
class CustomerValue:
    orders: int
    lifetime_value: int  # base currency, minor units; cancelled orders excluded
    first_order_at: datetime | None
    last_order_at: datetime | None


def customer_value(uow: UnitOfWork, customer_id: int) -> CustomerValue:
    """How much a customer has bought, in the base currency."""
    with uow:
        row = uow.conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(
                    sa.func.sum(
                        sa.case(
                            (_o.status == OrderStatus.CANCELLED.value, 0),
                            else_=sa.func.coalesce(_o.base_total_amount, 0),
                        )
                    ),
                    0,
                ),
                sa.func.min(_o.placed_at),
                sa.func.max(_o.placed_at),
            ).where(_o.customer_id == customer_id)
        ).one()
    return CustomerValue(int(row[0]), int(row[1]), row[2], row[3])
