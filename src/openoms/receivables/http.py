"""B2B API: companies and their credit, quotes, invoices on terms, aging, and bank
statement reconciliation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from openoms.identity.model import Permission as P
from openoms.orders.http import OrderNumber
from openoms.receivables.model import InvoiceStatus, QuoteStatus
from openoms.receivables.schemas import (
    AgingOut,
    AssignIn,
    CompanyIn,
    CompanyOut,
    CompanyUpdate,
    ContactIn,
    CreditOut,
    ImportedOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePaymentIn,
    QuoteIn,
    QuoteOut,
    StatementIn,
    StatementLineOut,
    minor_units,
)
from openoms.receivables.services import companies, invoices, quotes, statements
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money
from openoms.web.auth import permit
from openoms.web.deps import Actor, DbDep, GatewaysDep, ReadUow, WriteUow
from openoms.web.schemas import MoneyOut

router = APIRouter(tags=["b2b"])


# --- companies ---------------------------------------------------------------------------


@router.post(
    "/companies", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.INVOICES_MANAGE)]
)
def create_company(body: CompanyIn, uow: WriteUow, request: Request) -> CompanyOut:
    """A company customer with its payment terms and credit limit (finance decides both)."""
    base = request.app.state.settings.base_currency
    return CompanyOut.of(companies.create_company(uow, body.to_spec(base)))


@router.get("/companies", dependencies=[permit(P.CUSTOMERS_VIEW)])
def list_companies(uow: ReadUow) -> list[CompanyOut]:
    return [CompanyOut.of(c) for c in companies.list_companies(uow)]


@router.get("/companies/{code}", dependencies=[permit(P.CUSTOMERS_VIEW)])
def get_company(code: str, uow: ReadUow) -> CompanyOut:
    return CompanyOut.of(companies.get_company(uow, code))


@router.patch("/companies/{code}", dependencies=[permit(P.INVOICES_MANAGE)])
def update_company(code: str, body: CompanyUpdate, db: DbDep) -> CompanyOut:
    # null removes what a company can be without (its credit limit, its VAT id)
    changes = body.fields_sent(nullable=("credit_limit", "vat_id"))
    current = companies.get_company(db.reader(), code)
    changes.pop("credit_limit", None)
    if "vat_id" in changes and changes["vat_id"] is None:
        changes["vat_id"] = ""
    if "credit_limit" in body.model_fields_set:
        errors: list[FieldError] = []
        text = body.credit_limit or None
        changes["credit_limit"] = minor_units(text, current.spec.currency, "credit_limit", errors)
        if errors:
            raise ValidationFailed(errors)
    return CompanyOut.of(companies.update_company(db.uow(), code, changes))


@router.post(
    "/companies/{code}/contacts",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.CUSTOMERS_EDIT)],
)
def add_contact(code: str, body: ContactIn, uow: WriteUow) -> CompanyOut:
    """A person who orders for the company (a customer, created if new)."""
    return CompanyOut.of(
        companies.add_contact(uow, code, body.email, name=body.name, role=body.role)
    )


@router.get("/companies/{code}/credit", dependencies=[permit(P.CUSTOMERS_VIEW)])
def company_credit(code: str, uow: ReadUow) -> CreditOut:
    """What the company owes on terms against its credit limit."""
    company, owed = companies.credit_of(uow, code)
    spec = company.spec
    limit = spec.credit_limit
    return CreditOut(
        company=code,
        limit=MoneyOut.of(Money(limit, spec.currency)) if limit is not None else None,
        open_receivables=MoneyOut.of(Money(owed, spec.currency)),
        available=MoneyOut.of(Money(max(0, limit - owed), spec.currency))
        if limit is not None
        else None,
    )


# --- quotes ------------------------------------------------------------------------------


@router.post("/quotes", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.QUOTES_MANAGE)])
def create_quote(body: QuoteIn, db: DbDep, actor: Actor) -> QuoteOut:
    """A draft quote, priced by the server as the order would be."""
    return QuoteOut.of(quotes.create_quote(db, body.to_input(), actor=actor))


@router.get("/quotes", dependencies=[permit(P.ORDERS_VIEW)])
def list_quotes(
    uow: ReadUow,
    status_: Annotated[QuoteStatus | None, Query(alias="status")] = None,
    company: str | None = None,
) -> list[QuoteOut]:
    return [QuoteOut.of(q) for q in quotes.list_quotes(uow, status=status_, company=company)]


@router.get("/quotes/{number}", dependencies=[permit(P.ORDERS_VIEW)])
def get_quote(number: str, uow: ReadUow) -> QuoteOut:
    return QuoteOut.of(quotes.get_quote(uow, number))


@router.put("/quotes/{number}", dependencies=[permit(P.QUOTES_MANAGE)])
def update_quote(number: str, body: QuoteIn, db: DbDep, actor: Actor) -> QuoteOut:
    """Edit a draft in place; editing a sent quote makes a new version, in draft."""
    return QuoteOut.of(quotes.update_quote(db, number, body.to_input(), actor=actor))


@router.post("/quotes/{number}/send", dependencies=[permit(P.QUOTES_MANAGE)])
def send_quote(number: str, db: DbDep, actor: Actor) -> QuoteOut:
    return QuoteOut.of(quotes.send_quote(db, number, actor=actor))


@router.post("/quotes/{number}/accept", dependencies=[permit(P.QUOTES_MANAGE)])
def accept_quote(number: str, db: DbDep, gateways: GatewaysDep, actor: Actor) -> QuoteOut:
    """The customer accepted: an order at the quote's prices, on the company's terms
    (held for credit when it goes over the limit)."""
    quote, _order = quotes.accept_quote(db, gateways, number, actor=actor)
    return QuoteOut.of(quote)


@router.post("/quotes/{number}/reject", dependencies=[permit(P.QUOTES_MANAGE)])
def reject_quote(number: str, db: DbDep, actor: Actor) -> QuoteOut:
    return QuoteOut.of(quotes.reject_quote(db, number, actor=actor))


# --- invoices ----------------------------------------------------------------------------


@router.post(
    "/orders/{number}/invoices",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVOICES_MANAGE)],
)
def issue_invoice(number: OrderNumber, body: InvoiceIn, db: DbDep, actor: Actor) -> InvoiceOut:
    """Invoice an order paid on terms (all not invoiced yet, or ``amount``)."""
    from openoms.orders.queries import get_order

    currency = get_order(db.reader(), number).currency
    errors: list[FieldError] = []
    amount = minor_units(body.amount, currency, "amount", errors)
    if errors:
        raise ValidationFailed(errors)
    invoice = invoices.issue_invoice(db, number, actor=actor, amount=amount)
    return InvoiceOut.of(invoice, clock.now().date())


@router.get("/invoices", dependencies=[permit(P.FINANCE_VIEW)])
def list_invoices(
    uow: ReadUow,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    company: str | None = None,
    order: str | None = None,
    overdue: bool = False,
) -> list[InvoiceOut]:
    today = clock.now().date()
    found = invoices.list_invoices(
        uow, status=status_, company=company, order_number=order, overdue=overdue
    )
    return [InvoiceOut.of(i, today) for i in found]


@router.get("/invoices/{number}", dependencies=[permit(P.FINANCE_VIEW)])
def get_invoice(number: str, uow: ReadUow) -> InvoiceOut:
    return InvoiceOut.of(invoices.get_invoice(uow, number), clock.now().date())


@router.post(
    "/invoices/{number}/payments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVOICES_MANAGE)],
)
def record_invoice_payment(
    number: str, body: InvoicePaymentIn, db: DbDep, actor: Actor
) -> InvoiceOut:
    """Money received for the invoice; part payments are fine, more than the balance is
    refused."""
    invoice = invoices.get_invoice(db.reader(), number)
    amount = Money.parse(body.amount, invoice.currency, field="amount").amount_minor
    done = invoices.record_payment(
        db,
        number,
        amount,
        actor=actor,
        received_on=body.received_on,
        reference=body.reference,
        method=body.method,
    )
    return InvoiceOut.of(done, clock.now().date())


@router.post("/invoices/{number}/void", dependencies=[permit(P.INVOICES_MANAGE)])
def void_invoice(number: str, db: DbDep, actor: Actor) -> InvoiceOut:
    return InvoiceOut.of(invoices.void_invoice(db, number, actor=actor), clock.now().date())


@router.get("/receivables/aging", dependencies=[permit(P.FINANCE_VIEW)])
def aging(uow: ReadUow, today: date | None = None) -> AgingOut:
    """Open invoices by company: current, 1–30, 31–60, 61–90 and 90+ days past due."""
    return AgingOut.of(invoices.aging_report(uow, today))


# --- bank statements ---------------------------------------------------------------------


@router.post(
    "/bank-statements",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVOICES_MANAGE)],
)
def import_statement(body: StatementIn, db: DbDep, actor: Actor) -> ImportedOut:
    """Import the bank's CSV: credits that name an open invoice or an order awaiting a
    transfer are booked (exact, partial, over); the rest are kept for a person to assign.
    A line imported before is recognised and left alone."""
    done = statements.import_statement(
        db,
        body.content,
        actor=actor,
        file_name=body.file_name,
        default_currency=body.default_currency.upper() if body.default_currency else None,
    )
    return ImportedOut.of(done)


@router.get("/bank-statements/lines", dependencies=[permit(P.FINANCE_VIEW)])
def statement_lines(uow: ReadUow, unbooked: bool = False) -> list[StatementLineOut]:
    """Imported lines, newest first; ``unbooked``: only those nothing was booked from."""
    return [StatementLineOut.of(ln) for ln in statements.recent_lines(uow, open_only=unbooked)]


@router.post("/bank-statements/lines/{line_id}/assign", dependencies=[permit(P.INVOICES_MANAGE)])
def assign_line(line_id: int, body: AssignIn, db: DbDep, actor: Actor) -> StatementLineOut:
    """Book a line the import could not match to the invoice or order a person chose."""
    return StatementLineOut.of(
        statements.assign_line(db, line_id, body.kind, body.number, actor=actor)
    )
