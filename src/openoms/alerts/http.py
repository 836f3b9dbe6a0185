"""Alerts API: the staff inbox (open, acknowledged or all, by kind), open counts per kind,
one alert, and acknowledging it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from openoms.alerts import services
from openoms.alerts.model import Alert, AlertKind, AlertState
from openoms.identity.model import Permission as P
from openoms.web.auth import permit
from openoms.web.deps import Caller, ReadUow, WriteUow
from openoms.web.schemas import Page

router = APIRouter(tags=["alerts"])


class AlertOut(BaseModel):
    id: int
    kind: AlertKind
    label: str
    title: str
    text: str
    subject: str = Field(examples=["order:SO-000123", "sku:P-TENT-2P@WH-AMS"])
    link: str | None = Field(description="the console page of what the alert is about")
    location: str | None
    data: dict[str, Any] = Field(description="the event's facts the alert was made from")
    is_open: bool
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, a: Alert) -> AlertOut:
        return cls(
            id=a.id,
            kind=a.kind,
            label=a.label,
            title=a.title,
            text=a.text,
            subject=a.subject,
            link=a.link,
            location=a.location,
            data=a.data,
            is_open=a.is_open,
            created_at=a.created_at,
            acknowledged_at=a.acknowledged_at,
            acknowledged_by=a.acknowledged_by,
        )


class AlertSummaryOut(BaseModel):
    open: int = Field(description="open alerts in all")
    by_kind: dict[AlertKind, int] = Field(description="open alerts of each kind")


@router.get("/alerts", dependencies=[permit(P.ALERTS_VIEW)])
def list_alerts(
    uow: ReadUow,
    caller: Caller,
    state: AlertState = AlertState.OPEN,
    kind: AlertKind | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AlertOut]:
    """The inbox, newest first: open alerts unless ``state`` says otherwise."""
    f = services.AlertFilter(state, kind, caller.scope, cursor, limit)
    found = services.list_alerts(uow, f)
    items = [AlertOut.of(a) for a in found.items]
    return Page[AlertOut](items=items, next_cursor=found.next_cursor)


@router.get("/alerts/summary", dependencies=[permit(P.ALERTS_VIEW)])
def summary(uow: ReadUow, caller: Caller) -> AlertSummaryOut:
    """How many alerts are open, of each kind."""
    counts = services.open_counts(uow, caller.scope)
    return AlertSummaryOut(open=sum(counts.values()), by_kind=counts)


@router.get("/alerts/{alert_id}", dependencies=[permit(P.ALERTS_VIEW)])
def get_alert(alert_id: int, uow: ReadUow, caller: Caller) -> AlertOut:
    return AlertOut.of(services.get_alert(uow, alert_id, caller.scope))


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[permit(P.ALERTS_ACKNOWLEDGE)])
def acknowledge(alert_id: int, uow: WriteUow, caller: Caller) -> AlertOut:
    """Mark the alert as seen to; it leaves the open list. 409 when it was already."""
    found = services.acknowledge(uow, alert_id, actor=caller.actor, scope=caller.scope)
    return AlertOut.of(found)
