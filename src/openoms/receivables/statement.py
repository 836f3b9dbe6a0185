"""Bank statement CSV import, and matching the money received to open orders and invoices.

Pure: standard library and ``openoms.shared`` only.

**Reading** (``parse_statement``). A statement is a CSV export with a header row; a few lines
of account details above the header are skipped (the header is looked for in the first 20
rows). The delimiter is ``,``, ``;`` or a tab, chosen as the one that makes the most header
cells known column names (see ``COLUMN_ALIASES``), unless given. Header names are compared
case-insensitively, ignoring punctuation, repeated spaces and a unit in brackets
("Amount (EUR)" is "amount").

* Required: a date, an amount (or a credit and/or a debit column) and a reference column.
  Several reference-like columns (reference, remittance information, description…) are all
  read and joined with " / ", so a number in any of them is found.
* Dates: ``2026-11-20`` always. ``20.11.2026`` (dots) is day first. With slashes or dashes,
  ``date_format`` says the order (``dmy`` or ``mdy``); with ``auto`` the file decides: a
  first part above 12 anywhere means day first, a second part above 12 means month first.
  When nothing in the file tells (every date like ``03/04/2026``) or it points both ways,
  those rows are reported as errors. Two-digit years are 20xx. A time after the date is
  ignored. An explicit ``date_format`` also applies to dotted dates.
* Amounts: ``.`` or ``,`` as decimal separator, the other one (or a space or ``'``) as
  thousands separator; a leading or trailing minus, or brackets, make a debit. The decimal
  separator is ``decimal_separator`` if given, else what the file shows (a separator used
  twice is a thousands separator, the last of two different ones is the decimal one, one
  not followed by exactly three digits is the decimal one). An amount like ``1.234`` in a
  file that shows nothing else is ambiguous and reported as an error. Amounts become exact
  ``Money``; more decimals than the currency has is an error.
* Currency: the currency column, else ``default_currency``.

Rows are numbered as a spreadsheet shows them: every record of the file from 1, the header
and blank lines included. Blank rows are skipped; every other row is either a
``StatementLine`` or a ``StatementError`` with its row number: nothing is dropped silently.
Debits (negative amounts) are kept; matching ignores them.

**Matching** (``match``). See the function.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money, validate_currency

# --- Result types ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One booking of the statement. ``amount`` is negative for a debit (money out)."""

    row: int
    booked: date
    amount: Money
    reference: str
    counterparty: str
    transaction_id: str | None = None

    @property
    def is_credit(self) -> bool:
        """Money received: the only lines matching looks at."""
        return self.amount.amount_minor > 0

    @property
    def is_debit(self) -> bool:
        return self.amount.amount_minor < 0


@dataclass(frozen=True)
class StatementError:
    """A row that could not be read, and why."""

    row: int
    message: str


@dataclass(frozen=True)
class ParsedStatement:
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[StatementError] = field(default_factory=list)


class UnreadableStatement(ValidationFailed):
    """The file as a whole cannot be read: no header with the required columns, or not CSV."""

    code = "unreadable_statement"
    title = "The bank statement cannot be read"


class DateOrder(StrEnum):
    """Day/month order of dates written with slashes or dashes (and dots when explicit)."""

    AUTO = "auto"
    DMY = "dmy"
    MDY = "mdy"


class Column(StrEnum):
    DATE = "date"
    AMOUNT = "amount"
    CREDIT = "credit"
    DEBIT = "debit"
    CURRENCY = "currency"
    REFERENCE = "reference"
    COUNTERPARTY = "counterparty"
    TRANSACTION_ID = "transaction_id"


