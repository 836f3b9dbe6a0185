"""Returns in the console, phone first: the queue (by status, location, RMA or order number)
and a return's page with the one next step its state allows — approve or reject, receive at
a location that takes returns, inspect (restock or write off), then refund, pay out as store
credit, exchange or close.

Each step calls the returns service the API calls. A refused step changes nothing: the page
comes back with what was typed and why, next to the field that caused it. Returns of orders
outside the user's scope do not exist for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from openoms.console.pages import page, redirect, render, user_of
from openoms.identity.model import Permission as P
from openoms.infra.db import Database
from openoms.locations import services as locations
from openoms.locations.model import LocationKind
from openoms.orders import queries as orders
from openoms.returns import queries
from openoms.returns import services as svc
from openoms.returns.model import OPEN, ReturnNotFound, ReturnStatus
from openoms.shared import clock
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.money import Money
from openoms.web.deps import works_at
from openoms.web.problems import STATUS_BY_KIND

router = APIRouter(include_in_schema=False)  # pages, not API

HOME = "/console/returns"
S = ReturnStatus
TABS: dict[str, tuple[str, tuple[ReturnStatus, ...]]] = {
    "open": ("Open", tuple(s for s in ReturnStatus if s in OPEN)),
    "requested": ("To approve", (S.REQUESTED,)),
    "to_receive": ("To receive", (S.APPROVED, S.IN_TRANSIT)),
    "received": ("To inspect", (S.RECEIVED,)),
    "inspected": ("To resolve", (S.INSPECTED,)),
    "done": ("Done", (S.REFUNDED, S.EXCHANGED, S.REJECTED, S.CLOSED)),
    "all": ("All", ()),
}
PAGE_SIZE = 50


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def return_locations(request: Request) -> list[tuple[str, str]]:
    """(code, name) of the active locations that take returns, where the user works."""
    me = user_of(request)
    found = [loc.spec for loc in locations.list_locations(_db(request).reader(), is_active=True)]
    return [
        (loc.code, loc.name)
        for loc in sorted(found, key=lambda x: (x.kind is not LocationKind.STORE, x.code))
        if loc.accepts_returns and me.scope.sees_location(loc.code)
    ]


def age(then: datetime) -> str:
    """How long ago, in the largest whole unit: "12 min", "5 h", "3 d"."""
    minutes = max(int((clock.now() - clock.as_utc(then)).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


# --- the queue --------------------------------------------------------------------------------


@router.get("/returns", dependencies=[page(P.RETURNS_VIEW)])
def queue(
    request: Request,
    tab: Annotated[str, Query(max_length=20)] = "open",
    location: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=30)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Open returns newest first (or one tab's statuses); ``q``: an RMA or order number, in
    every status."""
    me = user_of(request)
    mine = return_locations(request)
    where = location if location in {code for code, _ in mine} else None
    chosen = tab if tab in TABS and not q.strip() else ("all" if q.strip() else "open")
    f = queries.QueueFilter(TABS[chosen][1], where, q.strip() or None, me.scope)
    found, following = queries.queue(_db(request).reader(), f, limit=PAGE_SIZE, before=before)
    per_status = queries.counts(_db(request).reader(), f)
    return render(
        request,
        "console/returns/queue.html",
        {
            "returns": found,
            "next_before": following,
            "tabs": [
                (key, label, sum(per_status.get(s, 0) for s in (statuses or ReturnStatus)))
                for key, (label, statuses) in TABS.items()
            ],
            "tab": chosen,
            "locations": mine,
            "location": where or "",
            "q": q.strip(),
            "age": age,
        },
    )


# --- one return -------------------------------------------------------------------------------


@dataclass
class Failed:
    """A refused form: which one, what was typed, and what is wrong (field -> message; ""
    for what names no field of the form)."""

    form: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    summary: str = ""  # every complaint in one sentence, lines named by their SKU


def load_visible(request: Request, number: str) -> svc.Return:
    """The return, when the user sees its order or works where it is brought (as in the
    queue). Raises: ReturnNotFound."""
    db = _db(request)
    if not queries.is_visible(db.reader(), number, user_of(request).scope):
        raise ReturnNotFound(f"No return {number}.", number=number)
    return svc.get_return(db.reader(), number)


@router.get("/returns/{number}", dependencies=[page(P.RETURNS_VIEW)])
def return_page(request: Request, number: str) -> Response:
    return _page(request, load_visible(request, number), Failed())


