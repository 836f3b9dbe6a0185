"""B2B API shapes: companies, quotes, invoices, aging and bank statements. Amounts are
decimal strings in the document's currency."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from openoms.customers.schemas import PostalAddressIO
from openoms.receivables.model import AgingBucket, PaymentTerms
from openoms.receivables.services.companies import Company, CompanySpec
from openoms.receivables.services.invoices import Aging, Invoice
from openoms.receivables.services.quotes import Quote, QuoteInput, QuoteLine
from openoms.receivables.services.statements import BookedLine, Imported
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money
from openoms.web.schemas import MoneyOut, Strict


def minor_units(
    text: str | None, currency: str, field: str, errors: list[FieldError]
) -> int | None:
    if text is None:
        return None
    try:
        return Money.parse(text, currency, field=field).amount_minor
    except ValidationFailed as e:
        errors.extend(e.errors)
        return 0


class CompanyIn(Strict):
    code: str = Field(min_length=1, max_length=64, examples=["ACME"])
    name: str = Field(min_length=1, max_length=200)
    payment_terms: PaymentTerms = PaymentTerms.NET_30
    credit_limit: str | None = Field(
        default=None, examples=["10000.00"], description="none: no limit"
    )
    currency: str = Field(default="", max_length=3, description="of the credit limit; empty: base")
    vat_id: str = Field(default="", max_length=40)
    is_active: bool = True

    def to_spec(self, base: str) -> CompanySpec:
        currency = (self.currency or base).upper()
        errors: list[FieldError] = []
        limit = minor_units(self.credit_limit, currency, "credit_limit", errors)
        if errors:
            raise ValidationFailed(errors)
        return CompanySpec(
            self.code, self.name, self.payment_terms, limit, currency, self.vat_id, self.is_active
        )


class CompanyUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    payment_terms: PaymentTerms | None = None
    credit_limit: str | None = Field(default=None, description='"" or null removes the limit')
    vat_id: str | None = Field(default=None, max_length=40, description='"" or null removes it')
    is_active: bool | None = None


class ContactIn(Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=60)


class ContactOut(BaseModel):
    customer: str
    email: str
    name: str
    role: str


class CompanyOut(BaseModel):
    code: str
    name: str
    payment_terms: str
    payment_terms_label: str
    credit_limit: MoneyOut | None
    vat_id: str
    is_active: bool
    contacts: list[ContactOut]

    @classmethod
    def of(cls, c: Company) -> CompanyOut:
        s = c.spec
        return cls(
            code=s.code,
            name=s.name,
            payment_terms=s.payment_terms.value,
            payment_terms_label=s.payment_terms.label,
            credit_limit=MoneyOut.of(Money(s.credit_limit, s.currency))
            if s.credit_limit is not None
            else None,
            vat_id=s.vat_id,
            is_active=s.is_active,
            contacts=[ContactOut(**c.__dict__) for c in c.contacts],
        )


class CreditOut(BaseModel):
    company: str
    limit: MoneyOut | None
    open_receivables: MoneyOut
    available: MoneyOut | None


class QuoteLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1_000_000)
    unit_price: str | None = Field(default=None, description="omit for the catalog price")
    discount: str = "0"


class QuoteIn(Strict):
    company: str = Field(min_length=1, max_length=64)
    contact_email: str = Field(min_length=3, max_length=254)
    channel: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=500)
    billing_address: PostalAddressIO
    shipping_address: PostalAddressIO | None = None
    valid_until: date | None = Field(default=None, description="omit for 30 days from today")
    notes: str = Field(default="", max_length=5000)
    discount: str = "0"

    def to_input(self) -> QuoteInput:
        currency = self.currency.upper()
        errors: list[FieldError] = []
        lines = [
            QuoteLine(
                ln.sku,
                ln.quantity,
                minor_units(ln.unit_price, currency, f"lines[{i}].unit_price", errors),
                minor_units(ln.discount, currency, f"lines[{i}].discount", errors) or 0,
            )
            for i, ln in enumerate(self.lines)
        ]
        discount = minor_units(self.discount, currency, "discount", errors) or 0
        if errors:
            raise ValidationFailed(errors)
        return QuoteInput(
            company=self.company,
            contact_email=self.contact_email,
            channel=self.channel,
            currency=currency,
            lines=lines,
            billing_address=self.billing_address.to_address(),
            shipping_address=self.shipping_address.to_address() if self.shipping_address else None,
            valid_until=self.valid_until,
            notes=self.notes,
            discount=discount,
        )


class QuoteLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut


class QuoteOut(BaseModel):
    number: str
    company: str
    company_name: str
    contact_email: str
    channel: str
    status: str
    version: int
    valid_until: date
    lines: list[QuoteLineOut]
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    notes: str
    order: str | None
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    decided_at: datetime | None
    earlier_versions: list[dict[str, Any]]

    @classmethod
    def of(cls, q: Quote) -> QuoteOut:
        def m(amount: int) -> MoneyOut:
            return MoneyOut.of(q.money(amount))

        return cls(
            number=q.number,
            company=q.company,
            company_name=q.company_name,
            contact_email=q.contact_email,
            channel=q.channel,
            status=q.status.value,
            version=q.version,
            valid_until=q.valid_until,
            lines=[
                QuoteLineOut(
                    sku=ln.sku,
                    name=ln.name,
                    quantity=ln.quantity,
                    unit_price=m(ln.unit_price),
                    discount=m(ln.discount),
                    tax=m(ln.tax),
                    total=m(ln.total),
                )
                for ln in q.lines
            ],
            subtotal=m(q.subtotal),
            discount=m(q.discount),
            tax=m(q.tax),
            total=m(q.total),
            notes=q.notes,
            order=q.order_number,
            created_by=q.created_by,
            created_at=q.created_at,
            sent_at=q.sent_at,
            decided_at=q.decided_at,
            earlier_versions=q.versions,
        )


class InvoiceIn(Strict):
    amount: str | None = Field(default=None, description="omit to invoice all not invoiced yet")


class InvoicePaymentIn(Strict):
    amount: str = Field(examples=["250.00"])
    received_on: date | None = None
    reference: str = Field(default="", max_length=200)
    method: str = Field(
        default="bank_transfer", description="bank_transfer, card, cash, cheque, other"
    )


class InvoicePaymentOut(BaseModel):
    amount: MoneyOut
    received_on: date
    reference: str
    method: str
    actor: str
    created_at: datetime


class InvoiceOut(BaseModel):
    number: str
    company: str
    company_name: str
    order: str
    status: str
    overdue: bool
    terms: str
    issued_on: date
    due_on: date
    total: MoneyOut
    paid: MoneyOut
    balance: MoneyOut
    payments: list[InvoicePaymentOut]

    @classmethod
    def of(cls, i: Invoice, today: date) -> InvoiceOut:
        def m(amount: int) -> MoneyOut:
            return MoneyOut.of(i.money(amount))

        return cls(
            number=i.number,
            company=i.company,
            company_name=i.company_name,
            order=i.order_number,
            status=i.status.value,
            overdue=i.overdue(today),
            terms=i.terms.value,
            issued_on=i.issued_on,
            due_on=i.due_on,
            total=m(i.total),
            paid=m(i.paid),
            balance=m(i.balance),
            payments=[
                InvoicePaymentOut(
                    amount=m(p.amount),
                    received_on=p.received_on,
                    reference=p.reference,
                    method=p.method,
                    actor=p.actor,
                    created_at=p.created_at,
                )
                for p in i.payments
            ],
        )


class AgingRowOut(BaseModel):
    company: str
    currency: str
    buckets: dict[str, MoneyOut]
    total: MoneyOut


class AgingOut(BaseModel):
    today: date
    buckets: list[str]
    rows: list[AgingRowOut]
    totals: list[AgingRowOut]

    @classmethod
    def of(cls, a: Aging) -> AgingOut:
        def row(name: str, r: Any) -> AgingRowOut:
            return AgingRowOut(
                company=name,
                currency=r.currency,
                buckets={b.value: MoneyOut.of(r.amount(b)) for b in AgingBucket},
                total=MoneyOut.of(r.total),
            )

        return cls(
            today=a.today,
            buckets=[b.value for b in AgingBucket],
            rows=[row(r.company_name, r) for r in a.report.rows],
            totals=[row("", t) for t in a.report.totals],
        )


class StatementIn(Strict):
    content: str = Field(min_length=1, max_length=5_000_000, description="the bank's CSV export")
    file_name: str = Field(default="", max_length=200)
    default_currency: str | None = Field(default=None, min_length=3, max_length=3)


class StatementLineOut(BaseModel):
    id: int
    row: int
    booked: date
    amount: MoneyOut
    reference: str
    counterparty: str
    outcome: str
    item_kind: str | None
    item_number: str | None
    applied: MoneyOut
    excess: MoneyOut
    reason: str

    @classmethod
    def of(cls, ln: BookedLine) -> StatementLineOut:
        def m(amount: int) -> MoneyOut:
            return MoneyOut.of(Money(amount, ln.currency))

        return cls(
            id=ln.id,
            row=ln.row,
            booked=ln.booked,
            amount=m(ln.amount),
            reference=ln.reference,
            counterparty=ln.counterparty,
            outcome=ln.outcome,
            item_kind=ln.item_kind,
            item_number=ln.item_number,
            applied=m(ln.applied),
            excess=m(ln.excess),
            reason=ln.reason,
        )


class StatementErrorOut(BaseModel):
    row: int
    message: str


class ImportedOut(BaseModel):
    import_id: str
    lines: list[StatementLineOut]
    errors: list[StatementErrorOut]
    duplicates: int

    @classmethod
    def of(cls, i: Imported) -> ImportedOut:
        return cls(
            import_id=i.import_id,
            lines=[StatementLineOut.of(ln) for ln in i.lines],
            errors=[StatementErrorOut(row=e.row, message=e.message) for e in i.errors],
            duplicates=i.duplicates,
        )


class AssignIn(Strict):
    kind: str = Field(pattern="^(invoice|order)$")
    number: str = Field(min_length=1, max_length=20)