# Header names per column, as compared (case-folded, punctuation as spaces). For a column
# found more than once, the earlier alias wins ("booking date" before "value date"), except
# the reference, which reads every column it finds.
COLUMN_ALIASES: dict[Column, tuple[str, ...]] = {
    Column.DATE: (
        "date",
        "booking date",
        "booked",
        "booked on",
        "transaction date",
        "posting date",
        "posted",
        "entry date",
        "buchungstag",
        "buchungsdatum",
        "datum",
        "value date",
        "valutadatum",
        "wertstellung",
    ),
    Column.AMOUNT: ("amount", "transaction amount", "betrag", "umsatz", "buchungsbetrag"),
    Column.CREDIT: ("credit", "credit amount", "paid in", "money in", "haben", "gutschrift"),
    Column.DEBIT: ("debit", "debit amount", "paid out", "money out", "soll", "lastschrift"),
    Column.CURRENCY: ("currency", "ccy", "currency code", "währung", "waehrung"),
    Column.REFERENCE: (
        "reference",
        "payment reference",
        "remittance information",
        "remittance info",
        "remittance",
        "description",
        "details",
        "memo",
        "purpose",
        "narrative",
        "verwendungszweck",
    ),
    Column.COUNTERPARTY: (
        "counterparty",
        "counterparty name",
        "counter party",
        "name",
        "payer",
        "payer name",
        "payee",
        "payee name",
        "beneficiary",
        "auftraggeber",
        "zahlungspflichtiger",
        "auftraggeber empfänger",
        "begünstigter zahlungspflichtiger",
        "beguenstigter zahlungspflichtiger",
        "name zahlungsbeteiligter",
    ),
    Column.TRANSACTION_ID: (
        "transaction id",
        "bank transaction id",
        "transaction number",
        "bank reference",
        "id",
        "fitid",
        "transaktions id",
        "transaktionsnummer",
    ),
}

_ALIAS_INDEX: dict[str, tuple[Column, int]] = {
    alias: (column, rank)
    for column, aliases in COLUMN_ALIASES.items()
    for rank, alias in enumerate(aliases)
}
_HEADER_SEARCH_ROWS = 20
_ALIASES_OF_REQUIRED: dict[str, tuple[str, ...]] = {
    "date": COLUMN_ALIASES[Column.DATE],
    "amount": COLUMN_ALIASES[Column.AMOUNT]
    + COLUMN_ALIASES[Column.CREDIT]
    + COLUMN_ALIASES[Column.DEBIT],
    "reference": COLUMN_ALIASES[Column.REFERENCE],
}
_DELIMITERS = (",", ";", "\t")


def _header_key(cell: str) -> str:
    without_unit = re.sub(r"\([^)]*\)", " ", cell.replace("\ufeff", ""))
    return " ".join(re.sub(r"[\W_]+", " ", without_unit.casefold()).split())


# --- Header ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where each column is: one index per column, several for the reference."""

    single: dict[Column, int]
    references: tuple[int, ...]

    @property
    def missing(self) -> list[str]:
        missing = []
        if Column.DATE not in self.single:
            missing.append("date")
        if not ({Column.AMOUNT, Column.CREDIT, Column.DEBIT} & self.single.keys()):
            missing.append("amount")
        if not self.references:
            missing.append("reference")
        return missing

    @property
    def known(self) -> int:
        return len(self.single) + len(self.references)


def _layout(header: Sequence[str]) -> _Layout:
    best: dict[Column, tuple[int, int]] = {}  # column -> (alias rank, index)
    references: list[int] = []
    for index, cell in enumerate(header):
        found = _ALIAS_INDEX.get(_header_key(cell))
        if found is None:
            continue
        column, rank = found
        if column is Column.REFERENCE:
            references.append(index)
        elif column not in best or rank < best[column][0]:
            best[column] = (rank, index)
    return _Layout({c: index for c, (_rank, index) in best.items()}, tuple(references))


def _read_records(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise _unreadable(f"The statement is not readable as CSV: {exc}.") from None


def _unreadable(message: str) -> UnreadableStatement:
    return UnreadableStatement([FieldError("file", message)], message)


def _find_header(text: str, delimiter: str | None) -> tuple[list[list[str]], int, _Layout]:
    """The records, the header's index and its layout. Raises: UnreadableStatement."""
    candidates = (delimiter,) if delimiter else _DELIMITERS
    found: list[tuple[int, int, list[list[str]], _Layout]] = []
    closest: tuple[int, int, list[str], _Layout] | None = None
    for candidate in candidates:
        records = _read_records(text, candidate)
        for index, record in enumerate(records[:_HEADER_SEARCH_ROWS]):
            layout = _layout(record)
            if not layout.missing:
                found.append((-layout.known, index, records, layout))
                break
            if layout.known and (closest is None or layout.known > closest[0]):
                closest = (layout.known, index, record, layout)
    if found:
        _score, index, records, layout = min(found, key=lambda f: (f[0], f[1]))
        return records, index, layout
    if not text.strip():
        raise _unreadable("The statement is empty.")
    if closest is None:
        raise _unreadable(
            "No header row found: no column is named like a date, amount or reference "
            f"(looked at the first {_HEADER_SEARCH_ROWS} rows)."
        )
    _known, index, record, layout = closest
    looked_for = "; ".join(
        f"names accepted for {name}: {', '.join(_ALIASES_OF_REQUIRED[name])}"
        for name in layout.missing
    )
    cells = ", ".join(c for c in record if c.strip())
    raise _unreadable(
        f"The header (row {index + 1}: {cells}) has no {' and no '.join(layout.missing)} "
        f"column ({looked_for})."
    )


# --- Dates -------------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME)
_OTHER_DATE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)


