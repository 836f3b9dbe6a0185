"""B2B quotes: priced by the server as an order would be, sent, versioned when a sent quote
is edited, accepted into an order at the quote's prices (paid on terms), or rejected or
expired."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from openoms.customers.model import PostalAddress
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.sequences import next_number
from openoms.orders.model import Order
from openoms.orders.placement import LineInput, OrderInput, input_errors, place_order, quote_order
from openoms.payments.gateways import Gateways
from openoms.payments.model import PaymentMethod
from openoms.receivables.model import (
    QuoteStatus,
    check_quote_transition,
    quote_expired,
    revise_quote,
)
from openoms.receivables.orm import companies, quote_versions, quotes
from openoms.receivables.services.companies import get_company
from openoms.shared import clock
from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.events import Event
from openoms.shared.money import Money

_q = quotes.c
DEFAULT_VALID_DAYS = 30


class QuoteNotFound(NotFound):
    code = "quote_not_found"
    title = "Quote not found"


class QuoteExpired(Conflict):
    code = "quote_expired"
    title = "Quote has expired"


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    quantity: int
    unit_price: int | None = None  # None: the catalog price when priced
    discount: int = 0


@dataclass
class QuoteInput:
    company: str
    contact_email: str
    channel: str
    currency: str
    lines: list[QuoteLine]
    billing_address: PostalAddress
    shipping_address: PostalAddress | None = None
    valid_until: date | None = None  # None: 30 days from today
    notes: str = ""
    discount: int = 0


@dataclass(frozen=True)
class PricedLine:
    sku: str
    name: str
    quantity: int
    unit_price: int
    discount: int
    tax: int
    total: int


@dataclass(frozen=True)
class Quote:
    id: int
    number: str
    company: str
    company_name: str
    contact_email: str
    channel: str
    currency: str
    status: QuoteStatus
    version: int
    valid_until: date
    lines: list[PricedLine]
    billing_address: dict[str, Any]
    shipping_address: dict[str, Any] | None
    subtotal: int
    discount: int
    tax: int
    total: int
    notes: str
    order_number: str | None
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    decided_at: datetime | None
    versions: list[dict[str, Any]] = field(default_factory=list)

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


def create_quote(db: Database, data: QuoteInput, *, actor: str) -> Quote:
    """Raises: ValidationFailed, CompanyNotFound, ChannelNotFound, CurrencyNotSold,
    SkuNotFound, InactiveSku."""
    values = _priced(db, data)
    with db.uow() as uow:
        number = next_number(uow.conn, "quote", "QT")
        now = clock.now()
        uow.conn.execute(
            quotes.insert().values(
                number=number,
                status=QuoteStatus.DRAFT.value,
                version=1,
                created_by=actor,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        found = _load(uow, number)
        uow.commit()
    return found


def update_quote(db: Database, number: str, data: QuoteInput, *, actor: str) -> Quote:
    """Edit a quote: a draft in place; a sent quote becomes a new version, in draft, and
    what was sent is kept. Raises: QuoteNotFound, IllegalQuoteTransition (decided),
    ValidationFailed, …"""
    values = _priced(db, data)
    with db.uow() as uow:
        current = _load(uow, number)
        version = revise_quote(number, current.status, current.version)
        if version != current.version:
            uow.conn.execute(
                quote_versions.insert().values(
                    quote_id=current.id,
                    version=current.version,
                    data=_snapshot(current),
                    created_at=clock.now(),
                )
            )
        uow.conn.execute(
            quotes.update()
            .where(_q.id == current.id)
            .values(
                **values,
                status=QuoteStatus.DRAFT.value,
                version=version,
                updated_at=clock.now(),
                sent_at=None if version != current.version else current.sent_at,
            )
        )
        found = _load(uow, number)
        if version != current.version:
            uow.record(_event("quote.revised", found, by=actor))
        uow.commit()
    return found


def send_quote(db: Database, number: str, *, actor: str) -> Quote:
    """Raises: QuoteNotFound, IllegalQuoteTransition, QuoteExpired (valid until has
    passed)."""
    with db.uow() as uow:
        current = _load(uow, number)
        check_quote_transition(number, current.status, QuoteStatus.SENT)
        if quote_expired(current.valid_until, clock.now().date()):
            raise QuoteExpired(
                f"Quote {number} was valid until {current.valid_until}; change the date first.",
                number=number,
            )
        _move(uow, current, QuoteStatus.SENT, sent_at=clock.now())
        uow.record(_event("quote.sent", current, by=actor))
        found = _load(uow, number)
        uow.commit()
    return found


def reject_quote(db: Database, number: str, *, actor: str) -> Quote:
    """The customer said no. Raises: QuoteNotFound, IllegalQuoteTransition."""
    with db.uow() as uow:
        current = _load(uow, number)
        check_quote_transition(number, current.status, QuoteStatus.REJECTED)
        _move(uow, current, QuoteStatus.REJECTED, decided_at=clock.now())
        uow.record(_event("quote.rejected", current, by=actor))
        found = _load(uow, number)
        uow.commit()
    return found


def accept_quote(
    db: Database, gateways: Gateways, number: str, *, actor: str
) -> tuple[Quote, Order]:
    """The customer said yes: the quote becomes an order at the quote's prices, paid on
    the company's terms (credit limit checked). Raises: QuoteNotFound,
    IllegalQuoteTransition, QuoteExpired, and what placing an order raises."""
    from openoms.payments.services import order_payments
    from openoms.payments.services.operations import PaymentInput

    with db.uow() as uow:
        current = _load(uow, number)
        check_quote_transition(number, current.status, QuoteStatus.ACCEPTED)
        if quote_expired(current.valid_until, clock.now().date()):
            _move(uow, current, QuoteStatus.EXPIRED, decided_at=clock.now())
            uow.record(_event("quote.expired", current))
            uow.commit()
            raise QuoteExpired(f"Quote {number} expired on {current.valid_until}.", number=number)
    # The stored discount is the lines' and the quote's together; the lines carry theirs.
    line_discounts = sum(ln.discount for ln in current.lines)
    data = OrderInput(
        channel=current.channel,
        email=current.contact_email,
        currency=current.currency,
        lines=[LineInput(ln.sku, ln.quantity, ln.unit_price, ln.discount) for ln in current.lines],
        billing_address=PostalAddress(**current.billing_address),
        # a quote without a delivery address delivers to its billing address (as priced)
        shipping_address=PostalAddress(**(current.shipping_address or current.billing_address)),
        external_id=f"{number}",
        customer_name=current.billing_address.get("name", ""),
        discount=current.discount - line_discounts,
        notes=current.notes,
        tags=["quote"],
    )
    placed = place_order(db.uow(), data, actor=actor)
    order = order_payments.after_placement(
        db,
        gateways,
        placed.order,
        PaymentInput(PaymentMethod.INVOICE),
        created=placed.created,
        actor=actor,
    )
    with db.uow() as uow:
        current = _load(uow, number)
        if current.status is not QuoteStatus.ACCEPTED:
            _move(
                uow,
                current,
                QuoteStatus.ACCEPTED,
                decided_at=clock.now(),
                order_number=order.number,
            )
            uow.record(_event("quote.accepted", current, order=order.number, by=actor))
        found = _load(uow, number)
        uow.commit()
    return found, order


def expire_quotes(db: Database) -> int:
    """Sent quotes past their date become expired. Returns how many."""
    today = clock.now().date()
    with db.uow() as uow:
        numbers = list(
            uow.conn.execute(
                sa.select(_q.number)
                .where(_q.status == QuoteStatus.SENT.value, _q.valid_until < today)
                .limit(500)
            ).scalars()
        )
        for number in numbers:
            current = _load(uow, number)
            _move(uow, current, QuoteStatus.EXPIRED, decided_at=clock.now())
            uow.record(_event("quote.expired", current))
        uow.commit()
    return len(numbers)


def get_quote(uow: UnitOfWork, number: str) -> Quote:
    """Raises: QuoteNotFound."""
    with uow:
        return _load(uow, number)


def list_quotes(
    uow: UnitOfWork, *, status: QuoteStatus | None = None, company: str | None = None
) -> list[Quote]:
    query = sa.select(_q.number).join(companies, companies.c.id == _q.company_id)
    if status is not None:
        query = query.where(_q.status == status.value)
    if company:
        query = query.where(companies.c.code == company)
    with uow:
        numbers = list(uow.conn.execute(query.order_by(_q.id.desc()).limit(200)).scalars())
        return [_load(uow, n) for n in numbers]


def _priced(db: Database, data: QuoteInput) -> dict[str, Any]:
    errors = _input_errors(data)
    if errors:
        raise ValidationFailed(errors)
    company = get_company(db.reader(), data.company)
    emails = {c.email for c in company.contacts}
    if data.contact_email.strip().lower() not in emails:
        raise ValidationFailed.single(
            "contact_email", f"{data.contact_email} is not a contact of {company.code}"
        )
    order = OrderInput(
        channel=data.channel,
        email=data.contact_email,
        currency=data.currency,
        lines=[LineInput(ln.sku, ln.quantity, ln.unit_price, ln.discount) for ln in data.lines],
        billing_address=data.billing_address,
        shipping_address=data.shipping_address,
        discount=data.discount,
        pickup_location=None,
    )
    priced = quote_order(db.reader(), order)
    lines = [
        PricedLine(ln.sku, sku.name, ln.quantity, price, ln.discount, t.tax, t.total)
        for (ln, price, sku), t in zip(priced.lines, priced.totals.lines, strict=True)
    ]
    with db.reader() as uow:
        company_id = uow.conn.execute(
            sa.select(companies.c.id).where(companies.c.code == data.company)
        ).scalar_one()
    return {
        "company_id": company_id,
        "contact_email": data.contact_email.strip().lower(),
        "channel_code": data.channel,
        "currency": data.currency,
        "valid_until": data.valid_until or clock.now().date() + timedelta(days=DEFAULT_VALID_DAYS),
        "lines": [asdict(ln) for ln in lines],
        "billing_address": asdict(data.billing_address),
        "shipping_address": asdict(data.shipping_address) if data.shipping_address else None,
        "subtotal_amount": priced.totals.subtotal,
        "discount_amount": priced.totals.discount,
        "tax_amount": priced.totals.tax,
        "total_amount": priced.totals.total,
        "notes": data.notes,
    }


def _input_errors(data: QuoteInput) -> list[FieldError]:
    as_order = OrderInput(
        channel=data.channel,
        email=data.contact_email,
        currency=data.currency,
        lines=[LineInput(ln.sku, ln.quantity, ln.unit_price, ln.discount) for ln in data.lines],
        billing_address=data.billing_address,
        shipping_address=data.shipping_address or data.billing_address,
        discount=data.discount,
    )
    errors = input_errors(as_order)
    if data.valid_until is not None and data.valid_until < clock.now().date():
        errors.append(FieldError("valid_until", "is in the past"))
    return errors


def _move(uow: UnitOfWork, quote: Quote, status: QuoteStatus, **values: Any) -> None:
    uow.conn.execute(
        quotes.update()
        .where(_q.id == quote.id)
        .values(status=status.value, updated_at=clock.now(), **values)
    )


def _event(name: str, quote: Quote, **extra: Any) -> Event:
    return Event(
        name,
        {
            "number": quote.number,
            "company": quote.company,
            "version": quote.version,
            "currency": quote.currency,
            "total": quote.total,
            **extra,
        },
        f"quote:{quote.number}",
    )


def _snapshot(quote: Quote) -> dict[str, Any]:
    return {
        "version": quote.version,
        "valid_until": quote.valid_until.isoformat(),
        "lines": [asdict(ln) for ln in quote.lines],
        "total": quote.total,
        "currency": quote.currency,
        "sent_at": quote.sent_at.isoformat() if quote.sent_at else None,
        "notes": quote.notes,
    }


def _load(uow: UnitOfWork, number: str) -> Quote:
    row = uow.conn.execute(
        sa.select(quotes, companies.c.code, companies.c.name)
        .join(companies, companies.c.id == _q.company_id)
        .where(_q.number == number)
    ).first()
    if row is None:
        raise QuoteNotFound(f"No quote {number}.", number=number)
    versions = uow.conn.execute(
        sa.select(quote_versions.c.data)
        .where(quote_versions.c.quote_id == row.id)
        .order_by(quote_versions.c.version)
    ).scalars()
    return Quote(
        id=row.id,
        number=row.number,
        company=row.code,
        company_name=row.name,
        contact_email=row.contact_email,
        channel=row.channel_code,
        currency=row.currency,
        status=QuoteStatus(row.status),
        version=row.version,
        valid_until=row.valid_until,
        lines=[PricedLine(**ln) for ln in row.lines],
        billing_address=dict(row.billing_address),
        shipping_address=dict(row.shipping_address) if row.shipping_address else None,
        subtotal=row.subtotal_amount,
        discount=row.discount_amount,
        tax=row.tax_amount,
        total=row.total_amount,
        notes=row.notes,
        order_number=row.order_number,
        created_by=row.created_by,
        created_at=row.created_at,
        sent_at=row.sent_at,
        decided_at=row.decided_at,
        versions=[dict(v) for v in versions],
    )
