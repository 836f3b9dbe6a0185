"""B2B on SQLite and PostgreSQL: a quote becomes an order on terms, is invoiced, paid in
parts and shows in aging until paid; credit limits hold orders; bank statements pay
invoices and transfers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from openoms.infra.db import Database
from openoms.orders import queries
from openoms.orders.model import OrderStatus
from openoms.orders.placement import LineInput, place_order
from openoms.payments.model import OrderPaymentStatus, PaymentMethod
from openoms.payments.services import order_payments
from openoms.payments.services.operations import PaymentInput
from openoms.receivables.model import (
    AgingBucket,
    IllegalQuoteTransition,
    InvoiceStatus,
    OverPayment,
    PaymentTerms,
)
from openoms.receivables.services import companies, invoices, quotes, statements
from openoms.receivables.services.companies import CompanySpec
from openoms.receivables.services.invoices import NothingToInvoice, NotOnTerms
from openoms.receivables.services.quotes import QuoteExpired, QuoteInput, QuoteLine
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from tests.builders import address, make_channel, make_location, make_sku, random_code, stock
from tests.integration.payment_setup import gateways_for
from tests.integration.test_orders import _order


def _company(db: Database, limit: int | None = None, terms: PaymentTerms = PaymentTerms.NET_30):  # type: ignore[no-untyped-def]
    code = random_code("CO")
    companies.create_company(
        db.uow(), CompanySpec(code, "Acme Retail BV", terms, credit_limit=limit, currency="EUR")
    )
    email = f"{random_code('buyer').lower()}@acme.example"
    return companies.add_contact(db.uow(), code, email, name="Bea Buyer", role="purchasing"), email


def _stocked(db: Database, units: int = 100) -> str:
    sku = make_sku(db)
    stock(db, sku, make_location(db, lat=52.37, lon=4.89).code, units)
    return sku


def _quote_input(company: str, email: str, channel: str, sku: str, **extra: object) -> QuoteInput:
    values: dict[str, object] = {
        "company": company,
        "contact_email": email,
        "channel": channel,
        "currency": "EUR",
        "lines": [QuoteLine(sku, 10, 1500)],
        "billing_address": address(latitude=52.09, longitude=5.12),
        "shipping_address": address(latitude=52.09, longitude=5.12),
    }
    values.update(extra)
    return QuoteInput(**values)  # type: ignore[arg-type]


def test_quote_to_order_to_invoice_to_part_payment_to_aging(db: Database) -> None:
    gateways = gateways_for(db)
    company, email = _company(db)
    channel = make_channel(db, kind="b2b")
    sku = _stocked(db)
    # a quote of 10 × 15.00 at a negotiated price, sent, edited (a new version), sent again
    quote = quotes.create_quote(db, _quote_input(company.code, email, channel, sku), actor="rep")
    assert (quote.status.value, quote.version, quote.total) == ("draft", 1, 15000)
    quotes.send_quote(db, quote.number, actor="rep")
    lines = [QuoteLine(sku, 12, 1400)]
    revised = quotes.update_quote(
        db, quote.number, _quote_input(company.code, email, channel, sku, lines=lines), actor="rep"
    )
    assert (revised.status.value, revised.version, revised.total) == ("draft", 2, 16800)
    assert revised.versions[0]["total"] == 15000
    quotes.send_quote(db, quote.number, actor="rep")
    # accepted: an order at the quote's prices, paid on terms
    accepted, order = quotes.accept_quote(db, gateways, quote.number, actor="rep")
    assert accepted.status.value == "accepted"
    assert accepted.order_number == order.number
    assert order.total_amount == 16800
    assert [ln.unit_price_amount for ln in order.lines] == [1400]
    assert order.status is OrderStatus.ALLOCATED
    assert order.payment_status == OrderPaymentStatus.UNPAID
    with pytest.raises(IllegalQuoteTransition):
        quotes.reject_quote(db, quote.number, actor="rep")
    # invoiced on net 30, numbered without gaps
    invoice = invoices.issue_invoice(db, order.number, actor="fin")
    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.due_on == clock.now().date() + timedelta(days=30)
    assert invoice.number.startswith("INV-")
    with pytest.raises(NothingToInvoice):
        invoices.issue_invoice(db, order.number, actor="fin")
    # paid in part: shows in aging with the rest
    invoices.record_payment(db, invoice.number, 6800, actor="fin", reference="wire 1")
    after = invoices.get_invoice(db.reader(), invoice.number)
    assert (after.status, after.balance) == (InvoiceStatus.PARTIALLY_PAID, 10000)
    assert queries.get_order(db.reader(), order.number).payment_status == "partially_paid"
    late = invoice.due_on + timedelta(days=45)
    report = invoices.aging_report(db.reader(), late)
    mine = [r for r in report.report.rows if company.code in r.company_name]
    assert len(mine) == 1
    assert mine[0].amount(AgingBucket.DAYS_31_60).amount_minor == 10000
    with pytest.raises(OverPayment):
        invoices.record_payment(db, invoice.number, 10001, actor="fin")
    # paid: gone from aging, the order paid
    invoices.record_payment(db, invoice.number, 10000, actor="fin")
    assert invoices.get_invoice(db.reader(), invoice.number).status is InvoiceStatus.PAID
    assert invoice.number not in [
        i.number for i in invoices.aging_report(db.reader(), late).open_invoices
    ]
    assert queries.get_order(db.reader(), order.number).payment_status == "paid"


def test_an_order_over_the_credit_limit_is_held_for_credit(db: Database) -> None:
    gateways = gateways_for(db)
    company, email = _company(db, limit=30000)
    channel = make_channel(db, kind="b2b")
    sku = _stocked(db)

    def order_on_terms(units: int):  # type: ignore[no-untyped-def]
        data = _order(channel, LineInput(sku, units, 10000), email=email)
        placed = place_order(db.uow(), data, actor="rep")
        return order_payments.after_placement(
            db, gateways, placed.order, PaymentInput(PaymentMethod.INVOICE), actor="rep"
        )

    first = order_on_terms(2)  # 200.00 of 300.00
    assert first.status is OrderStatus.ALLOCATED
    second = order_on_terms(1)  # 300.00: exactly the limit
    assert second.status is OrderStatus.ALLOCATED
    third = order_on_terms(1)  # 400.00: over
    assert (third.status, third.hold_reason) == (OrderStatus.ON_HOLD, "credit")
    checks = [e for e in queries.timeline(db.reader(), third.number) if e.kind == "credit_check"]
    assert "100.00 EUR over the limit" in (checks[0].reason or "")


def test_payment_on_terms_is_for_company_customers_only(db: Database) -> None:
    gateways = gateways_for(db)
    channel = make_channel(db, kind="b2b")
    data = _order(channel, LineInput(_stocked(db), 1, 1000))
    placed = place_order(db.uow(), data, actor="rep")
    from openoms.payments.model import PaymentNotAllowed

    with pytest.raises(PaymentNotAllowed, match="company customers"):
        order_payments.pay_order(
            db, gateways, placed.order.number, PaymentInput(PaymentMethod.INVOICE), actor="rep"
        )
    with pytest.raises(NotOnTerms):
        invoices.issue_invoice(db, placed.order.number, actor="fin")


def test_an_expired_quote_cannot_be_accepted(db: Database) -> None:
    gateways = gateways_for(db)
    company, email = _company(db)
    channel = make_channel(db, kind="b2b")
    sku = _stocked(db)
    today = clock.now().date()
    quote = quotes.create_quote(
        db, _quote_input(company.code, email, channel, sku, valid_until=today), actor="rep"
    )
    quotes.send_quote(db, quote.number, actor="rep")
    later = clock.now() + timedelta(days=2)
    with clock.frozen(later), pytest.raises(QuoteExpired):
        quotes.accept_quote(db, gateways, quote.number, actor="rep")
    assert quotes.get_quote(db.reader(), quote.number).status.value == "expired"


def test_quote_input_is_checked(db: Database) -> None:
    company, email = _company(db)
    channel = make_channel(db, kind="b2b")
    sku = _stocked(db)
    with pytest.raises(ValidationFailed) as e:
        quotes.create_quote(
            db,
            _quote_input(
                company.code,
                "stranger@example.com",
                channel,
                sku,
                valid_until=date(2020, 1, 1),
            ),
            actor="rep",
        )
    assert {err.field for err in e.value.errors} == {"valid_until"}
    with pytest.raises(ValidationFailed, match="not a contact"):
        quotes.create_quote(
            db, _quote_input(company.code, "stranger@example.com", channel, sku), actor="rep"
        )


def test_a_bank_statement_pays_invoices_and_transfers_exactly_partly_or_not_at_all(
    db: Database,
) -> None:
    gateways = gateways_for(db)
    company, email = _company(db)
    channel = make_channel(db, kind="b2b")
    sku = _stocked(db)
    # an invoice of 120.00 and an order of 50.00 paid by bank transfer
    data = _order(channel, LineInput(sku, 1, 12000), email=email)
    on_terms = order_payments.after_placement(
        db,
        gateways,
        place_order(db.uow(), data, actor="r").order,
        PaymentInput(PaymentMethod.INVOICE),
        actor="r",
    )
    invoice = invoices.issue_invoice(db, on_terms.number, actor="fin")
    web = make_channel(db)
    transfer = order_payments.after_placement(
        db,
        gateways,
        place_order(db.uow(), _order(web, LineInput(sku, 1, 5000)), actor="w").order,
        PaymentInput(PaymentMethod.BANK_TRANSFER),
        actor="w",
    )
    csv = "\n".join(
        [
            "Booking date;Amount;Currency;Payment reference;Name;Transaction ID",
            f"20.11.2026;120,00;EUR;Invoice {invoice.number};Acme Retail;T{random_code()}",
            f"20.11.2026;20,00;EUR;order {transfer.number} first part;Sam;T{random_code()}",
            f"21.11.2026;77,70;EUR;no idea;Somebody;T{random_code()}",
            f"21.11.2026;-15,00;EUR;bank fee;Bank;T{random_code()}",
            "22.11.2026;abc;EUR;broken;X;T1",
        ]
    )
    done = statements.import_statement(db, csv, actor="fin", file_name="nov.csv")
    outcomes = sorted((ln.outcome, ln.item_number or "") for ln in done.lines)
    assert outcomes == sorted(
        [("exact", invoice.number), ("partial", transfer.number), ("unmatched", "")]
    )
    assert [e.row for e in done.errors] == [6]
    assert invoices.get_invoice(db.reader(), invoice.number).status is InvoiceStatus.PAID
    assert queries.get_order(db.reader(), transfer.number).payment_status == "partially_paid"
    # the same file again books nothing twice
    again = statements.import_statement(db, csv, actor="fin")
    assert (again.lines, again.duplicates) == ([], 3)
    # the unmatched line is booked by hand to the transfer's rest? too much: the rest only
    unmatched = next(ln for ln in done.lines if ln.outcome == "unmatched")
    booked = statements.assign_line(db, unmatched.id, "order", transfer.number, actor="fin")
    assert (booked.applied, booked.excess) == (3000, 4770)
    assert queries.get_order(db.reader(), transfer.number).payment_status == "paid"
    with pytest.raises(statements.LineAlreadyApplied):
        statements.assign_line(db, unmatched.id, "order", transfer.number, actor="fin")