def _detect_date_order(cells: Iterable[str]) -> DateOrder | None:
    """Day or month first, from slash/dash dates with a part above 12; None if unknown."""
    orders: set[DateOrder] = set()
    for cell in cells:
        found = _OTHER_DATE.fullmatch(cell.strip())
        if found is None or found.group(2) == ".":
            continue
        first, second = int(found.group(1)), int(found.group(3))
        if first > 12 >= second:
            orders.add(DateOrder.DMY)
        elif second > 12 >= first:
            orders.add(DateOrder.MDY)
    return orders.pop() if len(orders) == 1 else None


def _parse_date(cell: str, explicit: DateOrder, detected: DateOrder | None) -> date | str:
    """The date, or why it is not one."""
    text = cell.strip()
    if not text:
        return "no date"
    try:
        iso = _ISO_DATE.fullmatch(text)
        if iso is not None:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        other = _OTHER_DATE.fullmatch(text)
        if other is None:
            return f"date '{text}' is not a date like 2026-11-20, 20.11.2026 or 11/20/2026"
        if explicit is not DateOrder.AUTO:
            order: DateOrder | None = explicit
        elif other.group(2) == ".":
            order = DateOrder.DMY
        else:
            order = detected
        if order is None:
            return (
                f"date '{text}' could be day/month or month/day and the file does not tell; "
                "give the date format (dmy or mdy)"
            )
        first, second, year = int(other.group(1)), int(other.group(3)), int(other.group(4))
        if len(other.group(4)) == 2:
            year += 2000
        if order is DateOrder.DMY:
            return date(year, second, first)
        return date(year, first, second)
    except ValueError:
        return f"date '{text}' is not a valid date"


# --- Amounts -----------------------------------------------------------------------------

_GROUPING = str.maketrans("", "", " \u00a0\u202f'’")


def _split_sign(cell: str) -> tuple[bool, str]:
    """(negative, digits and separators) of an amount cell."""
    text = cell.strip().replace("\u2212", "-").translate(_GROUPING)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text and text[0] in "+-":
        negative, text = negative or text[0] == "-", text[1:]
    elif text.endswith("-"):
        negative, text = True, text[:-1]
    return negative, text


def _decimal_evidence(text: str) -> str | None:
    """The decimal separator an amount shows by itself, if it shows one."""
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        return "." if text.rfind(".") > text.rfind(",") else ","
    for mark, other in ((".", ","), (",", ".")):
        count = text.count(mark)
        if count > 1:
            return other
        if count == 1 and len(text) - text.index(mark) - 1 != 3:
            return mark
    return None


def _detect_decimal(cells: Iterable[str]) -> str | None:
    seen = {_decimal_evidence(_split_sign(cell)[1]) for cell in cells if cell.strip()}
    seen.discard(None)
    return seen.pop() if len(seen) == 1 else None


