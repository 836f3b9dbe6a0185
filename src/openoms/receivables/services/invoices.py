"""Invoices on payment terms: issued for an order (on demand, or for what a shipment
sends), numbered without gaps, paid by recorded payments (partial allowed), flagged when
overdue, and summed up by age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from openoms.infra.db import Database, UnitOfWork
from openoms.infra.sequences import next_number
from openoms.orders import lifecycle
from openoms.orders.queries import load_order, order_id_of
from openoms.payments.model import PaymentMethod, PaymentState
from openoms.payments.services.operations import receive_in_transaction
from openoms.payments.services.records import payments_of
from openoms.receivables.model import (
    AgingReport,
    InvoiceStatus,
    OpenItem,
    PaymentTerms,
    aging,
    apply_payment,
    check_invoice_transition,
    invoice_status_for,
    is_overdue,
)
from openoms.receivables.orm import companies, invoice_payments, invoices
from openoms.receivables.services.companies import company_of_customer
from openoms.shared import clock
from openoms.shared.errors import Conflict, NotFound, ValidationFailed
from openoms.shared.events import Event
from openoms.shared.money import Money

_i = invoices.c
_ip = invoice_payments.c
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "cheque", "other")


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    title = "Invoice not found"


class NotOnTerms(Conflict):
    code = "not_on_terms"
    title = "Order is not paid on terms"


class NothingToInvoice(Conflict):
    code = "nothing_to_invoice"
    title = "Nothing left to invoice"


@dataclass(frozen=True)
class InvoicePayment:
    id: int
    amount: int
    received_on: date
    reference: str
    method: str
    actor: str
    created_at: datetime


@dataclass(frozen=True)
class Invoice:
    id: int
    number: str
    company_id: int
    company: str
    company_name: str
    order_number: str
    currency: str
    total: int
    paid: int
    status: InvoiceStatus
    terms: PaymentTerms
    issued_on: date
    due_on: date
    created_by: str
    payments: list[InvoicePayment]

    @property
    def balance(self) -> int:
        return self.total - self.paid

    def overdue(self, today: date) -> bool:
        return self.status is not InvoiceStatus.VOID and is_overdue(
            self.due_on, today, self.balance
        )

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


def issue_invoice(
    db: Database, order_number: str, *, actor: str, amount: int | None = None
) -> Invoice:
    """Invoice an order paid on terms: ``amount`` (None: all not invoiced yet), due by the
    company's terms from today. Raises: OrderNotFound, NotOnTerms, NothingToInvoice,
    ValidationFailed."""
    if amount is not None and amount <= 0:
        raise ValidationFailed.single("amount", "must be greater than zero")
    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, order_number))
        company = company_of_customer(uow, order.customer_id)
        on_terms = [
            p
            for p in payments_of(uow, order.id)
            if p.method is PaymentMethod.INVOICE
            and p.state
            in (PaymentState.AWAITING_FUNDS, PaymentState.PARTIALLY_PAID, PaymentState.PAID)
        ]
        if company is None or not on_terms:
            raise NotOnTerms(
                f"Order {order_number} is not paid on terms by a company; nothing to invoice.",
                number=order_number,
            )
        invoiced = int(
            uow.conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(_i.total_amount), 0)).where(
                    _i.order_id == order.id, _i.status != InvoiceStatus.VOID.value
                )
            ).scalar_one()
        )
        left = sum(p.authorized for p in on_terms) - invoiced
        take = left if amount is None else amount
        if take <= 0 or take > left:
            raise NothingToInvoice(
                f"Order {order_number} has {Money(max(left, 0), order.currency).format()} "
                "left to invoice.",
                number=order_number,
                left=max(left, 0),
            )
        today = clock.now().date()
        terms = company.spec.payment_terms
        number = next_number(uow.conn, "invoice", "INV")
        now = clock.now()
        uow.conn.execute(
            invoices.insert().values(
                number=number,
                company_id=company.id,
                order_id=order.id,
                order_number=order.number,
                currency=order.currency,
                total_amount=take,
                status=InvoiceStatus.OPEN.value,
                payment_terms=terms.value,
                issued_on=today,
                due_on=terms.due_date(today),
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
        )
        found = _load(uow, number)
        lifecycle.write_event(
            uow,
            order.id,
            actor,
            "invoice",
            None,
            None,
            f"Invoice {number} issued for {found.money(take).format()}, due {found.due_on}",
            {"invoice": number, "amount": take, "due_on": found.due_on.isoformat()},
        )
        uow.record(_event("invoice.issued", found))
        uow.commit()
    return found


def record_payment(
    db: Database,
    number: str,
    amount: int,
    *,
    actor: str,
    received_on: date | None = None,
    reference: str = "",
    method: str = "bank_transfer",
) -> Invoice:
    """Money received for an invoice (part of it is fine); the order's payment on terms
    receives it too. Raises: InvoiceNotFound, OverPayment, IllegalInvoiceTransition,
    ValidationFailed."""
    with db.uow() as uow:
        invoice = record_payment_in_transaction(
            uow,
            number,
            amount,
            actor=actor,
            received_on=received_on,
            reference=reference,
            method=method,
        )
        uow.commit()
    return invoice


def record_payment_in_transaction(
    uow: UnitOfWork,
    number: str,
    amount: int,
    *,
    actor: str,
    received_on: date | None = None,
    reference: str = "",
    method: str = "bank_transfer",
) -> Invoice:
    if method not in PAYMENT_METHODS:
        raise ValidationFailed.single("method", f"must be one of {', '.join(PAYMENT_METHODS)}")
    if amount <= 0:
        raise ValidationFailed.single("amount", "must be greater than zero")
    invoice = _load(uow, number)
    if invoice.status is InvoiceStatus.VOID:
        check_invoice_transition(number, invoice.status, InvoiceStatus.PAID)
    apply_payment(number, invoice.money(invoice.balance), invoice.money(amount))
    target = invoice_status_for(invoice.total, invoice.balance - amount)
    if target is not invoice.status:
        check_invoice_transition(number, invoice.status, target)
    moved = uow.conn.execute(
        invoices.update()
        .where(_i.id == invoice.id, _i.paid_amount + amount <= _i.total_amount)
        .values(paid_amount=_i.paid_amount + amount, status=target.value, updated_at=clock.now())
    ).rowcount
    if moved != 1:  # paid meanwhile
        apply_payment(number, invoice.money(0), invoice.money(amount))
    uow.conn.execute(
        invoice_payments.insert().values(
            invoice_id=invoice.id,
            amount=amount,
            received_on=received_on or clock.now().date(),
            reference=reference,
            method=method,
            actor=actor,
            created_at=clock.now(),
        )
    )
    order_id = order_id_of(uow, invoice.order_number)
    for payment in payments_of(uow, order_id):
        if payment.method is PaymentMethod.INVOICE and payment.capturable >= amount:
            receive_in_transaction(
                uow, payment.id, amount, actor=actor, reason=f"invoice {number} {reference}".strip()
            )
            break
    after = _load(uow, number)
    uow.record(_event("invoice.payment_received", after, received=amount))
    if after.status is InvoiceStatus.PAID:
        uow.record(_event("invoice.paid", after))
    return after


def void_invoice(db: Database, number: str, *, actor: str) -> Invoice:
    """Cancel an invoice nothing was paid on. Raises: InvoiceNotFound,
    IllegalInvoiceTransition."""
    with db.uow() as uow:
        invoice = _load(uow, number)
        check_invoice_transition(number, invoice.status, InvoiceStatus.VOID)
        uow.conn.execute(
            invoices.update()
            .where(_i.id == invoice.id, _i.paid_amount == 0)
            .values(status=InvoiceStatus.VOID.value, updated_at=clock.now())
        )
        lifecycle.write_event(
            uow,
            order_id_of(uow, invoice.order_number),
            actor,
            "invoice",
            None,
            None,
            f"Invoice {number} voided",
            {"invoice": number},
        )
        found = _load(uow, number)
        uow.record(_event("invoice.voided", found))
        uow.commit()
    return found


def get_invoice(uow: UnitOfWork, number: str) -> Invoice:
    """Raises: InvoiceNotFound."""
    with uow:
        return _load(uow, number)


def list_invoices(
    uow: UnitOfWork,
    *,
    status: InvoiceStatus | None = None,
    company: str | None = None,
    order_number: str | None = None,
    overdue: bool = False,
    limit: int = 200,
) -> list[Invoice]:
    query = sa.select(_i.number).join(companies, companies.c.id == _i.company_id)
    if status is not None:
        query = query.where(_i.status == status.value)
    if company:
        query = query.where(companies.c.code == company)
    if order_number:
        query = query.where(_i.order_number == order_number)
    if overdue:
        query = query.where(
            _i.due_on < clock.now().date(),
            _i.paid_amount < _i.total_amount,
            _i.status != InvoiceStatus.VOID.value,
        )
    with uow:
        numbers = list(uow.conn.execute(query.order_by(_i.id.desc()).limit(limit)).scalars())
        return [_load(uow, n) for n in numbers]


@dataclass(frozen=True)
class Aging:
    today: date
    report: AgingReport
    open_invoices: list[Invoice]


def aging_report(uow: UnitOfWork, today: date | None = None) -> Aging:
    """Open invoices by company and how long past due, per currency."""
    today = today or clock.now().date()
    with uow:
        numbers = list(
            uow.conn.execute(
                sa.select(_i.number)
                .where(
                    _i.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PARTIALLY_PAID.value])
                )
                .order_by(_i.due_on, _i.id)
            ).scalars()
        )
        found = [_load(uow, n) for n in numbers]
    items = [
        OpenItem(i.company_id, f"{i.company_name} ({i.company})", i.currency, i.balance, i.due_on)
        for i in found
    ]
    return Aging(today, aging(items, today), found)


def flag_overdue(db: Database) -> int:
    """Tell once (an ``invoice.overdue`` event) about each invoice past its due date with
    money still owed. Returns how many were flagged."""
    today = clock.now().date()
    with db.uow() as uow:
        numbers = list(
            uow.conn.execute(
                sa.select(_i.number)
                .where(
                    _i.due_on < today,
                    _i.paid_amount < _i.total_amount,
                    _i.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PARTIALLY_PAID.value]),
                    _i.overdue_notified_at.is_(None),
                )
                .limit(500)
            ).scalars()
        )
        for number in numbers:
            invoice = _load(uow, number)
            uow.conn.execute(
                invoices.update().where(_i.id == invoice.id).values(overdue_notified_at=clock.now())
            )
            uow.record(
                _event("invoice.overdue", invoice, days_overdue=(today - invoice.due_on).days)
            )
        uow.commit()
    return len(numbers)


def _event(name: str, invoice: Invoice, **extra: Any) -> Event:
    return Event(
        name,
        {
            "number": invoice.number,
            "order": invoice.order_number,
            "company": invoice.company,
            "currency": invoice.currency,
            "total": invoice.total,
            "balance": invoice.balance,
            "due_on": invoice.due_on.isoformat(),
            **extra,
        },
        f"invoice:{invoice.number}",
    )


def _load(uow: UnitOfWork, number: str) -> Invoice:
    row = uow.conn.execute(
        sa.select(invoices, companies.c.code, companies.c.name)
        .join(companies, companies.c.id == _i.company_id)
        .where(_i.number == number)
    ).first()
    if row is None:
        raise InvoiceNotFound(f"No invoice {number}.", number=number)
    paid = uow.conn.execute(
        sa.select(invoice_payments).where(_ip.invoice_id == row.id).order_by(_ip.id)
    )
    return Invoice(
        id=row.id,
        number=row.number,
        company_id=row.company_id,
        company=row.code,
        company_name=row.name,
        order_number=row.order_number,
        currency=row.currency,
        total=row.total_amount,
        paid=row.paid_amount,
        status=InvoiceStatus(row.status),
        terms=PaymentTerms(row.payment_terms),
        issued_on=row.issued_on,
        due_on=row.due_on,
        created_by=row.created_by,
        payments=[
            InvoicePayment(
                p.id, p.amount, p.received_on, p.reference, p.method, p.actor, p.created_at
            )
            for p in paid
        ],
    )
