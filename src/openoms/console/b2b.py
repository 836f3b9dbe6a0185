"""B2B in the console: company customers with their terms and credit, quotes from draft to
order, invoices on terms and the payments received for them, the aging of what is owed, and
bank statements that pay invoices.

Each page calls the receivables services the API calls. What a service refuses comes back
as an error message on the page the form was on (or next to the form's fields), and
nothing changes. The quote form works without JavaScript; the script adds SKU suggestions
and the totals as the server computes them (``POST /console/quotes/totals``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from openoms.catalog import services as catalog
from openoms.catalog.model import SkuNotFound
from openoms.channels import services as channels
from openoms.channels.model import ChannelKind
from openoms.console.pages import field_errors, page, problem_text, redirect, render, user_of
from openoms.customers.model import PostalAddress
from openoms.identity.model import Permission as P
from openoms.identity.model import Principal
from openoms.infra.db import Database
from openoms.orders import placement, queries
from openoms.receivables.model import (
    INVOICE_TRANSITIONS,
    QUOTE_TRANSITIONS,
    AgingBucket,
    CreditCheck,
    InvoiceStatus,
    PaymentTerms,
    QuoteStatus,
)
from openoms.receivables.services import companies, invoices, quotes, statements
from openoms.receivables.services.companies import Company, CompanyNotFound, CompanySpec
from openoms.receivables.services.invoices import Invoice
from openoms.receivables.services.quotes import Quote, QuoteInput, QuoteLine, QuoteNotFound
from openoms.receivables.statement import ItemKind
from openoms.shared import clock
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.money import Money, validate_currency

router = APIRouter(include_in_schema=False)  # pages, not API

COMPANIES = "/console/companies"
QUOTES = "/console/quotes"
INVOICES = "/console/invoices"
BANK = "/console/bank"
QUOTE_ROWS = 5  # empty line rows of a new quote
MAX_STATEMENT_BYTES = 5_000_000
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "postal_code", "city", "country", "phone")
ADDRESS_LABELS = {
    "name": "Name",
    "company": "Company",
    "line1": "Street and number",
    "line2": "Line 2",
    "postal_code": "Postal code",
    "city": "City",
    "country": "Country (2 letters)",
    "phone": "Phone",
}
LINE_FIELDS = ("sku", "quantity", "unit_price", "line_discount")  # form names of a line row
LINE_ERRORS = ("sku", "quantity", "unit_price", "discount")  # the service's names of them
QUOTE_FIELDS = ("company", "contact_email", "channel", "currency", "valid_until", "discount")
T = TypeVar("T")

Text = Annotated[str, Form(max_length=200)]
Amount = Annotated[str, Form(max_length=30)]


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _base(request: Request) -> str:
    base: str = request.app.state.settings.base_currency
    return base


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _minor(text: str, currency: str, field: str) -> int | None:
    """A form's amount in minor units of ``currency``; blank: None. Raises: ValidationFailed."""
    text = text.strip()
    if not text:
        return None
    return Money.parse(text, currency, field=field).amount_minor