def _amount_text(cell: str, decimal_mark: str | None) -> str:
    """The amount as a plain decimal string ("-1234.56"). Raises: ValueError (why)."""
    negative, text = _split_sign(cell)
    mark = decimal_mark or _decimal_evidence(text)
    if mark is None:
        if "." in text or "," in text:
            raise ValueError(
                f"amount '{cell.strip()}' could be read with '.' or ',' as the decimal "
                "separator and the file does not tell; give the decimal separator"
            )
        mark = "."
    thousands = "," if mark == "." else "."
    whole, _, fraction = text.partition(mark)
    grouped = re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+", whole)
    if not (
        (re.fullmatch(r"\d*", whole) or grouped)
        and re.fullmatch(r"\d*", fraction)
        and (whole or fraction)
        and (mark not in text or fraction)
    ):
        raise ValueError(f"amount '{cell.strip()}' is not an amount")
    digits = whole.replace(thousands, "") or "0"
    return f"{'-' if negative else ''}{digits}.{fraction or '0'}"


# --- Parsing -----------------------------------------------------------------------------


def parse_statement(
    text: str,
    *,
    default_currency: str | None = None,
    date_format: DateOrder | str = DateOrder.AUTO,
    decimal_separator: str | None = None,
    delimiter: str | None = None,
) -> ParsedStatement:
    """Read a bank statement CSV export into lines and row errors (see the module doc).

    Raises: UnreadableStatement when no header with date, amount and reference columns is
    found or the text is not CSV; ValidationFailed for an unknown ``default_currency``;
    ValueError for a ``date_format``, ``decimal_separator`` or ``delimiter`` not offered."""
    order = DateOrder(date_format)
    if decimal_separator not in (None, ".", ","):
        raise ValueError("decimal_separator must be '.' or ','")
    if delimiter is not None and delimiter not in _DELIMITERS:
        raise ValueError("delimiter must be ',', ';' or a tab")
    if default_currency is not None:
        validate_currency(default_currency, "default_currency")

    records, header_index, layout = _find_header(text, delimiter)
    width = len(records[header_index])
    body = [
        (number, record)
        for number, record in enumerate(records[header_index + 1 :], start=header_index + 2)
        if any(cell.strip() for cell in record)
    ]

    def cells_of(column: Column) -> list[str]:
        index = layout.single.get(column)
        if index is None:
            return []
        return [record[index] for _n, record in body if index < len(record)]

    detected_order = _detect_date_order(cells_of(Column.DATE))
    mark = decimal_separator or _detect_decimal(
        cells_of(Column.AMOUNT) + cells_of(Column.CREDIT) + cells_of(Column.DEBIT)
    )

    result = ParsedStatement()
    for number, record in body:
        line_or_problems = _parse_row(
            number, record, width, layout, order, detected_order, mark, default_currency
        )
        if isinstance(line_or_problems, StatementLine):
            result.lines.append(line_or_problems)
        else:
            result.errors.append(StatementError(number, "; ".join(line_or_problems)))
    return result


def _parse_row(
    number: int,
    record: list[str],
    width: int,
    layout: _Layout,
    order: DateOrder,
    detected_order: DateOrder | None,
    mark: str | None,
    default_currency: str | None,
) -> StatementLine | list[str]:
    """The line, or the problems of the row."""
    if any(cell.strip() for cell in record[width:]):
        return [
            f"row has {len(record)} cells but the header has {width} "
            "(a delimiter inside an unquoted value?)"
        ]
    cells = record + [""] * (width - len(record))

    def cell(column: Column) -> str:
        index = layout.single.get(column)
        return "" if index is None else cells[index].strip()

    problems: list[str] = []
    booked = _parse_date(cell(Column.DATE), order, detected_order)
    if isinstance(booked, str):
        problems.append(booked)

    currency = cell(Column.CURRENCY).upper() or default_currency
    if currency is None:
        problems.append("no currency, and no default currency was given")
    else:
        try:
            validate_currency(currency)
        except ValidationFailed:
            problems.append(f"currency '{currency}' is not an ISO 4217 currency code")
            currency = None

    amount: Money | None = None
    amount_text = ""
    try:
        amount_text = _row_amount(cell, layout)
        if currency is not None:
            amount = Money.parse(_amount_text(amount_text, mark), currency)
    except ValueError as exc:
        problems.append(str(exc))
    except ValidationFailed as exc:
        problems.append("; ".join(f"amount '{amount_text}': {e.message}" for e in exc.errors))

    if problems or amount is None or isinstance(booked, str):
        return problems
    reference = " / ".join(cells[i].strip() for i in layout.references if cells[i].strip())
    return StatementLine(
        row=number,
        booked=booked,
        amount=amount,
        reference=reference,
        counterparty=cell(Column.COUNTERPARTY),
        transaction_id=cell(Column.TRANSACTION_ID) or None,
    )


