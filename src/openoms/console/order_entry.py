"""Taking an order in the console (phone, B2B, in store): find the customer and the SKUs
by name or barcode, see the stock per location, and the totals as they are typed.

The form works without JavaScript (five line rows, SKU code or barcode per row); the script
adds product search and live totals through the two lookups and the quote below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from openoms.catalog import services as catalog
from openoms.catalog.model import SkuNotFound
from openoms.channels import services as channels
from openoms.channels.model import ChannelKind
from openoms.console.pages import page, redirect, render, user_of
from openoms.customers import services as customers
from openoms.customers.model import PostalAddress
from openoms.identity.model import Permission as P
from openoms.identity.model import Principal
from openoms.inventory import queries as stock
from openoms.locations import services as locations
from openoms.orders import placement
from openoms.orders.model import SpecialCode
from openoms.payments.model import PaymentMethod
from openoms.payments.services import order_payments
from openoms.payments.services.operations import PaymentInput
from openoms.receivables.services.companies import company_of_email
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.money import Money

router = APIRouter(include_in_schema=False)  # pages, not API
ROWS = 5
ADDRESS_FIELDS = (
    "name",
    "company",
    "line1",
    "line2",
    "postal_code",
    "city",
    "region",
    "country",
    "phone",
)
PREFERRED = (ChannelKind.PHONE, ChannelKind.B2B, ChannelKind.POINT_OF_SALE)


@router.get("/orders/new", dependencies=[page(P.ORDERS_CREATE)])
def new_order(request: Request) -> Response:
    return _form(request, {}, {}, [])


@router.post("/orders/new", dependencies=[page(P.ORDERS_CREATE)])
async def place_order(request: Request) -> Response:
    me = user_of(request)
    form = await request.form()
    values = _values(form)
    errors: dict[str, str] = {}
    general: list[str] = []
    data = _input(request, me, values, errors)
    if data is not None:
        found = [e for e in placement.input_errors(data) if e.field != "lines"]
        _place_errors(found, errors, general)
    db = request.app.state.db
    payment = _payment(values, errors)
    on_terms = payment is not None and payment.method is PaymentMethod.INVOICE
    if data is not None and on_terms and company_of_email(db.reader(), data.email) is None:
        errors["payment"] = f"{data.email or 'this customer'} buys for no company"
    if data is None or errors:
        return _form(request, values, errors, general, status=422)
    try:
        placed = placement.place_order(db.uow(), data, actor=me.actor)
    except ValidationFailed as e:
        _place_errors(e.errors, errors, general)
        return _form(request, values, errors, general, status=422)
    except OmsError as e:
        general.append(e.detail)
        return _form(request, values, errors, general, status=409)
    # paid (or waiting for its money) and screened like an order from the API
    order = order_payments.after_placement(
        db, request.app.state.gateways, placed.order, payment, actor=me.actor
    )
    total = Money(order.total_amount, order.currency).format()
    return redirect(
        request,
        f"/console/orders/{order.number}",
        f"Order {order.number} placed for {total}: {order.status.value.replace('_', ' ')}.",
    )


@router.post("/orders/quote", dependencies=[page(P.ORDERS_CREATE)])
async def quote(request: Request) -> Response:
    """The totals of the form as it stands (JSON), or why they cannot be computed yet."""
    me = user_of(request)
    values = _values(await request.form())
    errors: dict[str, str] = {}
    data = _input(request, me, values, errors, for_quote=True)
    if data is None or not data.lines:
        return JSONResponse({"ok": False, "errors": errors})
    try:
        priced = placement.quote_order(request.app.state.db.reader(), data)
    except ValidationFailed as e:
        return JSONResponse({"ok": False, "errors": {x.field: x.message for x in e.errors}})
    except OmsError as e:
        return JSONResponse({"ok": False, "errors": {"": e.detail}})
    currency = data.currency
    t = priced.totals

    def fmt(amount: int) -> str:
        return Money(amount, currency).format()

    return JSONResponse(
        {
            "ok": True,
            "lines": [
                {"sku": ln.sku, "name": sku.name, "unit_price": fmt(price), "total": fmt(lt.total)}
                for (ln, price, sku), lt in zip(priced.lines, t.lines, strict=True)
            ],
            "subtotal": fmt(t.subtotal),
            "discount": fmt(t.discount),
            "tax": fmt(t.tax),
            "tax_note": f"{(priced.tax_rate * 100).normalize():f} %"
            + (" included" if priced.prices_include_tax else ""),
            "total": fmt(t.total),
        }
    )


@router.get("/lookup/skus", dependencies=[page(P.ORDERS_CREATE)])
def lookup_skus(request: Request, q: str = "", currency: str = "EUR") -> Response:
    """SKUs by name, code or barcode, with their price and free stock per location."""
    me = user_of(request)
    text = q.strip()[:100]
    if len(text) < 2:
        return JSONResponse([])
    db = request.app.state.db
    found = catalog.list_skus(db.reader(), text=text, is_active=True, limit=8).items
    free = (
        {a.sku: a for a in stock.availability(db.reader(), [s.code for s in found])}
        if found
        else {}
    )
    out = []
    for sku in found:
        price = sku.prices.get(currency.upper())
        where = free.get(sku.code)
        out.append(
            {
                "code": sku.code,
                "name": sku.name,
                "barcode": sku.barcode,
                "price": price.format() if price else None,
                "stock": {
                    la.location: la.available
                    for la in (where.locations if where else [])
                    if me.scope.sees_location(la.location) or me.scope.locations is None
                },
            }
        )
    return JSONResponse(out)


@router.get("/lookup/customers", dependencies=[page(P.CUSTOMERS_VIEW)])
def lookup_customers(request: Request, q: str = "") -> Response:
    text = q.strip()[:100]
    if len(text) < 2:
        return JSONResponse([])
    found, _ = customers.search_customers(request.app.state.db.reader(), text=text, limit=8)
    return JSONResponse(
        [{"email": c.email, "name": c.spec.name, "company": c.spec.company} for c in found]
    )


# --- the form ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    currencies: list[str]


def _channels(request: Request, me: Principal) -> list[Choice]:
    found = [
        c
        for c in channels.list_channels(request.app.state.db.reader())
        if c.spec.is_active and me.scope.sees_channel(c.code)
    ]
    rank = {kind: i for i, kind in enumerate(PREFERRED)}
    found.sort(key=lambda c: (rank.get(c.spec.kind, len(PREFERRED)), c.code))
    return [Choice(c.code, f"{c.spec.name} ({c.code})", list(c.spec.currencies)) for c in found]


def _form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    general: list[str],
    *,
    status: int = 200,
) -> Response:
    me = user_of(request)
    choices = _channels(request, me)
    stores = [
        s.code
        for s in locations.list_locations(request.app.state.db.reader(), is_active=True)
        if s.spec.can_pickup
    ]
    lines = values.get("lines") or []
    rows = [*lines, *([{"sku": "", "quantity": ""}] * max(0, ROWS - len(lines)))]
    return render(
        request,
        "console/orders/new.html",
        {
            "channels": choices,
            "currencies": sorted({cur for c in choices for cur in c.currencies}),
            "stores": stores,
            "v": values,
            "rows": rows,
            "errors": errors,
            "general": general,
            "codes": list(SpecialCode),
            "address_fields": ADDRESS_FIELDS,
            "payments": PAYMENTS,
        },
        status=status,
    )


# What a phone or B2B order taken in the console can be paid with; cards are added on the
# order page with a token from the provider.
PAYMENTS = [
    ("", "Pay later (add a payment on the order page)"),
    (PaymentMethod.BANK_TRANSFER.value, "Bank transfer"),
    (PaymentMethod.CASH_ON_DELIVERY.value, "Cash on delivery"),
    (PaymentMethod.INVOICE.value, "Invoice on terms (company customers)"),
]


def _payment(values: dict[str, Any], errors: dict[str, str]) -> PaymentInput | None:
    chosen = values.get("payment", "")
    if not chosen:
        return None
    if chosen not in {p for p, _ in PAYMENTS}:
        errors["payment"] = f"unknown payment {chosen!r}"
        return None
    return PaymentInput(PaymentMethod(chosen))


def _values(form: FormData) -> dict[str, Any]:
    def one(name: str) -> str:
        value = form.get(name, "")
        return value.strip()[:500] if isinstance(value, str) else ""

    skus = [str(x).strip()[:64] for x in form.getlist("sku")]
    quantities = [str(x).strip()[:9] for x in form.getlist("quantity")]
    lines = [
        {"sku": s, "quantity": q}
        for s, q in zip(skus, quantities + [""] * (len(skus) - len(quantities)), strict=False)
        if s or q
    ]
    values: dict[str, Any] = {
        name: one(name)
        for name in (
            "channel",
            "currency",
            "email",
            "customer_name",
            "delivery",
            "pickup_location",
            "payment",
            "notes",
            *ADDRESS_FIELDS,
        )
    }
    values["codes"] = [str(c) for c in form.getlist("codes")]
    values["lines"] = lines
    return values


def _input(
    request: Request,
    me: Principal,
    v: dict[str, Any],
    errors: dict[str, str],
    *,
    for_quote: bool = False,
) -> placement.OrderInput | None:
    if not me.scope.sees_channel(v["channel"]):
        errors["channel"] = "you do not take orders for this channel"
    lines = []
    for i, row in enumerate(v["lines"]):
        try:
            quantity = int(row["quantity"] or "1")
        except ValueError:
            errors[f"lines[{i}].quantity"] = "a whole number"
            continue
        code = _sku_code(request, row["sku"])
        if code is None:
            if not for_quote:
                errors[f"lines[{i}].sku"] = f"no SKU or barcode {row['sku']!r}"
            continue
        row["sku"] = code
        lines.append(placement.LineInput(code, quantity))
    if not lines and not for_quote:
        errors.setdefault("lines[0].sku", "add at least one line")
    codes = []
    for c in v["codes"]:
        try:
            codes.append(SpecialCode(c))
        except ValueError:
            errors["codes"] = f"unknown code {c!r}"
    address = PostalAddress(**{f: v[f] for f in ADDRESS_FIELDS})
    address.country = address.country.upper()
    if for_quote and not address.country:
        address.country = "NL"
    pickup = v["pickup_location"] if v["delivery"] == "pickup" else None
    try:
        return placement.OrderInput(
            channel=v["channel"],
            email=v["email"] or ("quote@example.com" if for_quote else ""),
            currency=(v["currency"] or "EUR").upper(),
            lines=lines,
            billing_address=address,
            shipping_address=None if pickup else address,
            pickup_location=pickup or None,
            customer_name=v["customer_name"],
            sales_rep=me.name,
            notes=v["notes"],
            special_codes=codes,
        )
    except (TypeError, ValueError) as e:
        errors[""] = str(e)
        return None


def _sku_code(request: Request, text: str) -> str | None:
    if not text:
        return None
    db = request.app.state.db
    try:
        return catalog.get_sku(db.reader(), text).code
    except SkuNotFound:
        pass
    try:
        return catalog.get_sku_by_barcode(db.reader(), text).code
    except SkuNotFound:
        return None


def _place_errors(found: list[FieldError], errors: dict[str, str], general: list[str]) -> None:
    for e in found:
        name = e.field
        for prefix in ("shipping_address.", "billing_address."):
            if name.startswith(prefix):
                name = name.removeprefix(prefix)
        if name.startswith("lines[") and name.endswith(".unit_price"):
            general.append(e.message)
            continue
        errors.setdefault(name, e.message)