def _page(request: Request, ret: svc.Return, failed: Failed, status: int = 200) -> Response:
    db = _db(request)
    order = orders.get_order(db.reader(), ret.order_number)
    scope = user_of(request).scope
    ctx: dict[str, Any] = {
        "ret": ret,
        "order": order,
        "failed": failed,
        "tab": "",
        # a store's users work returns brought to them of orders they may not browse
        "order_visible": not scope.is_limited
        or orders.is_visible(db.reader(), ret.order_number, scope),
    }
    if ret.status in (S.APPROVED, S.IN_TRANSIT):
        ctx["receive_at"] = return_locations(request)
    if ret.status is S.INSPECTED:
        ctx["quote"] = svc.quote(db.reader(), ret.number)
        ctx["refundable"] = svc.refundable_now(db.reader(), ret.number)
        ctx["replacement"] = [
            (ln.exchange_sku or ln.sku, ln.exchange_quantity or ln.quantity_received)
            for ln in ret.lines
            if ln.quantity_received > 0
        ]
    if ret.tracking_number and ret.status not in (S.REQUESTED, S.REJECTED):
        ctx["label_url"] = f"/api/v1/returns/{ret.number}/label.pdf"
    ctx["major"] = lambda amount: Money(amount, ret.currency).amount_str()
    return render(request, "console/returns/detail.html", ctx, status=status)


Step = Callable[[FormData, svc.Return], str | tuple[str, str]]
Fields = Callable[[svc.Return], set[str]]  # the form's fields, for the return shown


async def _step(request: Request, number: str, form_id: str, known: Fields, do: Step) -> Response:
    """Run one step of the return with the posted form: back to the return with what
    happened, or the page again with the form as it was typed and what is wrong with it."""
    form = await request.form()
    return await run_in_threadpool(_run_step, request, number, form, form_id, known, do)


def _run_step(
    request: Request, number: str, form: FormData, form_id: str, known: Fields, do: Step
) -> Response:
    ret = load_visible(request, number)
    try:
        said = do(form, ret)
    except OmsError as e:
        values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        fresh = svc.get_return(_db(request).reader(), number)
        failed = Failed(form_id, values, _errors(e, known(fresh)), _summary(e, fresh))
        return _page(request, fresh, failed, STATUS_BY_KIND.get(e.kind, 409))
    kind, message = ("success", said) if isinstance(said, str) else said
    return redirect(request, f"{HOME}/{number}", message, kind)


def _errors(e: OmsError, known: set[str]) -> dict[str, str]:
    if not isinstance(e, ValidationFailed) or not e.errors:
        return {"": e.detail}
    out: dict[str, str] = {}
    for err in e.errors:
        key = err.field if err.field in known else ""
        message = err.message if key else f"{err.field}: {err.message}"
        out[key] = f"{out[key]}; {message}" if key in out else message
    return out


def _summary(e: OmsError, ret: svc.Return) -> str:
    if not isinstance(e, ValidationFailed) or not e.errors:
        return e.detail
    skus = {f"lines.{ln.order_line_no}": ln.sku for ln in ret.lines}
    said = []
    for err in e.errors:
        head = ".".join(err.field.split(".")[:2])
        name = skus.get(head) or err.field.replace("_", " ")
        said.append(f"{name}: {err.message}" if name else err.message)
    return "; ".join(said)


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _whole(form: FormData, name: str, errors: list[FieldError], key: str) -> int:
    text = _text(form, name, 12)
    try:
        return int(text or "0")
    except ValueError:
        errors.append(FieldError(key, f"'{text}' is not a whole number"))
        return 0


def _amount(form: FormData, ret: svc.Return) -> int | None:
    """The amount field in major units ("25.00"); blank: what the policy gives back."""
    text = _text(form, "amount", 30)
    return Money.parse(text, ret.currency, field="amount").amount_minor if text else None


def _actor(request: Request) -> str:
    return user_of(request).actor


# --- requested, approved, in transit ----------------------------------------------------------


@router.post("/returns/{number}/approve", dependencies=[page(P.RETURNS_MANAGE)])
async def approve(request: Request, number: str) -> Response:
    def do(form: FormData, _ret: svc.Return) -> str:
        done = svc.approve(
            _db(request).uow(), number, actor=_actor(request), note=_text(form, "note")
        )
        if done.tracking_number:
            return f"{number} approved: return label {done.tracking_number} made."
        return f"{number} approved: to be brought to {done.drop_off_location or 'a store'}."

    return await _step(request, number, "approve", lambda _: {"note"}, do)


@router.post("/returns/{number}/reject", dependencies=[page(P.RETURNS_MANAGE)])
async def reject(request: Request, number: str) -> Response:
    def do(form: FormData, _ret: svc.Return) -> str:
        svc.reject(_db(request).uow(), number, actor=_actor(request), reason=_text(form, "reason"))
        return f"{number} rejected."

    return await _step(request, number, "reject", lambda _: {"reason"}, do)


@router.post("/returns/{number}/close", dependencies=[page(P.RETURNS_MANAGE)])
async def close(request: Request, number: str) -> Response:
    def do(form: FormData, _ret: svc.Return) -> str:
        svc.close(_db(request).uow(), number, actor=_actor(request), reason=_text(form, "reason"))
        return f"{number} closed."

    return await _step(request, number, "close", lambda _: {"reason"}, do)


@router.post("/returns/{number}/in-transit", dependencies=[page(P.RETURNS_RECEIVE)])
async def in_transit(request: Request, number: str) -> Response:
    def do(_form: FormData, _ret: svc.Return) -> str:
        svc.mark_in_transit(_db(request).uow(), number, actor=_actor(request))
        return f"{number} is on its way back."

    return await _step(request, number, "in-transit", lambda _: set(), do)


