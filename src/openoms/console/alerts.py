"""The alerts inbox in the console: open alerts newest first, filtered by kind, each linking
to what it is about; acknowledging one, or the selected ones. The same services as the
alerts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.alerts import services as alerts
from openoms.alerts.model import KIND_LABELS, Alert, AlertKind, AlertState
from openoms.console.pages import page, problem_text, redirect, render, user_of
from openoms.identity.model import Permission as P
from openoms.shared.errors import OmsError

router = APIRouter(include_in_schema=False)  # pages, not API

INBOX = "/console/alerts"
Back = Annotated[str, Form(max_length=300)]


@router.get("/alerts", dependencies=[page(P.ALERTS_VIEW)])
def inbox(
    request: Request,
    state: Annotated[str, Query(max_length=20)] = "",
    kind: Annotated[str, Query(max_length=30)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """Open alerts unless ``state`` says acknowledged or all; one kind, or every kind."""
    me = user_of(request)
    db = request.app.state.db
    shown_state = next((s for s in AlertState if s.value == state), AlertState.OPEN)
    shown_kind = next((k for k in AlertKind if k.value == kind), None)
    error = ""
    found: list[Alert] = []
    next_cursor = None
    try:
        page_ = alerts.list_alerts(
            db.reader(),
            alerts.AlertFilter(shown_state, shown_kind, me.scope, cursor or None, limit=50),
        )
        found, next_cursor = page_.items, page_.next_cursor
    except OmsError as e:
        error = problem_text(e)
    counts = alerts.open_counts(db.reader(), me.scope)
    return render(
        request,
        "console/alerts/inbox.html",
        {
            "alerts": found,
            "next_cursor": next_cursor,
            "state": shown_state.value,
            "kind": shown_kind.value if shown_kind else "",
            "kinds": [(k.value, KIND_LABELS[k], counts[k]) for k in AlertKind],
            "open_total": sum(counts.values()),
            "can_acknowledge": me.can(P.ALERTS_ACKNOWLEDGE),
            "back": str(request.url.query),
            "error": error,
        },
    )


def _back(back: str) -> str:
    """The inbox as it was shown (its filters), never another site."""
    query = back.lstrip("?")
    return f"{INBOX}?{query}" if query and "//" not in query and "\\" not in query else INBOX


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[page(P.ALERTS_ACKNOWLEDGE)])
def acknowledge(request: Request, alert_id: int, back: Back = "") -> Response:
    me = user_of(request)
    try:
        done = alerts.acknowledge(
            request.app.state.db.uow(), alert_id, actor=me.actor, scope=me.scope
        )
    except OmsError as e:
        return redirect(request, _back(back), f"Not acknowledged: {problem_text(e)}", "error")
    return redirect(request, _back(back), f"Acknowledged: {done.title}.")


@router.post("/alerts/acknowledge", dependencies=[page(P.ALERTS_ACKNOWLEDGE)])
def acknowledge_selected(
    request: Request,
    ids: Annotated[list[int] | None, Form(max_length=200)] = None,
    back: Back = "",
) -> Response:
    """Acknowledge every alert ticked in the inbox (those done meanwhile are skipped)."""
    if not ids:
        return redirect(request, _back(back), "Select the alerts to acknowledge first.", "error")
    me = user_of(request)
    done = alerts.acknowledge_many(request.app.state.db.uow(), ids, actor=me.actor, scope=me.scope)
    skipped = len(set(ids)) - len(done)
    said = f"Acknowledged {len(done)} alert{'s' if len(done) != 1 else ''}."
    if skipped:
        said += f" {skipped} had been acknowledged already."
    return redirect(request, _back(back), said, "success" if done else "info")
