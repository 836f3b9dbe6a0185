"""The dashboard: today's and this week's orders and revenue, open orders by status and
channel, orders on hold, low stock."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openoms.console.charts import bar_chart, column_chart
from openoms.console.pages import page, render, user_of
from openoms.identity.model import Permission as P
from openoms.inventory import queries as stock
from openoms.orders import stats

router = APIRouter(include_in_schema=False)  # pages, not API


@router.get("", dependencies=[page(P.ORDERS_VIEW)])
def dashboard(request: Request) -> Response:
    me = user_of(request)
    db = request.app.state.db
    settings = request.app.state.settings
    figures = stats.dashboard(
        db.reader(), time_zone=me.time_zone, base_currency=settings.base_currency, scope=me.scope
    )
    low: list[stock.LevelRow] = []
    if me.can(P.INVENTORY_VIEW):
        low, _ = stock.list_levels(db.reader(), low_only=True, limit=8, within=me.scope.locations)
    by_day = column_chart(
        [d.strftime("%d %b") for d, _, _ in figures.by_day],
        [n for _, n, _ in figures.by_day],
        title="Orders per day, last 14 days",
    )
    by_status = bar_chart(
        [s.replace("_", " ") for s in figures.by_status],
        list(figures.by_status.values()),
        title="Open orders by status",
    )
    by_channel = bar_chart(
        [c for c, _, _ in figures.by_channel] or ["none"],
        [n for _, n, _ in figures.by_channel] or [0],
        title="Orders by channel, last 7 days",
    )
    return render(
        request,
        "console/dashboard.html",
        {
            "figures": figures,
            "low": low,
            "charts": {"by_day": by_day, "by_status": by_status, "by_channel": by_channel},
        },
    )
