"""The customer's returns, by signed link and without an account: each return in plain
words on the tracking page, the phone-first form that starts one
(``GET/POST /returns/new/{token}``), and the return label to print
(``GET /returns/label/{token}``). The returns services decide what may come back; these
pages only ask and explain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from openoms.infra.db import Database
from openoms.locations import services as locations
from openoms.locations.model import LocationNotFound
from openoms.orders.model import Order, OrderNotFound, OrderStatus
from openoms.returns import services as returns
from openoms.returns.model import (
    NotReturnable,
    Payer,
    Resolution,
    ReturnMethod,
    ReturnNotAccepted,
    ReturnNotFound,
    ReturnStatus,
)
from openoms.returns.services import Return, ReturnableLine, ReturnableOrder
from openoms.selfservice.links import CustomerLinks, LinkInvalid
from openoms.selfservice.pages import PRIVATE, links, not_found, page, path_of
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from openoms.web.auth import public

router = APIRouter(include_in_schema=False)  # pages, not API

S = ReturnStatus
WANTED = {
    Resolution.REFUND: "Refund to your original payment",
    Resolution.STORE_CREDIT: "Store credit",
    Resolution.EXCHANGE: "Exchange for the same item",
}
NEXT_STEP = {
    Resolution.REFUND: "we refund the money to your original payment",
    Resolution.STORE_CREDIT: "we email you a store credit code",
    Resolution.EXCHANGE: "we send you the same item again",
}


# ---------------------------------------------------------------- on the tracking page


@dataclass(frozen=True)
class ReturnShown:
    number: str
    created_at: datetime
    status: str  # in plain words
    text: str  # what it means, or what to do now
    items: list[tuple[int, str]]  # (units, name)
    wanted: str
    label_path: str = ""
    tracking_number: str = ""
    replacement_path: str = ""


@dataclass(frozen=True)
class ReturnsPanel:
    return_path: str  # "" when nothing can be returned now
    deadline: date | None
    why_not: str  # when nothing can be returned: why, in a sentence ("" to say nothing)
    returns: list[ReturnShown] = field(default_factory=list)


def returns_panel(db: Database, order: Order, signed: CustomerLinks) -> ReturnsPanel:
    """What the tracking page says about returning the order, and its returns so far."""
    can = returns.returnable(db.reader(), order.number)
    with db.reader() as uow:
        found = returns.returns_of_order(uow, order.id)
    shown = [_shown(db, ret, signed) for ret in found]
    if can.any_returnable:
        return ReturnsPanel(path_of(signed.return_url(order.number)), can.deadline, "", shown)
    return ReturnsPanel("", can.deadline, _why_not(can), shown)


def _why_not(can: ReturnableOrder) -> str:
    if can.order.status is OrderStatus.CANCELLED:
        return ""
    if can.delivered_at is None or can.deadline is None:
        return (
            f"Once your order is delivered you can return items here within "
            f"{can.policy.window_days} days."
        )
    if not can.open:
        return f"The return window closed on {can.deadline.strftime('%d %B %Y')}."
    return "Everything delivered is in a return already."


def _shown(db: Database, ret: Return, signed: CustomerLinks) -> ReturnShown:
    status, text = _in_words(db, ret)
    sent_back = ret.method is ReturnMethod.SHIP_BACK and ret.status in (S.APPROVED, S.IN_TRANSIT)
    label = sent_back and ret.status is S.APPROVED and ret.tracking_number
    replaced = ret.status is S.EXCHANGED and ret.exchange_order_number
    return ReturnShown(
        ret.number,
        ret.created_at,
        status,
        text,
        [(ln.quantity, ln.name) for ln in ret.lines],
        WANTED[ret.preferred_resolution],
        label_path=path_of(signed.return_label_url(ret.number)) if label else "",
        tracking_number=(ret.tracking_number or "") if sent_back else "",
        replacement_path=(
            path_of(signed.tracking_url(ret.exchange_order_number or "")) if replaced else ""
        ),
    )


def _in_words(db: Database, ret: Return) -> tuple[str, str]:
    """The status a customer understands, and what it means for them."""
    amount = Money(ret.refund_amount, ret.currency).format()
    if ret.status is S.APPROVED and ret.method is ReturnMethod.IN_STORE:
        store = _store(db, ret.drop_off_location or "")
        return "Approved", f"Bring the items to {store} and show your return number {ret.number}."
    if ret.status is S.REFUNDED and ret.resolution is Resolution.STORE_CREDIT:
        return "Store credit issued", f"{amount} as store credit; the code is in our email."
    if ret.status is S.EXCHANGED:
        return "Exchanged", f"Replacement order {ret.exchange_order_number} is on its way."
    return {
        S.REQUESTED: (
            "Requested",
            "We are checking your request and email you when it is approved.",
        ),
        S.APPROVED: (
            "Approved",
            "Print the return label, stick it on the parcel and hand it "
            "to the carrier named on it.",
        ),
        S.REJECTED: ("Not accepted", ret.decision_note),
        S.IN_TRANSIT: ("On its way back", "We let you know when it has arrived."),
        S.RECEIVED: ("Received", "We are checking the items."),
        S.INSPECTED: ("Checked", "The items are checked; we are completing your return."),
        S.REFUNDED: ("Refunded", f"{amount} to your original payment."),
        S.CLOSED: ("Closed", "Nothing more to do for this return."),
    }.get(ret.status, (ret.status.value, ""))


def _store(db: Database, code: str) -> str:
    try:
        found = locations.get_location(db.reader(), code)
    except LocationNotFound:
        return code
    where = ", ".join(p for p in (found.spec.address.line1, found.spec.address.city) if p)
    return f"{found.spec.name} ({where})" if where else found.spec.name


# ---------------------------------------------------------------- starting a return


@dataclass
class ReturnForm:
    """What the customer chose, shown again with the message when it cannot be done."""

    quantities: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    method: str = ReturnMethod.SHIP_BACK.value
    store: str = ""
    resolution: str = Resolution.REFUND.value
    note: str = ""

    @classmethod
    def of(cls, form: FormData, can: ReturnableOrder) -> ReturnForm:
        def text(key: str, default: str = "") -> str:
            return str(form.get(key, default) or default).strip()

        numbers = [ln.line_no for ln in can.lines]
        return cls(
            {n: text(f"qty-{n}", "0") for n in numbers},
            {n: text(f"reason-{n}") for n in numbers},
            {n: text(f"comment-{n}") for n in numbers},
            text("method", ReturnMethod.SHIP_BACK.value),
            text("store"),
            text("resolution", Resolution.REFUND.value),
            text("note"),
        )

    def request(self, can: ReturnableOrder) -> tuple[returns.ReturnRequest, list[ReturnableLine]]:
        """The request, and the order lines it names in its order.

        Raises: ValidationFailed (a quantity that is not a number)."""
        wanted: list[returns.LineRequest] = []
        chosen: list[ReturnableLine] = []
        for ln in can.lines:
            given = self.quantities.get(ln.line_no, "0") or "0"
            if not given.isdigit():
                raise ValidationFailed.single(f"qty-{ln.line_no}", f"{ln.name}: choose how many.")
            if int(given) > 0:
                reason, comment = self.reasons.get(ln.line_no, ""), self.comments[ln.line_no]
                wanted.append(returns.LineRequest(ln.line_no, int(given), reason, comment))
                chosen.append(ln)
        in_store = self.method == ReturnMethod.IN_STORE.value
        req = returns.ReturnRequest(
            wanted,
            method=self.method,
            preferred_resolution=self.resolution,
            drop_off_location=(self.store or None) if in_store else None,
            note=self.note,
        )
        return req, chosen


def _messages(e: ValidationFailed, chosen: list[ReturnableLine]) -> list[str]:
    """The service's field errors in the words of the form."""
    out = []
    for fe in e.field_errors():
        line = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", fe.field)
        name = chosen[int(line[1])].name if line and int(line[1]) < len(chosen) else ""
        if fe.field == "lines":
            out.append("Choose at least one item to return.")
        elif line and line[2] == "reason":
            out.append(f"{name}: choose one of the reasons in the list.")
        elif line:
            out.append(f"{name}: {fe.message}.")
        elif fe.field in ("drop_off_location", "location"):
            out.append("Choose one of the stores in the list to bring it to.")
        elif fe.field.startswith("qty-"):
            out.append(fe.message)
        else:
            out.append(f"{fe.field.replace('_', ' ').capitalize()}: {fe.message}.")
    return out or [e.detail]


