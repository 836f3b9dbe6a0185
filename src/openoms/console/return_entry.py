"""Starting a return from the order page (at the counter, on the phone): the units that can
still come back with a reason each, how they come back (brought to a store, or sent with a
return label) and what the customer would like instead. Opened by staff, the return is
approved at once; it goes on at its own page.
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData

from openoms.console.orders import check_in_scope
from openoms.console.pages import page, redirect, render, user_of
from openoms.console.returns import return_locations
from openoms.identity.model import Permission as P
from openoms.infra.secrets import secret_key
from openoms.orders.model import OrderNotFound
from openoms.orders.queries import get_order
from openoms.returns import services as svc
from openoms.returns.model import ReturnMethod
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.web.problems import STATUS_BY_KIND

router = APIRouter(include_in_schema=False)  # pages, not API

# The service names a request's lines by their place in it: ``lines[0].reason``.
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
FORM_FIELD = {"quantity": "qty", "line_no": "qty", "reason": "reason", "comment": "comment"}
FORM_FIELD |= {"exchange_sku": "exchange_sku", "exchange_quantity": "exchange_sku"}
TOP_FIELDS = {"lines", "method", "drop_off_location", "preferred_resolution", "note"}


# --- an order brought to the counter ----------------------------------------------------------
# A store's staff see the orders their store ships or hands over, not every web order. When a
# customer brings an online order to the counter, the order number and the customer's email
# together open its return form for this user for half an hour: no browsing of other orders.

COUNTER_SALT = "counter-return"
COUNTER_MINUTES = 30


def _counter(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(request.app.state.settings), salt=COUNTER_SALT)


def counter_pass(request: Request, number: str) -> str:
    """A token that lets this user open a return of ``number`` although it is not theirs."""
    return str(_counter(request).dumps({"o": number, "u": user_of(request).id}))


def check_may_return(request: Request, number: str, token: str) -> None:
    """The order is the user's, or they were given its counter pass. Raises: OrderNotFound."""
    if token:
        try:
            data = _counter(request).loads(token, max_age=COUNTER_MINUTES * 60)
        except BadSignature:
            data = None
        if (
            isinstance(data, dict)
            and data.get("o") == number
            and data.get("u") == user_of(request).id
        ):
            return
    check_in_scope(request, number)


@router.get("/returns/counter", dependencies=[page(P.RETURNS_MANAGE)])
def counter_form(request: Request) -> Response:
    """Find the order a customer brought back: its number and the customer's email."""
    return render(request, "console/returns/counter.html", {"values": {}, "error": "", "tab": ""})


@router.post("/returns/counter", dependencies=[page(P.RETURNS_MANAGE)])
async def counter_find(request: Request) -> Response:
    form = await request.form()
    number = str(form.get("order", "") or "").strip().upper()[:20]
    email = str(form.get("email", "") or "").strip().casefold()[:254]
    found = None
    if number and email:
        try:
            found = await run_in_threadpool(get_order, request.app.state.db.reader(), number)
        except OrderNotFound:
            found = None
    if found is None or not hmac.compare_digest(found.email.casefold().encode(), email.encode()):
        return render(
            request,
            "console/returns/counter.html",
            {
                "values": {"order": number, "email": email},
                "error": "No order with that number and email. Check both with the customer "
                "(the number is in their confirmation mail).",
                "tab": "",
            },
            status=404,
        )
    token = counter_pass(request, found.number)
    return redirect(request, f"/console/orders/{found.number}/returns/new?k={token}")


@router.get("/orders/{number}/returns/new", dependencies=[page(P.RETURNS_MANAGE)])
def new_return(
    request: Request, number: str, k: Annotated[str, Query(max_length=300)] = ""
) -> Response:
    check_may_return(request, number, k)
    can = svc.returnable(request.app.state.db.reader(), number)
    mine = return_locations(request)
    drop_off = mine[0][0] if mine else next(iter(can.drop_off_locations), ("", ""))[0]
    values = {
        "method": ReturnMethod.IN_STORE.value,  # at the counter, the usual case
        "drop_off_location": drop_off,
        "preferred_resolution": "refund",
        "k": k,  # the counter pass, kept through the form
    }
    return _form(request, can, values, {})