@router.post("/returns/{number}/receive", dependencies=[page(P.RETURNS_RECEIVE)])
async def receive(request: Request, number: str) -> Response:
    """What arrived, per line, at a location of the user's that takes returns."""

    def do(form: FormData, ret: svc.Return) -> str:
        where = _text(form, "location", 64)
        errors: list[FieldError] = []
        if where not in {code for code, _ in return_locations(request)}:
            errors.append(FieldError("location", "choose a location of yours that takes returns"))
        got = {
            ln.order_line_no: _whole(
                form, f"qty-{ln.order_line_no}", errors, f"lines.{ln.order_line_no}"
            )
            for ln in ret.lines
        }
        if errors:
            raise ValidationFailed(errors)
        done = svc.receive(_db(request).uow(), number, where, got, actor=_actor(request))
        units = sum(ln.quantity_received for ln in done.lines)
        return f"{number}: {units} unit(s) received at {where}; inspect them next."

    return await _step(request, number, "receive", lambda r: {"location", *_line_keys(r)}, do)


def _line_keys(ret: svc.Return, *suffixes: str) -> set[str]:
    """The error keys of the return's lines (``lines.2``, ``lines.2.write_off_reason``)."""
    base = {f"lines.{ln.order_line_no}" for ln in ret.lines}
    return {"lines", *base, *(f"{k}.{s}" for k in base for s in suffixes)}


# --- received: inspection ---------------------------------------------------------------------


@router.post("/returns/{number}/inspect", dependencies=[page(P.RETURNS_RECEIVE)])
async def inspect(request: Request, number: str) -> Response:
    """Per line: units restocked where they were received, units written off and why."""

    def do(form: FormData, ret: svc.Return) -> str:
        if ret.received_at_location:
            works_at(user_of(request), ret.received_at_location)
        errors: list[FieldError] = []
        verdicts = []
        for ln in ret.lines:
            if ln.quantity_received == 0:
                continue
            no = ln.order_line_no
            key = f"lines.{no}"
            verdicts.append(
                svc.Inspection(
                    no,
                    _whole(form, f"restock-{no}", errors, key),
                    _whole(form, f"write_off-{no}", errors, key),
                    _text(form, f"write_off_reason-{no}", 500),
                    _text(form, f"bin-{no}", 32) or None,
                )
            )
        if errors:
            raise ValidationFailed(errors)
        done = svc.inspect(_db(request).uow(), number, verdicts, actor=_actor(request))
        restocked = sum(ln.quantity_restocked for ln in done.lines)
        written = sum(ln.quantity_written_off for ln in done.lines)
        return f"{number} inspected: {restocked} restocked, {written} written off."

    return await _step(request, number, "inspect", lambda r: _line_keys(r, "write_off_reason"), do)


# --- inspected: the resolution ----------------------------------------------------------------


@router.post("/returns/{number}/refund", dependencies=[page(P.RETURNS_REFUND)])
async def refund(request: Request, number: str) -> Response:
    """To the order's payments: the quote's total, or less (a partial refund)."""

    def do(form: FormData, ret: svc.Return) -> str | tuple[str, str]:
        done = svc.refund(
            _db(request),
            request.app.state.gateways,
            number,
            _amount(form, ret),
            actor=_actor(request),
            note=_text(form, "note"),
        )
        given = done.ret.money(done.ret.refund_amount).format()
        if done.problems:
            return "info", f"{number}: refund of {given} started; " + "; ".join(done.problems)
        return f"{number} refunded: {given} to the original payment."

    return await _step(request, number, "refund", lambda _: {"amount", "note"}, do)


@router.post("/returns/{number}/store-credit", dependencies=[page(P.RETURNS_REFUND)])
async def store_credit(request: Request, number: str) -> Response:
    def do(form: FormData, ret: svc.Return) -> str:
        done = svc.store_credit(
            _db(request),
            request.app.state.gateways,
            number,
            _amount(form, ret),
            actor=_actor(request),
        )
        given = done.money(done.refund_amount).format()
        return f"{number}: store credit of {given} on gift card {done.store_credit_code}."

    return await _step(request, number, "store-credit", lambda _: {"amount"}, do)


@router.post("/returns/{number}/exchange", dependencies=[page(P.RETURNS_MANAGE)])
async def exchange(request: Request, number: str) -> Response:
    def do(_form: FormData, _ret: svc.Return) -> str | tuple[str, str]:
        done = svc.exchange(_db(request), request.app.state.gateways, number, actor=_actor(request))
        text = f"{number} exchanged: replacement order {done.order.number} placed"
        if done.charged:
            text += f"; {done.ret.money(done.charged).format()} to pay for the difference"
        if done.refunded:
            text += f"; {done.ret.money(done.refunded).format()} refunded"
        if done.problems:
            return "info", text + ". " + "; ".join(done.problems)
        return text + "."

    return await _step(request, number, "exchange", lambda _: set(), do)