def _returnable(request: Request, token: str) -> ReturnableOrder | None:
    try:
        number = links(request).order_to_return(token)
        return returns.returnable(request.app.state.db.reader(), number)
    except (LinkInvalid, OrderNotFound):
        return None


def _form(
    request: Request,
    can: ReturnableOrder,
    chosen: ReturnForm,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    rules = can.policy
    return page(
        request,
        "return_new.html",
        {
            "can": can,
            "form": chosen,
            "errors": errors,
            "reasons": [(r.value, r.label) for r in rules.reasons],
            "label_free": rules.shipping_paid_by is Payer.MERCHANT,
            "fee": rules.restocking_fee_percent,
            "resolutions": [(r.value, WANTED[r]) for r in Resolution if _offered(can, r)],
            "tracking_path": path_of(links(request).tracking_url(can.order.number)),
        },
        status_code,
    )


def _offered(can: ReturnableOrder, resolution: Resolution) -> bool:
    return resolution is not Resolution.EXCHANGE or can.policy.exchanges


@router.get("/returns/new/{token}", dependencies=[public()], response_class=HTMLResponse)
def return_form(request: Request, token: str) -> Response:
    """Which items, why, how they come back, and what the customer wants instead."""
    can = _returnable(request, token)
    if can is None:
        return not_found(request)
    return _form(request, can, ReturnForm(), [])


@router.post("/returns/new/{token}", dependencies=[public()], response_class=HTMLResponse)
async def start_return(request: Request, token: str) -> Response:
    """Open the return as the customer's request (staff approve it); the answer is the
    return's number and what happens next."""
    can = _returnable(request, token)
    if can is None:
        return not_found(request)
    chosen = ReturnForm.of(await request.form(), can)
    lines: list[ReturnableLine] = []
    try:
        req, lines = chosen.request(can)
        ret = returns.open_return(
            request.app.state.db.uow(), can.order.number, req, actor="customer", by_customer=True
        )
    except ValidationFailed as e:
        return _form(request, can, chosen, _messages(e, lines), 422)
    except (NotReturnable, ReturnNotAccepted) as e:
        return _form(request, can, chosen, [e.detail], 409)
    # answered by a page of its own: reloading it never asks for the return a second time
    return RedirectResponse(links(request).return_requested_path(ret.number), status_code=303)


@router.get("/returns/requested/{token}", dependencies=[public()], response_class=HTMLResponse)
def return_requested(request: Request, token: str) -> Response:
    """The return's number and what happens next."""
    try:
        number = links(request).return_of_request(token)
        ret = returns.get_return(request.app.state.db.reader(), number)
    except (LinkInvalid, ReturnNotFound):
        return not_found(request)
    return page(
        request,
        "return_started.html",
        {
            "ret": ret,
            "store": _store(request.app.state.db, ret.drop_off_location or ""),
            "label_free": ret.policy.shipping_paid_by is Payer.MERCHANT,
            "next_step": NEXT_STEP[ret.preferred_resolution],
            "tracking_path": path_of(links(request).tracking_url(ret.order_number)),
        },
    )


# ---------------------------------------------------------------- the label


@router.get("/returns/label/{token}", dependencies=[public()], response_class=Response)
def return_label(request: Request, token: str) -> Response:
    """The return label of an approved return sent back by parcel, as a PDF to print."""
    try:
        number = links(request).return_of_label(token)
        pdf = returns.label_pdf(request.app.state.db.reader(), number)
    except LinkInvalid:
        return not_found(request)
    except (ReturnNotFound, NotReturnable):
        return not_found(
            request,
            "No return label here",
            "A return label is ready once your return is approved; we email you the link then.",
        )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**PRIVATE, "Content-Disposition": f'inline; filename="{number}-label.pdf"'},
    )
