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
from openoms.orders.queries import get_order
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
from openoms.selfservice.language import N_, Language, of_order
from openoms.selfservice.links import CustomerLinks, LinkInvalid
from openoms.selfservice.pages import PRIVATE, browser_language, links, not_found, page, path_of
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from openoms.web.auth import public

router = APIRouter(include_in_schema=False)  # pages, not API

S = ReturnStatus
WANTED = {
    Resolution.REFUND: N_("Refund to your original payment"),
    Resolution.STORE_CREDIT: N_("Store credit"),
    Resolution.EXCHANGE: N_("Exchange for the same item"),
}
NEXT_STEP = {
    Resolution.REFUND: N_("we refund the money to your original payment"),
    Resolution.STORE_CREDIT: N_("we email you a store credit code"),
    Resolution.EXCHANGE: N_("we send you the same item again"),
}
# a return's status in the customer's words, and what it means for them
IN_WORDS = {
    S.REQUESTED: (
        N_("Requested"),
        N_("We are checking your request and email you when it is approved."),
    ),
    S.APPROVED: (
        N_("Approved"),
        N_(
            "Print the return label, stick it on the parcel and hand it to the carrier named on it."
        ),
    ),
    S.IN_TRANSIT: (N_("On its way back"), N_("We let you know when it has arrived.")),
    S.RECEIVED: (N_("Received"), N_("We are checking the items.")),
    S.INSPECTED: (N_("Checked"), N_("The items are checked; we are completing your return.")),
    S.CLOSED: (N_("Closed"), N_("Nothing more to do for this return.")),
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


def returns_panel(
    db: Database, order: Order, signed: CustomerLinks, lang: Language
) -> ReturnsPanel:
    """What the tracking page says about returning the order, and its returns so far."""
    can = returns.returnable(db.reader(), order.number)
    with db.reader() as uow:
        found = returns.returns_of_order(uow, order.id)
    shown = [_shown(db, ret, signed, lang) for ret in found]
    if can.any_returnable:
        return ReturnsPanel(path_of(signed.return_url(order.number)), can.deadline, "", shown)
    return ReturnsPanel("", can.deadline, _why_not(can, lang), shown)


def _why_not(can: ReturnableOrder, lang: Language) -> str:
    _ = lang.gettext
    if can.order.status is OrderStatus.CANCELLED:
        return ""
    if can.delivered_at is None or can.deadline is None:
        once = _("Once your order is delivered you can return items here within %(days)s days.")
        return once % {"days": can.policy.window_days}
    if not can.open:
        return _("The return window closed on %(date)s.") % {"date": lang.date(can.deadline)}
    return _("Everything delivered is in a return already.")


def _shown(db: Database, ret: Return, signed: CustomerLinks, lang: Language) -> ReturnShown:
    status, text = _in_words(db, ret, lang)
    sent_back = ret.method is ReturnMethod.SHIP_BACK and ret.status in (S.APPROVED, S.IN_TRANSIT)
    label = sent_back and ret.status is S.APPROVED and ret.tracking_number
    replaced = ret.status is S.EXCHANGED and ret.exchange_order_number
    return ReturnShown(
        ret.number,
        ret.created_at,
        status,
        text,
        [(ln.quantity, ln.name) for ln in ret.lines],
        lang.gettext(WANTED[ret.preferred_resolution]),
        label_path=path_of(signed.return_label_url(ret.number)) if label else "",
        tracking_number=(ret.tracking_number or "") if sent_back else "",
        replacement_path=(
            path_of(signed.tracking_url(ret.exchange_order_number or "")) if replaced else ""
        ),
    )


def _in_words(db: Database, ret: Return, lang: Language) -> tuple[str, str]:
    """The status a customer understands, and what it means for them."""
    _ = lang.gettext
    amount = Money(ret.refund_amount, ret.currency).format(lang.code)
    if ret.status is S.APPROVED and ret.method is ReturnMethod.IN_STORE:
        store = _store(db, ret.drop_off_location or "")
        return _("Approved"), _(
            "Bring the items to %(store)s and show your return number %(number)s."
        ) % {"store": store, "number": ret.number}
    if ret.status is S.REFUNDED and ret.resolution is Resolution.STORE_CREDIT:
        return _("Store credit issued"), _(
            "%(amount)s as store credit; the code is in our email."
        ) % {"amount": amount}
    if ret.status is S.EXCHANGED:
        return _("Exchanged"), _("Replacement order %(number)s is on its way.") % {
            "number": ret.exchange_order_number
        }
    if ret.status is S.REJECTED:  # the note is staff's own words
        return _("Not accepted"), ret.decision_note
    if ret.status is S.REFUNDED:
        return _("Refunded"), _("%(amount)s to your original payment.") % {"amount": amount}
    status, text = IN_WORDS.get(ret.status, (ret.status.value, ""))
    return _(status), _(text) if text else ""


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


def _messages(e: ValidationFailed, chosen: list[ReturnableLine], lang: Language) -> list[str]:
    """The service's field errors in the words of the form."""
    _ = lang.gettext
    out = []
    for fe in e.field_errors():
        line = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", fe.field)
        name = chosen[int(line[1])].name if line and int(line[1]) < len(chosen) else ""
        if fe.field == "lines":
            out.append(_("Choose at least one item to return."))
        elif line and line[2] == "reason":
            out.append(_("%(item)s: choose one of the reasons in the list.") % {"item": name})
        elif line:
            out.append(f"{name}: {fe.message}.")
        elif fe.field in ("drop_off_location", "location"):
            out.append(_("Choose one of the stores in the list to bring it to."))
        elif fe.field.startswith("qty-"):
            out.append(fe.message)
        elif fe.field == "preferred_resolution" and fe.message == "this shop does not exchange":
            out.append(_("Preferred resolution: this shop does not exchange."))
        else:
            out.append(f"{fe.field.replace('_', ' ').capitalize()}: {fe.message}.")
    return out or [e.detail]


def _refusal(
    e: NotReturnable | ReturnNotAccepted, can: ReturnableOrder, chosen: ReturnForm, lang: Language
) -> str:
    """Why the service refused the return, in the customer's words (the service's own
    English words for a refusal not foreseen here)."""
    _ = lang.gettext
    line = next((ln for ln in can.lines if ln.line_no == e.data.get("line_no")), None)
    if isinstance(e, ReturnNotAccepted):
        stores = dict(can.drop_off_locations)
        code = str(e.data.get("location", ""))
        store = f"{stores[code]} ({code})" if code in stores else code
        return _("%(store)s does not accept returns.") % {"store": store} if code else e.detail
    if line is not None:
        return _(
            "Line %(line)s (%(sku)s): %(asked)s asked back, %(left)s of %(delivered)s "
            "delivered can still be returned."
        ) % {
            "line": line.line_no,
            "sku": line.sku,
            "asked": chosen.quantities.get(line.line_no, "0"),
            "left": e.data.get("returnable", line.returnable),
            "delivered": line.delivered,
        }
    if not can.open:
        return _closed(can, lang)
    return e.detail


def _closed(can: ReturnableOrder, lang: Language) -> str:
    """Why the order cannot be returned now (it is not delivered, or the window closed), as
    the returns service decides it."""
    if can.deadline is None or clock.now().date() <= can.deadline:
        return lang.gettext("Order %(number)s has not been delivered yet.") % {
            "number": can.order.number
        }
    return lang.gettext(
        "The %(days)s-day return window of order %(number)s closed on %(date)s."
    ) % {
        "days": can.policy.window_days,
        "number": can.order.number,
        "date": lang.date(can.deadline),
    }


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
    lang = of_order(can.order.locale)
    _ = lang.gettext
    return page(
        request,
        "return_new.html",
        {
            "can": can,
            "why_not": "" if can.open else _closed(can, lang),
            "form": chosen,
            "errors": errors,
            # the labels are English in the returns model: translated here, as shown
            "reasons": [(r.value, _(r.label)) for r in rules.reasons],
            "label_free": rules.shipping_paid_by is Payer.MERCHANT,
            "fee": rules.restocking_fee_percent,
            "resolutions": [(r.value, _(WANTED[r])) for r in Resolution if _offered(can, r)],
            "tracking_path": path_of(links(request).tracking_url(can.order.number)),
        },
        status_code,
        lang=lang,
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
        return _form(request, can, chosen, _messages(e, lines, of_order(can.order.locale)), 422)
    except (NotReturnable, ReturnNotAccepted) as e:
        refusal = _refusal(e, can, chosen, of_order(can.order.locale))
        return _form(request, can, chosen, [refusal], 409)
    # answered by a page of its own: reloading it never asks for the return a second time
    return RedirectResponse(links(request).return_requested_path(ret.number), status_code=303)


@router.get("/returns/requested/{token}", dependencies=[public()], response_class=HTMLResponse)
def return_requested(request: Request, token: str) -> Response:
    """The return's number and what happens next."""
    try:
        number = links(request).return_of_request(token)
        ret = returns.get_return(request.app.state.db.reader(), number)
        order = get_order(request.app.state.db.reader(), ret.order_number)
    except (LinkInvalid, ReturnNotFound, OrderNotFound):
        return not_found(request)
    lang = of_order(order.locale)
    return page(
        request,
        "return_started.html",
        {
            "ret": ret,
            "store": _store(request.app.state.db, ret.drop_off_location or ""),
            "label_free": ret.policy.shipping_paid_by is Payer.MERCHANT,
            "next_step": lang.gettext(NEXT_STEP[ret.preferred_resolution]),
            "tracking_path": path_of(links(request).tracking_url(ret.order_number)),
        },
        lang=lang,
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
        _ = browser_language(request).gettext
        return not_found(
            request,
            _("No return label here"),
            _("A return label is ready once your return is approved; we email you the link then."),
        )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**PRIVATE, "Content-Disposition": f'inline; filename="{number}-label.pdf"'},
    )
