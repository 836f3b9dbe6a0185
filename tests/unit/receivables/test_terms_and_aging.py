"""Receivables rules: payment terms, invoice and quote lifecycles, aging, credit limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from openoms.receivables.model import (
    INVOICE_TRANSITIONS,
    QUOTE_TRANSITIONS,
    AgingBucket,
    CreditCheck,
    IllegalInvoiceTransition,
    IllegalQuoteTransition,
    InvoiceStatus,
    OpenItem,
    OverPayment,
    PaymentTerms,
    QuoteStatus,
    aging,
    apply_payment,
    bucket_for,
    check_invoice_transition,
    check_quote_transition,
    credit_exceeded,
    invoice_status_for,
    is_overdue,
    quote_expired,
    revise_quote,
)
from openoms.shared.errors import ValidationFailed
from openoms.shared.lifecycle import IllegalTransition
from openoms.shared.money import Money

TODAY = date(2026, 11, 20)

# --- Payment terms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "issued", "due"),
    [
        (PaymentTerms.DUE_ON_RECEIPT, date(2026, 11, 20), date(2026, 11, 20)),
        (PaymentTerms.NET_15, date(2026, 11, 20), date(2026, 12, 5)),
        (PaymentTerms.NET_30, date(2026, 11, 20), date(2026, 12, 20)),
        (PaymentTerms.NET_60, date(2026, 11, 20), date(2027, 1, 19)),
        (PaymentTerms.NET_30, date(2026, 12, 15), date(2027, 1, 14)),
        (PaymentTerms.NET_15, date(2026, 12, 31), date(2027, 1, 15)),
        (PaymentTerms.NET_30, date(2026, 1, 31), date(2026, 3, 2)),
        (PaymentTerms.NET_30, date(2028, 1, 31), date(2028, 3, 1)),
        (PaymentTerms.END_OF_MONTH, date(2026, 11, 20), date(2026, 11, 30)),
        (PaymentTerms.END_OF_MONTH, date(2026, 12, 1), date(2026, 12, 31)),
        (PaymentTerms.END_OF_MONTH, date(2026, 2, 10), date(2026, 2, 28)),
        (PaymentTerms.END_OF_MONTH, date(2028, 2, 10), date(2028, 2, 29)),
        (PaymentTerms.END_OF_MONTH, date(2100, 2, 1), date(2100, 2, 28)),
        (PaymentTerms.END_OF_MONTH, date(2000, 2, 1), date(2000, 2, 29)),
        (PaymentTerms.END_OF_MONTH, date(2026, 1, 31), date(2026, 1, 31)),
        (PaymentTerms.END_OF_MONTH, date(2026, 4, 30), date(2026, 4, 30)),
    ],
)
def test_due_date_for_every_term(terms: PaymentTerms, issued: date, due: date) -> None:
    assert terms.due_date(issued) == due


def test_every_term_has_a_label_and_parses_from_its_value() -> None:
    assert PaymentTerms("net_30") is PaymentTerms.NET_30
    assert PaymentTerms.END_OF_MONTH.label == "End of month"
    assert PaymentTerms.DUE_ON_RECEIPT.label == "Due on receipt"
    assert all(terms.label for terms in PaymentTerms)
    assert len({terms.label for terms in PaymentTerms}) == len(PaymentTerms)


def test_overdue_is_derived_from_due_date_today_and_balance() -> None:
    due = date(2026, 11, 19)
    assert not is_overdue(due, due, 100)
    assert is_overdue(due, due + timedelta(days=1), 100)
    assert not is_overdue(due, due + timedelta(days=1), 0)
    assert not is_overdue(due, due - timedelta(days=5), 100)
    assert "overdue" not in {status.value for status in InvoiceStatus}


# --- Invoices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID),
        (InvoiceStatus.OPEN, InvoiceStatus.PAID),
        (InvoiceStatus.OPEN, InvoiceStatus.VOID),
        (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PARTIALLY_PAID),
        (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID),
        (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OPEN),
        (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID),
        (InvoiceStatus.PAID, InvoiceStatus.OPEN),
    ],
)
def test_allowed_invoice_transitions(current: InvoiceStatus, target: InvoiceStatus) -> None:
    check_invoice_transition("INV-2026-00042", current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.VOID),
        (InvoiceStatus.PAID, InvoiceStatus.VOID),
        (InvoiceStatus.VOID, InvoiceStatus.OPEN),
        (InvoiceStatus.VOID, InvoiceStatus.PAID),
        (InvoiceStatus.OPEN, InvoiceStatus.OPEN),
        (InvoiceStatus.PAID, InvoiceStatus.PAID),
    ],
)
def test_refused_invoice_transitions(current: InvoiceStatus, target: InvoiceStatus) -> None:
    with pytest.raises(IllegalInvoiceTransition) as refused:
        check_invoice_transition("INV-2026-00042", current, target)
    assert refused.value.code == "illegal_invoice_transition"
    assert isinstance(refused.value, IllegalTransition)
    assert refused.value.kind == "conflict"
    assert str(refused.value) == (
        f"Invoice INV-2026-00042 is {current.value} and cannot become {target.value}."
    )


def test_the_invoice_table_covers_every_status() -> None:
    assert set(INVOICE_TRANSITIONS) == set(InvoiceStatus)
    assert INVOICE_TRANSITIONS[InvoiceStatus.VOID] == frozenset()


@pytest.mark.parametrize(
    ("balance", "status"),
    [
        (10_000, InvoiceStatus.OPEN),
        (9_999, InvoiceStatus.PARTIALLY_PAID),
        (1, InvoiceStatus.PARTIALLY_PAID),
        (0, InvoiceStatus.PAID),
    ],
)
def test_status_follows_the_open_balance(balance: int, status: InvoiceStatus) -> None:
    assert invoice_status_for(10_000, balance) is status


@pytest.mark.parametrize("balance", [-1, 10_001])
def test_a_balance_outside_the_total_is_refused(balance: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        invoice_status_for(10_000, balance)


def test_a_payment_lowers_the_balance_down_to_zero() -> None:
    balance = Money(10_000, "EUR")
    assert apply_payment("INV-1", balance, Money(2_500, "EUR")) == Money(7_500, "EUR")
    assert apply_payment("INV-1", balance, Money(10_000, "EUR")) == Money(0, "EUR")


def test_a_payment_above_the_balance_is_an_over_payment() -> None:
    with pytest.raises(OverPayment) as refused:
        apply_payment("INV-1", Money(10_000, "EUR"), Money(10_001, "EUR"))
    assert refused.value.code == "over_payment"
    assert refused.value.data["balance_minor"] == 10_000
    assert refused.value.data["payment_minor"] == 10_001
    assert "100.00 EUR open" in str(refused.value)


@pytest.mark.parametrize(
    ("payment", "field"),
    [(Money(0, "EUR"), "amount"), (Money(-5, "EUR"), "amount"), (Money(100, "USD"), "currency")],
)
def test_a_payment_must_be_positive_and_in_the_invoice_currency(payment: Money, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        apply_payment("INV-1", Money(10_000, "EUR"), payment)
    assert refused.value.errors[0].field == field


# --- Aging -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-10, AgingBucket.CURRENT),
        (0, AgingBucket.CURRENT),
        (1, AgingBucket.DAYS_1_30),
        (30, AgingBucket.DAYS_1_30),
        (31, AgingBucket.DAYS_31_60),
        (60, AgingBucket.DAYS_31_60),
        (61, AgingBucket.DAYS_61_90),
        (90, AgingBucket.DAYS_61_90),
        (91, AgingBucket.OVER_90),
        (400, AgingBucket.OVER_90),
    ],
)
def test_bucket_boundaries(days_past_due: int, bucket: AgingBucket) -> None:
    assert bucket_for(TODAY - timedelta(days=days_past_due), TODAY) is bucket


def test_bucket_values_and_labels() -> None:
    assert [b.value for b in AgingBucket] == ["current", "1_30", "31_60", "61_90", "over_90"]
    assert [b.label for b in AgingBucket] == ["Current", "1–30", "31–60", "61–90", "90+"]


def item(company: int, name: str, currency: str, balance: int, days_past_due: int) -> OpenItem:
    return OpenItem(company, name, currency, balance, TODAY - timedelta(days=days_past_due))


def test_aging_rows_per_company_and_currency_with_totals_per_currency() -> None:
    report = aging(
        [
            item(2, "Beta Ltd", "EUR", 10_000, 0),
            item(2, "Beta Ltd", "EUR", 5_000, 45),
            item(2, "Beta Ltd", "USD", 7_000, 100),
            item(1, "Acme GmbH", "EUR", 2_000, 1),
            item(1, "Acme GmbH", "EUR", 3_000, 30),
            item(1, "Acme GmbH", "EUR", 0, 200),
            item(1, "Acme GmbH", "JPY", 1_500, 61),
        ],
        TODAY,
    )

    assert report.today == TODAY
    assert [(r.company_name, r.currency) for r in report.rows] == [
        ("Acme GmbH", "EUR"),
        ("Acme GmbH", "JPY"),
        ("Beta Ltd", "EUR"),
        ("Beta Ltd", "USD"),
    ]
    acme_eur = report.rows[0]
    assert acme_eur.company_id == 1
    assert dict(acme_eur.amounts) == {
        AgingBucket.CURRENT: 0,
        AgingBucket.DAYS_1_30: 5_000,
        AgingBucket.DAYS_31_60: 0,
        AgingBucket.DAYS_61_90: 0,
        AgingBucket.OVER_90: 0,
    }
    assert acme_eur.total == Money(5_000, "EUR")
    assert report.rows[1].amount(AgingBucket.DAYS_61_90) == Money(1_500, "JPY")

    assert [t.currency for t in report.totals] == ["EUR", "JPY", "USD"]
    eur = report.total_for("EUR")
    assert eur is not None
    assert eur.amounts[AgingBucket.CURRENT] == 10_000
    assert eur.amounts[AgingBucket.DAYS_1_30] == 5_000
    assert eur.amounts[AgingBucket.DAYS_31_60] == 5_000
    assert eur.total == Money(20_000, "EUR")
    usd = report.total_for("USD")
    assert usd is not None
    assert usd.total == Money(7_000, "USD")
    assert usd.amounts[AgingBucket.OVER_90] == 7_000
    jpy = report.total_for("JPY")
    assert jpy is not None
    assert jpy.total_minor == 1_500
    assert report.total_for("GBP") is None


def test_aging_of_nothing_is_empty() -> None:
    report = aging([], TODAY)
    assert report.rows == ()
    assert report.totals == ()


def test_an_open_item_needs_a_real_currency() -> None:
    with pytest.raises(ValidationFailed):
        OpenItem(1, "Acme", "XXX1", 100, TODAY)


# --- Quotes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (QuoteStatus.DRAFT, QuoteStatus.SENT),
        (QuoteStatus.SENT, QuoteStatus.ACCEPTED),
        (QuoteStatus.SENT, QuoteStatus.REJECTED),
        (QuoteStatus.SENT, QuoteStatus.EXPIRED),
        (QuoteStatus.SENT, QuoteStatus.DRAFT),
    ],
)
def test_allowed_quote_transitions(current: QuoteStatus, target: QuoteStatus) -> None:
    check_quote_transition("QT-7", current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (QuoteStatus.DRAFT, QuoteStatus.ACCEPTED),
        (QuoteStatus.DRAFT, QuoteStatus.REJECTED),
        (QuoteStatus.ACCEPTED, QuoteStatus.DRAFT),
        (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED),
        (QuoteStatus.REJECTED, QuoteStatus.SENT),
        (QuoteStatus.EXPIRED, QuoteStatus.ACCEPTED),
        (QuoteStatus.EXPIRED, QuoteStatus.SENT),
    ],
)
def test_refused_quote_transitions(current: QuoteStatus, target: QuoteStatus) -> None:
    with pytest.raises(IllegalQuoteTransition) as refused:
        check_quote_transition("QT-7", current, target)
    assert refused.value.code == "illegal_quote_transition"
    assert str(refused.value) == f"Quote QT-7 is {current.value} and cannot become {target.value}."


def test_the_quote_table_covers_every_status() -> None:
    assert set(QUOTE_TRANSITIONS) == set(QuoteStatus)


def test_editing_a_draft_keeps_its_version_and_editing_a_sent_quote_makes_a_new_one() -> None:
    assert revise_quote("QT-7", QuoteStatus.DRAFT, 1) == 1
    assert revise_quote("QT-7", QuoteStatus.SENT, 1) == 2
    assert revise_quote("QT-7", QuoteStatus.SENT, 2) == 3


@pytest.mark.parametrize(
    "status", [QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED]
)
def test_a_final_quote_cannot_be_edited(status: QuoteStatus) -> None:
    with pytest.raises(IllegalQuoteTransition):
        revise_quote("QT-7", status, 3)


def test_a_quote_is_valid_through_its_last_day() -> None:
    valid_until = date(2026, 11, 30)
    assert not quote_expired(valid_until, date(2026, 11, 29))
    assert not quote_expired(valid_until, valid_until)
    assert quote_expired(valid_until, date(2026, 12, 1))


# --- Credit limits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "open_receivables", "order_total", "exceeded"),
    [
        (None, 10**12, 10**12, False),
        (10_000, 6_000, 4_000, False),
        (10_000, 6_000, 4_001, True),
        (10_000, 0, 10_000, False),
        (10_000, 0, 10_001, True),
        (10_000, 10_000, 0, False),
        (10_000, 10_001, 0, True),
        (0, 0, 0, False),
        (0, 0, 1, True),
    ],
)
def test_credit_limit_boundary(
    limit: int | None, open_receivables: int, order_total: int, exceeded: bool
) -> None:
    assert credit_exceeded(limit, open_receivables, order_total) is exceeded
    assert CreditCheck("EUR", limit, open_receivables, order_total).exceeded is exceeded


def test_a_negative_credit_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        credit_exceeded(-1, 0, 0)


def test_credit_check_explains_available_credit() -> None:
    over = CreditCheck("EUR", 1_000_000, 750_000, 300_000)
    assert over.exceeded
    assert over.available_minor == 250_000
    assert over.available == Money(250_000, "EUR")
    assert over.shortfall_minor == 50_000
    assert over.message() == (
        "Credit limit 10000.00 EUR: 2500.00 EUR available, the order needs 3000.00 EUR "
        "(500.00 EUR over the limit)."
    )

    fits = CreditCheck("EUR", 1_000_000, 750_000, 250_000)
    assert not fits.exceeded
    assert fits.shortfall_minor == 0
    assert fits.message() == (
        "Credit limit 10000.00 EUR: 2500.00 EUR available, the order of 2500.00 EUR fits."
    )

    owing_more_than_the_limit = CreditCheck("EUR", 1_000, 5_000, 100)
    assert owing_more_than_the_limit.available_minor == 0
    assert owing_more_than_the_limit.shortfall_minor == 4_100

    unlimited = CreditCheck("EUR", None, 750_000, 300_000)
    assert not unlimited.exceeded
    assert unlimited.available is None
    assert unlimited.shortfall_minor == 0
    assert unlimited.message() == "No credit limit: the order of 3000.00 EUR fits."