@router.post("/orders/{number}/returns/new", dependencies=[page(P.RETURNS_MANAGE)])
async def open_return(request: Request, number: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_open, request, number, form)


def _open(request: Request, number: str, form: FormData) -> Response:
    check_may_return(request, number, str(form.get("k", "") or "")[:300])
    db = request.app.state.db
    can = svc.returnable(db.reader(), number)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    errors: list[FieldError] = []
    req, line_nos = _request(values, can, errors)
    try:
        if errors:
            raise ValidationFailed(errors)
        ret = svc.open_return(
            db.uow(), number, req, actor=user_of(request).actor, by_customer=False
        )
    except OmsError as e:
        status = STATUS_BY_KIND.get(e.kind, 409)
        return _form(request, can, values, _errors(e, line_nos), status=status)
    how = (
        f"bring it to {ret.drop_off_location}"
        if ret.method is ReturnMethod.IN_STORE
        else f"return label {ret.tracking_number}"
    )
    return redirect(
        request,
        f"/console/returns/{ret.number}",
        f"Return {ret.number} opened and approved for {ret.units} unit(s): {how}.",
    )


def _request(
    values: dict[str, str], can: svc.ReturnableOrder, errors: list[FieldError]
) -> tuple[svc.ReturnRequest, list[int]]:
    """The request the form describes; the order lines in the request's order."""
    lines: list[svc.LineRequest] = []
    for ln in can.lines:
        no = ln.line_no
        text = values.get(f"qty-{no}", "") or "0"
        if not text.isdigit():
            errors.append(FieldError(f"qty-{no}", f"'{text}' is not a whole number"))
            continue
        if int(text) == 0:
            continue
        reason = values.get(f"reason-{no}", "")
        if not reason:
            errors.append(FieldError(f"reason-{no}", "choose why it comes back"))
        lines.append(
            svc.LineRequest(
                no,
                int(text),
                reason,
                values.get(f"comment-{no}", "")[:2000],
                values.get(f"exchange_sku-{no}", "")[:64] or None,
            )
        )
    if not lines and not errors:
        errors.append(FieldError("lines", "return at least one unit"))
    method = values.get("method", "")
    in_store = method == ReturnMethod.IN_STORE.value
    req = svc.ReturnRequest(
        lines,
        method,
        values.get("preferred_resolution", ""),
        (values.get("drop_off_location") or None) if in_store else None,
        values.get("note", "")[:2000],
    )
    return req, [ln.line_no for ln in lines]


def _errors(e: OmsError, line_nos: list[int]) -> dict[str, str]:
    """The service's complaints under the form's field names; "" for the rest."""
    if not isinstance(e, ValidationFailed) or not e.errors:
        return {"": e.detail}
    out: dict[str, str] = {}
    for err in e.errors:
        key, message = "", f"{err.field}: {err.message}"
        found = LINE_FIELD.match(err.field)
        if found and int(found.group(1)) < len(line_nos) and found.group(2) in FORM_FIELD:
            key = f"{FORM_FIELD[found.group(2)]}-{line_nos[int(found.group(1))]}"
        elif err.field in TOP_FIELDS or "-" in err.field:
            key = err.field
        if key:
            message = err.message
        out[key] = f"{out[key]}; {message}" if key in out else message
    return out


def _form(
    request: Request,
    can: svc.ReturnableOrder,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    ctx: dict[str, Any] = {
        "can": can,
        "order": can.order,
        "lines": [ln for ln in can.lines if ln.returnable > 0],
        "values": values,
        "errors": errors,
        "tab": "",
    }
    return render(request, "console/returns/new.html", ctx, status=status)