def _date(text: str, field: str) -> date | None:
    """A form's date (YYYY-MM-DD); blank: None. Raises: ValidationFailed."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.single(field, f"'{text}' is not a date (YYYY-MM-DD)") from None


def _terms(text: str) -> PaymentTerms:
    """Raises: ValidationFailed."""
    try:
        return PaymentTerms(text)
    except ValueError:
        labels = ", ".join(t.label for t in PaymentTerms)
        raise ValidationFailed.single("payment_terms", f"choose one of {labels}") from None


def _errors_of(e: OmsError) -> dict[str, str]:
    """Field -> message of a refusal; a refusal that names no field is under ""."""
    if isinstance(e, ValidationFailed) and e.errors:
        return field_errors(e.errors)
    return {"": e.detail}


def _currencies(request: Request) -> list[str]:
    """The currencies the merchant sells in, and the base currency."""
    sold = {c for ch in channels.list_channels(_db(request).reader()) for c in ch.spec.currencies}
    return sorted(sold | {_base(request)})


# --- companies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyCredit:
    """A company with what it owes on terms now, and the credit it has left."""

    company: Company
    owed: int  # minor units of the company's currency
    available: int | None  # None: no credit limit

    @property
    def currency(self) -> str:
        return self.company.spec.currency


def _credit(db: Database, code: str) -> CompanyCredit:
    """Raises: CompanyNotFound."""
    company, owed = companies.credit_of(db.reader(), code)
    check = CreditCheck(company.spec.currency, company.spec.credit_limit, owed, 0)
    return CompanyCredit(company, owed, check.available_minor)


@router.get("/companies", dependencies=[page(P.CUSTOMERS_VIEW)])
def company_list(request: Request) -> Response:
    return _companies_page(request, {}, {})


def _companies_page(
    request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    db = _db(request)
    found = [_credit(db, c.code) for c in companies.list_companies(db.reader())]
    return render(
        request,
        "console/b2b/companies.html",
        {
            "companies": found,
            "terms": list(PaymentTerms),
            "currencies": _currencies(request),
            "base": _base(request),
            "form": form,
            "errors": errors,
        },
        status=status,
    )


@router.post("/companies", dependencies=[page(P.INVOICES_MANAGE)])
def create_company(
    request: Request,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Text = "",
    payment_terms: Annotated[str, Form(max_length=30)] = "",
    credit_limit: Amount = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    vat_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A company customer with its payment terms and credit limit (finance decides both)."""
    values = {
        "code": code.strip().upper(),
        "name": name.strip(),
        "payment_terms": payment_terms,
        "credit_limit": credit_limit.strip(),
        "currency": (currency.strip() or _base(request)).upper(),
        "vat_id": vat_id.strip(),
    }
    try:
        spec = CompanySpec(
            code=values["code"],
            name=values["name"],
            payment_terms=_terms(payment_terms),
            credit_limit=_minor(values["credit_limit"], values["currency"], "credit_limit"),
            currency=values["currency"],
            vat_id=values["vat_id"],
        )
        created = companies.create_company(_db(request).uow(), spec)
    except ValidationFailed as e:
        return _companies_page(request, values, _errors_of(e), 422)
    except OmsError as e:  # the code is taken
        return _companies_page(request, values, {"code": e.detail}, 409)
    return redirect(
        request,
        f"{COMPANIES}/{created.code}",
        f"Company {created.spec.name} ({created.code}) added. Add the people who buy for it.",
    )


@router.get("/companies/{code}", dependencies=[page(P.CUSTOMERS_VIEW)])
def company_page(request: Request, code: str) -> Response:
    me = user_of(request)
    db = _db(request)
    credit = _credit(db, code)
    their_quotes = (
        _visible(me, quotes.list_quotes(db.reader(), company=code)) if me.can(P.ORDERS_VIEW) else []
    )
    their_invoices = (
        invoices.list_invoices(db.reader(), company=code) if me.can(P.FINANCE_VIEW) else []
    )
    limit = credit.company.spec.credit_limit
    return render(
        request,
        "console/b2b/company.html",
        {
            "c": credit,
            "spec": credit.company.spec,
            "quotes": their_quotes,
            "invoices": their_invoices,
            "terms": list(PaymentTerms),
            "limit_text": "" if limit is None else Money(limit, credit.currency).amount_str(),
            "today": clock.now().date(),
        },
    )


@router.post("/companies/{code}", dependencies=[page(P.INVOICES_MANAGE)])
def update_company(
    request: Request,
    code: str,
    payment_terms: Annotated[str, Form(max_length=30)] = "",
    credit_limit: Amount = "",
) -> Response:
    """New payment terms (for invoices issued from now on) and credit limit (blank: none)."""
    db = _db(request)
    current = companies.get_company(db.reader(), code)
    back = f"{COMPANIES}/{current.code}"
    try:
        changes = {
            "payment_terms": _terms(payment_terms),
            "credit_limit": _minor(credit_limit, current.spec.currency, "credit_limit"),
        }
        done = companies.update_company(db.uow(), code, changes)
    except OmsError as e:
        return redirect(request, back, f"Terms not saved: {problem_text(e)}", "error")
    spec = done.spec
    limit = (
        "no credit limit"
        if spec.credit_limit is None
        else f"credit limit {Money(spec.credit_limit, spec.currency).format()}"
    )
    return redirect(request, back, f"{spec.name}: {spec.payment_terms.label}, {limit}.")


