"""B2B receivables: payment terms, invoice and quote lifecycles, aging and credit limits.

Pure: standard library and ``openoms.shared`` only. Amounts are integer minor units of one
currency; amounts of different currencies are never added together.

Rules decided here:

* An invoice has no draft state: it exists once it is issued (numbered), as ``open``.
* Only an invoice with nothing paid may be voided (``open`` -> ``void``). A partially paid
  invoice must first have its payments taken back (refunded or moved to another invoice),
  which returns it to ``open``; ``paid`` -> ``partially_paid`` / ``open`` is the same taking
  back (a returned direct debit, a misapplied bank line).
* ``overdue`` is not stored: it follows from the due date, today and the open balance.
* Editing a sent quote does not change what the customer was sent: it makes a new version of
  the quote, in ``draft``, to be sent again. A draft is edited in place.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from openoms.shared.errors import Conflict, ValidationFailed
from openoms.shared.lifecycle import IllegalTransition, check_transition
from openoms.shared.money import Money, validate_currency

# --- Payment terms -----------------------------------------------------------------------


class PaymentTerms(StrEnum):
    """When an invoice falls due, counted from its issue date (calendar days)."""

    DUE_ON_RECEIPT = "due_on_receipt"
    NET_15 = "net_15"
    NET_30 = "net_30"
    NET_60 = "net_60"
    END_OF_MONTH = "end_of_month"

    @property
    def label(self) -> str:
        return _TERM_LABELS[self]

    def due_date(self, issued: date) -> date:
        """The day the invoice must be paid by (it is overdue from the day after).

        ``due_on_receipt``: the issue date. ``net_N``: N calendar days after the issue date.
        ``end_of_month``: the last day of the month the invoice is issued in (29 February in
        a leap year); an invoice issued on the last day of a month is due that same day.
        """
        if self is PaymentTerms.END_OF_MONTH:
            last_day = calendar.monthrange(issued.year, issued.month)[1]
            return issued.replace(day=last_day)
        return issued + timedelta(days=_TERM_DAYS[self])


_TERM_LABELS: dict[PaymentTerms, str] = {
    PaymentTerms.DUE_ON_RECEIPT: "Due on receipt",
    PaymentTerms.NET_15: "Net 15 days",
    PaymentTerms.NET_30: "Net 30 days",
    PaymentTerms.NET_60: "Net 60 days",
    PaymentTerms.END_OF_MONTH: "End of month",
}

_TERM_DAYS: dict[PaymentTerms, int] = {
    PaymentTerms.DUE_ON_RECEIPT: 0,
    PaymentTerms.NET_15: 15,
    PaymentTerms.NET_30: 30,
    PaymentTerms.NET_60: 60,
}


# --- Invoices ----------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


_I = InvoiceStatus
# partially_paid -> partially_paid is a further part payment. The moves back (to open or
# partially_paid) are payments taken back. Void only with nothing paid; void and paid-in-full
# stay unless a payment is taken back.
INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    _I.OPEN: frozenset({_I.PARTIALLY_PAID, _I.PAID, _I.VOID}),
    _I.PARTIALLY_PAID: frozenset({_I.PARTIALLY_PAID, _I.PAID, _I.OPEN}),
    _I.PAID: frozenset({_I.PARTIALLY_PAID, _I.OPEN}),
    _I.VOID: frozenset(),
}


class IllegalInvoiceTransition(IllegalTransition):
    code = "illegal_invoice_transition"
    title = "Not allowed for an invoice in this state"


class OverPayment(Conflict):
    code = "over_payment"
    title = "Payment larger than the open balance"


def check_invoice_transition(number: str, current: InvoiceStatus, target: InvoiceStatus) -> None:
    """Raises: IllegalInvoiceTransition."""
    check_transition(
        INVOICE_TRANSITIONS, f"Invoice {number}", current, target, IllegalInvoiceTransition
    )


def invoice_status_for(total_minor: int, balance_minor: int) -> InvoiceStatus:
    """The status an unvoided invoice has for its open balance: nothing paid is ``open``,
    nothing left is ``paid``, anything between is ``partially_paid``.

    Raises: ValueError when the balance is negative or larger than the total."""
    if balance_minor < 0 or balance_minor > total_minor:
        raise ValueError(f"balance {balance_minor} is outside 0..{total_minor}")
    if balance_minor == 0:
        return InvoiceStatus.PAID
    if balance_minor == total_minor:
        return InvoiceStatus.OPEN
    return InvoiceStatus.PARTIALLY_PAID


def apply_payment(number: str, balance: Money, payment: Money) -> Money:
    """The balance left on invoice ``number`` once ``payment`` is applied to it.

    Raises: ValidationFailed when the payment is not positive or not in the invoice's
    currency; OverPayment when it is larger than the balance."""
    if payment.currency != balance.currency:
        raise ValidationFailed.single(
            "currency",
            f"Invoice {number} is in {balance.currency}, the payment in {payment.currency}.",
        )
    if payment.amount_minor <= 0:
        raise ValidationFailed.single("amount", "A payment must be a positive amount.")
    if payment.amount_minor > balance.amount_minor:
        raise OverPayment(
            f"Invoice {number} has {_show(balance)} open; a payment of {_show(payment)} is larger.",
            number=number,
            balance_minor=balance.amount_minor,
            payment_minor=payment.amount_minor,
            currency=balance.currency,
        )
    return balance - payment


def is_overdue(due: date, today: date, balance: int) -> bool:
    """True when something is still owed (``balance`` in minor units > 0) after the due
    date. The due date itself is not overdue."""
    return balance > 0 and today > due


# --- Aging -------------------------------------------------------------------------------


class AgingBucket(StrEnum):
    """Days past the due date: not yet due (or due today), 1–30, 31–60, 61–90, over 90."""

    CURRENT = "current"
    DAYS_1_30 = "1_30"
    DAYS_31_60 = "31_60"
    DAYS_61_90 = "61_90"
    OVER_90 = "over_90"

    @property
    def label(self) -> str:
        return _BUCKET_LABELS[self]


_BUCKET_LABELS: dict[AgingBucket, str] = {
    AgingBucket.CURRENT: "Current",
    AgingBucket.DAYS_1_30: "1–30",
    AgingBucket.DAYS_31_60: "31–60",
    AgingBucket.DAYS_61_90: "61–90",
    AgingBucket.OVER_90: "90+",
}


def bucket_for(due: date, today: date) -> AgingBucket:
    """The bucket for ``today - due`` in days: ≤0 current, 1–30, 31–60, 61–90, >90."""
    days = (today - due).days
    if days <= 0:
        return AgingBucket.CURRENT
    if days <= 30:
        return AgingBucket.DAYS_1_30
    if days <= 60:
        return AgingBucket.DAYS_31_60
    if days <= 90:
        return AgingBucket.DAYS_61_90
    return AgingBucket.OVER_90


@dataclass(frozen=True)
class OpenItem:
    """Something a company owes: an invoice's open balance and its due date.

    Raises (on creation): ValidationFailed for an unknown currency."""

    company_id: int
    company_name: str
    currency: str
    balance_minor: int
    due: date

    def __post_init__(self) -> None:
        validate_currency(self.currency)


@dataclass(frozen=True, kw_only=True)
class BucketAmounts:
    """Minor-unit amounts of one currency, one per bucket (every bucket present)."""

    currency: str
    amounts: Mapping[AgingBucket, int]

    def amount(self, bucket: AgingBucket) -> Money:
        return Money(self.amounts[bucket], self.currency)

    @property
    def total_minor(self) -> int:
        return sum(self.amounts.values())

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


@dataclass(frozen=True, kw_only=True)
class AgingRow(BucketAmounts):
    """What one company owes in one currency."""

    company_id: int
    company_name: str


@dataclass(frozen=True)
class AgingReport:
    """Rows per (company, currency), ordered by company name, id and currency; totals per
    currency, ordered by currency."""

    today: date
    rows: tuple[AgingRow, ...]
    totals: tuple[BucketAmounts, ...]

    def total_for(self, currency: str) -> BucketAmounts | None:
        return next((t for t in self.totals if t.currency == currency), None)


def _zero_buckets() -> dict[AgingBucket, int]:
    return dict.fromkeys(AgingBucket, 0)


def aging(invoices: Iterable[OpenItem], today: date) -> AgingReport:
    """Age open balances on ``today``. Items with nothing owed (balance ≤ 0) are left out;
    a company owing in two currencies gets two rows, and each currency its own total."""
    rows: dict[tuple[int, str], dict[AgingBucket, int]] = {}
    names: dict[int, str] = {}
    totals: dict[str, dict[AgingBucket, int]] = {}
    for item in invoices:
        if item.balance_minor <= 0:
            continue
        bucket = bucket_for(item.due, today)
        row = rows.setdefault((item.company_id, item.currency), _zero_buckets())
        row[bucket] += item.balance_minor
        names.setdefault(item.company_id, item.company_name)
        totals.setdefault(item.currency, _zero_buckets())[bucket] += item.balance_minor
    report_rows = sorted(
        (
            AgingRow(
                company_id=company_id,
                company_name=names[company_id],
                currency=currency,
                amounts=MappingProxyType(amounts),
            )
            for (company_id, currency), amounts in rows.items()
        ),
        key=lambda r: (r.company_name.casefold(), r.company_id, r.currency),
    )
    report_totals = tuple(
        BucketAmounts(currency=currency, amounts=MappingProxyType(totals[currency]))
        for currency in sorted(totals)
    )
    return AgingReport(today=today, rows=tuple(report_rows), totals=report_totals)


# --- Quotes ------------------------------------------------------------------------------


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


_Q = QuoteStatus
# sent -> draft is an edit of a sent quote: it makes a new version (see revise_quote).
# accepted, rejected and expired are final.
QUOTE_TRANSITIONS: dict[QuoteStatus, frozenset[QuoteStatus]] = {
    _Q.DRAFT: frozenset({_Q.SENT}),
    _Q.SENT: frozenset({_Q.ACCEPTED, _Q.REJECTED, _Q.EXPIRED, _Q.DRAFT}),
    _Q.ACCEPTED: frozenset(),
    _Q.REJECTED: frozenset(),
    _Q.EXPIRED: frozenset(),
}


class IllegalQuoteTransition(IllegalTransition):
    code = "illegal_quote_transition"
    title = "Not allowed for a quote in this state"


def check_quote_transition(number: str, current: QuoteStatus, target: QuoteStatus) -> None:
    """Raises: IllegalQuoteTransition."""
    check_transition(QUOTE_TRANSITIONS, f"Quote {number}", current, target, IllegalQuoteTransition)


def revise_quote(number: str, current: QuoteStatus, version: int) -> int:
    """The version an edit of quote ``number`` lands on, always in ``draft``: a draft is
    edited in place (same version), a sent quote gets a new version (``version + 1``).

    Raises: IllegalQuoteTransition for an accepted, rejected or expired quote."""
    if current is QuoteStatus.DRAFT:
        return version
    check_quote_transition(number, current, QuoteStatus.DRAFT)
    return version + 1


def quote_expired(valid_until: date, today: date) -> bool:
    """A quote is valid through ``valid_until`` and expired from the day after."""
    return today > valid_until


# --- Credit limits -----------------------------------------------------------------------


def credit_exceeded(
    limit_minor: int | None, open_receivables_minor: int, order_total_minor: int
) -> bool:
    """True when the order would take what the company owes above its limit. ``None`` is
    no limit. Reaching the limit exactly is allowed.

    Raises: ValueError for a negative limit."""
    if limit_minor is None:
        return False
    if limit_minor < 0:
        raise ValueError("a credit limit cannot be negative")
    return open_receivables_minor + order_total_minor > limit_minor


@dataclass(frozen=True)
class CreditCheck:
    """A credit check of one order, with what is needed to explain it."""

    currency: str
    limit_minor: int | None
    open_receivables_minor: int
    order_total_minor: int

    @property
    def exceeded(self) -> bool:
        """Raises: ValueError for a negative limit."""
        return credit_exceeded(
            self.limit_minor, self.open_receivables_minor, self.order_total_minor
        )

    @property
    def available_minor(self) -> int | None:
        """Credit left before this order (never below 0); ``None`` when there is no limit."""
        if self.limit_minor is None:
            return None
        return max(0, self.limit_minor - self.open_receivables_minor)

    @property
    def available(self) -> Money | None:
        available = self.available_minor
        return None if available is None else Money(available, self.currency)

    @property
    def shortfall_minor(self) -> int:
        """By how much the order goes over the limit (0 when it fits or there is no limit)."""
        if self.limit_minor is None:
            return 0
        return max(0, self.open_receivables_minor + self.order_total_minor - self.limit_minor)

    def message(self) -> str:
        """One sentence for people: "Credit limit 10000.00 EUR: 2500.00 EUR available, the
        order needs 3000.00 EUR (500.00 EUR over the limit)."

        Raises: ValueError for a negative limit."""
        order = _show(Money(self.order_total_minor, self.currency))
        if self.limit_minor is None:
            return f"No credit limit: the order of {order} fits."
        limit = _show(Money(self.limit_minor, self.currency))
        available = _show(Money(self.available_minor or 0, self.currency))
        if self.exceeded:
            over = _show(Money(self.shortfall_minor, self.currency))
            return (
                f"Credit limit {limit}: {available} available, the order needs {order} "
                f"({over} over the limit)."
            )
        return f"Credit limit {limit}: {available} available, the order of {order} fits."


def _show(money: Money) -> str:
    return f"{money.amount_str()} {money.currency}"
