"""Bank statement import: read the bank's CSV, match each credit to an open invoice or to an
order awaiting a bank transfer by its reference and amount, book what matches, and keep
every line (matched or not) so nothing is lost and nothing is booked twice."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from openoms.infra.db import Database, UnitOfWork
from openoms.orders.orm import orders
from openoms.payments.model import PaymentMethod, PaymentState
from openoms.payments.orm import payments
from openoms.payments.services.operations import receive_in_transaction
from openoms.receivables.model import InvoiceStatus
from openoms.receivables.orm import invoices, statement_lines
from openoms.receivables.services.invoices import record_payment_in_transaction
from openoms.receivables.statement import (
    ItemKind,
    Match,
    MatchOutcome,
    Receivable,
    StatementError,
    StatementLine,
    match,
    parse_statement,
)
from openoms.shared import clock
from openoms.shared.errors import Conflict, NotFound, ValidationFailed
from openoms.shared.money import Money

_s = statement_lines.c
APPLIED = (MatchOutcome.EXACT, MatchOutcome.PARTIAL, MatchOutcome.OVER)


class LineNotFound(NotFound):
    code = "statement_line_not_found"
    title = "Statement line not found"


class LineAlreadyApplied(Conflict):
    code = "statement_line_applied"
    title = "Statement line already booked"


@dataclass(frozen=True)
class BookedLine:
    id: int
    import_id: str
    row: int
    booked: date
    amount: int
    currency: str
    reference: str
    counterparty: str
    outcome: str
    item_kind: str | None
    item_number: str | None
    applied: int
    excess: int
    reason: str
    imported_at: datetime


@dataclass(frozen=True)
class Imported:
    import_id: str
    lines: list[BookedLine]
    errors: list[StatementError]
    duplicates: int  # lines seen in an earlier import, left alone


def import_statement(
    db: Database,
    text: str,
    *,
    actor: str,
    file_name: str = "",
    default_currency: str | None = None,
) -> Imported:
    """Import one statement in one transaction: the matched credits are booked (invoice
    payments, bank transfers received), every credit line is kept with its outcome.

    Raises: UnreadableStatement (no header, missing columns), ValidationFailed.
    """
    parsed = parse_statement(text, default_currency=default_currency)
    import_id = uuid.uuid4().hex
    duplicates = 0
    with db.uow() as uow:
        credits = [ln for ln in parsed.lines if ln.is_credit]
        fresh = []
        for line in credits:
            if _seen(uow, _fingerprint(line)):
                duplicates += 1
            else:
                fresh.append(line)
        for found in match(fresh, open_items(uow)):
            _book(uow, found, import_id, file_name, actor)
        uow.commit()
    with db.reader() as uow:
        lines = _lines(uow, _s.import_id == import_id)
    return Imported(import_id, lines, parsed.errors, duplicates)


def open_items(uow: UnitOfWork) -> list[Receivable]:
    """What waits for money by bank: open invoices, and orders paying by bank transfer."""
    i = invoices.c
    items = [
        Receivable(ItemKind.INVOICE, r.id, r.number, r.currency, r.total_amount - r.paid_amount)
        for r in uow.conn.execute(
            sa.select(i.id, i.number, i.currency, i.total_amount, i.paid_amount).where(
                i.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PARTIALLY_PAID.value])
            )
        )
    ]
    p = payments.c
    items += [
        Receivable(
            ItemKind.ORDER, r.id, r.number, r.currency, r.authorized_amount - r.captured_amount
        )
        for r in uow.conn.execute(
            sa.select(p.id, orders.c.number, p.currency, p.authorized_amount, p.captured_amount)
            .join(orders, orders.c.id == p.order_id)
            .where(
                p.method == PaymentMethod.BANK_TRANSFER.value,
                p.state.in_([PaymentState.AWAITING_FUNDS.value, PaymentState.PARTIALLY_PAID.value]),
            )
        )
    ]
    return items


def _book(uow: UnitOfWork, found: Match, import_id: str, file_name: str, actor: str) -> None:
    line = found.line
    item = found.item
    if found.outcome in APPLIED and item is not None and found.applied_minor > 0:
        _apply(uow, item, found.applied_minor, line, actor)
    uow.conn.execute(
        statement_lines.insert().values(
            import_id=import_id,
            file_name=file_name[:200],
            row=line.row,
            booked=line.booked,
            amount=line.amount.amount_minor,
            currency=line.amount.currency,
            reference=line.reference,
            counterparty=line.counterparty[:200],
            transaction_id=line.transaction_id,
            fingerprint=_fingerprint(line),
            outcome=found.outcome.value,
            item_kind=item.kind.value if item else None,
            item_number=item.number if item else None,
            applied_amount=found.applied_minor if found.outcome in APPLIED else 0,
            excess_amount=found.excess_minor,
            reason=found.reason,
            imported_by=actor,
            imported_at=clock.now(),
        )
    )


def _apply(uow: UnitOfWork, item: Receivable, amount: int, line: StatementLine, actor: str) -> None:
    reference = f"bank {line.booked.isoformat()} {line.transaction_id or line.reference}"[:200]
    if item.kind is ItemKind.INVOICE:
        record_payment_in_transaction(
            uow,
            item.number,
            amount,
            actor=actor,
            received_on=line.booked,
            reference=reference,
            method="bank_transfer",
        )
    else:
        receive_in_transaction(uow, item.id, amount, actor=actor, reason=reference)


def assign_line(db: Database, line_id: int, kind: str, number: str, *, actor: str) -> BookedLine:
    """Book a line the import could not (unmatched, suggested, ambiguous) to the invoice or
    order a person chose; the whole amount or the item's balance, whichever is less.

    Raises: LineNotFound, LineAlreadyApplied, ValidationFailed (no such open item)."""
    with db.uow() as uow:
        found = _lines(uow, _s.id == line_id)
        if not found:
            raise LineNotFound(f"No statement line {line_id}.", id=line_id)
        line = found[0]
        if line.applied > 0:
            raise LineAlreadyApplied(
                f"Line {line_id} is booked to {line.item_kind} {line.item_number} already.",
                id=line_id,
            )
        wanted = [
            i
            for i in open_items(uow)
            if i.kind.value == kind and i.number == number and i.currency == line.currency
        ]
        if not wanted:
            raise ValidationFailed.single(
                "number", f"no open {kind} {number} in {line.currency} waits for money"
            )
        item = wanted[0]
        amount = min(line.amount, item.balance_minor)
        statement = StatementLine(
            line.row,
            line.booked,
            _money(line.amount, line.currency),
            line.reference,
            line.counterparty,
            None,
        )
        _apply(uow, item, amount, statement, actor)
        uow.conn.execute(
            statement_lines.update()
            .where(_s.id == line_id)
            .values(
                outcome="assigned",
                item_kind=kind,
                item_number=number,
                applied_amount=amount,
                excess_amount=line.amount - amount,
                reason=f"booked by {actor} to {kind} {number}",
            )
        )
        (after,) = _lines(uow, _s.id == line_id)
        uow.commit()
    return after


def recent_lines(uow: UnitOfWork, *, open_only: bool = False, limit: int = 200) -> list[BookedLine]:
    with uow:
        where = _s.applied_amount == 0 if open_only else sa.true()
        return _lines(uow, where, limit=limit)


def _money(amount: int, currency: str) -> Money:
    return Money(amount, currency)


def _fingerprint(line: StatementLine) -> str:
    if line.transaction_id:
        key = f"id:{line.transaction_id}"
    else:
        key = "|".join(
            [
                line.booked.isoformat(),
                str(line.amount.amount_minor),
                line.amount.currency,
                line.reference,
                line.counterparty,
            ]
        )
    return hashlib.sha256(key.encode()).hexdigest()


def _seen(uow: UnitOfWork, fingerprint: str) -> bool:
    return (
        uow.conn.execute(sa.select(_s.id).where(_s.fingerprint == fingerprint)).first() is not None
    )


def _lines(
    uow: UnitOfWork, where: sa.ColumnElement[bool], *, limit: int = 1000
) -> list[BookedLine]:
    rows = uow.conn.execute(
        sa.select(statement_lines)
        .where(where)
        .order_by(_s.id.desc() if limit < 1000 else _s.id)
        .limit(limit)
    )
    return [
        BookedLine(
            r.id,
            r.import_id,
            r.row,
            r.booked,
            r.amount,
            r.currency,
            r.reference,
            r.counterparty,
            r.outcome,
            r.item_kind,
            r.item_number,
            r.applied_amount,
            r.excess_amount,
            r.reason,
            r.imported_at,
        )
        for r in rows
    ]