def _row_amount(cell: Callable[[Column], str], layout: _Layout) -> str:
    """The signed amount text of a row, from the amount or the credit/debit columns.

    Raises: ValueError (why)."""
    if Column.AMOUNT in layout.single:
        text = cell(Column.AMOUNT)
        if not text:
            raise ValueError("no amount")
        return text
    credit, debit = cell(Column.CREDIT), cell(Column.DEBIT)
    credit_given = bool(credit) and _split_sign(credit)[1].strip("0.,") != ""
    debit_given = bool(debit) and _split_sign(debit)[1].strip("0.,") != ""
    if credit_given and debit_given:
        raise ValueError(f"both a credit ({credit}) and a debit ({debit}) amount")
    if debit_given:
        return "-" + _split_sign(debit)[1]
    if credit or debit:
        return credit or debit
    raise ValueError("no amount")


# --- Matching ----------------------------------------------------------------------------


class ItemKind(StrEnum):
    ORDER = "order"
    INVOICE = "invoice"


@dataclass(frozen=True)
class Receivable:
    """An order or invoice waiting for funds: its number and what is still to be paid.

    Raises (on creation): ValidationFailed for an unknown currency; ValueError for a
    negative balance."""

    kind: ItemKind
    id: int
    number: str
    currency: str
    balance_minor: int

    def __post_init__(self) -> None:
        validate_currency(self.currency)
        if self.balance_minor < 0:
            raise ValueError("an open balance cannot be negative")

    @property
    def label(self) -> str:
        return f"{self.kind.value} {self.number}"


class MatchOutcome(StrEnum):
    EXACT = "exact"  # the amount pays the balance
    PARTIAL = "partial"  # less than the balance: a part payment
    OVER = "over"  # more than the balance: the balance is applied, the rest reported
    UNMATCHED = "unmatched"  # no usable reference and no suggestion
    AMBIGUOUS = "ambiguous"  # the reference names several open items
    SUGGESTED = "suggested"  # no reference, but one open item of exactly this amount


@dataclass(frozen=True)
class Match:
    """What one received amount pays, and why, in a sentence for people.

    ``applied_minor`` is what to book against ``item`` (0 unless exact, partial or over);
    ``excess_minor`` what is left over (over only); ``candidates`` the items of an
    ambiguous reference."""

    line: StatementLine
    outcome: MatchOutcome
    reason: str
    item: Receivable | None = None
    candidates: tuple[Receivable, ...] = ()
    applied_minor: int = 0
    excess_minor: int = 0

    @property
    def applied(self) -> Money:
        return Money(self.applied_minor, self.line.amount.currency)

    @property
    def excess(self) -> Money:
        return Money(self.excess_minor, self.line.amount.currency)


_SEPARATOR = r"[\s\-_/.#:]"


def reference_pattern(number: str) -> re.Pattern[str] | None:
    """A pattern finding ``number`` in free text, tolerant of case, spaces, dashes and
    leading zeros: "SO-000123" is found in "so 123", "SO123" and "SO/0123", but not in
    "SO1234" or "ISO123". Between two runs of digits a separator is needed unless the digits
    are written as in the number ("INV-2026-00042": "INV 2026 42" or "INV202600042").
    None when the number has no letters or digits."""
    groups = re.findall(r"[^\W\d_]+|\d+", number)
    if not groups:
        return None
    parts = [r"(?<![^\W_])"]
    for index, group in enumerate(groups):
        digits = group.isdigit()
        body = f"0*{int(group)}" if digits else re.escape(group)
        if index and digits and groups[index - 1].isdigit():
            parts.append(f"(?:{_SEPARATOR}+{body}|{group})")
            continue
        if index:
            parts.append(f"{_SEPARATOR}*")
        parts.append(body)
    parts.append(r"(?![^\W_])")
    return re.compile("".join(parts), re.IGNORECASE)