@router.post("/companies/{code}/contacts", dependencies=[page(P.CUSTOMERS_EDIT)])
def add_contact(
    request: Request,
    code: str,
    email: Annotated[str, Form(max_length=254)] = "",
    name: Text = "",
    role: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """A person who buys for the company, known by email (a customer, created if new)."""
    back = f"{COMPANIES}/{code}"
    try:
        done = companies.add_contact(
            _db(request).uow(), code, email.strip(), name=name.strip(), role=role.strip()
        )
    except OmsError as e:
        return redirect(request, back, f"Contact not added: {problem_text(e)}", "error")
    return redirect(request, back, f"{email.strip()} buys for {done.spec.name}.")


# --- quotes: list and page --------------------------------------------------------------------


def _visible(me: Principal, found: list[Quote]) -> list[Quote]:
    """To a user limited to some channels, the quotes of other channels do not exist."""
    return [q for q in found if me.scope.sees_channel(q.channel)]


def _quote(request: Request, number: str) -> Quote:
    """Raises: QuoteNotFound (also for a quote of a channel the user does not see)."""
    found = quotes.get_quote(_db(request).reader(), number)
    if not user_of(request).scope.sees_channel(found.channel):
        raise QuoteNotFound(f"No quote {number}.", number=number)
    return found


@router.get("/quotes", dependencies=[page(P.ORDERS_VIEW)])
def quote_list(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "",
    company: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    me = user_of(request)
    db = _db(request)
    error = ""
    chosen = None
    if status:
        try:
            chosen = QuoteStatus(status)
        except ValueError:
            error = f"There is no quote status “{status}”."
    found = _visible(me, quotes.list_quotes(db.reader(), status=chosen, company=company or None))
    return render(
        request,
        "console/b2b/quotes.html",
        {
            "quotes": found,
            "statuses": list(QuoteStatus),
            "status": status,
            "company": company,
            "companies": companies.list_companies(db.reader()),
            "error": error,
        },
    )


@dataclass(frozen=True)
class QuoteActions:
    """What may be done to a quote in its state, as the quote rules say."""

    edit: bool
    send: bool
    accept: bool
    reject: bool

    @classmethod
    def of(cls, status: QuoteStatus) -> QuoteActions:
        moves = QUOTE_TRANSITIONS[status]
        return cls(
            edit=status is QuoteStatus.DRAFT or QuoteStatus.DRAFT in moves,
            send=QuoteStatus.SENT in moves,
            accept=QuoteStatus.ACCEPTED in moves,
            reject=QuoteStatus.REJECTED in moves,
        )


@router.get("/quotes/new", dependencies=[page(P.QUOTES_MANAGE)])
def new_quote(request: Request, company: Annotated[str, Query(max_length=64)] = "") -> Response:
    """Pick the company first (its contacts are the choices of the form), then the form."""
    db = _db(request)
    if not company:
        return _pick_company(request, "")
    try:
        chosen = companies.get_company(db.reader(), company)
    except CompanyNotFound as e:
        return _pick_company(request, e.detail, 404)
    return _quote_form(request, _blank_values(request, chosen), {})


@router.post("/quotes/new", dependencies=[page(P.QUOTES_MANAGE)])
async def create_quote(request: Request) -> Response:
    me = user_of(request)
    values = _quote_values(await request.form())
    try:
        data = _quote_input(request, values)
        created = quotes.create_quote(_db(request), data, actor=me.actor)
    except ValidationFailed as e:
        return _quote_form(request, values, _errors_of(e), status=422)
    except OmsError as e:
        return _quote_form(request, values, {"": problem_text(e)}, status=409)
    return redirect(
        request,
        f"{QUOTES}/{created.number}",
        f"Quote {created.number} saved as a draft for {created.money(created.total).format()}.",
    )


@router.post("/quotes/totals", dependencies=[page(P.QUOTES_MANAGE)])
async def quote_totals(request: Request) -> Response:
    """The totals of the quote form as it stands (JSON), or why they cannot be computed yet.
    Rows whose SKU is not known (yet) are left out."""
    values = _quote_values(await request.form())
    try:
        data = _quote_input(request, values, lenient=True)
    except ValidationFailed as e:
        return JSONResponse({"ok": False, "error": _why(e)})
    rows = [i for i, row in enumerate(values["lines"]) if row.get("known")]
    if not data.lines:
        return JSONResponse({"ok": False, "error": ""})
    try:
        priced = placement.quote_order(_db(request).reader(), _as_order(data))
    except OmsError as e:
        return JSONResponse({"ok": False, "error": _why(e, rows)})
    t = priced.totals

    def fmt(amount: int) -> str:
        return Money(amount, data.currency).format()

    return JSONResponse(
        {
            "ok": True,
            "lines": [
                {"row": row, "sku": ln.sku, "name": sku.name, "total": fmt(lt.total)}
                for row, (ln, _price, sku), lt in zip(rows, priced.lines, t.lines, strict=True)
            ],
            "subtotal": fmt(t.subtotal),
            "discount": fmt(t.discount),
            "tax": fmt(t.tax),
            "tax_note": f"{(priced.tax_rate * 100).normalize():f} %"
            + (" included" if priced.prices_include_tax else ""),
            "total": fmt(t.total),
        }
    )


@router.get("/quotes/{number}", dependencies=[page(P.ORDERS_VIEW)])
def quote_page(request: Request, number: str) -> Response:
    found = _quote(request, number)
    return render(
        request,
        "console/b2b/quote.html",
        {
            "q": found,
            "can": QuoteActions.of(found.status),
            "earlier": list(reversed(found.versions)),
            "today": clock.now().date(),
        },
    )


@router.get("/quotes/{number}/edit", dependencies=[page(P.QUOTES_MANAGE)])
def edit_quote(request: Request, number: str) -> Response:
    found = _quote(request, number)
    if not QuoteActions.of(found.status).edit:
        return redirect(
            request,
            f"{QUOTES}/{number}",
            f"Quote {number} is {found.status.value}; it can no longer be changed.",
            "error",
        )
    return _quote_form(request, _values_of(found), {}, number=number)


@router.post("/quotes/{number}/edit", dependencies=[page(P.QUOTES_MANAGE)])
async def update_quote(request: Request, number: str) -> Response:
    """A draft is changed in place; a sent quote becomes a new version, in draft."""
    me = user_of(request)
    before = _quote(request, number)
    values = _quote_values(await request.form())
    values["company"] = before.company
    try:
        data = _quote_input(request, values)
        after = quotes.update_quote(_db(request), number, data, actor=me.actor)
    except ValidationFailed as e:
        return _quote_form(request, values, _errors_of(e), number=number, status=422)
    except OmsError as e:
        return _quote_form(request, values, {"": problem_text(e)}, number=number, status=409)
    total = after.money(after.total).format()
    if after.version != before.version:
        said = (
            f"Quote {number} is now version {after.version}, a draft of {total}; "
            f"version {before.version} as sent is kept. Send the new version when ready."
        )
    else:
        said = f"Quote {number} saved: {total}."
    return redirect(request, f"{QUOTES}/{number}", said)


@router.post("/quotes/{number}/send", dependencies=[page(P.QUOTES_MANAGE)])
def send_quote(request: Request, number: str) -> Response:
    db, me = _db(request), user_of(request)
    return _quote_action(
        request,
        number,
        "Not sent",
        lambda: quotes.send_quote(db, number, actor=me.actor),
        lambda q: f"Quote {q.number} version {q.version} marked as sent to {q.contact_email}.",
    )


@router.post("/quotes/{number}/accept", dependencies=[page(P.QUOTES_MANAGE)])
def accept_quote(request: Request, number: str) -> Response:
    """The customer said yes: an order at the quote's prices, paid on the company's terms."""
    db, me = _db(request), user_of(request)
    gateways = request.app.state.gateways

    def said(done: tuple[Quote, Any]) -> str:
        quote, order = done
        text = (
            f"Quote {quote.number} accepted: order {order.number} placed for "
            f"{Money(order.total_amount, order.currency).format()}"
        )
        if order.hold_reason:
            return f"{text}, on hold ({order.hold_reason.replace('_', ' ')})."
        return f"{text}."

    return _quote_action(
        request,
        number,
        "Not accepted",
        lambda: quotes.accept_quote(db, gateways, number, actor=me.actor),
        said,
    )


@router.post("/quotes/{number}/reject", dependencies=[page(P.QUOTES_MANAGE)])
def reject_quote(request: Request, number: str) -> Response:
    db, me = _db(request), user_of(request)
    return _quote_action(
        request,
        number,
        "Not rejected",
        lambda: quotes.reject_quote(db, number, actor=me.actor),
        lambda q: f"Quote {q.number} marked as rejected.",
    )


def _quote_action(
    request: Request, number: str, failed: str, do: Callable[[], T], said: Callable[[T], str]
) -> Response:
    _quote(request, number)
    back = f"{QUOTES}/{number}"
    try:
        result = do()
    except OmsError as e:
        return redirect(request, back, f"{failed}: {problem_text(e)}", "error")
    return redirect(request, back, said(result))


# --- quotes: the form -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelChoice:
    code: str
    label: str
    currencies: list[str]


def _channels(request: Request) -> list[ChannelChoice]:
    """Active channels the user takes orders for, B2B channels first."""
    me = user_of(request)
    found = [
        c
        for c in channels.list_channels(_db(request).reader())
        if c.spec.is_active and me.scope.sees_channel(c.code)
    ]
    found.sort(key=lambda c: (c.spec.kind is not ChannelKind.B2B, c.code))
    return [
        ChannelChoice(c.code, f"{c.spec.name} ({c.code})", list(c.spec.currencies)) for c in found
    ]


def _pick_company(request: Request, error: str, status: int = 200) -> Response:
    found = [c for c in companies.list_companies(_db(request).reader()) if c.spec.is_active]
    return render(
        request,
        "console/b2b/quote_pick.html",
        {"companies": found, "error": error},
        status=status,
    )


def _blank_values(request: Request, company: Company) -> dict[str, Any]:
    """A new quote for ``company``: its first contact, the first B2B channel, 30 days valid,
    and the address of its latest quote (if any)."""
    choices = _channels(request)
    channel = choices[0] if choices else None
    currency = company.spec.currency
    if channel and currency not in channel.currencies:
        currency = channel.currencies[0]
    values: dict[str, Any] = dict.fromkeys(QUOTE_FIELDS, "")
    values.update(
        company=company.code,
        contact_email=company.contacts[0].email if company.contacts else "",
        channel=channel.code if channel else "",
        currency=currency,
        valid_until=(clock.now().date() + timedelta(days=quotes.DEFAULT_VALID_DAYS)).isoformat(),
        notes="",
        lines=[],
    )
    latest = quotes.list_quotes(_db(request).reader(), company=company.code)
    billing: dict[str, Any] = latest[0].billing_address if latest else {}
    shipping: dict[str, Any] = (latest[0].shipping_address or {}) if latest else {}
    for f in ADDRESS_FIELDS:
        values[f"bill_{f}"] = str(billing.get(f) or "")
        values[f"ship_{f}"] = str(shipping.get(f) or "") if shipping != billing else ""
    if not latest:
        values["bill_company"] = company.spec.name
    return values


def _values_of(quote: Quote) -> dict[str, Any]:
    """The form's values for editing ``quote``."""

    def amount(minor: int) -> str:
        return quote.money(minor).amount_str()

    line_discounts = sum(ln.discount for ln in quote.lines)
    values: dict[str, Any] = {
        "company": quote.company,
        "contact_email": quote.contact_email,
        "channel": quote.channel,
        "currency": quote.currency,
        "valid_until": quote.valid_until.isoformat(),
        "notes": quote.notes,
        # the stored discount is the lines' and the quote's together
        "discount": amount(quote.discount - line_discounts)
        if quote.discount > line_discounts
        else "",
        "lines": [
            {
                "sku": ln.sku,
                "quantity": str(ln.quantity),
                "unit_price": amount(ln.unit_price),
                "line_discount": amount(ln.discount) if ln.discount else "",
            }
            for ln in quote.lines
        ],
    }
    shipping = quote.shipping_address or {}
    for f in ADDRESS_FIELDS:
        values[f"bill_{f}"] = str(quote.billing_address.get(f) or "")
        values[f"ship_{f}"] = (
            str(shipping.get(f) or "") if shipping != quote.billing_address else ""
        )
    return values


def _quote_values(form: FormData) -> dict[str, Any]:
    """What the quote form sent, trimmed; line rows left empty are dropped."""
    columns = {f: [str(x).strip()[:64] for x in form.getlist(f)] for f in LINE_FIELDS}
    count = max(len(c) for c in columns.values())
    rows = []
    for i in range(count):
        row = {f: columns[f][i] if i < len(columns[f]) else "" for f in LINE_FIELDS}
        if any(row.values()):
            rows.append(row)
    values: dict[str, Any] = {name: _text(form, name) for name in QUOTE_FIELDS}
    values["notes"] = _text(form, "notes", 5000)
    for f in ADDRESS_FIELDS:
        values[f"bill_{f}"] = _text(form, f"bill_{f}")
        values[f"ship_{f}"] = _text(form, f"ship_{f}")
    values["lines"] = rows
    return values


def _quote_input(request: Request, v: dict[str, Any], *, lenient: bool = False) -> QuoteInput:
    """The form as the quote service takes it. ``lenient`` (for the live totals) leaves out
    the rows whose SKU is not known and asks only for the address's country (for the tax).

    Raises: ValidationFailed with every field the form got wrong."""
    me = user_of(request)
    errors: list[FieldError] = []
    if v["channel"] and not me.scope.sees_channel(v["channel"]):
        errors.append(FieldError("channel", "you do not take orders for this channel"))
    currency = v["currency"].upper()
    try:
        validate_currency(currency)
    except ValidationFailed as e:
        errors += e.errors
        currency = ""
    lines = []
    for i, row in enumerate(v["lines"]):
        line = _line(request, i, row, currency, errors, lenient=lenient)
        if line is not None:
            lines.append(line)
    if not v["lines"] and not lenient:
        errors.append(FieldError("lines[0].sku", "add at least one line"))
    discount = _amount(errors, v["discount"], currency, "discount") or 0
    valid_until = None
    try:
        valid_until = _date(v["valid_until"], "valid_until")
    except ValidationFailed as e:
        errors += e.errors
    billing = _address(v, "bill")
    if lenient and not billing.country:
        errors.append(FieldError("bill_country", "give the country, for the tax"))
    shipping = _address(v, "ship")
    if not any(getattr(shipping, f) for f in ADDRESS_FIELDS):
        shipping = billing
    if errors:
        raise ValidationFailed(errors)
    return QuoteInput(
        company=v["company"],
        contact_email=v["contact_email"],
        channel=v["channel"],
        currency=currency,
        lines=lines,
        billing_address=billing,
        shipping_address=shipping,
        valid_until=valid_until,
        notes=v["notes"],
        discount=discount,
    )


def _line(
    request: Request,
    i: int,
    row: dict[str, str],
    currency: str,
    errors: list[FieldError],
    *,
    lenient: bool,
) -> QuoteLine | None:
    at = f"lines[{i}]"
    code = _sku_code(request, row["sku"])
    if code is None:
        if not lenient:
            said = f"no SKU or barcode “{row['sku']}”" if row["sku"] else "give a SKU or barcode"
            errors.append(FieldError(f"{at}.sku", said))
        return None
    row["sku"] = code
    try:
        quantity = int(row["quantity"] or "1")
    except ValueError:
        errors.append(FieldError(f"{at}.quantity", "a whole number"))
        return None
    price = _amount(errors, row["unit_price"], currency, f"{at}.unit_price")
    discount = _amount(errors, row["line_discount"], currency, f"{at}.discount") or 0
    row["known"] = "1"  # priced: the totals' lines follow these rows
    return QuoteLine(code, quantity, price, discount)


def _amount(errors: list[FieldError], text: str, currency: str, field: str) -> int | None:
    if not currency:
        return None
    try:
        return _minor(text, currency, field)
    except ValidationFailed as e:
        errors += e.errors
        return None


def _address(v: dict[str, Any], prefix: str) -> PostalAddress:
    address = PostalAddress(**{f: v[f"{prefix}_{f}"] for f in ADDRESS_FIELDS})
    address.country = address.country.upper()
    return address


def _as_order(data: QuoteInput) -> placement.OrderInput:
    """The quote as the order it would become, for pricing."""
    return placement.OrderInput(
        channel=data.channel,
        email=data.contact_email or "quote@example.com",
        currency=data.currency,
        lines=[
            placement.LineInput(x.sku, x.quantity, x.unit_price, x.discount) for x in data.lines
        ],
        billing_address=data.billing_address,
        shipping_address=data.shipping_address,
        discount=data.discount,
    )


def _sku_code(request: Request, text: str) -> str | None:
    """The SKU of a code or a barcode; None when neither is known."""
    if not text:
        return None
    db = _db(request)
    try:
        return catalog.get_sku(db.reader(), text).code
    except SkuNotFound:
        pass
    try:
        return catalog.get_sku_by_barcode(db.reader(), text).code
    except SkuNotFound:
        return None


LINE_ERROR = re.compile(r"lines\[(\d+)\]\.(\w+)")
LINE_LABELS = {"sku": "SKU", "quantity": "quantity", "unit_price": "unit price"}


def _why(e: OmsError, rows: list[int] | None = None) -> str:
    """Why the totals cannot be computed, in the form's words ("Line 2 unit price: …").
    ``rows``: the form rows of the lines priced, when the fields count those lines."""
    if not isinstance(e, ValidationFailed) or not e.errors:
        return e.detail
    said = []
    for x in e.errors:
        name = _form_field(x.field)
        line = LINE_ERROR.fullmatch(name)
        if line:
            index = int(line.group(1))
            row = rows[index] if rows is not None and index < len(rows) else index
            label = f"Line {row + 1} {LINE_LABELS.get(line.group(2), line.group(2))}"
        elif name[5:] in ADDRESS_LABELS and name[:5] in ("bill_", "ship_"):
            where = "Billing" if name.startswith("bill_") else "Delivery"
            label = f"{where} {ADDRESS_LABELS[name[5:]].lower()}"
        else:
            label = name.replace("_", " ").capitalize()
        said.append(f"{label}: {x.message}")
    return "; ".join(said)


def _form_field(name: str) -> str:
    """The form's name of a field the quote service names."""
    for prefix, ours in (("billing_address.", "bill_"), ("shipping_address.", "ship_")):
        if name.startswith(prefix):
            return ours + name.removeprefix(prefix)
    return {"email": "contact_email"}.get(name, name)


def _quote_form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    number: str | None = None,
    status: int = 200,
) -> Response:
    try:
        company = companies.get_company(_db(request).reader(), values["company"])
    except CompanyNotFound as e:
        return _pick_company(request, e.detail, 404 if status == 200 else status)
    choices = _channels(request)
    lines = values.get("lines") or []
    blanks = max(QUOTE_ROWS - len(lines), 2 if lines else QUOTE_ROWS)
    rows = [*lines, *[dict.fromkeys(LINE_FIELDS, "") for _ in range(blanks)]]
    shown = {_form_field(k): m for k, m in errors.items()}
    known = {
        *QUOTE_FIELDS,
        "notes",
        *(f"{p}_{f}" for p in ("bill", "ship") for f in ADDRESS_FIELDS),
    }
    known |= {f"lines[{i}].{f}" for i in range(len(rows)) for f in LINE_ERRORS}
    general = [m if not k else f"{k}: {m}" for k, m in shown.items() if k not in known]
    me = user_of(request)
    return render(
        request,
        "console/b2b/quote_form.html",
        {
            "company": company,
            "number": number,
            "v": values,
            "rows": rows,
            "errors": {k: m for k, m in shown.items() if k in known},
            "general": general,
            "channels": choices,
            "currencies": sorted({c for ch in choices for c in ch.currencies}),
            "address_fields": ADDRESS_FIELDS,
            "address_labels": ADDRESS_LABELS,
            "ship_open": any(values.get(f"ship_{f}") for f in ADDRESS_FIELDS),
            "sku_lookup": me.can(P.ORDERS_CREATE),
        },
        status=status,
    )


# --- invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceActions:
    """What may be done to an invoice in its state, as the invoice rules say."""

    pay: bool
    void: bool

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceActions:
        moves = INVOICE_TRANSITIONS[invoice.status]
        return cls(
            pay=InvoiceStatus.PAID in moves and invoice.balance > 0,
            void=InvoiceStatus.VOID in moves,
        )


@router.get("/invoices", dependencies=[page(P.FINANCE_VIEW)])
def invoice_list(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
    company: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    return _invoices_page(request, status, overdue, company)


def _invoices_page(
    request: Request,
    status: str = "",
    overdue: str = "",
    company: str = "",
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Response:
    db = _db(request)
    error = ""
    chosen = None
    if status:
        try:
            chosen = InvoiceStatus(status)
        except ValueError:
            error = f"There is no invoice status “{status}”."
    found = invoices.list_invoices(
        db.reader(), status=chosen, company=company or None, overdue=overdue == "1"
    )
    return render(
        request,
        "console/b2b/invoices.html",
        {
            "invoices": found,
            "statuses": list(InvoiceStatus),
            "status": status,
            "overdue": overdue == "1",
            "company": company,
            "companies": companies.list_companies(db.reader()),
            "today": clock.now().date(),
            "error": error,
            "form": form or {},
            "errors": errors or {},
        },
        status=code,
    )


@router.post("/invoices", dependencies=[page(P.INVOICES_MANAGE)])
def issue_invoice(
    request: Request,
    order: Annotated[str, Form(max_length=40)] = "",
    amount: Amount = "",
) -> Response:
    """Invoice an order paid on terms: all not invoiced yet, or ``amount`` of it."""
    db, me = _db(request), user_of(request)
    number = order.strip().upper()
    form = {"order": number, "amount": amount.strip()}
    try:
        if not number:
            raise ValidationFailed.single("order", "give the order number")
        currency = queries.get_order(db.reader(), number).currency
        issued = invoices.issue_invoice(
            db, number, actor=me.actor, amount=_minor(amount, currency, "amount")
        )
    except ValidationFailed as e:
        return _invoices_page(request, form=form, errors=_errors_of(e), code=422)
    except OmsError as e:
        return _invoices_page(request, form=form, errors={"order": e.detail}, code=409)
    return redirect(
        request,
        f"{INVOICES}/{issued.number}",
        f"Invoice {issued.number} issued for {issued.money(issued.total).format()}, "
        f"due {issued.due_on:%d %b %Y}.",
    )


@router.get("/invoices/{number}", dependencies=[page(P.FINANCE_VIEW)])
def invoice_page(request: Request, number: str) -> Response:
    found = invoices.get_invoice(_db(request).reader(), number)
    today = clock.now().date()
    return render(
        request,
        "console/b2b/invoice.html",
        {
            "i": found,
            "can": InvoiceActions.of(found),
            "today": today,
            "methods": invoices.PAYMENT_METHODS,
        },
    )


@router.post("/invoices/{number}/payments", dependencies=[page(P.INVOICES_MANAGE)])
def record_payment(
    request: Request,
    number: str,
    amount: Amount = "",
    received_on: Annotated[str, Form(max_length=10)] = "",
    reference: Text = "",
    method: Annotated[str, Form(max_length=20)] = "bank_transfer",
) -> Response:
    """Money received for the invoice; part of it is fine, more than the balance is not."""
    db, me = _db(request), user_of(request)
    invoice = invoices.get_invoice(db.reader(), number)
    back = f"{INVOICES}/{invoice.number}"
    try:
        minor = _minor(amount, invoice.currency, "amount")
        if minor is None:
            raise ValidationFailed.single("amount", "give the amount received")
        done = invoices.record_payment(
            db,
            invoice.number,
            minor,
            actor=me.actor,
            received_on=_date(received_on, "received_on"),
            reference=reference.strip(),
            method=method,
        )
    except OmsError as e:
        return redirect(request, back, f"Payment not recorded: {problem_text(e)}", "error")
    received = done.money(minor).format()
    if done.balance == 0:
        return redirect(request, back, f"Recorded {received}: invoice {number} is paid in full.")
    left = done.money(done.balance).format()
    return redirect(request, back, f"Recorded {received}: {left} of invoice {number} is open.")


@router.post("/invoices/{number}/void", dependencies=[page(P.INVOICES_MANAGE)])
def void_invoice(request: Request, number: str) -> Response:
    """Cancel an invoice nothing was paid on."""
    db, me = _db(request), user_of(request)
    invoice = invoices.get_invoice(db.reader(), number)
    back = f"{INVOICES}/{invoice.number}"
    try:
        invoices.void_invoice(db, invoice.number, actor=me.actor)
    except OmsError as e:
        return redirect(request, back, f"Not voided: {problem_text(e)}", "error")
    return redirect(request, back, f"Invoice {invoice.number} voided.")


# --- aging ------------------------------------------------------------------------------------


@router.get("/aging", dependencies=[page(P.FINANCE_VIEW)])
def aging(request: Request, on: Annotated[str, Query(max_length=10)] = "") -> Response:
    """Open invoices by company and how long past due: per currency, never added up across
    currencies."""
    error = ""
    today = None
    try:
        today = _date(on, "on")
    except ValidationFailed as e:
        error = problem_text(e)
    found = invoices.aging_report(_db(request).reader(), today)
    codes = {f"{i.company_name} ({i.company})": i.company for i in found.open_invoices}
    return render(
        request,
        "console/b2b/aging.html",
        {
            "aging": found,
            "buckets": list(AgingBucket),
            "codes": codes,
            "on": on,
            "error": error,
        },
    )


# --- bank statements --------------------------------------------------------------------------


@router.get("/bank", dependencies=[page(P.FINANCE_VIEW)])
def bank(request: Request) -> Response:
    return _bank_page(request)


def _bank_page(
    request: Request,
    *,
    result: statements.Imported | None = None,
    errors: dict[str, str] | None = None,
    currency: str = "",
    file_name: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "console/b2b/bank.html",
        {
            "result": result,
            "file_name": file_name,
            "unbooked": statements.recent_lines(_db(request).reader(), open_only=True),
            "currencies": _currencies(request),
            "currency": currency or _base(request),
            "errors": errors or {},
            "kinds": [k.value for k in ItemKind],
        },
        status=status,
    )


@router.post("/bank", dependencies=[page(P.INVOICES_MANAGE)])
def import_statement(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    default_currency: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Import the bank's CSV: credits that name an open invoice or an order awaiting a
    transfer are booked; the rest wait below for a person to assign. A line imported
    before is recognised and left alone."""
    me = user_of(request)
    currency = default_currency.strip().upper()
    if file is None or not file.filename:
        return _bank_page(
            request,
            errors={"file": "choose the CSV file the bank exported"},
            currency=currency,
            status=422,
        )
    content = file.file.read(MAX_STATEMENT_BYTES + 1)
    if len(content) > MAX_STATEMENT_BYTES:
        return _bank_page(
            request,
            errors={"file": f"the file is larger than {MAX_STATEMENT_BYTES // 1_000_000} MB"},
            currency=currency,
            status=422,
        )
    name = file.filename[:200]
    try:
        done = statements.import_statement(
            _db(request),
            _decode(content),
            actor=me.actor,
            file_name=name,
            default_currency=currency or None,
        )
    except OmsError as e:
        return _bank_page(request, errors={"file": problem_text(e)}, currency=currency, status=422)
    return _bank_page(request, result=done, currency=currency, file_name=name)


def _decode(content: bytes) -> str:
    """Bank exports are UTF-8 (perhaps with a byte order mark) or Windows-1252."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


@router.post("/bank/lines/{line_id}/assign", dependencies=[page(P.INVOICES_MANAGE)])
def assign_line(
    request: Request,
    line_id: int,
    kind: Annotated[str, Form(max_length=10)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Book a line the import could not match to the invoice or order a person chose."""
    me = user_of(request)
    wanted = number.strip().upper()
    try:
        if kind not in {k.value for k in ItemKind}:
            raise ValidationFailed.single("kind", "choose invoice or order")
        if not wanted:
            raise ValidationFailed.single("number", f"give the {kind} number")
        line = statements.assign_line(_db(request), line_id, kind, wanted, actor=me.actor)
    except OmsError as e:
        return redirect(request, BANK, f"Line not booked: {problem_text(e)}", "error")
    applied = Money(line.applied, line.currency).format()
    said = f"Booked {applied} of the line from {line.counterparty or 'the bank'} to {kind} {wanted}"
    if line.excess:
        said += f"; {Money(line.excess, line.currency).format()} is left over"
    return redirect(request, BANK, said + ".")