def match(lines: Iterable[StatementLine], open_items: Iterable[Receivable]) -> list[Match]:
    """One Match per credit line, in statement order; debits and zero amounts are ignored.

    A line pays the open item whose number its reference contains (see
    ``reference_pattern``) in the line's currency: ``exact``, ``partial`` or ``over``. A
    number found only on items in another currency gives ``unmatched``; numbers of several
    items in the line's currency give ``ambiguous``. With no number found, the one open item
    in that currency whose balance is exactly the amount is ``suggested`` (not applied).

    Lines are taken in order and what a line applies lowers the item's balance for the
    following lines, so a second payment of a paid item is ``over``."""
    items = list(open_items)
    patterns = [(item, reference_pattern(item.number)) for item in items]
    balances = {(item.kind, item.id): item.balance_minor for item in items}
    results: list[Match] = []
    for line in lines:
        if not line.is_credit:
            continue
        named = [item for item, p in patterns if p is not None and p.search(line.reference)]
        if named:
            results.append(_by_reference(line, named, balances))
        else:
            results.append(_by_amount(line, items, balances))
    return results


def _show(minor: int, currency: str) -> str:
    return f"{Money(minor, currency).amount_str()} {currency}"


def _by_reference(
    line: StatementLine, named: list[Receivable], balances: dict[tuple[ItemKind, int], int]
) -> Match:
    currency = line.amount.currency
    amount = line.amount.amount_minor
    same = [item for item in named if item.currency == currency]
    if not same:
        found = ", ".join(f"{item.label} ({item.currency})" for item in named)
        return Match(
            line,
            MatchOutcome.UNMATCHED,
            f"The reference names {found}, but the payment is in {currency}; nothing was applied.",
            candidates=tuple(named),
        )
    if len(same) > 1:
        names = ", ".join(item.label for item in same)
        combined = sum(balances[(item.kind, item.id)] for item in same)
        hint = (
            f" The amount equals their combined open balance of {_show(combined, currency)}."
            if combined == amount
            else ""
        )
        return Match(
            line,
            MatchOutcome.AMBIGUOUS,
            f"The reference names several open items ({names}); nothing was applied.{hint}",
            candidates=tuple(same),
        )
    item = same[0]
    key = (item.kind, item.id)
    balance = balances[key]
    paid = _show(amount, currency)
    if amount == balance:
        balances[key] = 0
        return Match(
            line,
            MatchOutcome.EXACT,
            f"The reference names {item.label}; {paid} pays its open balance exactly.",
            item=item,
            applied_minor=amount,
        )
    if amount < balance:
        balances[key] = balance - amount
        return Match(
            line,
            MatchOutcome.PARTIAL,
            f"The reference names {item.label}; {paid} is a part payment of the "
            f"{_show(balance, currency)} open, {_show(balance - amount, currency)} remains.",
            item=item,
            applied_minor=amount,
        )
    balances[key] = 0
    rest = _show(amount - balance, currency)
    if balance == 0:
        reason = (
            f"The reference names {item.label}, which has nothing left to pay; "
            f"{rest} is left over to refund or allocate."
        )
    else:
        reason = (
            f"The reference names {item.label}; {paid} is more than the "
            f"{_show(balance, currency)} open: {_show(balance, currency)} applied, "
            f"{rest} left over to refund or allocate."
        )
    return Match(
        line,
        MatchOutcome.OVER,
        reason,
        item=item,
        applied_minor=balance,
        excess_minor=amount - balance,
    )


def _by_amount(
    line: StatementLine, items: list[Receivable], balances: dict[tuple[ItemKind, int], int]
) -> Match:
    currency = line.amount.currency
    amount = line.amount.amount_minor
    paid = _show(amount, currency)
    same_amount = [
        item
        for item in items
        if item.currency == currency and balances[(item.kind, item.id)] == amount
    ]
    if len(same_amount) == 1:
        item = same_amount[0]
        return Match(
            line,
            MatchOutcome.SUGGESTED,
            f"No order or invoice number in the reference; {item.label} is the only open "
            f"item of {paid}: suggested, not applied.",
            item=item,
        )
    if same_amount:
        why = f"{len(same_amount)} open items are of {paid}, so none is suggested"
    else:
        why = f"no open item is of {paid}"
    return Match(
        line,
        MatchOutcome.UNMATCHED,
        f"No order or invoice number in the reference, and {why}.",
        candidates=tuple(same_amount),
    )
